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

"""Drift and staleness of a recorded customisation, on Nova's XML."""

import io
import json

import fixtures
from lxml import etree

from nova_xmlhooks.cmd import audit
from nova_xmlhooks.cmd import common
from nova_xmlhooks.cmd import config
from nova_xmlhooks.cmd import libvirt_host
from nova_xmlhooks.cmd import main
from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import metadata
from tests.unit import base
from tests.unit.cmd import base as cmd_base

CLOCK = './clock/@offset=localtime'
NO_TABLET = "xpath.delete=./devices/input[@type='tablet']"


class AuditDomainTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.flags(customizers=['xml'])
        self.write_profile('p.yaml', 'p:\n  xml: ["%s"]\n' % NO_TABLET)
        self.specs = {'xmlhooks:profile': 'p', 'xmlhooks:xml:clock': CLOCK}
        # NOTE(xmlhooks): Nova records the flavor's extra specs in the
        # domain before the driver customises it.
        self.customised = self.engine().customize(
            cmd_base.with_extra_specs(base.nova_xml(), self.specs),
            self.specs)

    def info(self, persistent, live=None):
        return {'name': 'instance-00000001', 'uuid': 'u', 'state': 'x',
                'persistent': persistent, 'live': live}

    def test_ok(self):
        report = audit.audit_domain(self.engine(),
                                    self.info(self.customised,
                                              self.customised))
        self.assertEqual('ok', report['status'])
        self.assertEqual(['p'], report['profiles'])
        self.assertEqual([], report['drift'])
        self.assertIsNone(report['stale'])

    def test_unmanaged(self):
        report = audit.audit_domain(self.engine(),
                                    self.info(base.nova_xml()))
        self.assertEqual('unmanaged', report['status'])

    def test_drift_names_each_rule(self):
        root = etree.fromstring(self.customised.encode())
        root.find('clock').set('offset', 'utc')
        etree.SubElement(root.find('devices'), 'input', type='tablet',
                         bus='usb')
        edited = etree.tostring(root, encoding='unicode')
        report = audit.audit_domain(self.engine(),
                                    self.info(edited, self.customised))
        self.assertEqual('drift', report['status'])
        self.assertEqual(
            [('persistent', 'xmlhooks:xml:p[0]'),
             ('persistent', 'xmlhooks:xml:clock')],
            [(d['definition'], d['key']) for d in report['drift']])
        self.assertIn('-    <input type="tablet" bus="usb"/>',
                      report['drift'][0]['diff'])

    def test_hot_plugged_device_is_drift(self):
        # NOTE(xmlhooks): Nova attaches a volume or a port by writing the
        # device's own XML into the running guest and its definition; no
        # domain XML is generated, so the rules do not reach the device
        # until the next hard reboot. The audit shows it.
        self.flags(customizers=['xml'])
        specs = {'xmlhooks:xml:io': './devices/disk/driver/@io=native'}
        engine = self.engine()
        root = etree.fromstring(engine.customize(
            cmd_base.with_extra_specs(base.nova_xml(), specs),
            specs).encode())
        disk = etree.SubElement(root.find('devices'), 'disk', type='block',
                                device='disk')
        etree.SubElement(disk, 'driver', name='qemu', type='raw',
                         cache='none')
        etree.SubElement(disk, 'source', dev='/dev/sdb')
        etree.SubElement(disk, 'target', dev='vdb', bus='virtio')
        attached = etree.tostring(root, encoding='unicode')
        report = audit.audit_domain(engine, self.info(attached, attached))
        self.assertEqual('drift', report['status'])
        self.assertEqual(
            [('persistent', 'xmlhooks:xml:io'), ('live', 'xmlhooks:xml:io')],
            [(d['definition'], d['key']) for d in report['drift']])
        self.assertIn('+      <driver name="qemu" type="raw" cache="none" '
                      'io="native"/>', report['drift'][0]['diff'])

    def test_stale_after_profile_change_and_removal(self):
        self.write_profile('p.yaml', 'p:\n  xml: ["%s"]\n' % CLOCK)
        report = audit.audit_domain(self.engine(),
                                    self.info(self.customised))
        self.assertEqual('stale', report['status'])
        self.assertEqual([NO_TABLET], [
            r['value'] for r in report['stale']['removed']])
        self.assertIn('+      <xmlhooks:rule key="xmlhooks:xml:p[0]"',
                      report['stale']['diff'])

        self.write_profile('p.yaml', '')
        report = audit.audit_domain(self.engine(),
                                    self.info(self.customised))
        self.assertEqual('stale', report['status'])
        self.assertEqual("'xmlhooks:profile' names unknown profile 'p'",
                         report['stale']['error'])

    def test_stale_with_what_qemu_cannot_start(self):
        # NOTE(xmlhooks): the profile now switches on a stimer this KVM
        # guest has nothing for; its next hard reboot would be refused.
        self.write_profile('p.yaml', 'p:\n  xml: ["%s"]\n  specs:\n'
                           '    xmlhooks:hyperv:stimer: "on"\n' % NO_TABLET)
        report = audit.audit_domain(
            self.engine(customizers=['xml', 'hyperv']),
            self.info(self.customised))
        self.assertEqual('stale', report['status'])
        self.assertIn("rule 'xmlhooks:hyperv:stimer' failed: it leaves "
                      "Hyper-V stimer on without synic",
                      report['stale']['error'])

    def test_nova_domain_without_record_gets_default_profile(self):
        engine = self.engine(default_profiles=['p'])
        report = audit.audit_domain(engine, self.info(base.nova_xml()))
        self.assertEqual('stale', report['status'])
        self.assertEqual(['p'], report['stale']['profiles'])
        self.assertIn("-    <input type=\"tablet\" bus=\"usb\"/>",
                      report['stale']['diff'])
        self.assertIsInstance(engine, engine_mod.Engine)

    def test_rule_of_disabled_customizer_is_stale_not_drift(self):
        specs = dict(self.specs, **{'xmlhooks:hyperv:relaxed': 'on'})
        customised = self.engine(customizers=['xml', 'hyperv']).customize(
            cmd_base.with_extra_specs(base.nova_xml(), specs), specs)
        report = audit.audit_domain(self.engine(customizers=['xml']),
                                    self.info(customised, customised))
        self.assertEqual('stale', report['status'])
        self.assertEqual([], report['drift'])
        self.assertEqual(
            [{'key': 'xmlhooks:hyperv:relaxed', 'value': 'on',
              'source': 'flavor', 'family': 'hyperv',
              'reason': "customizer 'hyperv' is not enabled"}],
            report['stale']['unchecked'])
        # NOTE(xmlhooks): the rules that still parse are checked as ever.
        root = etree.fromstring(customised.encode())
        root.find('clock').set('offset', 'utc')
        edited = etree.tostring(root, encoding='unicode')
        report = audit.audit_domain(self.engine(customizers=['xml']),
                                    self.info(edited, customised))
        self.assertEqual('drift', report['status'])
        self.assertEqual(['xmlhooks:xml:clock'],
                         [d['key'] for d in report['drift']])
        self.assertEqual(['xmlhooks:hyperv:relaxed'],
                         [r['key'] for r in report['stale']['unchecked']])

    def test_hand_edited_metadata_is_reported_not_raised(self):
        # NOTE(xmlhooks): no rule may change <metadata>; "virsh edit"
        # can: an extra spec without its name is no extra spec, a
        # recorded rule without its key cannot be checked.
        nameless = self.customised.replace(
            '<nova:extraSpec name="xmlhooks:xml:clock">',
            '<nova:extraSpec>')
        keyless = self.customised.replace('key="xmlhooks:xml:clock" ', '')
        self.assertNotIn(self.customised, (nameless, keyless))
        report = audit.audit_domain(self.engine(), self.info(nameless))
        self.assertEqual('stale', report['status'])
        self.assertEqual([CLOCK], [r['value'] for r in
                                   report['stale']['removed']])
        report = audit.audit_domain(self.engine(), self.info(keyless))
        self.assertEqual('stale', report['status'])
        self.assertEqual(
            [(None, 'the record names no key for this rule')],
            [(r['key'], r['reason'])
             for r in report['stale']['unchecked']])
        stdout = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', stdout))
        audit.print_table([dict(report, name='n', uuid='u',
                                state='running')])
        self.assertIn('unchecked: (no key)', stdout.getvalue())
        self.assertIn('not checked: rule (no key)=', stdout.getvalue())

    def test_nothing_unchecked_when_every_rule_parses(self):
        self.write_profile('p.yaml', 'p:\n  xml: ["%s"]\n' % CLOCK)
        report = audit.audit_domain(self.engine(),
                                    self.info(self.customised))
        self.assertEqual('stale', report['status'])
        self.assertEqual([], report['stale']['unchecked'])


