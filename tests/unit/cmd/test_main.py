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

"""The configuration, options and output every sub-command shares."""

import importlib.metadata
import io
import os
import re
import subprocess
import sys

import fixtures

from nova_xmlhooks.cmd import common
from nova_xmlhooks.cmd import main
from tests.unit.cmd import base

CLOCK = 'xmlhooks:xml:clock=./clock/@offset=localtime'


class ConfigFileTest(base.CommandTestCase):

    def test_directory(self):
        path = os.path.join(self.tempdir, 'conf.d')
        os.mkdir(path)
        status, out, err = self.command.run('--config-file', path, 'list')
        self.assertEqual(1, status)
        self.assertEqual('', out)
        self.assertOneLineError(err, 'cannot read the configuration',
                                path, 'Is a directory')

    def test_config_dir_that_is_a_file(self):
        status, _out, err = self.command.run('--config-dir',
                                             self.config_file, 'list')
        self.assertEqual(1, status)
        self.assertOneLineError(err, 'cannot read the configuration '
                                'directory', self.config_file,
                                'not a directory')

    def test_missing(self):
        path = os.path.join(self.tempdir, 'none.conf')
        status, _out, err = self.command.run('--config-file', path, 'list')
        self.assertEqual(1, status)
        self.assertOneLineError(err, 'cannot read the configuration file',
                                path, 'no such file')

    def test_not_ini(self):
        with open(self.config_file, 'w') as handle:
            handle.write('[xmlhooks\ncustomizers = xml\n')
        status, _out, err = self.run_command('list')
        self.assertEqual(1, status)
        self.assertOneLineError(err, 'cannot read the configuration file %s'
                                % self.config_file)

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
            err, 'option [xmlhooks] on_error in %s is not valid'
            % self.config_file,
            "Valid values are [fail, skip], but found 'bogus'")
        self.assertNotIn('LocationInfo', err)
        self.assertNotIn('Locations.', err)

    def test_bad_value_names_the_file_that_sets_it(self):
        # NOTE(xmlhooks): the section is in both files; only the later one
        # sets the bad value, and it is the one named.
        conf_dir = os.path.join(self.tempdir, 'nova.conf.d')
        os.mkdir(conf_dir)
        later = os.path.join(conf_dir, '20-xmlhooks.conf')
        with open(os.path.join(conf_dir, '10-fine.conf'), 'w') as handle:
            handle.write('[xmlhooks]\non_error = skip\n')
        with open(later, 'w') as handle:
            handle.write('[xmlhooks]\nallow_sensitive = host_files,bogus\n')
        status, _out, err = self.command.run(
            '--config-file', self.config_file, 'validate', '--config-dir',
            conf_dir)
        self.assertEqual(1, status)
        self.assertOneLineError(
            err, 'option [xmlhooks] allow_sensitive in %s is not valid'
            % later, 'bogus')

    def test_bad_nova_value(self):
        with open(self.config_file, 'a') as handle:
            handle.write('[libvirt]\nvirt_type = xen\n')
        status, _out, err = self.run_command('validate')
        self.assertEqual(1, status)
        self.assertOneLineError(
            err, 'option [libvirt] virt_type in %s is not valid'
            % self.config_file, 'xen')

    def test_nova_paths_in_our_options(self):
        # NOTE(xmlhooks): nova-compute resolves $state_path in any option.
        with open(self.config_file, 'a') as handle:
            handle.write('[DEFAULT]\nstate_path = %s\n[xmlhooks]\n'
                         'profile_dirs = $state_path/profiles\n'
                         % self.tempdir)
        # NOTE(xmlhooks): in a process of its own, as an operator runs it:
        # this one has imported Nova, whose options are then declared.
        process = subprocess.run(
            self.process_command('validate'), cwd=base.REPO_DIR,
            capture_output=True, text=True, timeout=120,
            env=self.process_env())
        self.assertEqual(0, process.returncode, process.stderr)
        self.assertIn('profile directory %s/profiles does not exist'
                      % self.tempdir, process.stdout)

    def test_a_reference_to_no_option(self):
        with open(self.config_file, 'a') as handle:
            handle.write('[xmlhooks]\nprofile_dirs = $nonexistent/x\n')
        status, _out, err = self.run_command('validate')
        self.assertEqual(1, status)
        self.assertOneLineError(err, 'option [xmlhooks] profile_dirs is '
                                'not valid: a $ reference')


