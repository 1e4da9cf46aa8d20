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

"""Ordinary operator rules on the rich guests Nova really writes.

Nova writes very different documents for pinned, real-time, NUMA and huge
page guests (``<cputune>``, ``<numatune>``, ``<memoryBacking>``, guest NUMA
cells, a vIOMMU with a split I/O APIC, multiqueue packed-ring interfaces)
and for UEFI secure boot guests with an emulated TPM (firmware selection,
``<tpm>`` with its secret). The rules below change nothing sensitive, so
the guard, the identity check and the schema check must let them through
on these guests with the default ``[xmlhooks]`` options, apply all of
them, and leave every other byte Nova wrote as it was.

The harness records, for each customised document, the XML Nova itself
generated (:class:`NovaXmlRecorder`), so the tests compare both.
"""

import copy

import fixtures
from lxml import etree
from nova.tests.fixtures import libvirt as fakelibvirt
from oslo_utils.fixture import uuidsentinel as uuids

from nova_xmlhooks import engine as engine_mod
from tests.functional import base
from tests.functional import compat

#: a pinned, real-time, two-node NUMA guest on 2 MiB pages, its emulator
#: threads on a pCPU of their own, the hypervisor hidden, no PMU, its
#: memory locked, a vIOMMU and a multiqueue, packed-ring interface
NFV_SPECS = {
    'hw:cpu_policy': 'dedicated',
    'hw:cpu_realtime': 'yes',
    'hw:cpu_realtime_mask': '^0',
    'hw:numa_nodes': '2',
    'hw:mem_page_size': 'large',
    'hw:emulator_threads_policy': 'isolate',
    'hw:hide_hypervisor_id': 'true',
    'hw:pmu': 'false',
    'hw:locked_memory': 'true',
    'hw:viommu_model': 'intel',
    'hw:virtio_packed_ring': 'true',
    'hw:vif_multiqueue_enabled': 'true',
}

#: what an operator puts on such a flavor
NFV_RULES = {
    'xmlhooks:kvm:hint-dedicated': 'on',
    'xmlhooks:kvm:hidden': 'on',
    'xmlhooks:cpu:feature.tsc-deadline': 'require',
    'xmlhooks:timer:kvmclock': 'present=yes',
    'xmlhooks:smbios:chassis.asset': 'nfv-{instance_uuid}',
    'xmlhooks:xml:pvspin': './features/pvspinlock/@state=off',
    'xmlhooks:xml:rxq': './devices/interface/driver/@rx_queue_size=1024',
    'xmlhooks:xml:txq': './devices/interface/driver/@tx_queue_size=1024',
    'xmlhooks:xml:tablet': "xpath.delete=./devices/input[@type='tablet']",
}

#: a vTPM 2.0 (CRB) guest
TPM_SPECS = {
    'hw:tpm_version': '2.0',
    'hw:tpm_model': 'tpm-crb',
}

#: Windows-style rules, and a larger 64-bit MMIO window in OVMF
UEFI_RULES = {
    'xmlhooks:hyperv:relaxed': 'on',
    'xmlhooks:hyperv:vapic': 'on',
    'xmlhooks:hyperv:spinlocks': '8191',
    'xmlhooks:hyperv:vendor_id': 'OpenStackHV',
    'xmlhooks:timer:hypervclock': 'present=yes',
    'xmlhooks:smbios:system.serial': 'OS-{instance_uuid}',
    'xmlhooks:smbios:oem.0': 'licence-pool=gold',
    'xmlhooks:xml:offset': './clock/@offset=localtime',
    'xmlhooks:xml:bootmenu': './os/bootmenu/@enable=yes',
    'xmlhooks:qemu:arg.0': '-fw_cfg',
    'xmlhooks:qemu:arg.1': 'name=opt/ovmf/X-PciMmio64Mb,string=262144',
}

#: what Nova wrote that the rules above may change: removed from both
#: documents before they are compared
CHANGED = (
    './metadata/xmlhooks:customization',
    './sysinfo',
    './os/smbios',
    './os/bootmenu',
    './features/kvm',
    './features/hyperv',
    './features/pvspinlock',
    './clock',
    "./cpu/feature[@name='tsc-deadline']",
    './devices/interface/driver/@rx_queue_size',
    './devices/interface/driver/@tx_queue_size',
    "./devices/input[@type='tablet']",
    './qemu:commandline',
)


class NovaXmlRecorder(fixtures.Fixture):
    """Records the XML Nova generated, for each document customised.

    NOTE(xmlhooks): the driver hands the engine Nova's tree and a
    callable that serialises Nova's configuration again (see
    ``nova_xmlhooks.compat.customised_guest_xml``); calling it before the
    engine changes the tree gives Nova's own XML, byte for byte.
    """

    def _setUp(self):
        self.documents = []
        recorder = self
        original = engine_mod.Engine.customize_tree

        def customize_tree(engine, root, nova_xml, *args, **kwargs):
            recorder.documents.append(nova_xml())
            return original(engine, root, nova_xml, *args, **kwargs)

        self.useFixture(fixtures.MonkeyPatch(
            'nova_xmlhooks.engine.Engine.customize_tree', customize_tree))


def _without(xml, paths):
    """A document, canonicalised, without the nodes at ``paths``.

    NOTE(xmlhooks): the engine may re-indent what it changed; whitespace
    between elements is not compared.
    """
    root = etree.fromstring(
        xml.encode('utf-8'), etree.XMLParser(remove_blank_text=True))
    for path in paths:
        for node in root.xpath(path, namespaces=base.NAMESPACES):
            if isinstance(node, str):
                node.getparent().attrib.pop(node.attrname)
            else:
                node.getparent().remove(node)
    return etree.tostring(root, method='c14n')


