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

"""Every built-in customiser, in a real QEMU started by a real libvirt.

Each test customises Nova's own domain XML, defines it on
``qemu:///system`` with schema validation and starts it, then finds the
effect in QEMU's command line. Hyper-V features that QEMU refuses without
KVM are proven by their validated definition instead.
"""

from lxml import etree

from nova_xmlhooks.cmd import common
from nova_xmlhooks.customizers import smbios
from nova_xmlhooks import exception
from tests.libvirt import base
from tests.unit.customizers import test_smbios

try:
    import libvirt
except ImportError:  # pragma: no cover - depends on the host
    libvirt = None

QEMU_PASSTHROUGH = ['qemu_passthrough']
#: an SMBIOS field a value with a comma would try to add
UUID0 = 'uuid=00000000-0000-0000-0000-000000000001'


class TestStockGuest(base.LibvirtTestCase):
    """The baseline the other tests are compared with."""

    def test_stock_nova_guest_runs(self):
        guest = self.run_guest(base.renamed(base.nova_xml('nova-basic'),
                                            self.guest_name()))
        # The fixture is what Nova generates: its SMBIOS entries, its
        # timers and its USB tablet reach QEMU unchanged.
        system = base.smbios_fields(guest.argv, 1)
        self.assertEqual('OpenStack Foundation', system['manufacturer'])
        self.assertIn('usb-tablet', base.device_drivers(guest.argv))
        self.assertIn('"name":"%s"' % guest.domain.name(),
                      guest.qmp('query-name').replace(' ', ''))


class TestXmlCustomizer(base.LibvirtTestCase):

    def test_smbios_entry_by_predicate(self):
        guest = self.boot({
            'xmlhooks:xml:mfr':
                "./sysinfo/system/entry[@name='manufacturer']=ACME Corp"})
        system = base.smbios_fields(guest.argv, 1)
        self.assertEqual('ACME Corp', system['manufacturer'])
        self.assertEqual('OpenStack Nova', system['product'])

    def test_qemu_commandline_fw_cfg(self):
        guest = self.boot({
            'xmlhooks:xml:fw1': './qemu:commandline/qemu:arg[1]/@value='
                                '-fw_cfg',
            'xmlhooks:xml:fw2': './qemu:commandline/qemu:arg[2]/@value='
                                'name=opt/org.openstack/probe,string=ok',
        }, allow_sensitive=QEMU_PASSTHROUGH)
        self.assertIn('name=opt/org.openstack/probe,string=ok',
                      base.option_values(guest.argv, '-fw_cfg'))

    def test_delete_tablet(self):
        xml, customised = self.customize({
            'xmlhooks:xml:tablet':
                "xpath.delete=./devices/input[@type='tablet']"})
        self.assertEqual(1, len(base.xpath(xml, "//input[@type='tablet']")))
        guest = self.run_guest(customised)
        self.assertNotIn('usb-tablet', base.device_drivers(guest.argv))
        # The USB controller Nova added stays.
        self.assertIn('piix3-usb-uhci', base.device_drivers(guest.argv))

    def test_unset_leaves_features_on(self):
        # NOTE(xmlhooks): Nova's <acpi/> and <vmcoreinfo/> turn their
        # feature on by being there; unsetting an attribute they do not
        # have leaves them, and QEMU gets no -no-acpi.
        guest = self.boot({
            'xmlhooks:xml:acpi': './features/acpi/@state=',
            'xmlhooks:xml:vmcoreinfo': './features/vmcoreinfo/@state='})
        self.assertNotIn('-no-acpi', guest.argv)
        self.assertIn('vmcoreinfo', base.device_drivers(guest.argv))

    def test_disk_driver_on_every_disk(self):
        guest = self.boot({
            'xmlhooks:xml:io':
                "./devices/disk[@device='disk']/driver/@io=native",
            'xmlhooks:xml:zeroes':
                "./devices/disk[@device='disk']/driver/@detect_zeroes=on",
        }, fixture='nova-two-disks')
        overlays = [node for node in base.json_options(guest.argv,
                                                       '-blockdev')
                    if node.get('filename', '').endswith(('disk-0',
                                                          'disk-1'))]
        self.assertEqual(2, len(overlays))
        for node in overlays:
            self.assertEqual('native', node['aio'])
        formats = [node for node in base.json_options(guest.argv,
                                                      '-blockdev')
                   if node.get('driver') == 'qcow2']
        self.assertEqual(['on', 'on'],
                         [node.get('detect-zeroes') for node in formats])


