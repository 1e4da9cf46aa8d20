#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

from tests.unit import base
from tests.unit import customizers


class HypervTest(customizers.CustomizerTests, base.TestCase):

    FAMILY = 'hyperv'
    FIXTURE = 'nova-windows'
    #: every switch libvirt knows under <hyperv> (emsr_bitmap and
    #: xmm_input since libvirt 10), written out rather than taken from
    #: the module so that one dropped from it is noticed
    SWITCHES = (
        'relaxed', 'vapic', 'vpindex', 'runtime', 'synic', 'stimer',
        'stimer.direct', 'reset', 'frequencies', 'reenlightenment',
        'tlbflush', 'ipi', 'evmcs', 'avic', 'emsr_bitmap', 'xmm_input')
    GOOD = (
        [('xmlhooks:hyperv:%s' % f, 'on') for f in SWITCHES] +
        [('xmlhooks:hyperv:%s' % f, 'off') for f in SWITCHES] +
        [('xmlhooks:hyperv:spinlocks', '4095'),
         ('xmlhooks:hyperv:spinlocks', '4294967295'),
         ('xmlhooks:hyperv:spinlocks', 'off'),
         ('xmlhooks:hyperv:vendor_id', 'Microsoft Hv'),
         ('xmlhooks:hyperv:vendor_id', 'off'),
         ('xmlhooks:hyperv:mode', 'passthrough'),
         ('xmlhooks:hyperv:mode', 'custom')])
    NEWER_THAN_SCHEMA = ('xmlhooks:hyperv:emsr_bitmap',
                         'xmlhooks:hyperv:xmm_input')
    #: Nova enables no enlightenment for a Linux guest, so those that need
    #: others cannot be on alone; a Windows guest's need vpindex
    NEEDS_OTHERS = {
        'nova-basic': {('xmlhooks:hyperv:%s' % f, 'on') for f in (
            'synic', 'stimer', 'stimer.direct', 'tlbflush', 'ipi', 'evmcs')},
        'nova-windows': {('xmlhooks:hyperv:vpindex', 'off')},
    }
    BAD = (
        ('xmlhooks:hyperv:relaxed', 'yes'),
        ('xmlhooks:hyperv:stimer.direct', 'true'),
        ('xmlhooks:hyperv:relaxed', ''),
        ('xmlhooks:hyperv:stimer.indirect', 'on'),
        ('xmlhooks:hyperv:hypercall', 'on'),
        ('xmlhooks:hyperv:spinlocks', '4094'),
        ('xmlhooks:hyperv:spinlocks', '4294967296'),
        ('xmlhooks:hyperv:spinlocks', '99999999999'),
        ('xmlhooks:hyperv:spinlocks', '-1'),
        ('xmlhooks:hyperv:spinlocks', ' 8191'),
        ('xmlhooks:hyperv:spinlocks', '\u0668\u0661\u0669\u0661'),
        ('xmlhooks:hyperv:vendor_id', 'ThirteenChars'),
        ('xmlhooks:hyperv:vendor_id', 'a,b'),
        ('xmlhooks:hyperv:vendor_id', ''),
        ('xmlhooks:hyperv:vendor_id', 'tab\there'),
        ('xmlhooks:hyperv:vendor_id', 'KVM\x7f'),
        ('xmlhooks:hyperv:vendor_id', 'caf\u00e9'),
        ('xmlhooks:hyperv:mode', 'host-model'),
    )

    def test_switch_overrides_novas_element(self):
        xml = base.nova_xml(self.FIXTURE)
        self.assertEqual(['on'], self.xpath(
            xml, './features/hyperv/relaxed/@state'))
        before = len(self.xpath(xml, './features/hyperv/*'))
        out = self.customize({'xmlhooks:hyperv:relaxed': 'off'})
        self.assertEqual(['off'], self.xpath(
            out, './features/hyperv/relaxed/@state'))
        self.assertEqual(before, len(self.xpath(out, './features/hyperv/*')))
        self.assertEqual(1, len(self.xpath(out, './features/hyperv')))

    def test_features_nova_never_sets_are_added(self):
        out = self.customize({'xmlhooks:hyperv:evmcs': 'off',
                              'xmlhooks:hyperv:avic': 'on',
                              'xmlhooks:hyperv:stimer.direct': 'on'})
        self.assertEqual(['off'], self.xpath(
            out, './features/hyperv/evmcs/@state'))
        self.assertEqual(['on'], self.xpath(
            out, './features/hyperv/avic/@state'))
        self.assertEqual(['on'], self.xpath(
            out, './features/hyperv/stimer/@state'))
        self.assertEqual(['on'], self.xpath(
            out, './features/hyperv/stimer/direct/@state'))

    def test_stimer_direct_off_keeps_stimer(self):
        # NOTE(xmlhooks): libvirt writes <direct> back only when it is
        # on; direct mode off is a <stimer> without one.
        first = self.customize({'xmlhooks:hyperv:stimer.direct': 'on'})
        out = self.customize({'xmlhooks:hyperv:stimer': 'on',
                              'xmlhooks:hyperv:stimer.direct': 'off'},
                             xml=first)
        self.assertEqual(['on'], self.xpath(
            out, './features/hyperv/stimer/@state'))
        self.assertEqual([], self.xpath(out, './features/hyperv/stimer/*'))

    def test_stimer_off_drops_direct(self):
        # NOTE(xmlhooks): libvirt reads <direct> only under a <stimer>
        # that is on, and drops it from one that is off.
        first = self.customize({'xmlhooks:hyperv:stimer.direct': 'on'})
        out = self.customize({'xmlhooks:hyperv:stimer': 'off'}, xml=first)
        self.assertEqual(['off'], self.xpath(
            out, './features/hyperv/stimer/@state'))
        self.assertEqual([], self.xpath(out, './features/hyperv/stimer/*'))

    def test_stimer_direct_on_switches_stimer_on(self):
        # NOTE(xmlhooks): QEMU's hv-stimer-direct needs hv-stimer, and
        # libvirt drops <direct> from a <stimer> that is off.
        first = self.customize({'xmlhooks:hyperv:stimer': 'off'})
        out = self.customize({'xmlhooks:hyperv:stimer.direct': 'on'},
                             xml=first)
        self.assertEqual(['on'], self.xpath(
            out, './features/hyperv/stimer/@state'))
        self.assertEqual(['on'], self.xpath(
            out, './features/hyperv/stimer/direct/@state'))

    def test_stimer_direct_off_without_stimer(self):
        # NOTE(xmlhooks): Nova writes no <stimer>; libvirt refuses one
        # without a state ("Missing required attribute 'state'").
        xml = base.nova_xml(self.FIXTURE)
        self.assertEqual([], self.xpath(xml, './features/hyperv/stimer'))
        out = self.customize({'xmlhooks:hyperv:stimer.direct': 'off'})
        self.assertEqual(['off'], self.xpath(
            out, './features/hyperv/stimer/@state'))
        self.assertEqual([], self.xpath(out, './features/hyperv/stimer/*'))

    def test_spinlock_retries(self):
        out = self.customize({'xmlhooks:hyperv:spinlocks': '16383'})
        self.assertEqual(['16383'], self.xpath(
            out, './features/hyperv/spinlocks/@retries'))
        self.assertEqual(['on'], self.xpath(
            out, './features/hyperv/spinlocks/@state'))

    def test_spinlocks_on_keeps_novas_retries(self):
        xml = base.nova_xml(self.FIXTURE)
        novas = self.xpath(xml, './features/hyperv/spinlocks/@retries')
        self.assertEqual(1, len(novas))
        out = self.customize({'xmlhooks:hyperv:spinlocks': 'on'})
        self.assertEqual(novas, self.xpath(
            out, './features/hyperv/spinlocks/@retries'))

    def test_spinlocks_on_without_nova_uses_minimum(self):
        out = self.customize({'xmlhooks:hyperv:spinlocks': 'on'},
                             fixture='nova-basic')
        self.assertEqual(['4095'], self.xpath(
            out, './features/hyperv/spinlocks/@retries'))

    def test_spinlocks_off_drops_retries(self):
        out = self.customize({'xmlhooks:hyperv:spinlocks': 'off'})
        self.assertEqual(['off'], self.xpath(
            out, './features/hyperv/spinlocks/@state'))
        self.assertEqual([], self.xpath(
            out, './features/hyperv/spinlocks/@retries'))

    def test_vendor_id(self):
        out = self.customize({'xmlhooks:hyperv:vendor_id': 'KVMKVMKVM'})
        self.assertEqual(['KVMKVMKVM'], self.xpath(
            out, './features/hyperv/vendor_id/@value'))
        self.assertEqual(['on'], self.xpath(
            out, './features/hyperv/vendor_id/@state'))

    def test_vendor_id_with_xml_characters_is_text(self):
        out = self.customize({'xmlhooks:hyperv:vendor_id': "<a&b'\">"})
        self.assertEqual(["<a&b'\">"], self.xpath(
            out, './features/hyperv/vendor_id/@value'))

    def test_vendor_id_on_needs_a_value(self):
        self.assertApplyRefused({'xmlhooks:hyperv:vendor_id': 'on'},
                                "'xmlhooks:hyperv:vendor_id'",
                                "'on' needs a vendor id",
                                fixture='nova-basic')

    def test_vendor_id_on_keeps_an_existing_value(self):
        first = self.customize({'xmlhooks:hyperv:vendor_id': 'ABC'})
        out = self.customize({'xmlhooks:hyperv:vendor_id': 'on'}, xml=first)
        self.assertEqual(['ABC'], self.xpath(
            out, './features/hyperv/vendor_id/@value'))

    def test_vendor_id_off(self):
        first = self.customize({'xmlhooks:hyperv:vendor_id': 'ABC'})
        out = self.customize({'xmlhooks:hyperv:vendor_id': 'off'}, xml=first)
        self.assertEqual(['off'], self.xpath(
            out, './features/hyperv/vendor_id/@state'))
        self.assertEqual([], self.xpath(
            out, './features/hyperv/vendor_id/@value'))

    def test_created_when_nova_wrote_no_hyperv(self):
        xml = base.nova_xml('nova-basic')
        self.assertEqual([], self.xpath(xml, './features/hyperv'))
        out = self.customize({'xmlhooks:hyperv:relaxed': 'on'}, xml=xml)
        self.assertEqual(['on'], self.xpath(
            out, './features/hyperv/relaxed/@state'))

    def test_mode_passthrough_replaces_the_list(self):
        out = self.customize({'xmlhooks:hyperv:mode': 'passthrough'})
        self.assertEqual(['passthrough'], self.xpath(
            out, './features/hyperv/@mode'))
        self.assertEqual([], self.xpath(out, './features/hyperv/*'))

    def test_mode_custom_keeps_the_list(self):
        xml = base.nova_xml(self.FIXTURE)
        out = self.customize({'xmlhooks:hyperv:mode': 'custom'})
        self.assertEqual(['custom'], self.xpath(
            out, './features/hyperv/@mode'))
        self.assertEqual(len(self.xpath(xml, './features/hyperv/*')),
                         len(self.xpath(out, './features/hyperv/*')))

    def test_mode_passthrough_with_features_is_refused(self):
        self.assertApplyRefused({'xmlhooks:hyperv:mode': 'passthrough',
                                 'xmlhooks:hyperv:evmcs': 'on'},
                                "'xmlhooks:hyperv:mode'",
                                'xmlhooks:hyperv:evmcs')

    def test_bad_value_names_the_reason(self):
        self.assertRefused('xmlhooks:hyperv:spinlocks', '100', '4095')
        self.assertRefused('xmlhooks:hyperv:vendor_id', 'x' * 13,
                           '12 printable')
