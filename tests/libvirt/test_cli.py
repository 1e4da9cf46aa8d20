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

"""``nova-xmlhooks audit``, ``show`` and ``validate`` on a real libvirtd.

Guests are Nova's own domain XML (``tests/fixtures``), with the flavor's
extra specs recorded in Nova's metadata as Nova records them, customised
by the real engine, adapted to run under TCG and defined on
``qemu:///system``. The command runs in-process against that libvirtd.
"""

import json
import os
import subprocess
import tempfile
import time

from lxml import etree

from nova_xmlhooks import messages
from nova_xmlhooks import metadata
from tests.libvirt import base
from tests.unit.cmd import base as cmd_base

try:
    import libvirt
except ImportError:  # pragma: no cover - depends on the host
    libvirt = None

CLOCK_SPEC = 'xmlhooks:xml:clock'
CLOCK_EDIT = './clock/@offset=localtime'
ACME_EDIT = "./sysinfo/system/entry[@name='manufacturer']=ACME"
STEADY = '''
steady:
  description: never changes in these tests
  xml:
    - "xpath.delete=./devices/input[@type='tablet']"
'''
OEM_PROFILE = '''
oem:
  description: licensing strings, and no tablet
  specs:
    xmlhooks:smbios:oem.0: "licence {instance_uuid}"
    xmlhooks:smbios:oem.1: second
  xml:
    - "xpath.delete=./devices/input[@type='tablet']"
'''
#: an interface as Nova writes one for an OVS port
_INTERFACE = ('<interface type="ethernet"><mac address="fa:16:3e:00:00:01"/>'
              '<model type="virtio"/><target dev="tap0123abcd-ef"/>'
              '</interface>')
#: a topology of more vCPUs than the guest has (2): libvirt refuses it
TOO_MANY_SOCKETS = './cpu/topology/@sockets=3'
CHANGING = '''
changing:
  description: changed by the stale test
  xml:
    - "%s"
'''


class CliTestCase(base.LibvirtTestCase):

    def setUp(self):
        super().setUp()
        self.command = self.useFixture(cmd_base.CommandFixture())
        self.instances_path = os.path.join(self.workdir, 'instances')
        os.makedirs(os.path.join(self.instances_path, '_base'))
        self.config_file = os.path.join(self.workdir, 'nova.conf')
        self.write_config(['xml'])

    def write_config(self, customizers):
        """Write the command's nova.conf; the engine gets the same."""
        with open(self.config_file, 'w') as handle:
            handle.write('[DEFAULT]\ninstances_path = %s\n'
                         '[libvirt]\nvirt_type = qemu\n'
                         '[xmlhooks]\nprofile_dirs = %s\ncustomizers = %s\n'
                         % (self.instances_path, self.profile_dir,
                            ','.join(customizers)))
        self.flags(customizers=customizers)

    def run_command(self, *argv):
        return self.command.run('--config-file', self.config_file, *argv)

    def nova_guest(self, specs, start=False, customise=True,
                   interface=False):
        """Define a guest as nova-compute with this driver would.

        :param specs: the flavor's extra specs, recorded in Nova's metadata
        :param interface: give it a network interface (user-mode
            networking here, see :func:`tests.libvirt.base.adapt_for_host`)
        :returns: a :class:`tests.libvirt.base.Guest`
        """
        xml = cmd_base.with_extra_specs(
            base.renamed(base.nova_xml('nova-basic'), self.guest_name()),
            specs)
        if interface:
            xml = xml.replace('<devices>', '<devices>' + _INTERFACE, 1)
        if customise:
            xml = self.engine().customize(xml, specs)
        # NOTE(xmlhooks): each guest gets its own images; the base class
        # names them by disk index only.
        workdir = tempfile.mkdtemp(dir=self.workdir)
        os.chmod(workdir, 0o755)
        return self.useFixture(base.Guest(self.conn, xml, workdir,
                                          start=start))

    def audit(self, *guests, fmt='json'):
        argv = ['audit', '--format', fmt]
        for guest in guests:
            argv += ['--domain', guest.domain.name()]
        status, out, err = self.run_command(*argv)
        if fmt != 'json':
            return status, out, err
        return status, {r['name']: r for r in json.loads(out)}, err