class GlobalOptionsTest(base.CommandTestCase):
    """The global options work before and after the sub-command."""

    def test_config_file_after_the_command(self):
        status, out, err = self.command.run('validate', '--config-file',
                                            self.config_file)
        self.assertEqual(0, status, err)
        self.assertIn('Configuration files read: %s\n' % self.config_file,
                      out)
        self.assertIn('OK: 1 customizer(s) (xml)', out)

    def test_later_files_override_earlier_ones(self):
        second = os.path.join(self.tempdir, 'second.conf')
        with open(second, 'w') as handle:
            handle.write('[xmlhooks]\non_error = skip\n')
        for argv in (('--config-file', self.config_file, 'validate',
                      '--config-file', second),
                     ('validate', '--config-file', self.config_file,
                      '--config-file', second)):
            status, out, err = self.command.run(*argv)
            self.assertEqual(0, status, err)
            self.assertIn('Configuration files read: %s, %s\n'
                          % (self.config_file, second), out)
            self.assertIn('on_error = skip', out)

    def test_config_dir_after_the_command(self):
        conf_dir = os.path.join(self.tempdir, 'nova.conf.d')
        os.mkdir(conf_dir)
        extra = os.path.join(conf_dir, '50-xmlhooks.conf')
        with open(extra, 'w') as handle:
            handle.write('[xmlhooks]\ncustomizers = xml,hyperv\n')
        status, out, err = self.run_command('validate', '--config-dir',
                                            conf_dir)
        self.assertEqual(0, status, err)
        self.assertIn('Configuration files read: %s, %s\n'
                      % (self.config_file, extra), out)
        self.assertIn('OK: 2 customizer(s) (xml, hyperv)', out)

    def test_verbose_after_the_command(self):
        xml_file = self.write_xml(self.nova_xml())
        status, _out, err = self.run_command('render', '--xml', xml_file,
                                             '--spec', CLOCK, '--verbose')
        self.assertEqual(0, status, err)
        self.assertIn('Applied 1 xmlhooks rule(s)', err)
        status, _out, err = self.run_command('render', '--xml', xml_file,
                                             '--spec', CLOCK)
        self.assertEqual('', err)

    def test_verbose_before_is_kept_by_the_command(self):
        xml_file = self.write_xml(self.nova_xml())
        status, _out, err = self.run_command('-v', 'render', '--xml',
                                             xml_file, '--spec', CLOCK)
        self.assertEqual(0, status, err)
        self.assertIn('Applied 1 xmlhooks rule(s)', err)


class VersionTest(base.CommandTestCase):

    def test_version(self):
        status, out, err = self.command.run('--version')
        self.assertEqual(0, status, err)
        self.assertEqual('nova-xmlhooks %s\n'
                         % importlib.metadata.version('nova-xmlhooks'), out)


class ShellCompletionTest(base.CommandTestCase):
    """oslo.config's --shell_completion is neither taken nor shown."""

    def test_not_offered(self):
        status, out, _err = self.command.run('--help')
        self.assertEqual(0, status)
        self.assertNotIn('completion', out)
        status, _out, err = self.command.run('--shell_completion', 'bash')
        self.assertEqual(2, status)
        self.assertIn('nova-xmlhooks: error: ', err)
        self.assertNotIn('configuration', err)
        self.assertNotIn('Traceback', err)


class EmptyArgumentTest(base.CommandTestCase):
    """An empty name or file is a usage error, naming the argument."""

    def test_refused(self):
        for argv, argument in [
                (('show', ''), 'INSTANCE'),
                (('audit', '--domain', ''), '--domain'),
                (('render', '--xml', ''), '--xml'),
                (('render', '--xml', '-', '--profile', ''), '--profile')]:
            status, out, err = self.run_command(*argv)
            self.assertEqual(2, status, argv)
            self.assertEqual('', out)
            self.assertIn('error: argument %s: must not be empty' % argument,
                          err)
            self.assertNotIn('Traceback', err)