class TestHypervCustomizer(base.LibvirtTestCase):

    def test_enlightenments_in_qemu(self):
        guest = self.boot({
            'xmlhooks:hyperv:relaxed': 'on',
            'xmlhooks:hyperv:vapic': 'on',
            'xmlhooks:hyperv:spinlocks': '8191',
            'xmlhooks:hyperv:runtime': 'on',
            'xmlhooks:hyperv:reset': 'on',
            'xmlhooks:hyperv:frequencies': 'on',
            'xmlhooks:hyperv:reenlightenment': 'on',
            'xmlhooks:hyperv:evmcs': 'on',
            'xmlhooks:hyperv:avic': 'on',
            'xmlhooks:hyperv:vendor_id': 'KVMKVMKVM',
        })
        model, props = base.cpu_properties(guest.argv)
        self.assertEqual(base.TCG_CPU_MODEL, model)
        for feature in ('relaxed', 'vapic', 'runtime', 'reset',
                        'frequencies', 'reenlightenment', 'evmcs', 'avic'):
            self.assertEqual('on', props.get('hv-' + feature), feature)
        self.assertEqual('0x1fff', props['hv-spinlocks'])
        self.assertEqual('KVMKVMKVM', props['hv-vendor-id'])

    def test_kvm_only_enlightenments_validate(self):
        guest = self.boot({
            'xmlhooks:hyperv:vpindex': 'on',
            'xmlhooks:hyperv:synic': 'on',
            'xmlhooks:hyperv:stimer.direct': 'on',
            'xmlhooks:hyperv:tlbflush': 'on',
            'xmlhooks:hyperv:ipi': 'on',
            # NOTE(xmlhooks): QEMU needs it for stimer under KVM.
            'xmlhooks:timer:hypervclock': 'present=yes',
        }, start=False)
        defined = guest.defined_xml
        for feature in base.KVM_ONLY_HYPERV:
            self.assertEqual(['on'], base.xpath(
                defined, './features/hyperv/%s/@state' % feature), feature)
        self.assertEqual(['on'], base.xpath(
            defined, './features/hyperv/stimer/direct/@state'))

    def test_stimer_direct_off_is_what_libvirt_keeps(self):
        # NOTE(xmlhooks): libvirt writes <direct> back only when it is
        # on; the rules applied again to what libvirt keeps (what audit
        # reads) change nothing.
        engine = self.engine()
        needs = {'xmlhooks:hyperv:vpindex': 'on',
                 'xmlhooks:hyperv:synic': 'on',
                 'xmlhooks:timer:hypervclock': 'present=yes'}
        for specs in ({'xmlhooks:hyperv:stimer.direct': 'off'},
                      dict(needs, **{'xmlhooks:hyperv:stimer': 'on',
                                     'xmlhooks:hyperv:stimer.direct': 'off'})):
            defined = self.boot(specs, start=False).defined_xml
            self.assertEqual([], base.xpath(
                defined, './features/hyperv/stimer/direct'))
            self.assertEqual(common.normalize(defined),
                             engine.customize(defined, specs))

    def test_kvm_only_enlightenment_refused_by_tcg_qemu(self):
        # NOTE(xmlhooks): this is why those features are proven by
        # definition only; if QEMU ever accepts them, prove them running.
        _nova, customised = self.customize({
            'xmlhooks:hyperv:vpindex': 'on'})
        guest = self.run_guest(customised, start=False)
        error = self.assertRaises(libvirt.libvirtError, guest.domain.create)
        self.assertIn('VP_INDEX', str(error))

    def test_tcg_starts_what_only_kvm_refuses(self):
        # NOTE(xmlhooks): the check of what enlightenments need
        # (nova_xmlhooks.hyperv_deps) reads only KVM guests, because
        # QEMU checks the pairs only under KVM: a TCG guest whose stimer
        # has neither synic nor the hypervclock timer starts.
        specs = {'xmlhooks:hyperv:stimer': 'on'}
        xml = base.renamed(base.nova_xml('nova-basic'), self.guest_name())
        self.assertRaises(exception.RuleError, self.engine().customize,
                          xml, specs)
        tcg = xml.replace('<domain type="kvm">', '<domain type="qemu">')
        guest = self.useFixture(base.Guest(
            self.conn, self.engine().customize(tcg, specs), self.workdir,
            kvm_only=()))
        _model, props = base.cpu_properties(guest.argv)
        self.assertEqual('on', props.get('hv-stimer'))
        self.assertNotIn('hv-synic', props)
        self.assertNotIn('hv-time', props)

    def test_libvirt_newer_features_follow_the_host(self):
        specs = {'xmlhooks:hyperv:emsr_bitmap': 'on',
                 'xmlhooks:hyperv:xmm_input': 'on'}
        if self.conn.getLibVersion() >= 10000000:
            guest = self.boot(specs, start=False)
            self.assertEqual(['on'], base.xpath(
                guest.defined_xml, './features/hyperv/emsr_bitmap/@state'))
            return
        # libvirt 9 (Debian 12) does not know them. The engine's schema
        # check, run against this host's own domain.rng, names the rules.
        error = self.assertRaises(exception.SchemaError, self.customize,
                                  specs)
        self.assertIn('xmlhooks:hyperv:emsr_bitmap', error.format_message())
        # Without that check, libvirt itself refuses the definition.
        _nova, customised = self.customize(specs, validate_schema=False)
        error = self.assertRaises(
            libvirt.libvirtError, self.conn.defineXMLFlags,
            base.adapt_for_host(customised, self.workdir, start=False),
            libvirt.VIR_DOMAIN_DEFINE_VALIDATE)
        self.assertIn('failed to validate against schema', str(error))

    def test_merges_with_nova_windows_enlightenments(self):
        nova, customised = self.customize({
            'xmlhooks:hyperv:vendor_id': 'ACMEHV',
            'xmlhooks:hyperv:relaxed': 'off',
        }, fixture='nova-windows')
        self.assertEqual(['on'], base.xpath(
            nova, './features/hyperv/relaxed/@state'))
        self.assertEqual(1, len(base.xpath(
            customised, './features/hyperv/relaxed')))
        guest = self.run_guest(customised)
        _model, props = base.cpu_properties(guest.argv)
        self.assertEqual('ACMEHV', props['hv-vendor-id'])
        self.assertNotIn('hv-relaxed', props)
        # Nova's own vapic enlightenment is kept.
        self.assertEqual('on', props['hv-vapic'])

    def test_passthrough_mode_validates(self):
        guest = self.boot({'xmlhooks:hyperv:mode': 'passthrough'},
                          start=False)
        self.assertEqual(['passthrough'], base.xpath(
            guest.defined_xml, './features/hyperv/@mode'))