class AuditTest(CliTestCase):

    def guest_of_changed_profile(self, edit, interface=False):
        """A guest of the ``changing`` profile, whose rule becomes ``edit``.

        :param interface: see :meth:`nova_guest`
        """
        self.write_profile('changing.yaml', CHANGING % CLOCK_EDIT)
        guest = self.nova_guest({'xmlhooks:profile': 'changing'},
                                interface=interface)
        self.write_profile('changing.yaml', CHANGING % edit)
        return guest

    def stale(self, guest):
        """The audit's ``stale`` object for a guest that did not drift."""
        status, reports, err = self.audit(guest)
        self.assertEqual(0, status, err)
        return reports[guest.domain.name()]['stale']

    def test_ok_drift_stale_unmanaged(self):
        self.write_profile('steady.yaml', STEADY)
        self.write_profile('changing.yaml', CHANGING % CLOCK_EDIT)
        ok = self.nova_guest({'xmlhooks:profile': 'steady',
                              'xmlhooks:xml:acme': ACME_EDIT}, start=True)
        drifted = self.nova_guest({CLOCK_SPEC: CLOCK_EDIT})
        stale = self.nova_guest({'xmlhooks:profile': 'changing'})
        unmanaged = self.nova_guest({}, customise=False)
        guests = (ok, drifted, stale, unmanaged)

        status, reports, err = self.audit(*guests)
        self.assertEqual(0, status, err)
        self.assertEqual(['ok'] * 3 + ['unmanaged'], [
            reports[g.domain.name()]['status'] for g in guests])
        self.assertEqual('running', reports[ok.domain.name()]['state'])
        self.assertEqual(['steady'], reports[ok.domain.name()]['profiles'])

        # "virsh edit": the clock goes back to what Nova wrote, the record
        # of the customisation stays.
        root = etree.fromstring(drifted.domain.XMLDesc(
            libvirt.VIR_DOMAIN_XML_INACTIVE).encode())
        root.find('clock').set('offset', 'utc')
        self.conn.defineXML(etree.tostring(root, encoding='unicode'))
        # The operator changes a profile.
        self.write_profile('changing.yaml', CHANGING % ACME_EDIT)

        status, reports, err = self.audit(*guests)
        self.assertEqual(1, status, err)
        report = reports[drifted.domain.name()]
        self.assertEqual('drift', report['status'])
        (drift,) = report['drift']
        self.assertEqual(('persistent', CLOCK_SPEC, CLOCK_EDIT, 'flavor'),
                         (drift['definition'], drift['key'], drift['value'],
                          drift['source']))
        self.assertIn('\n-  <clock offset="utc">', drift['diff'])
        self.assertIn('\n+  <clock offset="localtime">', drift['diff'])

        report = reports[stale.domain.name()]
        self.assertEqual('stale', report['status'])
        self.assertEqual([], report['drift'])
        self.assertEqual(['changing'], report['stale']['profiles'])
        self.assertEqual([ACME_EDIT], [r['value'] for r in
                                       report['stale']['added']])
        self.assertEqual([CLOCK_EDIT], [r['value'] for r in
                                        report['stale']['removed']])
        self.assertIn('+      <entry name="manufacturer">ACME</entry>',
                      report['stale']['diff'])
        self.assertIsNone(report['stale']['error'])

        self.assertEqual('ok', reports[ok.domain.name()]['status'])
        self.assertEqual('unmanaged',
                         reports[unmanaged.domain.name()]['status'])

        # Without the drifted guest nothing drifted: exit status 0.
        status, _reports, err = self.audit(ok, stale, unmanaged)
        self.assertEqual(0, status, err)

        status, out, err = self.audit(*guests, fmt='table')
        self.assertEqual(1, status, err)
        self.assertIn('drifted: %s' % CLOCK_SPEC, out)
        self.assertIn('%s (%s): stale' % (
            stale.domain.name(), stale.domain.UUIDString()), out)
        self.assertIn('    adds rule xmlhooks:xml:changing[0]=%s' % ACME_EDIT,
                      out)

    def test_stale_definition_libvirt_refuses(self):
        """A profile edit that libvirt, not the engine, refuses.

        Three sockets of one core for a guest of two vCPUs: the schema
        and the guard let it through, libvirt refuses the definition. The
        guest's next hard reboot would fail after Nova destroyed and
        undefined it; the audit says so first.
        """
        guest = self.guest_of_changed_profile(TOO_MANY_SOCKETS)
        stale = self.stale(guest)
        self.assertIsNone(stale['error'])
        self.assertIn('+    <topology sockets="3"', stale['diff'])
        self.assertTrue(stale['refused_by_libvirt'])
        # What libvirt says when the domain is defined so.
        root = etree.fromstring(guest.domain.XMLDesc(
            libvirt.VIR_DOMAIN_XML_INACTIVE).encode())
        root.find('cpu/topology').set('sockets', '3')
        error = self.assertRaises(
            libvirt.libvirtError, self.conn.defineXML,
            etree.tostring(root, encoding='unicode'))
        self.assertEqual(
            messages.one_line(error.get_error_message()),
            stale['refused_by_libvirt'])
        status, out, err = self.audit(guest, fmt='table')
        self.assertIn('  next hard reboot fails: libvirt refuses it: %s\n'
                      % stale['refused_by_libvirt'], out)
        self.assertIn('\n    fails: libvirt refuses it: %s\n'
                      % stale['refused_by_libvirt'], out)
        status, out, err = self.run_command('show', '--format', 'json',
                                            guest.domain.name())
        self.assertEqual(0, status, err)
        self.assertEqual(
            {'status': 'stale', 'detail': 'next hard reboot fails: libvirt '
             'refuses it: %s' % stale['refused_by_libvirt']},
            json.loads(out)['audit'])

    def test_stale_definition_libvirt_takes_after_a_bus_change(self):
        """A profile edit that moves the tablet from USB to virtio.

        The persistent definition holds the USB address libvirt gave the
        tablet; the next hard reboot defines Nova's new XML, which has
        none, so libvirt places the virtio tablet itself and takes it.
        The audit must not say that the reboot fails.
        """
        guest = self.guest_of_changed_profile(
            "./devices/input[@type='tablet']/@bus=virtio")
        stale = self.stale(guest)
        self.assertIsNone(stale['error'])
        self.assertIn('bus="virtio"', stale['diff'])
        self.assertIsNone(stale['refused_by_libvirt'])
        # libvirt takes the next definition: Nova's XML, which has no
        # device addresses, with the new rule.
        self.assert_libvirt_takes_nova_xml_with(
            "devices/input[@type='tablet']", 'bus', 'virtio')

    def test_stale_definition_libvirt_takes_a_q35_machine(self):
        """A profile edit that makes an i440fx guest q35.

        The persistent definition holds the pci-root controller libvirt
        added for i440fx, which q35 refuses; the next hard reboot defines
        Nova's XML, which has none, and libvirt adds a pcie-root. The
        audit must not say that the reboot fails.
        """
        guest = self.guest_of_changed_profile('./os/type/@machine=q35')
        self.assertTrue(etree.fromstring(guest.domain.XMLDesc(
            libvirt.VIR_DOMAIN_XML_INACTIVE).encode()).findall(
                "devices/controller[@model='pci-root']"))
        stale = self.stale(guest)
        self.assertIsNone(stale['error'])
        self.assertIn('machine="q35"', stale['diff'])
        self.assertIsNone(stale['refused_by_libvirt'])
        # libvirt takes the next definition: Nova's XML with the rule.
        self.assert_libvirt_takes_nova_xml_with('os/type', 'machine', 'q35')

    def assert_libvirt_takes_nova_xml_with(self, path, name, value):
        """libvirt takes Nova's XML of the guest with one attribute set.

        :param path: the element, relative to ``<domain>``
        :param name: the attribute's name
        :param value: its value
        """
        root = etree.fromstring(base.adapt_for_host(
            base.renamed(base.nova_xml('nova-basic'), self.guest_name()),
            self.workdir, start=False).encode())
        root.find(path).set(name, value)
        self.conn.domainXMLToNative(
            'qemu-argv', etree.tostring(root, encoding='unicode'), 0)

    def test_asking_libvirt_opens_no_tap_device(self):
        """libvirt opens a tap device for each interface it is asked about.

        libvirt 9.0's virConnectDomainXMLToNative opens a tap device
        (vnetN) on the host for every interface of the document, runs tc
        on it and closes it: the interfaces are left out of what it is
        asked. The host's link events show none.
        """
        guest = self.guest_of_changed_profile(TOO_MANY_SOCKETS,
                                              interface=True)
        self.assertTrue(etree.fromstring(guest.domain.XMLDesc(
            libvirt.VIR_DOMAIN_XML_INACTIVE).encode()).findall(
                'devices/interface'))
        monitor = subprocess.Popen(['ip', '-o', 'monitor', 'link'],
                                   stdout=subprocess.PIPE, text=True)
        self.addCleanup(monitor.wait)
        self.addCleanup(monitor.kill)
        # NOTE(xmlhooks): ip subscribes to the events before it prints
        # anything; a moment lets it do so.
        time.sleep(0.5)
        stale = self.stale(guest)
        time.sleep(0.5)
        monitor.kill()
        events = monitor.communicate()[0]
        self.assertTrue(stale['refused_by_libvirt'])
        self.assertNotIn('vnet', events)

    def test_blames_only_the_rule_whose_effect_changed(self):
        """OEM strings are exactly the recorded ones, and apply together.

        A profile sets two SMBIOS OEM strings and removes the tablet; the
        tablet is added back by hand. Only the tablet rule drifted.
        """
        self.write_config(['xml', 'smbios'])
        self.write_profile('oem.yaml', OEM_PROFILE)
        guest = self.nova_guest({'xmlhooks:profile': 'oem'})
        status, reports, err = self.audit(guest)
        self.assertEqual(0, status, err)
        self.assertEqual('ok', reports[guest.domain.name()]['status'])

        root = etree.fromstring(guest.domain.XMLDesc(
            libvirt.VIR_DOMAIN_XML_INACTIVE).encode())
        self.assertEqual(['licence %s' % root.findtext('uuid'), 'second'],
                         [e.text for e in
                          root.findall('sysinfo/oemStrings/entry')])
        etree.SubElement(root.find('devices'), 'input', type='tablet',
                         bus='usb')
        self.conn.defineXML(etree.tostring(root, encoding='unicode'))

        status, reports, err = self.audit(guest)
        self.assertEqual(1, status, err)
        report = reports[guest.domain.name()]
        self.assertEqual('drift', report['status'])
        self.assertEqual([('persistent', 'xmlhooks:xml:oem[0]')],
                         [(d['definition'], d['key'])
                          for d in report['drift']])
        self.assertIn("\n-    <input type=\"tablet\" bus=\"usb\">",
                      report['drift'][0]['diff'])
        self.assertNotIn('oemStrings', report['drift'][0]['diff'])
        status, out, err = self.audit(guest, fmt='table')
        self.assertIn('drifted: xmlhooks:xml:oem[0]\n', out)

    def test_older_nova_domain(self):
        """A domain of nova 31, without <nova:extraSpecs>."""
        self.write_profile('steady.yaml', STEADY)
        xml = base.renamed(base.nova_xml('nova31-basic'), self.guest_name())
        specs = {'xmlhooks:profile': 'steady', CLOCK_SPEC: CLOCK_EDIT}
        workdir = tempfile.mkdtemp(dir=self.workdir)
        os.chmod(workdir, 0o755)
        guest = self.useFixture(base.Guest(
            self.conn, self.engine().customize(xml, specs), workdir,
            start=False))
        status, reports, err = self.audit(guest)
        self.assertEqual(0, status, err)
        report = reports[guest.domain.name()]
        self.assertEqual(('ok', 'record'),
                         (report['status'], report['specs_from']))
        status, out, err = self.run_command('show', guest.domain.name())
        self.assertEqual(0, status, err)
        self.assertIn('extra specs: not recorded', out)

    def test_live_definition_drift(self):
        guest = self.nova_guest({CLOCK_SPEC: CLOCK_EDIT}, start=True)
        # The persistent definition is edited by hand; the running guest
        # still carries the customisation until it is restarted.
        root = etree.fromstring(guest.domain.XMLDesc(
            libvirt.VIR_DOMAIN_XML_INACTIVE).encode())
        root.find('clock').set('offset', 'utc')
        self.conn.defineXML(etree.tostring(root, encoding='unicode'))
        status, reports, err = self.audit(guest)
        self.assertEqual(1, status, err)
        self.assertEqual(['persistent'], [
            d['definition'] for d in reports[guest.domain.name()]['drift']])

    def test_every_domain_without_filter(self):
        guest = self.nova_guest({CLOCK_SPEC: CLOCK_EDIT})
        status, out, err = self.run_command('audit', '--format', 'json')
        self.assertIn(status, (0, 1), err)
        names = [report['name'] for report in json.loads(out)]
        self.assertIn(guest.domain.name(), names)
        self.assertEqual(sorted(names), names)

    def test_unreachable_libvirt(self):
        uri = 'qemu+unix:///system?socket=%s/no-such.sock' % self.workdir
        status, out, err = self.run_command('audit', '--connection', uri)
        self.assertEqual(1, status)
        self.assertEqual('', out)
        self.assertEqual(1, len(err.splitlines()), err)
        self.assertIn('cannot connect to libvirt at %s' % uri, err)


