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

"""``nova-xmlhooks show`` without libvirt: its parts, on Nova's XML.

The whole command runs on a real libvirtd in ``tests/libvirt``.
"""

import io
import os

import fixtures
from lxml import etree

from nova_xmlhooks.cmd import config
from nova_xmlhooks.cmd import live_diff
from nova_xmlhooks.cmd import show
from tests.unit.cmd import base

UUID = '70bd88b9-71aa-4bab-acfb-bbe1b44d4ef1'


class InstanceDirectoryTest(base.CommandTestCase):

    def setUp(self):
        super().setUp()
        self.root = etree.fromstring(self.nova_xml().encode())
        self.instances = os.path.join(self.tempdir, 'instances')

    def disk_in(self, directory):
        self.root.find("devices/disk[@device='disk']/source").set(
            'file', os.path.join(directory, 'disk'))

    def test_from_instances_path(self):
        os.makedirs(os.path.join(self.instances, UUID))
        self.assertEqual(
            (os.path.join(self.instances, UUID), 'instances_path', None),
            show.instance_directory(self.instances, self.root, UUID))

    def test_falls_back_to_the_disk_directory(self):
        elsewhere = os.path.join(self.tempdir, 'var', 'instances', UUID)
        os.makedirs(elsewhere)
        self.disk_in(elsewhere)
        path, origin, note = show.instance_directory(self.instances,
                                                     self.root, UUID)
        self.assertEqual((elsewhere, 'disk'), (path, origin))
        self.assertIn('[DEFAULT] instances_path is %s, which has no '
                      'directory for this instance' % self.instances, note)

    def test_no_fallback_to_a_directory_of_another_name(self):
        self.disk_in(os.path.join(self.tempdir, 'images'))
        self.assertEqual(
            (os.path.join(self.instances, UUID), 'instances_path', None),
            show.instance_directory(self.instances, self.root, UUID))

    def test_default_is_state_path_instances(self):
        with open(self.config_file, 'a') as handle:
            handle.write('[DEFAULT]\nstate_path = /var/lib/nova\n')
        configuration = config.Configuration(
            [config.Source('--config-file', self.config_file)])
        self.assertEqual('/var/lib/nova/instances',
                         configuration.nova_value('instances_path'))


class ShowTextTest(base.CommandTestCase):

    def report(self, xml, live=None):
        configuration = config.Configuration(
            [config.Source('--config-file', self.config_file)])
        return show.report(configuration, {
            'name': 'instance-00000001', 'uuid': UUID, 'state': 'running',
            'persistent': xml, 'live': live}, 'test:///default')

    def text(self, document):
        stdout = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', stdout))
        show.print_text(document)
        return stdout.getvalue()

    def test_sizes_with_units(self):
        directory = os.path.join(self.tempdir, 'instances', UUID)
        os.makedirs(directory)
        with open(os.path.join(directory, 'console.log'), 'wb') as handle:
            handle.write(b'x' * 3000)
        with open(self.config_file, 'a') as handle:
            handle.write('[DEFAULT]\ninstances_path = %s/instances\n'
                         % self.tempdir)
        out = self.text(self.report(self.nova_xml()))
        self.assertRegex(out, r'\n  console\.log +2\.93 KiB  \(\d+(\.\d+)? '
                              r'KiB on disk\)\n')

    def test_older_nova_records_no_extra_specs(self):
        out = self.text(self.report(self.nova_xml('nova31-basic')))
        self.assertIn('\n  extra specs: not recorded (Nova records them in '
                      'the domain from nova 32 on; this domain was defined '
                      'by nova 31.3.1)\n', out)
        out = self.text(self.report(self.nova_xml()))
        self.assertIn('\n  extra specs: none\n', out)

    def test_persistent_definition_of_the_test_driver(self):
        out = self.text(self.report(self.nova_xml()))
        self.assertIn('\nPersistent definition: not a file of its own\n'
                      '  kept by libvirt at test:///default; read it with '
                      '"virsh -c test:///default dumpxml --inactive '
                      'instance-00000001"\n', out)

    def test_disk_without_format_is_not_opened(self):
        root = etree.fromstring(self.nova_xml().encode())
        driver = root.find("devices/disk[@device='disk']/driver")
        del driver.attrib['type']
        out = self.text(self.report(etree.tostring(root, encoding='unicode')))
        self.assertIn('    no format in the domain XML (driver/@type); not '
                      'opened, as qemu-img would have to guess it', out)

    def test_values_escaped(self):
        xml = self.nova_xml().replace('<nova:name>basic</nova:name>',
                                      '<nova:name>a\u202eb</nova:name>')
        out = self.text(self.report(xml))
        self.assertIn('instance name: a\\u202eb\n', out)
        self.assertNotIn('\u202e', out)