def _huge_page_host():
    """Two NUMA nodes of four cores, each with 1024 2 MiB pages."""
    host_info = fakelibvirt.HostInfo(cpu_nodes=2, cpu_sockets=1,
                                     cpu_cores=4, cpu_threads=1)
    for cell in host_info.numa_topology.cells:
        small = (host_info.kB_mem // 2 - 2048 * 1024) // 4
        cell.mempages = fakelibvirt.create_mempages([(4, small),
                                                     (2048, 1024)])
    return host_info


class RichGuestTest(base.XmlHooksTestBase):
    """Operator rules on rich guests, with the default checks on."""

    ADDITIONAL_FILTERS = ['NUMATopologyFilter']

    def setUp(self):
        super().setUp()
        self.nova_xml = self.useFixture(NovaXmlRecorder())

    def _image(self, name, **properties):
        image = copy.deepcopy(self.glance.image1)
        image['id'] = getattr(uuids, name)
        image['properties'].update(properties)
        self.glance.create(None, image)
        return image['id']

    def assertOnlyRulesChanged(self, server):
        """Everything Nova wrote that no rule targets is Nova's."""
        self.assertEqual(1, len(self.nova_xml.documents))
        self.assertEqual(_without(self.nova_xml.documents[0], CHANGED),
                         _without(self.defined_xml(server), CHANGED))

    def assertRecorded(self, server, rules):
        self.assertEqual(
            sorted(rules),
            sorted(self.xpath(server, './metadata/xmlhooks:customization'
                                      '/xmlhooks:rule/@key')))

    def test_pinned_realtime_numa_hugepages(self):
        self.flags(cpu_dedicated_set='0-7', cpu_shared_set=None,
                   group='compute')
        self.start_compute(host_info=_huge_page_host())
        image = self._image('nfv_image', hw_machine_type='q35')
        flavor = self.create_flavor(dict(NFV_SPECS, **NFV_RULES), vcpu=4,
                                    memory_mb=2048)
        server = self._create_server(flavor_id=flavor, image_uuid=image,
                                     networks='auto')

        nova = etree.fromstring(self.nova_xml.documents[0].encode('utf-8'))
        # NOTE(xmlhooks): what makes this guest unusual is there, as Nova
        # wrote it; otherwise the test would prove nothing.
        for path in ('./cputune/vcpusched', './cputune/emulatorpin',
                     './numatune/memnode', './memoryBacking/hugepages',
                     './memoryBacking/locked', './cpu/numa/cell',
                     "./features/kvm/hidden[@state='on']",
                     "./features/pmu[@state='off']",
                     "./features/ioapic[@driver='qemu']",
                     "./devices/iommu[@model='intel']",
                     "./devices/interface/driver[@packed='on'][@queues]"):
            self.assertTrue(nova.xpath(path), path)

        self.assertRecorded(server, NFV_RULES)
        for path in ("./features/kvm/hint-dedicated[@state='on']",
                     "./features/kvm/hidden[@state='on']",
                     "./features/pvspinlock[@state='off']",
                     "./cpu/feature[@name='tsc-deadline']"
                     "[@policy='require']",
                     "./clock/timer[@name='kvmclock'][@present='yes']",
                     "./sysinfo/chassis/entry[@name='asset']"
                     "[.='nfv-%s']" % server['id'],
                     "./devices/interface/driver[@packed='on'][@queues]"
                     "[@rx_queue_size='1024'][@tx_queue_size='1024']"):
            self.assertTrue(self.xpath(server, path), path)
        self.assertEqual(
            [], self.xpath(server, "./devices/input[@type='tablet']"))
        self.assertEqual(
            1, len(self.xpath(server, './features/kvm/hidden')))
        self.assertOnlyRulesChanged(server)

    def test_uefi_secure_boot_vtpm(self):
        compat.enable_vtpm(self)
        self.flags(allow_sensitive=['qemu_passthrough'], group='xmlhooks')
        self.start_compute()
        image = self._image('uefi_image', hw_machine_type='q35',
                            hw_firmware_type='uefi',
                            os_secure_boot='required')
        flavor = self.create_flavor(dict(TPM_SPECS, **UEFI_RULES))
        server = self._create_server(flavor_id=flavor, image_uuid=image,
                                     networks='none')

        nova = etree.fromstring(self.nova_xml.documents[0].encode('utf-8'))
        for path in ("./devices/tpm[@model='tpm-crb']/backend"
                     "[@version='2.0']/encryption/@secret",
                     "./os/loader[@secure='yes']"):
            self.assertTrue(nova.xpath(path), path)

        self.assertRecorded(server, UEFI_RULES)
        for path in ("./features/hyperv/vendor_id[@state='on']"
                     "[@value='OpenStackHV']",
                     "./features/hyperv/spinlocks[@retries='8191']",
                     "./clock[@offset='localtime']"
                     "/timer[@name='hypervclock'][@present='yes']",
                     "./sysinfo/system/entry[@name='serial']"
                     "[.='OS-%s']" % server['id'],
                     "./sysinfo/oemStrings/entry[.='licence-pool=gold']",
                     "./os/bootmenu[@enable='yes']",
                     "./qemu:commandline/qemu:arg[@value='-fw_cfg']"):
            self.assertTrue(self.xpath(server, path), path)
        self.assertOnlyRulesChanged(server)