class AuditBlameTest(base.TestCase):
    """Only the rules whose effect changed are named."""

    OEM_PROFILE = ('p:\n  specs:\n    xmlhooks:smbios:oem.0: one\n'
                   '    xmlhooks:smbios:oem.1: two\n  xml: ["%s"]\n'
                   % NO_TABLET)

    def setUp(self):
        super().setUp()
        self.flags(customizers=['xml', 'smbios'])
        self.write_profile('p.yaml', self.OEM_PROFILE)
        specs = {'xmlhooks:profile': 'p'}
        self.customised = self.engine().customize(
            cmd_base.with_extra_specs(base.nova_xml(), specs), specs)

    def audit(self, edit):
        root = etree.fromstring(self.customised.encode())
        edit(root)
        edited = etree.tostring(root, encoding='unicode')
        return audit.audit_domain(
            self.engine(), {'name': 'instance-00000001', 'uuid': 'u',
                            'state': 'running', 'persistent': edited,
                            'live': None})

    def test_tablet_added_back_blames_only_the_tablet_rule(self):
        def add_tablet(root):
            etree.SubElement(root.find('devices'), 'input', type='tablet',
                             bus='usb')
        report = self.audit(add_tablet)
        self.assertEqual('drift', report['status'])
        self.assertEqual(['xmlhooks:xml:p[0]'],
                         [d['key'] for d in report['drift']])
        self.assertEqual(
            ['+++ with xmlhooks:xml:p[0]',
             '-    <input type="tablet" bus="usb"/>'],
            [line for line in report['drift'][0]['diff'].splitlines()
             if line[:1] in '+-' and not line.startswith('---')])

    def test_changed_oem_string_blames_only_its_rule(self):
        def change_second(root):
            root.find('sysinfo/oemStrings')[1].text = 'changed'
        report = self.audit(change_second)
        self.assertEqual(['xmlhooks:smbios:oem.1'],
                         [d['key'] for d in report['drift']])
        self.assertIn('-      <entry>changed</entry>\n'
                      '+      <entry>two</entry>',
                      report['drift'][0]['diff'])

    def test_rule_that_cannot_apply_is_named(self):
        self.flags(customizers=['xml'])
        self.write_profile('p.yaml', 'p:\n  xml: ["./devices/disk[last()+1]'
                           '/driver/@cache=none", "%s"]\n' % NO_TABLET)
        specs = {'xmlhooks:profile': 'p'}
        # NOTE(xmlhooks): recorded as if the first rule had applied once,
        # on a document where it no longer can.
        root = etree.fromstring(cmd_base.with_extra_specs(
            base.nova_xml(), specs).encode())
        engine = self.engine()
        metadata.record(root, engine.resolve(specs))

        def audit_root():
            return audit.audit_domain(engine, {
                'name': 'x', 'uuid': 'u', 'state': 'shut off',
                'persistent': etree.tostring(root, encoding='unicode'),
                'live': None})

        report = audit_root()
        self.assertEqual('drift', report['status'])
        self.assertEqual([('xmlhooks:xml:p[0]', ''),
                          ('xmlhooks:xml:p[1]', 'diff')],
                         [(d['key'], d['diff'] and 'diff')
                          for d in report['drift']])
        self.assertIn('cannot be applied', report['drift'][0]['reason'])
        # Once the tablet is gone, only the first rule is named.
        tablet = root.find("devices/input[@type='tablet']")
        tablet.getparent().remove(tablet)
        report = audit_root()
        self.assertEqual(['xmlhooks:xml:p[0]'],
                         [d['key'] for d in report['drift']])


