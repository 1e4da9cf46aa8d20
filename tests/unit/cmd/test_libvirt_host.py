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

"""Reaching libvirt: nova-compute's URI, and clear errors."""

import os
import sys
from unittest import mock

import fixtures
from oslo_config import cfg
from oslo_config import fixture as config_fixture
import testscenarios

from nova.virt.libvirt import driver as libvirt_driver
from nova_xmlhooks.cmd import common
from nova_xmlhooks.cmd import config
from nova_xmlhooks.cmd import libvirt_host
from tests.unit.cmd import base

load_tests = testscenarios.load_tests_apply_scenarios


class LibvirtUriTest(testscenarios.WithScenarios, base.CommandTestCase):

    scenarios = [
        ('kvm', {'virt_type': 'kvm', 'uri': ''}),
        ('qemu', {'virt_type': 'qemu', 'uri': ''}),
        ('lxc', {'virt_type': 'lxc', 'uri': ''}),
        ('parallels', {'virt_type': 'parallels', 'uri': ''}),
        ('explicit', {'virt_type': 'kvm', 'uri': 'qemu+ssh://h/system'}),
    ]

    def test_same_as_nova(self):
        # NOTE(xmlhooks): nova's driver reads nova's global CONF; the
        # command reads its copies of the options from a private one.
        nova_conf = self.useFixture(config_fixture.Config(cfg.CONF)).conf
        ours = cfg.ConfigOpts()
        for group, opts in config.nova_opts().items():
            ours.register_opts(opts, group=config._group(group))
        ours([], project=None, default_config_files=[],
             default_config_dirs=[])
        for conf in (nova_conf, ours):
            conf.set_override('virt_type', self.virt_type, group='libvirt')
            conf.set_override('connection_uri', self.uri, group='libvirt')
        self.assertEqual(libvirt_driver.LibvirtDriver._uri(),
                         libvirt_host.libvirt_uri(ours))


class LibvirtErrorsTest(base.CommandTestCase):

    def test_libvirt_python_missing(self):
        # NOTE(xmlhooks): None in sys.modules makes the import fail as if
        # the package were not installed.
        patcher = mock.patch.dict(sys.modules, {'libvirt': None})
        patcher.start()
        self.addCleanup(patcher.stop)
        status, out, err = self.run_command('audit')
        self.assertEqual(1, status)
        self.assertEqual('', out)
        self.assertOneLineError(err, 'libvirt-python is not installed',
                                'nova-xmlhooks[libvirt]')

    def test_unreachable(self):
        try:
            libvirt_host.import_libvirt()
        except common.CommandError:
            self.skipTest('libvirt-python is not installed')
        uri = 'qemu+unix:///system?socket=%s/none.sock' % self.tempdir
        status, _out, err = self.run_command('show', 'x', '--connection', uri)
        self.assertEqual(1, status)
        self.assertOneLineError(err, 'cannot connect to libvirt at %s' % uri)


class PersistentLocationTest(base.CommandTestCase):

    def test_system_uri(self):
        conf_dir = os.path.join(self.tempdir, 'qemu')
        os.mkdir(conf_dir)
        self.useFixture(fixtures.MockPatchObject(
            libvirt_host, 'SYSTEM_CONFIG_DIRS', {'qemu': conf_dir}))
        path = os.path.join(conf_dir, 'instance-1.xml')
        with open(path, 'w'):
            pass
        for uri in ('qemu:///system', 'qemu+unix:///system'):
            self.assertEqual(
                (path, 'libvirt\'s own file; change it with "virsh -c %s '
                 'edit instance-1", not in the file' % uri),
                libvirt_host.persistent_location(uri, 'instance-1'))
        location, note = libvirt_host.persistent_location('qemu:///system',
                                                          'instance-2')
        self.assertIsNone(location)
        self.assertIn('not found at %s/instance-2.xml' % conf_dir, note)

    def test_session_uri(self):
        self.useFixture(fixtures.EnvironmentVariable('XDG_CONFIG_HOME',
                                                     self.tempdir))
        path = os.path.join(self.tempdir, 'libvirt', 'qemu', 'x.xml')
        os.makedirs(os.path.dirname(path))
        with open(path, 'w'):
            pass
        self.assertEqual(path, libvirt_host.persistent_location(
            'qemu:///session', 'x')[0])

    def test_not_derived(self):
        for uri in ('qemu+ssh://host/system', 'test:///default',
                    'qemu+tcp://host/system'):
            location, note = libvirt_host.persistent_location(uri, 'x')
            self.assertIsNone(location)
            self.assertEqual('kept by libvirt at %s; read it with "virsh -c '
                             '%s dumpxml --inactive x"' % (uri, uri), note)
