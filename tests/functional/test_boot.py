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

"""Loading the driver by name, a first boot and the no-op guarantee."""

import os
import re

import nova
from nova.virt import driver as virt_driver
from nova.virt import fake as fake_virt
from nova.virt.libvirt import driver as libvirt_driver

import _nova_xmlhooks_shim as shim
from nova_xmlhooks import driver as xmlhooks_driver
from tests.functional import base

PROFILE = """
acme-smbios:
  description: SMBIOS manufacturer and a disk cache mode
  specs:
    xmlhooks:xml:maker: ./sysinfo/system/entry[@name='manufacturer']=ACME
  xml:
    - ./devices/disk[@device='disk']/driver/@cache=writeback
"""

FLAVOR_SPECS = {
    'xmlhooks:profile': 'acme-smbios',
    'xmlhooks:xml:family': "./sysinfo/system/entry[@name='family']=Rack 7",
    'xmlhooks:xml:rtc': "xpath.delete=./clock/timer[@name='rtc']",
}

# NOTE(xmlhooks): nova stamps the time it generated the XML into its
# metadata; every other byte of two definitions of one instance on one host
# is a function of the instance, the flavor, the image and the host.
_CREATION_TIME = re.compile(
    r'(<nova:creationTime>)[^<]*(</nova:creationTime>)')


def _mask_creation_time(xml):
    return _CREATION_TIME.sub(r'\1MASKED\2', xml)


class LoadDriverTest(base.XmlHooksTestBase):
    """The driver loads by name, as nova.conf names it."""

    def test_load_compute_driver_by_name(self):
        drv = virt_driver.load_compute_driver(fake_virt.FakeVirtAPI(),
                                              'xmlhooks.LibvirtDriver')
        self.assertIsInstance(drv, xmlhooks_driver.LibvirtDriver)
        self.assertIsInstance(drv, libvirt_driver.LibvirtDriver)
        self.assertEqual(base.CONF.xmlhooks.customizers,
                         list(drv.xmlhooks.customizers))
        # NOTE(xmlhooks): nova only imports drivers below nova.virt; the
        # module comes from the finder the installed .pth file registers,
        # never from a file put into nova's package or a second "nova"
        # directory shadowing it.
        from nova.virt import xmlhooks as shim_module
        self.assertIsInstance(shim_module.__spec__.loader, shim.ShimLoader)
        self.assertFalse(os.path.exists(os.path.join(
            os.path.dirname(nova.__file__), 'virt', 'xmlhooks.py')))
        self.assertIs(xmlhooks_driver.LibvirtDriver,
                      shim_module.LibvirtDriver)

    def test_compute_service_runs_this_driver(self):
        self.start_compute(hostname='compute1')
        self.assertIsInstance(self.computes['compute1'].driver,
                              xmlhooks_driver.LibvirtDriver)


class BootTest(base.XmlHooksTestBase):
    """A boot and a hard reboot carry the flavor's customisations."""

    def setUp(self):
        super().setUp()
        self.write_profile('acme.yaml', PROFILE)
        self.start_compute(hostname='compute1')

    def assertCustomized(self, server, since=0):
        self.assertEqual(
            ['ACME'],
            self.xpath(server, "./sysinfo/system/entry[@name='manufacturer']"
                               "/text()", since=since))
        self.assertEqual(
            ['Rack 7'],
            self.xpath(server, "./sysinfo/system/entry[@name='family']"
                               "/text()", since=since))
        self.assertEqual(
            [], self.xpath(server, "./clock/timer[@name='rtc']", since=since))
        caches = self.xpath(server, "./devices/disk[@device='disk']"
                                    "/driver/@cache", since=since)
        self.assertTrue(caches)
        self.assertEqual({'writeback'}, set(caches))
        self.assertEqual(
            ['acme-smbios'],
            self.xpath(server, './metadata/xmlhooks:customization'
                               '/xmlhooks:profile/@name', since=since))

    def test_boot_and_hard_reboot(self):
        server = self.boot(FLAVOR_SPECS)
        self.assertCustomized(server)
        # NOTE(xmlhooks): the uncustomised timers are still there, so the
        # delete matched only what it named.
        self.assertEqual(['pit'],
                         self.xpath(server, "./clock/timer[@name='pit']"
                                            "/@name"))

        mark = self.mark()
        self._reboot_server(server, hard=True)
        defines = self.domain_events(server, kinds=(base.DEFINE,),
                                     since=mark)
        self.assertEqual(1, len(defines), 'hard reboot did not regenerate')
        self.assertCustomized(server, since=mark)

    def test_boot_without_specs_is_untouched(self):
        server = self.boot({'hw:cpu_policy': 'shared'})
        self.assertEqual(
            [], self.xpath(server, './metadata/xmlhooks:customization'))
        manufacturer = self.xpath(
            server, "./sysinfo/system/entry[@name='manufacturer']/text()")
        self.assertEqual(1, len(manufacturer))
        self.assertNotEqual('ACME', manufacturer[0])
        self.assertNotIn('writeback', self.xpath(
            server, "./devices/disk[@device='disk']/driver/@cache"))


class StockIdentityTest(base.XmlHooksTestBase):
    """Without ``xmlhooks:`` specs the XML is stock nova's, byte for byte.

    NOTE(xmlhooks): the comparison uses one instance on one host, so that
    its uuid, name, paths and flavor are the same on both sides: the
    instance is hard rebooted by this driver, then the compute service is
    restarted with nova's stock ``libvirt.LibvirtDriver`` (keeping the fake
    hypervisor's state) and hard rebooted again. Only ``nova:creationTime``,
    the time at which nova generated each document, is masked.
    """

    def _hard_reboot_xml(self, server):
        mark = self.mark()
        self._reboot_server(server, hard=True)
        return self.defined_xml(server, since=mark)

    def _restart_with(self, compute_driver):
        self.flags(compute_driver=compute_driver)
        compute = self.restart_compute_service('compute1')
        self.assertEqual(compute_driver == 'xmlhooks.LibvirtDriver',
                         isinstance(compute.driver,
                                    xmlhooks_driver.LibvirtDriver))

    def test_no_specs_byte_identical_to_stock(self):
        self.write_profile('acme.yaml', PROFILE)
        self.start_compute(hostname='compute1')
        self.assertIsInstance(self.computes['compute1'].driver,
                              xmlhooks_driver.LibvirtDriver)
        # NOTE(xmlhooks): a profile that exists but is not named, and a
        # non-xmlhooks spec that nova itself renders, must change nothing.
        server = self.boot({'hw:cpu_policy': 'shared',
                            'hw_rng:allowed': 'true'})
        ours = self._hard_reboot_xml(server)

        self._restart_with('libvirt.LibvirtDriver')
        stock = self._hard_reboot_xml(server)
        self.assertIn('<nova:creationTime>', stock)
        self.assertEqual(_mask_creation_time(stock),
                         _mask_creation_time(ours))
