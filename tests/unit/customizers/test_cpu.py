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


class CpuTest(customizers.CustomizerTests, base.TestCase):

    FAMILY = 'cpu'
    #: libvirt's policies, written out rather than taken from the
    #: module, so that one dropped from it is noticed
    POLICIES = ('require', 'disable', 'force', 'forbid', 'optional')
    GOOD = tuple(
        [('xmlhooks:cpu:feature.vmx', policy) for policy in POLICIES]
        + [('xmlhooks:cpu:feature.sse4.2', 'disable'),
           ('xmlhooks:cpu:feature.tsc-deadline', 'require'),
           ('xmlhooks:cpu:feature.3dnowprefetch', 'optional'),
           ('xmlhooks:cpu:feature.' + 'a' * 64, 'disable')])
    BAD = (
        ('xmlhooks:cpu:feature.vmx', 'on'),
        ('xmlhooks:cpu:feature.vmx', 'Disable'),
        ('xmlhooks:cpu:feature.vmx', ''),
        ('xmlhooks:cpu:feature.VMX', 'disable'),
        ('xmlhooks:cpu:feature.', 'disable'),
        ('xmlhooks:cpu:feature.a b', 'disable'),
        ('xmlhooks:cpu:model', 'Skylake'),
        ('xmlhooks:cpu:featureXvmx', 'disable'),
        ('xmlhooks:cpu:flag.vmx', 'disable'),
        ('xmlhooks:cpu:feature.' + 'a' * 65, 'disable'),
    )

    def test_feature_policy_is_set(self):
        out = self.customize({'xmlhooks:cpu:feature.hypervisor': 'disable',
                              'xmlhooks:cpu:feature.vmx': 'require'})
        self.assertEqual(['disable'], self.xpath(
            out, "./cpu/feature[@name='hypervisor']/@policy"))
        self.assertEqual(['require'], self.xpath(
            out, "./cpu/feature[@name='vmx']/@policy"))
        self.assertEqual(1, len(self.xpath(out, './cpu')))

    def test_existing_feature_is_changed_not_duplicated(self):
        first = self.customize({'xmlhooks:cpu:feature.pcid': 'require'})
        out = self.customize({'xmlhooks:cpu:feature.pcid': 'forbid'},
                             xml=first)
        self.assertEqual(['forbid'], self.xpath(
            out, "./cpu/feature[@name='pcid']/@policy"))

    def test_novas_cpu_is_kept(self):
        xml = base.nova_xml(self.FIXTURE)
        out = self.customize({'xmlhooks:cpu:feature.vmx': 'disable'})
        for attr in ('mode', 'match', 'check'):
            self.assertEqual(self.xpath(xml, './cpu/@' + attr),
                             self.xpath(out, './cpu/@' + attr))
        self.assertEqual(self.xpath(xml, 'count(./cpu/*)') + (
            0 if self.xpath(xml, "./cpu/feature[@name='vmx']") else 1),
            self.xpath(out, 'count(./cpu/*)'))

    def test_cpu_without_mode_or_model_is_refused(self):
        self.assertApplyRefused({
            'xmlhooks:xml:nocpu': 'xpath.delete=./cpu',
            'xmlhooks:cpu:feature.vmx': 'disable'},
            "'xmlhooks:cpu:feature.vmx'", 'cpu_mode')

    def test_custom_cpu_with_a_model(self):
        out = self.customize({
            'xmlhooks:xml:mode': './cpu/@mode=custom',
            'xmlhooks:xml:model': './cpu/model=qemu64',
            'xmlhooks:cpu:feature.hypervisor': 'disable'})
        self.assertEqual(['disable'], self.xpath(
            out, "./cpu/feature[@name='hypervisor']/@policy"))

    def test_modes_without_a_model_take_features(self):
        # NOTE(xmlhooks): libvirt takes features on these modes without
        # a <model>, unlike on a custom CPU.
        for mode in ('host-passthrough', 'maximum'):
            out = self.customize({
                'xmlhooks:xml:mode': './cpu/@mode=' + mode,
                'xmlhooks:cpu:feature.vmx': 'disable'})
            self.assertEqual([mode], self.xpath(out, './cpu/@mode'))
            self.assertEqual([], self.xpath(out, './cpu/model'))
            self.assertEqual(['disable'], self.xpath(
                out, "./cpu/feature[@name='vmx']/@policy"))

    def test_custom_cpu_without_a_model_is_refused(self):
        self.assertApplyRefused({
            'xmlhooks:xml:mode': './cpu/@mode=custom',
            'xmlhooks:cpu:feature.vmx': 'disable'},
            "'xmlhooks:cpu:feature.vmx'", 'no mode or model')
