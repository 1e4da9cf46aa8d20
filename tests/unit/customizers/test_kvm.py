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


class KvmTest(customizers.CustomizerTests, base.TestCase):

    FAMILY = 'kvm'
    # NOTE(xmlhooks): a dirty ring switched on is host_resources.
    ALLOW_SENSITIVE = ('host_resources',)
    #: written out rather than taken from the module, so that a switch
    #: dropped from it is noticed
    SWITCHES = ('hidden', 'hint-dedicated', 'poll-control', 'pv-ipi')
    GOOD = tuple(
        [('xmlhooks:kvm:%s' % f, s) for f in SWITCHES
         for s in ('on', 'off')]
        + [('xmlhooks:kvm:dirty-ring', v)
           for v in ('on', 'off', '1024', '4096', '65536')])
    BAD = (
        ('xmlhooks:kvm:hidden', 'yes'),
        ('xmlhooks:kvm:hidden', ''),
        ('xmlhooks:kvm:hint_dedicated', 'on'),
        ('xmlhooks:kvm:steal-time', 'on'),
        ('xmlhooks:kvm:dirty-ring', '512'),
        ('xmlhooks:kvm:dirty-ring', '131072'),
        ('xmlhooks:kvm:dirty-ring', '3000'),
        ('xmlhooks:kvm:dirty-ring', '0'),
        ('xmlhooks:kvm:dirty-ring', '4k'),
        ('xmlhooks:kvm:dirty-ring', ' 4096'),
        ('xmlhooks:kvm:dirty-ring', '\u0664\u0660\u0669\u0666'),
    )

    def test_switches(self):
        out = self.customize({'xmlhooks:kvm:hidden': 'on',
                              'xmlhooks:kvm:pv-ipi': 'off',
                              'xmlhooks:kvm:poll-control': 'on',
                              'xmlhooks:kvm:hint-dedicated': 'off'})
        for feature, state in (('hidden', 'on'), ('pv-ipi', 'off'),
                               ('poll-control', 'on'),
                               ('hint-dedicated', 'off')):
            self.assertEqual([state], self.xpath(
                out, './features/kvm/%s/@state' % feature))
        self.assertEqual(1, len(self.xpath(out, './features')))

    def test_existing_element_is_changed_not_duplicated(self):
        first = self.customize({'xmlhooks:kvm:hidden': 'on'})
        out = self.customize({'xmlhooks:kvm:hidden': 'off'}, xml=first)
        self.assertEqual(['off'], self.xpath(
            out, './features/kvm/hidden/@state'))

    def test_novas_features_are_kept(self):
        xml = base.nova_xml(self.FIXTURE)
        out = self.customize({'xmlhooks:kvm:hidden': 'on'})
        self.assertEqual(
            [c.tag for c in self.xpath(xml, './features/*')] + (
                [] if self.xpath(xml, './features/kvm') else ['kvm']),
            [c.tag for c in self.xpath(out, './features/*')])

    def test_dirty_ring_size(self):
        out = self.customize({'xmlhooks:kvm:dirty-ring': '8192'})
        self.assertEqual(['on'], self.xpath(
            out, './features/kvm/dirty-ring/@state'))
        self.assertEqual(['8192'], self.xpath(
            out, './features/kvm/dirty-ring/@size'))

    def test_dirty_ring_on_uses_the_default_size(self):
        out = self.customize({'xmlhooks:kvm:dirty-ring': 'on'})
        self.assertEqual(['4096'], self.xpath(
            out, './features/kvm/dirty-ring/@size'))

    def test_dirty_ring_on_keeps_a_size(self):
        first = self.customize({'xmlhooks:kvm:dirty-ring': '16384'})
        out = self.customize({'xmlhooks:kvm:dirty-ring': 'on'}, xml=first)
        self.assertEqual(['16384'], self.xpath(
            out, './features/kvm/dirty-ring/@size'))

    def test_dirty_ring_off_drops_the_size(self):
        first = self.customize({'xmlhooks:kvm:dirty-ring': '16384'})
        out = self.customize({'xmlhooks:kvm:dirty-ring': 'off'}, xml=first)
        self.assertEqual(['off'], self.xpath(
            out, './features/kvm/dirty-ring/@state'))
        self.assertEqual([], self.xpath(
            out, './features/kvm/dirty-ring/@size'))

    def test_bad_size_names_the_range(self):
        self.assertRefused('xmlhooks:kvm:dirty-ring', '20480',
                           'power of two from 1024 to 65536')

    def test_features_are_created_before_devices(self):
        out = self.customize({'xmlhooks:xml:nofeatures':
                              'xpath.delete=./features',
                              'xmlhooks:kvm:hidden': 'on'})
        self.assertEqual(['on'], self.xpath(
            out, './features/kvm/hidden/@state'))
        self.assertEqual(['kvm'], [c.tag for c in self.xpath(
            out, './features/*')])
        # NOTE(xmlhooks): where libvirt formats it, so that the XML
        # libvirt gives back reads as the one the hook wrote.
        self.assertEqual(['devices'], [c.tag for c in self.xpath(
            out, './features/following-sibling::*[1]')])