class ShowTest(CliTestCase):

    def test_backing_chain_flavor_and_live_diff(self):
        self.write_profile('steady.yaml', STEADY)
        specs = {'xmlhooks:profile': 'steady', CLOCK_SPEC: CLOCK_EDIT,
                 'hw:cpu_policy': 'shared'}
        xml = cmd_base.with_extra_specs(
            base.renamed(base.nova_xml('nova-basic'), self.guest_name()),
            specs)
        xml = self.engine().customize(xml, specs)
        uuid = etree.fromstring(xml.encode()).findtext('uuid')
        # Nova's layout: a raw image in _base, a qcow2 overlay in the
        # instance directory.
        base_image = os.path.join(self.instances_path, '_base', 'f00d')
        instance_dir = os.path.join(self.instances_path, uuid)
        os.mkdir(instance_dir)
        overlay = os.path.join(instance_dir, 'disk')
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'raw', base_image,
                        '32M'], check=True)
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F',
                        'raw', '-b', base_image, overlay], check=True)
        with open(os.path.join(instance_dir, 'console.log'), 'w'):
            pass
        guest = base.Guest(self.conn, xml, self.workdir, start=True)
        root = etree.fromstring(guest.xml.encode())
        root.find("devices/disk[@device='disk']/source").set('file', overlay)
        guest.xml = etree.tostring(root, encoding='unicode')
        self.useFixture(guest)

        for instance in (uuid, guest.domain.name()):
            status, out, err = self.run_command('show', instance)
            self.assertEqual(0, status, err)
            self.assertEqual('', err)
            self.assertIn('Instance directory: %s\n' % instance_dir, out)
            self.assertIn('\n  console.log ', out)
            self.assertIn('\n  disk ', out)
            self.assertIn('vda (disk, bus virtio, driver format qcow2): %s'
                          % overlay, out)
            self.assertIn('\n    %s: qcow2, virtual size 32 MiB' % overlay,
                          out)
            self.assertIn('\n      backing file: %s (raw)' % base_image, out)
            self.assertIn('\n      %s: raw, virtual size 32 MiB'
                          % base_image, out)
            self.assertIn('  name: capture.basic\n', out)
            self.assertIn('    hw:cpu_policy=shared\n', out)
            self.assertIn('  profiles: steady\n', out)
            self.assertIn('  %s=%s  (flavor)\n' % (CLOCK_SPEC, CLOCK_EDIT),
                          out)
            self.assertIn('  audit: ok (2 rule(s), profiles: steady)\n', out)
            self.assertIn('\nPersistent definition: /etc/libvirt/qemu/%s.xml'
                          '\n' % guest.domain.name(), out)
            # NOTE(xmlhooks): what libvirt chose at start is left out.
            live = out.split('Live definition against the persistent '
                             'one:\n')[1]
            self.assertTrue(live.startswith('  identical\n  runtime-only '
                                            'differences left out'), live)
            for kind in ('device aliases', 'domain id', 'pty paths',
                         'security labels', 'detected backing chains'):
                self.assertIn(kind, live)
        recorded = metadata.recorded(etree.fromstring(
            guest.domain.XMLDesc(0).encode()))
        self.assertEqual(['steady'], recorded[0])

        status, out, err = self.run_command('show', uuid, '--raw')
        self.assertEqual(0, status, err)
        live = out.split('Live definition against the persistent one:\n')[1]
        self.assertTrue(live.startswith('--- persistent\n+++ live\n'), live)
        self.assertIn("\n+      <alias name='virtio-disk0'/>\n", live)

        # "virsh edit" while the guest runs: only the edit shows.
        root = etree.fromstring(guest.domain.XMLDesc(
            libvirt.VIR_DOMAIN_XML_INACTIVE).encode())
        root.find('clock').set('offset', 'utc')
        self.conn.defineXML(etree.tostring(root, encoding='unicode'))
        status, out, err = self.run_command('show', uuid, '--format', 'json')
        self.assertEqual(0, status, err)
        report = json.loads(out)
        self.assertEqual('differs', report['live_diff']['state'])
        changed = [line for line in report['live_diff']['diff'].splitlines()
                   if line[:1] in '+-' and line[:3] not in ('+++', '---')]
        self.assertEqual(['-  <clock offset="utc">',
                          '+  <clock offset="localtime">'], changed)
        self.assertEqual('drift', report['audit']['status'])

    def test_raw_disk_with_a_qcow2_header(self):
        """A guest's raw disk that starts with a qcow2 header stays raw.

        NOTE(xmlhooks): the guest wrote a qcow2 header naming a host file
        as its backing file into its raw disk. A probing qemu-img, run as
        root by show, would open that file.
        """
        secret = os.path.join(self.workdir, 'root-only')
        with open(secret, 'wb') as handle:
            handle.write(b'secret' * 100)
        os.chmod(secret, 0o600)
        header = os.path.join(self.workdir, 'header.qcow2')
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F',
                        'raw', '-b', secret, header], check=True)
        guest = self.nova_guest({})
        root = etree.fromstring(guest.domain.XMLDesc(
            libvirt.VIR_DOMAIN_XML_INACTIVE).encode())
        disk = root.find("devices/disk[@device='disk']")
        path = disk.find('source').get('file')
        with open(header, 'rb') as source, open(path, 'wb') as target:
            target.write(source.read())
            target.truncate(16 * 1024 * 1024)
        disk.find('driver').set('type', 'raw')
        self.conn.defineXML(etree.tostring(root, encoding='unicode'))
        status, out, err = self.run_command('show', guest.domain.name(),
                                            '--format', 'json')
        self.assertEqual(0, status, err)
        (vda,) = [d for d in json.loads(out)['disks'] if d['target'] == 'vda']
        self.assertEqual([(path, 'raw', None)],
                         [(layer['filename'], layer['format'],
                           layer['backing_file']) for layer in vda['chain']])
        self.assertNotIn(secret, out)

    def test_unknown_instance(self):
        status, out, err = self.run_command('show', 'no-such-domain')
        self.assertEqual(1, status)
        self.assertEqual('', out)
        self.assertEqual(['nova-xmlhooks show: error: no domain no-such-domain'
                          ' at qemu:///system'], err.splitlines())


class ValidateTest(CliTestCase):

    def test_several_broken_files(self):
        one = self.write_profile('1.yaml', 'a:\n  xml: [nonsense]\n'
                                 '  specs: {"xmlhooks:xml:b": "x"}\n')
        two = self.write_profile('2.yaml', '- a list\n')
        three = self.write_profile('3.yaml', 'c:\n  image_selectable: 1\n')
        status, out, err = self.run_command('validate')
        self.assertEqual(1, status, err)
        self.assertIn('Configuration files read: %s\n' % self.config_file,
                      out)
        lines = cmd_base.report_lines(out)
        self.assertEqual([
            "ERROR: %s, profile 'a', entry 'xmlhooks:xml:b': 'x' is not of "
            "the form XPATH=VALUE" % one,
            "ERROR: %s, profile 'a', entry 'xml[0]': 'nonsense' is not of "
            "the form XPATH=VALUE" % one,
            'ERROR: %s: must map profile names to profiles' % two,
            "ERROR: %s, profile 'c', entry 'image_selectable': must be true "
            "or false" % three,
            '4 problem(s) found; nova-compute would refuse to start',
        ], lines)