class TestSmbiosCustomizer(base.LibvirtTestCase):

    def test_sections_and_oem_strings(self):
        guest = self.boot({
            'xmlhooks:smbios:bios.vendor': 'ACME BIOS',
            'xmlhooks:smbios:system.manufacturer': 'ACME',
            # NOTE(xmlhooks): a comma ends a field of QEMU's -smbios
            # option; libvirt doubles it, so a value cannot add a field.
            'xmlhooks:smbios:system.serial': 'SN-{instance_uuid},' + UUID0,
            'xmlhooks:smbios:baseboard.manufacturer': 'ACME',
            'xmlhooks:smbios:chassis.asset': 'asset-{flavor_name}',
            'xmlhooks:smbios:oem.0': 'license=ACME-1,type=1',
            'xmlhooks:smbios:oem.1': 'instance={instance_uuid}',
        })
        domain_uuid = guest.domain.UUIDString()
        self.assertEqual('ACME BIOS',
                         base.smbios_fields(guest.argv, 0)['vendor'])
        (system_table,) = base.smbios_tables(guest.argv)[1]
        self.assertEqual([domain_uuid], [value for name, value
                                         in system_table if name == 'uuid'])
        system = dict(system_table)
        self.assertEqual('ACME', system['manufacturer'])
        self.assertEqual('SN-%s,%s' % (domain_uuid, UUID0), system['serial'])
        # Nova's other entries stay.
        self.assertEqual('OpenStack Nova', system['product'])
        self.assertEqual('ACME', base.smbios_fields(guest.argv, 2)[
            'manufacturer'])
        flavor = base.xpath(
            guest.defined_xml, '//*[local-name()="flavor"]/@name')[0]
        self.assertEqual('asset-' + flavor,
                         base.smbios_fields(guest.argv, 3)['asset'])
        (oem,) = base.smbios_tables(guest.argv)[11]
        self.assertEqual([('value', 'license=ACME-1,type=1'),
                          ('value', 'instance=' + domain_uuid)], oem)

    def test_empty_value_is_what_libvirt_keeps(self):
        # NOTE(xmlhooks): libvirt drops an empty entry; the rules applied
        # again to what libvirt keeps (what audit reads) change nothing.
        xml = base.renamed(base.nova_xml('nova-basic'), self.guest_name())
        xml = xml.replace('<nova:flavor name="capture.basic"',
                          '<nova:flavor name=""')
        specs = {'xmlhooks:smbios:system.product': '{flavor_name}',
                 'xmlhooks:smbios:system.sku': '{flavor_name}',
                 'xmlhooks:smbios:chassis.asset': '{flavor_name}'}
        engine = self.engine()
        guest = self.run_guest(engine.customize(xml, specs), start=False)
        defined = guest.defined_xml
        self.assertEqual([], base.xpath(
            defined, "./sysinfo/system/entry[@name='product']"))
        self.assertEqual(common.normalize(defined),
                         engine.customize(defined, specs))

    def test_bios_dates_are_what_libvirt_accepts(self):
        # NOTE(xmlhooks): the unit tests' dates, written without the
        # engine, so that libvirt's own check is the one that decides.
        for value, accepted in test_smbios.BIOS_DATES:
            root = etree.fromstring(base.renamed(
                base.nova_xml('nova-basic'), self.guest_name()).encode())
            bios = etree.Element('bios')
            etree.SubElement(bios, 'entry', name='date').text = value
            root.find('sysinfo').insert(0, bios)
            xml = etree.tostring(root, encoding='unicode')
            with self.subTest(value=value):
                self.assertEqual(accepted, smbios.is_bios_date(value))
                if accepted:
                    guest = self.run_guest(xml, start=False)
                    self.assertEqual([value], base.xpath(
                        guest.defined_xml,
                        "./sysinfo/bios/entry[@name='date']/text()"))
                    continue
                error = self.assertRaises(
                    libvirt.libvirtError, self.conn.defineXMLFlags,
                    base.adapt_for_host(xml, self.workdir, start=False),
                    libvirt.VIR_DOMAIN_DEFINE_VALIDATE)
                self.assertIn("Invalid BIOS 'date' format",
                              error.get_error_message())


