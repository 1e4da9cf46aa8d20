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

"""Running ``nova-xmlhooks`` in-process, with a nova.conf of its own."""

import io
import logging
import os
import sys

import fixtures
from lxml import etree
from oslotest import base as oslo_base

from nova_xmlhooks.cmd import config
from nova_xmlhooks.cmd import main
from nova_xmlhooks import metadata
from tests.unit import base

REPO_DIR = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))


def with_extra_specs(xml, specs):
    """Record flavor extra specs in a domain, the way Nova does.

    :param xml: Nova's domain XML
    :param specs: a dict of extra specs
    :returns: the XML with ``<nova:extraSpecs>`` filled in
    """
    root = etree.fromstring(xml.encode())
    node = root.find('metadata/{%(ns)s}instance/{%(ns)s}flavor/'
                     '{%(ns)s}extraSpecs' % {'ns': metadata.NOVA_NS})
    for key, value in specs.items():
        spec = etree.SubElement(node, '{%s}extraSpec' % metadata.NOVA_NS,
                                name=key)
        spec.text = value
    return etree.tostring(root, encoding='unicode')


def report_lines(out):
    """A validate report without its header: the files read, warnings.

    :param out: what ``nova-xmlhooks validate`` wrote on stdout
    :returns: its other lines: notes, problems and the summary
    """
    return [line for line in out.splitlines() if not line.startswith(
        ('Configuration files read: ', 'WARNING: '))]


class CommandFixture(fixtures.Fixture):
    """Lets ``main()`` run in-process, and undoes what it changes.

    NOTE(xmlhooks): the command registers its CLI options on the global
    CONF and configures the root logger; other tests in the same worker
    must not see either.
    """

    def _setUp(self):
        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        self.addCleanup(self._restore_logging, handlers, level)
        self.addCleanup(self._unregister)

    @staticmethod
    def _restore_logging(handlers, level):
        root = logging.getLogger()
        root.handlers[:] = handlers
        root.setLevel(level)

    @staticmethod
    def _unregister():
        # NOTE(xmlhooks): clear() drops what the files said, so that no
        # other test sees this one's nova.conf.
        config.CONF.reset()
        config.CONF.clear()

    def run(self, *argv, stdin=None):
        """Run the command.

        :param stdin: bytes to give it on standard input
        :returns: ``(exit status, stdout, stderr)``
        """
        config.CONF.reset()
        stdout, stderr = io.StringIO(), io.StringIO()
        saved = sys.stdout, sys.stderr, sys.stdin
        sys.stdout, sys.stderr = stdout, stderr
        if stdin is not None:
            sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
        try:
            status = main.main(list(argv))
        except SystemExit as e:
            status = e.code
        finally:
            sys.stdout, sys.stderr, sys.stdin = saved
        return status, stdout.getvalue(), stderr.getvalue()


class CommandTestCase(oslo_base.BaseTestCase):
    """A test with a temporary nova.conf and profile directory."""

    def setUp(self):
        super().setUp()
        self.command = self.useFixture(CommandFixture())
        self.tempdir = self.useFixture(fixtures.TempDir()).path
        self.profile_dir = os.path.join(self.tempdir, 'xmlhooks.d')
        os.mkdir(self.profile_dir)
        self.config_file = os.path.join(self.tempdir, 'nova.conf')
        self.write_config()

    def write_config(self, **options):
        """Write this test's nova.conf ``[xmlhooks]`` section.

        :param options: option values as they go in the file; by default
            the profile directory of the test and the ``xml`` customizer
        """
        values = {'profile_dirs': self.profile_dir, 'customizers': 'xml'}
        values.update(options)
        with open(self.config_file, 'w') as handle:
            handle.write('[xmlhooks]\n')
            for name, value in values.items():
                handle.write('%s = %s\n' % (name, value))

    def write_profile(self, name, text):
        """Write a profile file into the test's profile directory."""
        path = os.path.join(self.profile_dir, name)
        with open(path, 'w') as handle:
            handle.write(text)
        return path

    def write_xml(self, xml, name='domain.xml'):
        """Save a domain XML as ``virsh dumpxml`` would."""
        path = os.path.join(self.tempdir, name)
        with open(path, 'w') as handle:
            handle.write(xml)
        return path

    def nova_xml(self, name='nova-basic'):
        return base.nova_xml(name)

    def run_command(self, *argv, stdin=None):
        """Run ``nova-xmlhooks --config-file <the test's> ARGV...``."""
        return self.command.run('--config-file', self.config_file, *argv,
                                stdin=stdin)

    def process_command(self, *argv):
        """``nova-xmlhooks --config-file <the test's> ARGV...`` as a process.

        NOTE(xmlhooks): for what only a process of its own shows: its
        standard streams, and a configuration without Nova imported.
        """
        return [sys.executable, '-m', 'nova_xmlhooks.cmd.main',
                '--config-file', self.config_file] + list(argv)

    @staticmethod
    def process_env(*dropped):
        """The environment for :meth:`process_command`, less ``dropped``.

        PYTHONWARNINGS is always dropped: its warnings would go to stderr.
        """
        dropped = ('PYTHONWARNINGS',) + dropped
        return {name: value for name, value in os.environ.items()
                if name not in dropped}

    def assertOneLineError(self, stderr, *fragments):
        """Assert stderr is one error line mentioning every fragment."""
        lines = stderr.splitlines()
        self.assertEqual(1, len(lines), stderr)
        self.assertNotIn('Traceback', stderr)
        self.assertTrue(lines[0].startswith('nova-xmlhooks'), lines[0])
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