class AuditOlderNovaTest(base.TestCase):
    """Domains of nova before 32, without <nova:extraSpecs>."""

    def setUp(self):
        super().setUp()
        self.flags(customizers=['xml'])
        self.write_profile('p.yaml', 'p:\n  xml: ["%s"]\n' % NO_TABLET)
        specs = {'xmlhooks:profile': 'p', 'xmlhooks:xml:clock': CLOCK}
        self.customised = self.engine().customize(
            base.nova_xml('nova31-basic'), specs)

    def audit(self, xml):
        return audit.audit_domain(self.engine(), {
            'name': 'instance-00000001', 'uuid': 'u', 'state': 'running',
            'persistent': xml, 'live': xml})

    def test_ok_from_the_record(self):
        report = self.audit(self.customised)
        self.assertEqual('ok', report['status'])
        self.assertEqual('record', report['specs_from'])
        self.assertIn('flavor specs from the record (nova < 32)',
                      audit.detail(report))

    def test_drift_and_staleness(self):
        root = etree.fromstring(self.customised.encode())
        root.find('clock').set('offset', 'utc')
        report = self.audit(etree.tostring(root, encoding='unicode'))
        self.assertEqual('drift', report['status'])
        self.assertEqual(['xmlhooks:xml:clock'] * 2,
                         [d['key'] for d in report['drift']])
        self.write_profile('p.yaml', 'p:\n  xml: ["%s"]\n' % CLOCK)
        report = self.audit(self.customised)
        self.assertEqual('stale', report['status'])
        self.assertEqual([NO_TABLET], [r['value'] for r in
                                       report['stale']['removed']])

    def test_hand_edited_record_is_reported_not_raised(self):
        # NOTE(xmlhooks): before nova 32 the record is also where the
        # flavor's specs are read from; "virsh edit" may drop any part.
        for attribute, reason in (
                ('key', 'no key'), ('source', 'no source'),
                ('family', 'no customizer')):
            root = etree.fromstring(self.customised.encode())
            rule = root.find(
                'metadata/x:customization/x:rule[@key="xmlhooks:xml:clock"]',
                {'x': metadata.XMLHOOKS_NS})
            del rule.attrib[attribute]
            report = self.audit(etree.tostring(root, encoding='unicode'))
            self.assertEqual(
                ['the record names %s for this rule' % reason],
                [r['reason'] for r in report['stale']['unchecked']])

    def test_unmanaged_nova_domain_with_default_profile(self):
        report = audit.audit_domain(self.engine(default_profiles=['p']), {
            'name': 'x', 'uuid': 'u', 'state': 'running',
            'persistent': base.nova_xml('nova31-basic'), 'live': None})
        self.assertEqual('stale', report['status'])
        self.assertEqual(['p'], report['stale']['profiles'])