class TestCpuCustomizer(base.LibvirtTestCase):

    def test_feature_policies(self):
        guest = self.boot({
            'xmlhooks:cpu:feature.hypervisor': 'disable',
            'xmlhooks:cpu:feature.pcid': 'disable',
            'xmlhooks:cpu:feature.sse4.2': 'require',
        })
        _model, props = base.cpu_properties(guest.argv)
        self.assertEqual('off', props['hypervisor'])
        self.assertEqual('off', props['pcid'])
        self.assertEqual('on', props['sse4.2'])


class TestKvmCustomizer(base.LibvirtTestCase):

    def test_switches(self):
        guest = self.boot({
            'xmlhooks:kvm:hidden': 'on',
            'xmlhooks:kvm:hint-dedicated': 'on',
            'xmlhooks:kvm:poll-control': 'on',
            'xmlhooks:kvm:pv-ipi': 'off',
        })
        _model, props = base.cpu_properties(guest.argv)
        self.assertEqual('off', props['kvm'])
        self.assertEqual('on', props['kvm-hint-dedicated'])
        self.assertEqual('on', props['kvm-poll-control'])
        self.assertEqual('off', props['kvm-pv-ipi'])

    def test_dirty_ring_validates(self):
        # NOTE(xmlhooks): the dirty ring is a property of the KVM
        # accelerator, which a TCG guest does not have. A ring is
        # host_resources.
        guest = self.boot({'xmlhooks:kvm:dirty-ring': '8192'}, start=False,
                          allow_sensitive=['host_resources'])
        self.assertEqual(['8192'], base.xpath(
            guest.defined_xml, './features/kvm/dirty-ring/@size'))


