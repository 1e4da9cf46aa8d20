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

"""Every ``nova-xmlhooks`` command line in the docs runs as written.

The command lines are taken from every page of the docs and the README:
inline literals (````nova-xmlhooks ...````) and the lines of console
blocks that start with a prompt (``#`` or ``$``). The
synopses of the administrator guide are run with their optional parts
given and the first of each choice; placeholders (``FILE``, ``KEY=VALUE``,
``/etc/nova/nova.conf``...) become this test's files and values. A command
line that names no configuration file gets this test's, so nothing on the
host is read. ``audit`` and ``show`` reach libvirt's in-process test
driver when libvirt-python is installed, and say it is missing otherwise.
"""

import glob
import os
import re
import shlex

from nova_xmlhooks.cmd import common
from nova_xmlhooks.cmd import libvirt_host
from nova_xmlhooks.cmd import main
from nova_xmlhooks.conf import xmlhooks as xmlhooks_opts
from tests.unit import base
from tests.unit.cmd import base as cmd_base

DOC_FILES = sorted(glob.glob(os.path.join(
    cmd_base.REPO_DIR, 'doc', 'source', '**', '*.rst'), recursive=True)) + [
    os.path.join(cmd_base.REPO_DIR, 'README.rst')]
_INLINE_RE = re.compile(r'``(nova-xmlhooks\s.*?)``', re.S)
# a console line with its prompt (# or $), continued by backslashes
_CONSOLE_RE = re.compile(r'^\s+[#$]\s+(nova-xmlhooks\s(?:.*\\\n)*.*)$',
                         re.M)
#: what the docs' placeholders stand for, apart from files
VALUES = {
    'KEY=VALUE': 'xmlhooks:xml:clock=./clock/@offset=localtime',
    'URI': 'test:///default',
    'INSTANCE': 'test',
}
CUSTOMIZERS = next(opt for opt in xmlhooks_opts.ALL_OPTS
                   if opt.name == 'customizers')
#: commands that a docs page may name without their arguments, in prose
NEED_ARGUMENTS = ('render', 'show')


def documented_commands():
    """Every command line in the docs.

    :returns: a list of ``(file, command line)``
    """
    found = []
    for path in DOC_FILES:
        with open(path) as handle:
            text = handle.read()
        lines = [' '.join(m.group(1).split())
                 for m in _INLINE_RE.finditer(text)]
        lines += [' '.join(m.group(1).replace('\\\n', ' ').split())
                  for m in _CONSOLE_RE.finditer(text)]
        for line in lines:
            words = line.split()
            # NOTE(xmlhooks): "nova-xmlhooks render: error: ..." is an
            # example of output, not a command line.
            if len(words) > 1 and words[1].endswith(':'):
                continue
            found.append((os.path.relpath(path, cmd_base.REPO_DIR), line))
    return found


def expand(line):
    """Turn a synopsis into a command line: options given, first choices.

    :returns: the words after ``nova-xmlhooks``
    """
    words = []
    for word in shlex.split(line)[1:]:
        word = word.replace('[', '').replace(']', '')
        if word == '...' or not word:
            continue
        words.append(word.split('|')[0])
    return words


class DocumentedCommandsTest(cmd_base.CommandTestCase):

    def setUp(self):
        super().setUp()
        self.write_profile('docs.yaml', 'NAME:\n  description: docs\n')
        # NOTE(xmlhooks): every customiser, as by default.
        self.write_config(customizers=','.join(CUSTOMIZERS.default))
        with open(self.config_file, 'a') as handle:
            handle.write('[DEFAULT]\ncompute_driver = xmlhooks.LibvirtDriver\n'
                         '[libvirt]\nconnection_uri = test:///default\n')
        self.conf_dir = os.path.join(self.tempdir, 'nova.conf.d')
        os.mkdir(self.conf_dir)
        self.xml_file = self.write_xml(cmd_base.with_extra_specs(
            base.nova_xml(), {'xmlhooks:xml:c': './clock/@offset=utc'}))
        try:
            libvirt_host.import_libvirt()
            self.libvirt = True
        except common.CommandError:
            self.libvirt = False
        self.files = {'FILE': self.xml_file, 'guest.xml': self.xml_file,
                      '/etc/nova/nova.conf': self.config_file,
                      'PATH': self.config_file, 'DIR': self.conf_dir}

    def argv(self, line):
        argv = []
        for word in expand(line):
            if word == 'NAME' and argv[-1:] == ['--domain']:
                # NOTE(xmlhooks): the test driver's own domain; NAME is a
                # profile everywhere else.
                word = VALUES['INSTANCE']
            argv.append(self.files.get(word, VALUES.get(word, word)))
        if '--config-file' not in argv:
            argv = ['--config-file', self.config_file] + argv
        return argv

    def check(self, where, line, argv):
        status, out, err = self.command.run(*argv)
        message = '%s: %s: %s %s' % (where, line, status, out + err)
        self.assertNotIn('Traceback', err, message)
        self.assertNotEqual(2, status, message)
        command = next((word for word in argv
                        if word in {s.name for s in main.SUBCOMMANDS}), None)
        if command in ('audit', 'show') and not self.libvirt:
            if '--help' not in argv:
                self.assertIn('libvirt-python is not installed', err, message)
            return
        self.assertEqual(0, status, message)

    def test_every_documented_command_line_runs(self):
        commands = documented_commands()
        pages = {where for where, _line in commands}
        for page in ('doc/source/admin/cli.rst',
                     'doc/source/admin/troubleshooting.rst',
                     'doc/source/install/index.rst'):
            self.assertIn(page, pages)
        names = {subcommand.name for subcommand in main.SUBCOMMANDS}
        for where, line in commands:
            words = expand(line)
            if words in ([name] for name in NEED_ARGUMENTS):
                continue
            if words[:1] == ['COMMAND']:
                for name in names:
                    self.check(where, line, self.argv(
                        line.replace('COMMAND', name)))
                continue
            self.check(where, line, self.argv(line))

    def test_the_install_guide_commands_verbatim(self):
        # NOTE(xmlhooks): the first command of the install guide, as a new
        # operator types it: the global option after the command.
        status, out, err = self.command.run(
            'validate', '--config-file', self.config_file)
        self.assertEqual(0, status, err)
        self.assertIn('OK: ', out)

    def test_quoted_output_is_real(self):
        """The tool's messages quoted in the docs are the ones it prints."""
        quoted = set()
        for path in DOC_FILES:
            with open(path) as handle:
                quoted.update(re.findall(
                    r'^ {2,}((?:nova-xmlhooks \w+: error: |WARNING: ).*)$',
                    handle.read(), re.M))
        self.assertGreater(len(quoted), 2)
        self.write_profile('w.yaml', 'windows:\n  description: w\n')
        with open(self.config_file, 'a') as handle:
            handle.write('[DEFAULT]\ncompute_driver = libvirt.LibvirtDriver\n')
        printed = set()
        for argv in (('render', '--xml', self.xml_file, '--spec',
                      'xmlhooks:hyperv:relaxd=on'),
                     ('render', '--xml', self.xml_file, '--profile',
                      'windos'),
                     ('validate',)):
            _status, out, err = self.run_command(*argv)
            printed.update((out + err).splitlines())
        self.assertEqual(set(), quoted - printed)

    def test_expand(self):
        self.assertEqual(
            ['render', '--xml', 'FILE', '--spec', 'KEY=VALUE', '--output',
             'diff'],
            expand('nova-xmlhooks render --xml FILE [--spec KEY=VALUE ...] '
                   '[--output diff|xml]'))