class BrokenPipeTest(base.CommandTestCase):

    def test_reader_gone(self):
        # NOTE(xmlhooks): as "nova-xmlhooks list | head -0": the read end
        # is closed before the command writes its report.
        process = subprocess.Popen(
            self.process_command('list'), cwd=base.REPO_DIR,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=self.process_env())
        process.stdout.close()
        try:
            stderr = process.stderr.read().decode()
            status = process.wait(timeout=120)
        finally:
            process.stderr.close()
        self.assertEqual(1, status)
        self.assertEqual('', stderr)


class OutputErrorTest(base.CommandTestCase):
    """What cannot be written, or read, is said in one line."""

    def _run(self, *argv, **popen):
        process = subprocess.run(
            self.process_command(*argv), cwd=base.REPO_DIR,
            stderr=subprocess.PIPE, env=self.process_env('PYTHONUNBUFFERED'),
            timeout=120, **popen)
        return process.returncode, process.stderr.decode()

    def test_a_full_disk(self):
        with open('/dev/full', 'w') as full:
            for argv in (('--version',), ('list',),
                         ('list', '--format', 'json')):
                status, err = self._run(*argv, stdout=full)
                self.assertEqual(1, status, argv)
                self.assertEqual(1, len(err.splitlines()), err)
                self.assertIn('error: cannot write the output: No space '
                              'left on device', err)

    def test_closed_standard_streams(self):
        status, err = self._run('list', preexec_fn=lambda: os.close(1))
        self.assertEqual((1, 'nova-xmlhooks: error: cannot write the '
                             'output: standard output is closed\n'),
                         (status, err))
        status, err = self._run('render', '--xml', '-',
                                stdout=subprocess.DEVNULL,
                                preexec_fn=lambda: os.close(0))
        self.assertEqual((1, 'nova-xmlhooks render: error: cannot read '
                             'standard input: it is closed\n'),
                         (status, err))


class Utf8ArgumentTest(base.CommandTestCase):

    def test_libvirt_uri(self):
        # NOTE(xmlhooks): as a shell passes the byte 0xff.
        status, _out, err = self.command.run('audit', '--connection',
                                             'qemu:///\udcff')
        self.assertEqual((1, 'nova-xmlhooks audit: error: the libvirt URI '
                             'qemu:///\\udcff is not valid UTF-8 '
                             '(character 9)\n'), (status, err))

    def test_valid_arguments_pass(self):
        self.assertEqual('caf\xe9', common.utf8_argument('x', 'caf\xe9'))