class TestTimerCustomizer(base.LibvirtTestCase):

    def test_timers(self):
        nova, customised = self.customize({
            'xmlhooks:timer:hpet': 'present=yes',
            'xmlhooks:timer:rtc': 'tickpolicy=delay',
            'xmlhooks:timer:kvmclock': 'present=yes',
            'xmlhooks:timer:hypervclock': 'present=yes',
        })
        self.assertEqual(['no'], base.xpath(
            nova, "./clock/timer[@name='hpet']/@present"))
        guest = self.run_guest(customised)
        # Nova's hpet present=no is what gives -no-hpet.
        self.assertNotIn('-no-hpet', guest.argv)
        self.assertEqual(['base=utc'], base.option_values(guest.argv,
                                                          '-rtc'))
        _model, props = base.cpu_properties(guest.argv)
        self.assertEqual('on', props['kvmclock'])
        self.assertEqual('on', props['hv-time'])


class TestQemuCustomizer(base.LibvirtTestCase):

    def test_arguments_and_environment(self):
        guest = self.boot({
            'xmlhooks:qemu:arg.0': '-fw_cfg',
            'xmlhooks:qemu:arg.1': 'name=opt/ovmf/X-PciMmio64Mb,string=65536',
            'xmlhooks:qemu:env.XMLHOOKS_PROBE': 'tier',
        }, allow_sensitive=QEMU_PASSTHROUGH)
        self.assertIn('name=opt/ovmf/X-PciMmio64Mb,string=65536',
                      base.option_values(guest.argv, '-fw_cfg'))
        self.assertIn('XMLHOOKS_PROBE=tier', guest.environ)

    def test_libvirts_definition_is_the_rules_own_output(self):
        # NOTE(xmlhooks): libvirt writes the arguments before the
        # variables. The rules applied again to the definition libvirt
        # keeps (what audit, show and render read) must change nothing,
        # whether the document had the argument already (an xml edit
        # wrote it: recorded as not added) or the rule added one.
        own = {
            'xmlhooks:xml:arg': './qemu:commandline/qemu:arg[1]/@value='
                                '-no-user-config',
            'xmlhooks:xml:env': "./qemu:commandline/qemu:env[@name='OWN']"
                                "/@value=1"}
        engine = self.engine(allow_sensitive=QEMU_PASSTHROUGH)
        for specs, values in (
                ({'xmlhooks:qemu:arg.0': '-no-user-config'},
                 ['-no-user-config']),
                ({'xmlhooks:qemu:arg.0': '-no-hpet'},
                 ['-no-user-config', '-no-hpet'])):
            specs.update(own)
            guest = self.boot(specs, start=False,
                              allow_sensitive=QEMU_PASSTHROUGH)
            defined = guest.defined_xml
            self.assertEqual(values, base.xpath(
                defined, './qemu:commandline/qemu:arg/@value'))
            self.assertEqual(common.normalize(defined),
                             engine.customize(defined, specs))

    def test_refused_unless_allowed(self):
        error = self.assertRaises(
            exception.XmlHooksError, self.customize,
            {'xmlhooks:qemu:arg.0': '-no-reboot'})
        self.assertIn('xmlhooks:qemu:arg.0', error.format_message())
        self.assertIn('qemu_passthrough', error.format_message())
