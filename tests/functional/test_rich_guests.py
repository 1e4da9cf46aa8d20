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
for UEFI secure boot guests with an emulated TPM (firmware selection,
``<tpm>`` with its secret), and for guests given host devices: a vGPU
(an mdev ``<hostdev>``), a vDPA VF (``<interface type='vdpa'>`` on a
``/dev/vhost-vdpa-N``) and persistent memory (an nvdimm ``<memory>`` on a
``/dev/daxN.M``, with ``<maxMemory>``). The rules below change nothing
sensitive, so the guard, the identity check and the schema check must let
them through on these guests with the default ``[xmlhooks]`` options,
apply all of them, and leave every other byte Nova wrote as it was; a
rule that changes which host device a guest gets must be refused.

The harness records, for each customised document, the XML Nova itself
generated (:class:`NovaXmlRecorder`), so the tests compare both.
"""

import copy

import fixtures
from lxml import etree
from nova.tests.fixtures import libvirt as fakelibvirt
from nova.tests.functional.libvirt import base as libvirt_base
from oslo_serialization import jsonutils
from oslo_utils.fixture import uuidsentinel as uuids

from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import exception
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

#: a desktop on a vGPU: one mediated device of the host's GPUs
VGPU_SPECS = {'resources:VGPU': '1'}

#: what an operator puts on a Windows desktop flavor
VGPU_RULES = {
    'xmlhooks:hyperv:relaxed': 'on',
    'xmlhooks:hyperv:vapic': 'on',
    'xmlhooks:hyperv:spinlocks': '8191',
    'xmlhooks:kvm:hidden': 'on',
    'xmlhooks:timer:hypervclock': 'present=yes',
    'xmlhooks:smbios:system.serial': 'VDI-{instance_uuid}',
    'xmlhooks:xml:offset': './clock/@offset=localtime',
    'xmlhooks:xml:discard': './devices/disk/driver/@discard=unmap',
}

#: a guest with a namespace of the host's persistent memory, by label
PMEM_SPECS = {'hw:pmem': 'SMALL'}

#: what an operator puts on a flavor for an in-memory database
PMEM_RULES = {
    'xmlhooks:kvm:hint-dedicated': 'on',
    'xmlhooks:cpu:feature.tsc-deadline': 'require',
    'xmlhooks:timer:kvmclock': 'present=yes',
    'xmlhooks:smbios:chassis.asset': 'db-{instance_uuid}',
    'xmlhooks:xml:pvspin': './features/pvspinlock/@state=off',
    'xmlhooks:xml:discard': './devices/disk/driver/@discard=unmap',
    'xmlhooks:xml:tablet': "xpath.delete=./devices/input[@type='tablet']",
}

#: the host's persistent memory namespaces, as ``ndctl list`` gives them
#: (nova's vPMEM tests' own), and how ``[libvirt] pmem_namespaces``
#: labels them
PMEM_NAMESPACES = jsonutils.dumps([
    {'dev': 'namespace0.%d' % index, 'mode': 'devdax', 'map': 'mem',
     'size': 4292870144, 'uuid': uuid, 'name': 'ns_%d' % index,
     'numa_node': 0,
     'daxregion': {'id': 0, 'size': 4292870144, 'align': 2097152,
                   'devices': [{'chardev': 'dax0.%d' % index,
                                'size': 4292870144}]}}
    for index, uuid in enumerate(('24ffd5e4-2b39-4f28-88b3-d6dc1ec44863',
                                  'ac64fe52-de38-465b-b32b-947a6773ac66'))])
PMEM_LABELS = 'SMALL:ns_0|ns_1'

#: the vDPA NIC of nova's vDPA tests: a ConnectX-6 Dx PF and its VFs
VDPA_VENDOR = '15b3'
VDPA_PF_PRODUCT = '101d'
VDPA_VF_PRODUCT = '101e'
VDPA_VFS = 2

#: what the rules above may change
DEVICE_GUEST_CHANGED = CHANGED + ('./devices/disk/driver/@discard',)


class NovaXmlRecorder(fixtures.Fixture):
    """Records the XML Nova generated, for each document customised.

    NOTE(xmlhooks): the driver hands the engine Nova's tree and a
    callable that serialises Nova's configuration again (see
    ``nova_xmlhooks.compat.customised_guest_xml``); calling it before the
    engine changes the tree gives Nova's own XML, byte for byte.
    """

    def _setUp(self):
        self.documents = []
        #: for each document, the empty or blank text in Nova's tree
        self.blanks = []
        recorder = self
        original = engine_mod.Engine.customize_tree

        def customize_tree(engine, root, nova_xml, *args, **kwargs):
            recorder.documents.append(nova_xml())
            recorder.blanks.append(root.xpath(
                '//text()[not(normalize-space())]'))
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


def _device_host(gpus=0, vdpa=False):
    """A host's PCI and vDPA devices, as nova's own tests fake them.

    :param gpus: how many mdev-capable GPUs (nova's fake GRID M60)
    :param vdpa: whether the host has nova's vDPA NIC: a PF and
        :data:`VDPA_VFS` VFs, each VF a vDPA device on NUMA node 0
    :returns: ``(pci_info, vdpa_info)`` for ``start_compute``
    """
    pci_info = fakelibvirt.HostPCIDevicesInfo(num_pci=0, num_pfs=0,
                                              num_vfs=0, num_mdevcap=gpus)
    vdpa_info = fakelibvirt.HostVDPADevicesInfo()
    if not vdpa:
        return pci_info, vdpa_info
    common = dict(bus=0x6, slot=0x0, numa_node=0, vf_ratio=VDPA_VFS,
                  vend_id=VDPA_VENDOR, vend_name='Mellanox Technologies',
                  driver_name='mlx5_core')
    pci_info.add_device(dev_type='PF', function=0, iommu_group=60,
                        prod_id=VDPA_PF_PRODUCT,
                        prod_name='MT2892 Family [ConnectX-6 Dx]', **common)
    for index in range(VDPA_VFS):
        vf = pci_info.add_device(
            dev_type='VF', function=index + 1, iommu_group=61 + index,
            parent=(0x6, 0x0, 0), prod_id=VDPA_VF_PRODUCT,
            prod_name='ConnectX Family mlx5Gen Virtual Function', **common)
        vdpa_info.add_device('vdpa_vdpa%d' % index, index, vf)
    return pci_info, vdpa_info


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

    def assertOnlyRulesChanged(self, server, changed=CHANGED):
        """Everything Nova wrote that no rule targets is Nova's.

        :param changed: the paths the rules may change
        """
        self.assertEqual(1, len(self.nova_xml.documents))
        # NOTE(xmlhooks): Nova's tree holds no text the parser would drop,
        # so the engine customises it as it is, without parsing Nova's
        # text (see nova_xmlhooks.engine._Source.tree).
        self.assertEqual([[]], self.nova_xml.blanks)
        self.assertEqual(_without(self.nova_xml.documents[0], changed),
                         _without(self.defined_xml(server), changed))

    def assertNovaWrote(self, *paths):
        """What makes a guest unusual is in the XML Nova generated.

        NOTE(xmlhooks): otherwise a test would prove nothing.

        :returns: Nova's document, parsed
        """
        nova = etree.fromstring(self.nova_xml.documents[0].encode('utf-8'))
        for path in paths:
            self.assertTrue(nova.xpath(path), path)
        return nova

    def assertRulesVisible(self, server, *paths):
        """What the rules wrote is in the XML given to libvirt."""
        for path in paths:
            self.assertTrue(self.xpath(server, path), path)

    def assertSchemaChecked(self):
        """The schema check judged the rules: Nova's own XML is valid.

        NOTE(xmlhooks): it lets anything through on a document whose
        Nova part the schema refuses already, and says so in the log.
        """
        self.assertEqual([], [
            line for line in self.stdlog.logger.output.splitlines()
            if "does not match libvirt's schema" in line])

    def assertRefused(self, engine, nova_xml, category, extra_specs):
        """Each spec, applied alone, is refused in that category.

        NOTE(xmlhooks): checked with an engine built as the compute
        builds its own, on the XML Nova generated, as the driver applies
        it; a boot each would prove no more.

        :param engine: the engine
        :param nova_xml: Nova's XML
        :param category: the category the guard must name
        :param extra_specs: a dict of key to value
        """
        for key, value in extra_specs.items():
            error = self.assertRaises(exception.GuardError, engine.customize,
                                      nova_xml, {key: value})
            self.assertEqual((key, category), (error.key, error.category))

    def _start_device_compute(self, gpus=0, vdpa=False, pmem=False,
                              host_info=None):
        """Start a compute with mdev-capable GPUs, vDPA NICs or pmem.

        As nova's own vGPU, vDPA and vPMEM functional tests fake them.
        """
        if gpus:
            compat.enable_mdevs(self, fakelibvirt.NVIDIA_11_VGPU_TYPE)
        if vdpa:
            self.flags(device_spec=[jsonutils.dumps(
                {'vendor_id': VDPA_VENDOR, 'product_id': product,
                 'physical_network': 'physnet4'})
                for product in (VDPA_PF_PRODUCT, VDPA_VF_PRODUCT)],
                group='pci')
            # NOTE(xmlhooks): a neutron fixture with physnet4, as nova's
            # vDPA tests use.
            self.neutron = self.useFixture(
                libvirt_base.LibvirtNeutronFixture(self))
        if pmem:
            self.flags(pmem_namespaces=PMEM_LABELS, group='libvirt')
            self.useFixture(fixtures.MockPatch(
                'nova.privsep.libvirt.cleanup_vpmem'))
            self.useFixture(fixtures.MockPatch(
                'nova.privsep.libvirt.get_pmem_namespaces',
                return_value=PMEM_NAMESPACES))
        pci_info, vdpa_info = _device_host(gpus, vdpa)
        return self.start_compute(host_info=host_info, pci_info=pci_info,
                                  vdpa_info=vdpa_info)

    def _vdpa_port(self):
        """A neutron port of vnic_type vdpa on physnet4."""
        port = {
            'id': uuids.vdpa_port,
            'network_id': self.neutron.network_4['id'],
            'status': 'ACTIVE',
            # NOTE(xmlhooks): nova's own vDPA tests use b5:bc:..., a
            # multicast address, which libvirt's schema refuses.
            'mac_address': 'fa:16:3e:e7:51:ee',
            'fixed_ips': [{'ip_address': '192.168.4.6',
                           'subnet_id': self.neutron.subnet_4['id']}],
            'binding:vif_details': {},
            'binding:vif_type': 'ovs',
            'binding:vnic_type': 'vdpa',
        }
        self.neutron.create_port({'port': port})
        return port['id']

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
        self.assertSchemaChecked()

    def test_uefi_secure_boot_vtpm(self):
        compat.enable_vtpm(self)
        self.flags(allow_sensitive=['qemu_passthrough'], group='xmlhooks')
        compute = self.start_compute()
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
        self.assertSchemaChecked()

        # NOTE(xmlhooks): which firmware files the guest gets is Nova's
        # choice: the code and NVRAM template Nova found before 2026.1,
        # the descriptor libvirt picks from what Nova asks for since; and
        # so is the QEMU program libvirt runs, by the architecture.
        refused = {'xmlhooks:xml:secure': './os/loader/@secure=no',
                   'xmlhooks:xml:firmware': './os/@firmware=bios',
                   'xmlhooks:xml:arch': './os/type/@arch=i686'}
        if nova.xpath('./os/nvram/@template'):
            refused['xmlhooks:xml:nvram'] = 'xpath.delete=./os/nvram'
        self.assertRefused(self.computes[compute].driver.xmlhooks,
                           self.nova_xml.documents[0], 'host_paths', refused)

    def test_vgpu_mdev(self):
        self._start_device_compute(gpus=2)
        flavor = self.create_flavor(dict(VGPU_SPECS, **VGPU_RULES))
        server = self._create_server(flavor_id=flavor, networks='none')

        driver = self.computes[server['OS-EXT-SRV-ATTR:host']].driver
        (mdev,) = driver._get_all_assigned_mediated_devices()
        self.assertNovaWrote(
            "./devices/hostdev[@mode='subsystem'][@type='mdev']"
            "[@model='vfio-pci']/source/address[@uuid='%s']" % mdev)

        self.assertRecorded(server, VGPU_RULES)
        self.assertRulesVisible(
            server,
            "./features/hyperv/spinlocks[@retries='8191']",
            "./features/kvm/hidden[@state='on']",
            "./clock[@offset='localtime']"
            "/timer[@name='hypervclock'][@present='yes']",
            "./sysinfo/system/entry[@name='serial'][.='VDI-%s']"
            % server['id'],
            "./devices/disk/driver[@discard='unmap']")
        self.assertOnlyRulesChanged(server, DEVICE_GUEST_CHANGED)
        self.assertSchemaChecked()

        # NOTE(xmlhooks): a hard reboot reads the guest's mdevs before
        # the destroy, for the XML it checks while the guest runs; the
        # guest keeps its vGPU and its rules.
        mark = self.mark()
        self._reboot_server(server, hard=True)
        self.assertEqual([mdev], self.xpath(
            server, './devices/hostdev/source/address/@uuid', since=mark))
        self.assertRecorded(server, VGPU_RULES)

    def test_vdpa_pinned_numa_hugepages(self):
        self.flags(cpu_dedicated_set='0-7', cpu_shared_set=None,
                   group='compute')
        self._start_device_compute(vdpa=True, host_info=_huge_page_host())
        image = self._image('nfv_image', hw_machine_type='q35')
        flavor = self.create_flavor(dict(NFV_SPECS, **NFV_RULES), vcpu=4,
                                    memory_mb=2048)
        server = self._create_server(flavor_id=flavor, image_uuid=image,
                                     networks=[{'port': self._vdpa_port()}])

        self.assertNovaWrote(
            "./devices/interface[@type='vdpa']"
            "/source[starts-with(@dev, '/dev/vhost-vdpa-')]",
            './cputune/emulatorpin', './memoryBacking/hugepages',
            './cpu/numa/cell', "./devices/iommu[@model='intel']")

        self.assertRecorded(server, NFV_RULES)
        self.assertRulesVisible(
            server,
            "./devices/interface[@type='vdpa']"
            "/driver[@rx_queue_size='1024'][@tx_queue_size='1024']",
            "./features/kvm/hint-dedicated[@state='on']",
            "./features/pvspinlock[@state='off']",
            "./cpu/feature[@name='tsc-deadline'][@policy='require']")
        self.assertEqual(
            [], self.xpath(server, "./devices/input[@type='tablet']"))
        self.assertOnlyRulesChanged(server)
        self.assertSchemaChecked()

    def test_vpmem(self):
        self._start_device_compute(pmem=True)
        flavor = self.create_flavor(dict(PMEM_SPECS, **PMEM_RULES))
        server = self._create_server(flavor_id=flavor, networks='none')

        self.assertNovaWrote(
            "./maxMemory[@slots='1']", './cpu/numa/cell',
            "./devices/memory[@model='nvdimm']"
            "/source/path[.='/dev/dax0.0' or .='/dev/dax0.1']",
            "./devices/memory[@model='nvdimm']/target/node")

        self.assertRecorded(server, PMEM_RULES)
        self.assertRulesVisible(
            server,
            "./features/kvm/hint-dedicated[@state='on']",
            "./features/pvspinlock[@state='off']",
            "./cpu/feature[@name='tsc-deadline'][@policy='require']",
            "./clock/timer[@name='kvmclock'][@present='yes']",
            "./sysinfo/chassis/entry[@name='asset'][.='db-%s']"
            % server['id'],
            "./devices/disk/driver[@discard='unmap']")
        self.assertEqual(
            [], self.xpath(server, "./devices/input[@type='tablet']"))
        self.assertOnlyRulesChanged(server, DEVICE_GUEST_CHANGED)
        self.assertSchemaChecked()

    def test_sensitive_edits_on_devices_refused(self):
        """Changing which host device a guest gets is refused.

        One guest has all three devices: a vGPU, a vDPA VF and a
        persistent memory namespace. The boot with a rule that swaps the
        mdev fails, naming the rule and the category; the other edits
        are checked on the XML Nova generated for it.
        """
        compute = self._start_device_compute(gpus=2, vdpa=True, pmem=True)
        swap_mdev = {'xmlhooks:xml:mdev':
                     "./devices/hostdev[@type='mdev']/source/address"
                     "/@uuid=%s" % uuids.other_mdev}
        flavor = self.create_flavor(dict(VGPU_SPECS, **PMEM_SPECS,
                                         **swap_mdev))
        server = self._create_server(
            flavor_id=flavor, networks=[{'port': self._vdpa_port()}],
            expected_state='ERROR')

        message = server['fault']['message']
        self.assertIn("rule 'xmlhooks:xml:mdev'", message)
        self.assertIn("'devices_passthrough'", message)
        self.assertNotIn(uuids.other_mdev, message)
        self.assertEqual([], self.domain_events(server))

        self.assertNovaWrote(
            "./devices/hostdev[@type='mdev']/source/address/@uuid",
            "./devices/interface[@type='vdpa']/source/@dev",
            "./devices/memory[@model='nvdimm']/source/path",
            './maxMemory')
        nova_xml = self.nova_xml.documents[0]
        engine = self.computes[compute].driver.xmlhooks
        # NOTE(xmlhooks): the vGPU's display, which QEMU then takes from
        # the host GPU's driver, is part of the passthrough as its uuid
        # is.
        self.assertRefused(engine, nova_xml, 'devices_passthrough', {
            'xmlhooks:xml:display':
                "./devices/hostdev[@type='mdev']/@display=on"})
        self.assertRefused(engine, nova_xml, 'host_paths', {
            'xmlhooks:xml:vdpa': "./devices/interface[@type='vdpa']"
                                 "/source/@dev=/dev/vhost-vdpa-9",
            'xmlhooks:xml:pmem': "./devices/memory[@model='nvdimm']"
                                 "/source/path=/dev/dax9.0",
        })
        self.assertRefused(engine, nova_xml, 'resources', {
            'xmlhooks:xml:size': "./devices/memory[@model='nvdimm']"
                                 "/target/size=8384512",
            'xmlhooks:xml:slots': './maxMemory/@slots=4',
        })

        # NOTE(xmlhooks): allowing host paths is not enough: another
        # vDPA device is passthrough, and another namespace of persistent
        # memory a resource that placement gave no one, or someone else.
        self.flags(allow_sensitive=['host_paths'], group='xmlhooks')
        engine = engine_mod.Engine.from_conf(base.CONF)
        self.assertRefused(engine, nova_xml, 'devices_passthrough', {
            'xmlhooks:xml:vdpa': "./devices/interface[@type='vdpa']"
                                 "/source/@dev=/dev/vhost-vdpa-9"})
        self.assertRefused(engine, nova_xml, 'resources', {
            'xmlhooks:xml:pmem': "./devices/memory[@model='nvdimm']"
                                 "/source/path=/dev/dax9.0"})
