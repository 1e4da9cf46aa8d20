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

"""The example profiles in ``etc/xmlhooks.d``, each in a running QEMU."""

import os

from nova_xmlhooks import exception
from tests.libvirt import base
from tests.unit import base as unit_base

#: every example profile, and the test that shows its effect
TESTED = {
    'windows': 'test_windows',
    'licensing': 'test_licensing',
    'hide-hypervisor': 'test_hide_hypervisor',
    'large-bar-gpu': 'test_large_bar_gpu',
    'no-tablet': 'test_no_tablet',
    'disk-tuning': 'test_disk_tuning',
}


class TestExampleProfiles(base.LibvirtTestCase):

    def setUp(self):
        super().setUp()
        # NOTE(xmlhooks): large-bar-gpu passes a QEMU argument, which the
        # operator must allow; the example directory is loaded whole, as a
        # compute host would load it.
        self.flags(profile_dirs=[base.PROFILES_DIR],
                   allow_sensitive=['qemu_passthrough'])

    def boot_profile(self, name, fixture='nova-basic', start=True):
        return self.boot({'xmlhooks:profile': name}, fixture=fixture,
                         start=start)

    def test_every_example_profile_is_tested(self):
        names = unit_base.load_profiles([base.PROFILES_DIR])
        self.assertEqual(sorted(TESTED), sorted(names))
        for test in TESTED.values():
            self.assertTrue(callable(getattr(self, test, None)), test)

    def test_windows(self):
        # The whole profile passes libvirt's schema, KVM-only features too.
        defined = self.boot_profile('windows', 'nova-windows',
                                    start=False).defined_xml
        for feature in ('vpindex', 'synic', 'stimer', 'tlbflush', 'ipi'):
            self.assertEqual(['on'], base.xpath(
                defined, './features/hyperv/%s/@state' % feature), feature)
        self.assertEqual(['on'], base.xpath(
            defined, './features/hyperv/stimer/direct/@state'))
        # What TCG can run shows in QEMU.
        guest = self.boot_profile('windows', 'nova-windows')
        _model, props = base.cpu_properties(guest.argv)
        self.assertEqual('OpenStackHV', props['hv-vendor-id'])
        for prop in ('hv-relaxed', 'hv-vapic', 'hv-runtime', 'hv-reset',
                     'hv-frequencies', 'hv-reenlightenment', 'hv-time'):
            self.assertEqual('on', props.get(prop), prop)
        self.assertEqual('0x1fff', props['hv-spinlocks'])
        (rtc,) = base.option_values(guest.argv, '-rtc')
        self.assertTrue(rtc.startswith('base=localtime'), rtc)
        self.assertIn('-no-hpet', guest.argv)

    def test_windows_on_a_linux_image(self):
        nova, customised = self.customize({'xmlhooks:profile': 'windows'})
        self.assertEqual(['utc'], base.xpath(nova, './clock/@offset'))
        guest = self.run_guest(customised)
        (rtc,) = base.option_values(guest.argv, '-rtc')
        self.assertTrue(rtc.startswith('base=localtime'), rtc)
        _model, props = base.cpu_properties(guest.argv)
        self.assertEqual('OpenStackHV', props['hv-vendor-id'])

    def test_licensing(self):
        guest = self.boot_profile('licensing')
        domain_uuid = guest.domain.UUIDString()
        system = base.smbios_fields(guest.argv, 1)
        self.assertEqual('OS-' + domain_uuid, system['serial'])
        self.assertEqual('OpenStack Foundation', system['manufacturer'])
        self.assertEqual(domain_uuid, system['uuid'])
        baseboard = base.smbios_fields(guest.argv, 2)
        self.assertEqual('ACME Cloud', baseboard['manufacturer'])
        self.assertEqual('ACME Virtual Board', baseboard['product'])
        chassis = base.smbios_fields(guest.argv, 3)
        self.assertEqual('ACME Cloud', chassis['manufacturer'])
        flavor = base.xpath(guest.defined_xml,
                            '//*[local-name()="flavor"]/@name')[0]
        self.assertEqual('flavor-' + flavor, chassis['asset'])
        (oem,) = base.smbios_tables(guest.argv)[11]
        self.assertEqual(
            [('value', 'licence-host=licensing.example.com'),
             ('value', 'instance=' + domain_uuid)], oem)

    def test_hide_hypervisor(self):
        guest = self.boot_profile('hide-hypervisor')
        _model, props = base.cpu_properties(guest.argv)
        self.assertEqual('off', props['kvm'])
        self.assertEqual('off', props['hypervisor'])

    def test_large_bar_gpu(self):
        guest = self.boot_profile('large-bar-gpu')
        self.assertEqual(['name=opt/ovmf/X-PciMmio64Mb,string=65536'],
                         base.option_values(guest.argv, '-fw_cfg'))

    def test_large_bar_gpu_needs_qemu_passthrough(self):
        self.flags(allow_sensitive=[])
        error = self.assertRaises(exception.ProfileError, self.engine)
        message = error.format_message()
        self.assertIn(os.path.join(base.PROFILES_DIR, 'large-bar-gpu.yaml'),
                      message)
        self.assertIn('qemu_passthrough', message)

    def test_no_tablet(self):
        nova, customised = self.customize({'xmlhooks:profile': 'no-tablet'})
        self.assertTrue(base.xpath(nova, "./devices/input[@type='tablet']"))
        guest = self.run_guest(customised)
        self.assertNotIn('usb-tablet', base.device_drivers(guest.argv))
        self.assertIn('piix3-usb-uhci', base.device_drivers(guest.argv))

    def test_disk_tuning(self):
        guest = self.boot_profile('disk-tuning', 'nova-two-disks')
        blockdevs = base.json_options(guest.argv, '-blockdev')
        overlays = [node for node in blockdevs
                    if node.get('filename', '').endswith(('disk-0',
                                                          'disk-1'))]
        self.assertEqual(2, len(overlays))
        for node in overlays:
            self.assertEqual('native', node['aio'])
            self.assertEqual('unmap', node['discard'])
            self.assertTrue(node['cache']['direct'])
        formats = [node for node in blockdevs
                   if node.get('driver') == 'qcow2']
        self.assertEqual(['unmap', 'unmap'],
                         [node.get('detect-zeroes') for node in formats])