class AuditTableTest(base.TestCase):

    def _drifted_table(self, value, edited):
        """The table of a domain whose description a hand edit changed.

        :param value: the description the flavor's rule writes
        :param edited: the description the domain holds instead
        """
        self.flags(customizers=['xml'])
        specs = {'xmlhooks:xml:d': './description=' + value}
        customised = self.engine().customize(
            cmd_base.with_extra_specs(base.nova_xml(), specs), specs)
        root = etree.fromstring(customised.encode())
        root.find('description').text = edited
        report = audit.audit_domain(self.engine(), {
            'name': 'n', 'uuid': 'u', 'state': 'running',
            'persistent': etree.tostring(root, encoding='unicode'),
            'live': None})
        stdout = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', stdout))
        audit.print_table([report])
        return stdout.getvalue()

    def test_values_escaped(self):
        out = self._drifted_table('a\u202eb\u009bc', 'other')
        self.assertIn('rule xmlhooks:xml:d=./description=a\\u202eb\\u009bc '
                      '(flavor)', out)
        self.assertIn('+  <description>a\\u202eb\\u009bc</description>',
                      out)
        self.assertNotIn('\u202e', out)
        self.assertNotIn('\u009b', out)

    def test_text_makes_no_lines_of_its_own(self):
        # NOTE(xmlhooks): str.splitlines() breaks at U+0085 and U+2028,
        # which a guest's text written with virsh edit may hold.
        out = self._drifted_table('ours', 'x\u0085- forged\u2028+ forged')
        self.assertIn('x\\u0085- forged\\u2028+ forged</description>', out)
        self.assertEqual([], [line for line in out.split('\n')
                              if 'forged' in line and
                              'description' not in line])
        self.assertEqual(['a\n', '\u0085b\n', 'c'],
                         common.lines('a\n\u0085b\nc'))

    def test_columns_line_up_with_escaped_names(self):
        report = {'name': 'a\x1bb', 'uuid': 'u', 'state': 'running',
                  'status': 'unmanaged', 'drift': [], 'stale': None}
        stdout = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', stdout))
        audit.print_table([report, dict(report, name='plain')])
        header, escaped, plain = stdout.getvalue().splitlines()
        self.assertTrue(escaped.startswith('a\\u001bb  u '), escaped)
        self.assertEqual({header.index('UUID')},
                         {escaped.index(' u ') + 1, plain.index(' u ') + 1})