class HelpTest(base.CommandTestCase):
    """Every help text is whole, and plain text."""

    def help_of(self, *argv):
        status, out, err = self.command.run(*argv, '--help')
        self.assertEqual(0, status, err)
        return out

    def assertPlainText(self, text):
        for markup in ('``', ':ref:', ':doc:', '::\n', '`_'):
            self.assertNotIn(markup, text)
        # NOTE(xmlhooks): a role's target, left as written.
        self.assertNotRegex(text, r'~?nova_xmlhooks\.\w')

    def test_each_command_declared_once_with_its_whole_description(self):
        out = self.help_of()
        self.assertPlainText(out)
        for subcommand in main.SUBCOMMANDS:
            self.assertRegex(out, r'\n    %s +%s' % (
                subcommand.name, re.escape(subcommand.help.split()[0])))
            out_one = self.help_of(subcommand.name)
            self.assertPlainText(out_one)
            description = ' '.join(common.plain_text(
                subcommand.load().__doc__.split('\n\n', 1)[1]).split())
            # NOTE(xmlhooks): the whole description, to its last word.
            self.assertIn(description, ' '.join(out_one.split()))
            self.assertTrue(description.endswith('.'), subcommand.name)
            for option in ('--config-file', '--config-dir', '--verbose',
                           '--color'):
                self.assertIn(option, out_one)

    def test_only_the_command_that_runs_is_imported(self):
        modules = {subcommand.module for subcommand in main.SUBCOMMANDS}
        code = ('import sys; from nova_xmlhooks.cmd import main; '
                'main.parse_args(sys.argv[1:]); '
                'print(" ".join(sorted(set(sys.modules) & %r)))' % modules)
        for argv, loaded in ((['validate', '--config-file', 'x'],
                              'nova_xmlhooks.cmd.validate'),
                             (['--config-file', 'x', 'render', '--xml', 'f'],
                              'nova_xmlhooks.cmd.render')):
            result = subprocess.run(
                [sys.executable, '-c', code] + argv, cwd=base.REPO_DIR,
                capture_output=True, text=True, check=True, timeout=120)
            self.assertEqual(loaded + '\n', result.stdout)

    def test_abbreviations_are_not_taken(self):
        # NOTE(xmlhooks): "--config" could only be guessed at.
        status, _out, err = self.command.run('--config', 'x', 'list')
        self.assertEqual(2, status)
        self.assertIn('nova-xmlhooks: error: ', err)

    def test_audit_help_lists_every_status(self):
        out = self.help_of('audit')
        for status in ('drift', 'stale', 'ok', 'unmanaged'):
            self.assertRegex(out, r'\n%s\n    [A-Z]' % status)
        self.assertIn('Domains that vanish while the audit runs are left '
                      'out', ' '.join(out.split()))

    def test_plain_text(self):
        self.assertEqual(
            'use virt-xml --xml, see How it works and the guide '
            '(https://x.org/a), e.g.:',
            common.plain_text('use ``virt-xml --xml``, see :doc:`How it '
                              'works <how-it-works>` and `the guide '
                              '<https://x.org/a>`_, e.g.::'))

    def test_plain_text_of_a_shortened_target(self):
        self.assertEqual(
            'see Refusal and a.b.Other',
            common.plain_text('see :class:`~a.b.Refusal` and '
                              ':class:`a.b.Other`'))


class ColourTest(base.CommandTestCase):

    def render(self, *argv):
        xml_file = self.write_xml(self.nova_xml())
        return self.run_command('render', '--xml', xml_file, '--spec', CLOCK,
                                *argv)

    def test_always_and_never(self):
        status, out, err = self.render('--color', 'always')
        self.assertEqual(0, status, err)
        self.assertIn('\033[31m-  <clock offset="utc">\033[0m\n', out)
        self.assertIn('\033[32m+  <clock offset="localtime">\033[0m\n', out)
        self.assertIn('\033[36m@@ ', out)
        status, out, err = self.render('--color', 'never')
        self.assertNotIn('\033', out)

    def test_auto_colours_a_terminal_only(self):
        stream = io.StringIO()
        common.set_color('auto', stream)
        self.assertFalse(common._Style.color)
        stream.isatty = lambda: True
        self.useFixture(fixtures.EnvironmentVariable('NO_COLOR'))
        self.useFixture(fixtures.EnvironmentVariable('TERM', 'xterm'))
        common.set_color('auto', stream)
        self.assertTrue(common._Style.color)
        self.useFixture(fixtures.EnvironmentVariable('NO_COLOR', '1'))
        common.set_color('auto', stream)
        self.assertFalse(common._Style.color)
        status, out, _err = self.render()
        self.assertEqual(0, status)
        self.assertNotIn('\033', out)

    def test_bad_choice(self):
        status, _out, err = self.render('--color', 'sometimes')
        self.assertEqual(2, status)
        self.assertIn("invalid choice: 'sometimes'", err)


class EscapingTest(base.CommandTestCase):
    """Reports escape what could deceive a terminal, as errors do."""

    def test_out_escapes_each_line(self):
        stdout = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', stdout))
        common.out('a\u202eb\nc\u009bd\x1b[2J')
        self.assertEqual('a\\u202eb\nc\\u009bd\\u001b[2J\n',
                         stdout.getvalue())