def _live(persistent):
    """The live definition libvirt 9.0 gives for a persistent one.

    NOTE(xmlhooks): what libvirt added when it started a guest of
    tests/fixtures/nova-basic.xml on this project's libvirt tier.
    """
    root = etree.fromstring(persistent.encode())
    root.set('id', '6')
    resource = etree.Element('resource')
    etree.SubElement(resource, 'partition').text = '/machine'
    root.find('sysinfo').addprevious(resource)
    cpu = root.find('cpu')
    cpu.set('check', 'full')
    etree.SubElement(cpu, 'feature', policy='require', name='hypervisor')
    for number, device in enumerate(root.find('devices')):
        if isinstance(device.tag, str) and device.tag != 'emulator':
            etree.SubElement(device, 'alias', name='dev%d' % number)
    disk = root.find("devices/disk[@device='disk']")
    disk.find('source').set('index', '1')
    chain = etree.Element('backingStore', type='file', index='2')
    etree.SubElement(chain, 'format', type='raw')
    etree.SubElement(chain, 'source', file='/var/lib/nova/_base/x')
    disk.find('source').addnext(chain)
    for device in root.findall('devices/serial'):
        etree.SubElement(device, 'source', path='/dev/pts/0')
        device.set('tty', '/dev/pts/0')
    root.find('devices/graphics').set('port', '5900')
    label = etree.SubElement(root, 'seclabel', type='dynamic', model='dac',
                             relabel='yes')
    etree.SubElement(label, 'label').text = '+64055:+64055'
    return etree.tostring(root, encoding='unicode')


class LiveDiffTest(base.CommandTestCase):

    def setUp(self):
        super().setUp()
        root = etree.fromstring(self.nova_xml().encode())
        root.find('cpu').set('check', 'none')
        self.persistent = etree.tostring(root, encoding='unicode')
        self.live = _live(self.persistent)

    def test_runtime_noise_left_out(self):
        persistent, live, hidden = live_diff.runtime_filtered(
            self.persistent, self.live)
        self.assertEqual(persistent, live)
        self.assertEqual({'device aliases', 'domain id', 'cgroup partition',
                          'CPU model as libvirt expanded it',
                          'detected backing chains', 'pty paths',
                          'autoport ports', 'security labels'},
                         set(hidden))

    def test_real_differences_kept(self):
        # "virsh edit" of the persistent definition while the guest runs.
        root = etree.fromstring(self.persistent.encode())
        root.find('clock').set('offset', 'localtime')
        edited = etree.tostring(root, encoding='unicode')
        report = show.live_report({'persistent': edited,
                                   'live': self.live}, raw=False)
        self.assertEqual('differs', report['state'])
        changed = [line for line in report['diff'].splitlines()
                   if line[:1] in '+-' and line[:3] not in ('+++', '---')]
        self.assertEqual(['-  <clock offset="localtime">',
                          '+  <clock offset="utc">'], changed)
        raw = show.live_report({'persistent': edited, 'live': self.live},
                               raw=True)
        self.assertIn("<alias name=", raw['diff'])
        self.assertEqual({}, raw['hidden'])
