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

"""The configuration and output errors every sub-command shares."""

import os
import re
import subprocess
import sys

from nova_xmlhooks.cmd import main
from tests.unit.cmd import base


class ConfigFileTest(base.CommandTestCase):

    def test_directory(self):
        path = os.path.join(self.tempdir, 'conf.d')
        os.mkdir(path)
        status, out, err = self.command.run('--config-file', path, 'list')
        self.assertEqual(1, status)
        self.assertEqual('', out)
        self.assertOneLineError(err, 'cannot read the configuration',
                                path, 'Is a directory')

    def test_not_utf8(self):
        with open(self.config_file, 'wb') as handle:
            handle.write(b'[xmlhooks]\ncustomizers = \xff\xfe\n')
        status, _out, err = self.run_command('list')
        self.assertEqual(1, status)
        self.assertOneLineError(err, 'cannot read the configuration',
                                self.config_file, 'not UTF-8')

    def test_not_utf8_in_config_dir(self):
        conf_dir = os.path.join(self.tempdir, 'nova.conf.d')
        os.mkdir(conf_dir)
        path = os.path.join(conf_dir, '50-binary.conf')
        with open(path, 'wb') as handle:
            handle.write(b'\x80\x81\n')
        status, _out, err = self.command.run(
            '--config-file', self.config_file, '--config-dir', conf_dir,
            'list')
        self.assertEqual(1, status)
        self.assertOneLineError(err, path, 'not UTF-8')

    def test_bad_value_names_option_file_and_reason(self):
        self.write_config(on_error='bogus')
        status, _out, err = self.run_command('list')
        self.assertEqual(1, status)
        self.assertOneLineError(
            err, 'option on_error in %s is not valid' % self.config_file,
            "Valid values are [fail, skip], but found 'bogus'")
        self.assertNotIn('LocationInfo', err)
        self.assertNotIn('Locations.', err)


class BrokenPipeTest(base.CommandTestCase):

    def test_reader_gone(self):
        # NOTE(xmlhooks): as "nova-xmlhooks list | head -0": the read end
        # is closed long before the interpreter has imported nova, so the
        # command's output meets a closed pipe.
        environ = {name: value for name, value in os.environ.items()
                   if name != 'PYTHONWARNINGS'}
        process = subprocess.Popen(
            [sys.executable, '-m', 'nova_xmlhooks.cmd.main',
             '--config-file', self.config_file, 'list'],
            cwd=base.REPO_DIR, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=environ)
        process.stdout.close()
        try:
            stderr = process.stderr.read().decode()
            status = process.wait(timeout=120)
        finally:
            process.stderr.close()
        self.assertEqual(1, status)
        self.assertEqual('', stderr)


class SubcommandsTest(base.CommandTestCase):

    def test_each_declared_once_with_help_and_description(self):
        status, out, _err = self.run_command('--help')
        self.assertEqual(0, status)
        for module in main.SUBCOMMANDS:
            self.assertRegex(out, r'\n    %s +%s' % (
                module.NAME, re.escape(module.HELP.split()[0])))
            status, out_one, _err = self.run_command(module.NAME, '--help')
            self.assertEqual(0, status)
            description = ' '.join(module.__doc__.split('\n\n')[1].split())
            self.assertIn(description[:40], ' '.join(out_one.split()))