class _Domain:

    def __init__(self, name, uuid):
        self._name, self._uuid = name, uuid

    def name(self):
        return self._name

    def UUIDString(self):
        return self._uuid


class SelectionTest(base.TestCase):
    """--domain takes a name, or a UUID in any form show takes."""

    def test_names_and_uuids(self):
        uuid = '6695eb01-f6a4-8304-79aa-97f2502e193f'
        domains = [_Domain('a', uuid), _Domain('b', uuid[:-1] + '0')]
        for wanted in ('a', uuid, uuid.upper(), uuid.replace('-', '')):
            self.assertEqual([domains[0]],
                             audit._selected(domains, [wanted]), wanted)
        e = self.assertRaises(common.CommandError, audit._selected,
                              domains, ['a', 'c', uuid[:-1] + '1'])
        self.assertEqual('no such domain: %s, c' % (uuid[:-1] + '1'),
                         str(e))


class _Stream(io.StringIO):

    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


class AuditProgressTest(cmd_base.CommandTestCase):
    """Progress shows when stderr, where it is written, is a terminal."""

    def setUp(self):
        super().setUp()
        try:
            libvirt_host.import_libvirt()
        except common.CommandError:
            self.skipTest('libvirt-python is not installed')
        # NOTE(xmlhooks): libvirt's test driver has one domain; let that be
        # "many".
        self.useFixture(fixtures.MockPatchObject(audit, 'PROGRESS_FROM', 1))

    def audit(self, stdout_tty, stderr_tty):
        stdout, stderr = _Stream(stdout_tty), _Stream(stderr_tty)
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', stdout))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', stderr))
        config.CONF.reset()
        status = main.main(['--config-file', self.config_file, 'audit',
                            '--connection', 'test:///default', '--format',
                            'json'])
        return status, stdout.getvalue(), stderr.getvalue()

    def test_stderr_is_a_terminal(self):
        status, out, err = self.audit(stdout_tty=False, stderr_tty=True)
        self.assertEqual(0, status, err)
        self.assertEqual('\raudit: 1/1 domains\n', err)
        self.assertEqual(['unmanaged'],
                         [r['status'] for r in json.loads(out)])

    def test_only_stdout_is_a_terminal(self):
        status, _out, err = self.audit(stdout_tty=True, stderr_tty=False)
        self.assertEqual(0, status, err)
        self.assertEqual('', err)


