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

"""nova's options, read without importing nova.conf, read as nova does."""

import os

from oslo_config import cfg

import nova.conf
from nova.conf import compute as nova_compute
from nova.conf import libvirt as nova_libvirt
from nova.conf import paths as nova_paths
from nova_xmlhooks.cmd import config
from tests.unit.cmd import base


def _nova_declarations():
    declared = {}
    for module in (nova_paths, nova_compute, nova_libvirt):
        for group, opts in module.list_opts().items():
            name = getattr(group, 'name', group)
            for opt in opts:
                declared[(name, opt.name)] = opt
    return declared


class NovaOptionsTest(base.CommandTestCase):

    def test_copies_match_nova(self):
        declared = _nova_declarations()
        for group, opts in config.nova_opts().items():
            for opt in opts:
                nova_opt = declared[(group, opt.name)]
                self.assertEqual(type(nova_opt.type), type(opt.type),
                                 opt.name)
                self.assertEqual(nova_opt.default, opt.default, opt.name)
                self.assertEqual(getattr(nova_opt.type, 'choices', None),
                                 getattr(opt.type, 'choices', None),
                                 opt.name)

    def values(self, conf):
        return {(group, opt.name): config._value(conf, group, opt.name)
                for group, opts in config.nova_opts().items()
                for opt in opts}

    def test_values_match_nova(self):
        for text in ('', '[DEFAULT]\nstate_path = /var/lib/nova\n'
                     'compute_driver = xmlhooks.LibvirtDriver\n'
                     '[libvirt]\nvirt_type = qemu\n',
                     '[DEFAULT]\ninstances_path = /srv/instances\n'
                     '[libvirt]\nconnection_uri = qemu+tcp://h/system\n'):
            with open(self.config_file, 'w') as handle:
                handle.write(text)
            ours = config.Configuration(
                [config.Source('--config-file', self.config_file)]).nova
            theirs = cfg.ConfigOpts()
            nova.conf.paths.register_opts(theirs)
            nova.conf.compute.register_opts(theirs)
            nova.conf.libvirt.register_opts(theirs)
            theirs(['--config-file', self.config_file], project='nova')
            self.assertEqual(self.values(theirs), self.values(ours), text)

    def test_files_read_in_order(self):
        conf_dir = os.path.join(self.tempdir, 'conf.d')
        os.mkdir(conf_dir)
        for name in ('20-b.conf', '10-a.conf', 'ignored.txt'):
            with open(os.path.join(conf_dir, name), 'w') as handle:
                handle.write('[xmlhooks]\n')
        configuration = config.Configuration([
            config.Source('--config-dir', conf_dir),
            config.Source('--config-file', self.config_file)])
        self.assertEqual([os.path.join(conf_dir, '10-a.conf'),
                          os.path.join(conf_dir, '20-b.conf'),
                          self.config_file], configuration.files())
