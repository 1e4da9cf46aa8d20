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

import subprocess
import sys

from oslo_config import fixture as config_fixture
from oslotest import base as oslo_base
import testscenarios

from nova_xmlhooks import conf as xmlhooks_conf
from nova_xmlhooks import exception
from tests.unit import base

load_tests = testscenarios.load_tests_apply_scenarios


class GeneratorTest(oslo_base.BaseTestCase):

    def test_sample_has_the_group_and_every_option(self):
        # NOTE(xmlhooks): run the real generator through the installed
        # oslo.config.opts entry point, as deployment tools do.
        out = subprocess.run(
            [sys.executable, '-m', 'oslo_config.generator',
             '--namespace', 'nova_xmlhooks'],
            check=True, capture_output=True, text=True).stdout
        self.assertIn('[xmlhooks]', out)
        for option in ('profile_dirs', 'default_profiles', 'customizers',
                       'on_error', 'allow_sensitive', 'validate_schema',
                       'preflight_asks_libvirt', 'schema_path'):
            self.assertRegex(out, r'(?m)^#%s =' % option)
        self.assertIn('Possible values', out)


class CheckValuesTest(base.TestCase):
    """A bad option value is one line naming the option, at start."""

    scenarios = [
        ('bool', dict(name='preflight_asks_libvirt', value='kinda')),
        ('choice', dict(name='on_error', value='maybe')),
        ('list_item', dict(name='allow_sensitive', value='resources,bogus')),
        ('tristate', dict(name='validate_schema', value='perhaps')),
    ]

    def test_names_the_option(self):
        self.useFixture(config_fixture.Config(self.conf)).load_raw_values(
            group='xmlhooks', **{self.name: self.value})
        error = self.assertRaises(exception.XmlHooksError,
                                  xmlhooks_conf.check_values, self.conf)
        message = error.format_message()
        self.assertIn('[xmlhooks] %s is not valid' % self.name, message)
        self.assertEqual(1, len(message.splitlines()), message)


class GoodValuesTest(base.TestCase):

    def test_pass(self):
        xmlhooks_conf.check_values(self.conf)
