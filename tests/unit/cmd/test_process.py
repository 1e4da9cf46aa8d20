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

"""The command as a process: exit statuses and stderr, never a traceback."""

import os
import subprocess
import sys

from tests.unit.cmd import base


class ProcessTest(base.CommandTestCase):

    def setUp(self):
        super().setUp()
        # NOTE(xmlhooks): as an operator runs it: the test runner may ask
        # for every warning, which is not what the command prints.
        self.environ = {name: value for name, value in os.environ.items()
                        if name != 'PYTHONWARNINGS'}

    def run_process(self, *argv):
        # NOTE(xmlhooks): run from the repository so this tree's package is
        # the one imported, as the unit tests do.
        result = subprocess.run(
            [sys.executable, '-m', 'nova_xmlhooks.cmd.main',
             '--config-file', self.config_file] + list(argv),
            cwd=base.REPO_DIR, capture_output=True, text=True, timeout=120,
            env=self.environ)
        self.assertNotIn('Traceback', result.stderr)
        return result

    def test_exit_statuses(self):
        xml_file = self.write_xml(self.nova_xml())
        ok = self.run_process('render', '--xml', xml_file, '--spec',
                              'xmlhooks:xml:clock=./clock/@offset=localtime')
        self.assertEqual(0, ok.returncode, ok.stderr)
        self.assertIn('+  <clock offset="localtime">', ok.stdout)

        bad = self.run_process('render', '--xml', xml_file, '--spec',
                               'xmlhooks:xml:clock=./clock/@offset')
        self.assertEqual(1, bad.returncode)
        self.assertEqual('', bad.stdout)
        self.assertOneLineError(bad.stderr, "'xmlhooks:xml:clock'")

        usage = self.run_process('render', '--output', 'xml')
        self.assertEqual(2, usage.returncode)
        self.assertIn('the following arguments are required: --xml',
                      usage.stderr)

    def test_runs_without_docstrings(self):
        # NOTE(xmlhooks): python -OO, or PYTHONOPTIMIZE=2, strips the
        # docstrings the help is made of.
        self.environ['PYTHONOPTIMIZE'] = '2'
        self.write_profile('p.yaml', 'p:\n  xml: ["./clock/@offset=utc"]\n')
        result = self.run_process('validate')
        self.assertEqual(0, result.returncode, result.stderr)
        result = self.run_process('render', '--help')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('--spec', result.stdout)

    def test_validate_fails_with_every_problem(self):
        self.write_profile('a.yaml', 'a: [unclosed\n')
        self.write_profile('b.yaml', 'b:\n  xml: [nonsense]\n')
        result = self.run_process('validate')
        self.assertEqual(1, result.returncode)
        self.assertEqual('', result.stderr)
        self.assertIn('a.yaml: is not valid YAML', result.stdout)
        self.assertIn("b.yaml, profile 'b', entry 'xml[0]'", result.stdout)
        self.assertIn('2 problem(s) found', result.stdout)

    def test_nova_exception_is_loaded_only_on_failure(self):
        # NOTE(xmlhooks): importing nova's exception module costs a tenth
        # of a start (see nova_xmlhooks.exception); a command that
        # succeeds has no use for it.
        self.write_profile('p.yaml', 'p:\n  xml: ["./clock/@offset=utc"]\n')
        xml_file = self.write_xml(self.nova_xml())
        code = ('import sys; from nova_xmlhooks.cmd import main; '
                'status = main.main(sys.argv[1:]); '
                'sys.stderr.write("loaded=%s\\n" % ('
                '"nova.exception" in sys.modules)); sys.exit(status)')
        for argv, loaded in (
                (['list'], False), (['validate'], False),
                (['render', '--xml', xml_file, '--spec',
                  'xmlhooks:profile=p'], False),
                (['render', '--xml', xml_file, '--spec',
                  'xmlhooks:profile=q'], True)):
            result = subprocess.run(
                [sys.executable, '-c', code, '--config-file',
                 self.config_file] + argv, cwd=base.REPO_DIR,
                capture_output=True, text=True, timeout=120,
                env=self.environ)
            self.assertEqual(1 if loaded else 0, result.returncode,
                             result.stderr)
            self.assertEqual('loaded=%s' % loaded,
                             result.stderr.splitlines()[-1])