class AuditVanishedTest(base.TestCase):

    def test_vanished_note_is_a_line_of_its_own(self):
        self.useFixture(fixtures.MockPatchObject(audit, 'PROGRESS_FROM', 1))
        gone = libvirt_host.DomainGone('d1')
        self.useFixture(fixtures.MockPatchObject(
            libvirt_host, 'read_domain', side_effect=gone))
        stderr = _Stream(True)
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', stderr))
        self.assertEqual([], audit.audit_domains(None, None, [1]))
        self.assertEqual('\raudit: 1/1 domains\n'
                         'note: domain d1 vanished during the audit; '
                         'skipped\n', stderr.getvalue())


class LibvirtRefusalTest(base.TestCase):
    """What libvirt would refuse of a stale domain's next definition."""

    #: a topology of more vCPUs than the guest has (Nova wrote 2 sockets
    #: of 1 core for 2 vCPUs): libvirt refuses it, the engine's checks
    #: cannot tell
    SOCKETS = './cpu/topology/@sockets=3'

    def setUp(self):
        super().setUp()
        self.flags(customizers=['xml'])
        self.write_profile('p.yaml', 'p:\n  xml: ["%s"]\n' % CLOCK)
        specs = {'xmlhooks:profile': 'p'}
        self.customised = self.engine().customize(
            cmd_base.with_extra_specs(base.nova_xml(), specs), specs)
        self.info = {'name': 'instance-00000001', 'uuid': 'u',
                     'state': 'running', 'persistent': self.customised,
                     'live': self.customised}

    def refusal(self, *refused, **error):
        """A NativeRefusal whose connection refuses marked documents.

        :param refused: the markers, see :class:`base.NativeConnection`
        :param error: ``code`` and ``domain`` of libvirt's error
        """
        self.connection = base.NativeConnection(*refused, **error)
        self.opened = []

        def open_(uri):
            self.opened.append(uri)
            return self.connection
        libvirt = type('libvirt', (base.NATIVE_LIBVIRT,),
                       {'open': staticmethod(open_)})
        return libvirt_host.NativeRefusal(libvirt, 'qemu:///system')

    def test_read_write_connection_opened_once_when_needed(self):
        refusal = self.refusal('sockets="3"')
        self.assertEqual([], self.opened)
        refusal('<domain/>', '<domain sockets="3"/>')
        refusal('<domain/>', '<domain sockets="3"/>')
        self.assertEqual(['qemu:///system'], self.opened)

    def test_no_read_write_connection(self):
        def refuse(uri):
            raise base.NativeError(
                'unsupported configuration:\nread only access prevents it')
        libvirt = type('libvirt', (base.NATIVE_LIBVIRT,),
                       {'open': staticmethod(refuse)})
        refusal = libvirt_host.NativeRefusal(libvirt, 'qemu:///system')
        err = self.useFixture(fixtures.StringStream('stderr'))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err.stream))
        self.assertIsNone(refusal('<domain/>', '<domain sockets="3"/>'))
        self.assertIsNone(refusal('<domain/>', '<domain sockets="3"/>'))
        self.assertEqual(
            'note: libvirt at qemu:///system was not asked whether it '
            'accepts the definitions the next hard reboots would make: '
            'unsupported configuration: read only access prevents it\n',
            err.getDetails()['stderr'].as_text())

    def test_refused_where_the_current_definition_passes(self):
        refusal = self.refusal('sockets="3"')
        self.assertEqual('unsupported configuration: refused for '
                         'sockets="3"', refusal('<domain/>',
                                                '<domain sockets="3"/>'))
        self.assertEqual(['qemu-argv', 'qemu-argv'], self.connection.formats)

    def test_refused_both_or_neither_is_none(self):
        # NOTE(xmlhooks): a driver without the call, or a host that cannot
        # describe the guest, refuses the current definition too.
        refusal = self.refusal('<domain')
        self.assertIsNone(refusal('<domain/>', '<domain sockets="3"/>'))
        refusal = self.refusal('sockets="3"')
        self.assertIsNone(refusal('<domain/>', '<domain sockets="2"/>'))

    def test_no_answer_is_not_a_refusal(self):
        # NOTE(xmlhooks): the connection closed after the first question
        # (libvirt's RPC client says "client socket is closed", an
        # internal error), or the driver lacks the call: the new
        # definition is not refused, and a note says libvirt did not say.
        err = self.useFixture(fixtures.StringStream('stderr'))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err.stream))
        for code, domain in ((1, 7), (3, 10), (38, 7), (6, 20)):
            refusal = self.refusal('sockets="3"', code=code, domain=domain)
            self.assertIsNone(refusal('<domain/>', '<domain sockets="3"/>'))
            self.assertIsNone(refusal('<domain/>', '<domain sockets="3"/>'))
        self.assertEqual(
            4 * ['note: libvirt at qemu:///system did not say whether it '
                 'accepts a definition the next hard reboot would make: '
                 'unsupported configuration: refused for sockets="3"'],
            err.getDetails()['stderr'].as_text().splitlines())

    def test_stale_domain_libvirt_refuses(self):
        self.write_profile('p.yaml', 'p:\n  xml: ["%s", "%s"]\n'
                           % (CLOCK, self.SOCKETS))
        report = audit.audit_domain(self.engine(), self.info,
                                    self.refusal('sockets="3"'))
        self.assertEqual('stale', report['status'])
        stale = report['stale']
        self.assertIsNone(stale['error'])
        self.assertEqual('unsupported configuration: refused for '
                         'sockets="3"', stale['refused_by_libvirt'])
        self.assertIn('+    <topology sockets="3"', stale['diff'])
        self.assertEqual('next hard reboot fails: libvirt refuses it: '
                         'unsupported configuration: refused for '
                         'sockets="3"', audit.detail(report))
        out = self.useFixture(fixtures.StringStream('stdout'))
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out.stream))
        audit.print_table([report])
        self.assertIn('    fails: libvirt refuses it: unsupported '
                      'configuration: refused for sockets="3"\n',
                      out.getDetails()['stdout'].as_text())

    def test_stale_domain_libvirt_accepts(self):
        self.write_profile('p.yaml', 'p:\n  xml: ["%s", "%s"]\n'
                           % (CLOCK, NO_TABLET))
        report = audit.audit_domain(self.engine(), self.info,
                                    self.refusal('sockets="3"'))
        self.assertEqual('stale', report['status'])
        self.assertIsNone(report['stale']['refused_by_libvirt'])
        # NOTE(xmlhooks): the current definition is asked about only when
        # the new one is refused.
        self.assertEqual(['qemu-argv'], self.connection.formats)

    def test_current_domain_is_not_asked(self):
        report = audit.audit_domain(self.engine(), self.info,
                                    self.refusal('sockets="3"'))
        self.assertEqual('ok', report['status'])
        self.assertEqual([], self.connection.formats)


class AddedControllersTest(base.TestCase):
    """What libvirt added to a definition is left out of what it is asked."""

    CURRENT = ('<domain type="qemu"><devices>'
               '<controller type="pci" index="0" model="pci-root"/>'
               '<controller type="ide" index="0"><address type="pci" '
               'domain="0" bus="0" slot="1" function="1"/></controller>'
               '<controller type="virtio-serial" index="0"/>'
               '<controller type="usb" index="0" model="piix3-uhci"/>'
               '<controller type="pci" index="1" model="pcie-root-port"/>'
               '</devices></domain>')

    def controllers(self, xml):
        return [(c.get('type'), c.get('model'), c.get('ports'))
                for c in etree.fromstring(xml).iterfind('devices/controller')]

    def test_added_controllers_dropped_changed_and_novas_kept(self):
        new = self.CURRENT.replace(
            '<controller type="pci" index="0" model="pci-root"/>',
            '<controller type="pci" index="0" model="pci-root" ports="4"/>')
        current, new = libvirt_host.without_assigned_addresses(
            self.CURRENT, new)
        self.assertEqual([('virtio-serial', None, None),
                          ('usb', 'piix3-uhci', None),
                          ('pci', 'pcie-root-port', None)],
                         self.controllers(current))
        self.assertEqual([('pci', 'pci-root', '4'),
                          ('virtio-serial', None, None),
                          ('usb', 'piix3-uhci', None),
                          ('pci', 'pcie-root-port', None)],
                         self.controllers(new))
