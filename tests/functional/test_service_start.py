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

"""A broken configuration stops nova-compute from starting."""

import os

import fixtures

from nova_xmlhooks import compat
from nova_xmlhooks import conf as xmlhooks_conf
from nova_xmlhooks import exception
from tests.functional import base

GOOD = """
good:
  xml:
    - ./features/pmu/@state=off
"""


class ServiceStartTest(base.XmlHooksTestBase):

    def use_config_file(self, text):
        """Read a configuration file into nova's options, as a service would.

        NOTE(xmlhooks): oslo.config's Config fixture resets every default
        and override at cleanup, nova's test defaults included, before the
        harness stops its services: nova 33's scheduler then waits its
        default manager_shutdown_timeout (160 s) to stop.
        """
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'nova.conf')
        with open(path, 'w') as f:
            f.write(text)
        conf = xmlhooks_conf.CONF
        self.addCleanup(self._read_config_files, conf.default_config_files)
        self._read_config_files([path])

    @staticmethod
    def _read_config_files(paths):
        conf = xmlhooks_conf.CONF
        conf.default_config_files = paths
        if not conf.reload_config_files():
            raise RuntimeError('cannot read %s' % paths)

    def assert_refuses_to_start(self, error_class, *expected):
        error = self.assertRaises(error_class, self.start_compute,
                                  hostname='host1')
        message = error.format_message()
        for text in expected:
            self.assertIn(text, message)
        self.assertEqual(1, len(message.splitlines()), message)
        # NOTE(xmlhooks): the service never registered its node.
        self.assertEqual([], self.admin_api.api_get(
            '/os-hypervisors').body['hypervisors'])
        return error

    def test_starts_with_good_profiles(self):
        self.write_profile('good.yaml', GOOD)
        self.start_compute(hostname='host1')
        driver = self.computes['host1'].driver
        self.assertEqual(['good'], list(driver.xmlhooks.profiles))

    def test_untested_nova_series_starts_with_one_warning(self):
        self.useFixture(fixtures.MockPatch(
            'nova_xmlhooks.compat.nova_major', return_value=35))
        log = self.useFixture(fixtures.FakeLogger(
            name='nova_xmlhooks.compat'))
        self.start_compute(hostname='host1')
        self.assertIsNotNone(self.computes['host1'].driver.xmlhooks)
        lines = log.output.splitlines()
        self.assertEqual(1, len(lines), lines)
        self.assertIn(compat.tested_range(), lines[0])
        self.assertIn('nova 35', lines[0])
        # NOTE(xmlhooks): the compute registered its node as usual.
        self.assertEqual(1, len(self.admin_api.api_get(
            '/os-hypervisors').body['hypervisors']))

    def test_bad_xpath_in_profile(self):
        self.write_profile('good.yaml', GOOD)
        path = self.write_profile('broken.yaml', """
broken:
  xml:
    - ./features/pmu/@state=off
    - ./devices/disk[[1]]/@cache=none
""")
        error = self.assert_refuses_to_start(
            exception.ProfileError, path, "profile 'broken'",
            "entry 'xml[1]'", 'is invalid')
        self.assertEqual('broken', error.profile)

    def test_bad_spec_in_profile(self):
        path = self.write_profile('broken.yaml', """
broken:
  specs:
    xmlhooks:nosuch:key: 'on'
""")
        self.assert_refuses_to_start(
            exception.ProfileError, path, "profile 'broken'",
            "entry 'xmlhooks:nosuch:key'", 'no customizer')

    def test_invalid_yaml(self):
        path = self.write_profile('broken.yaml', 'broken: [unclosed\n')
        self.assert_refuses_to_start(exception.ProfileError, path,
                                     'not valid YAML')

    def test_unknown_field(self):
        path = self.write_profile('broken.yaml', """
broken:
  xlm:
    - ./features/pmu/@state=off
""")
        self.assert_refuses_to_start(exception.ProfileError, path,
                                     "profile 'broken'", "entry 'xlm'")

    def test_profile_defined_twice(self):
        self.write_profile('a.yaml', GOOD)
        path = self.write_profile('b.yaml', GOOD)
        self.assert_refuses_to_start(exception.ProfileError, path,
                                     "profile 'good'", 'already defined')

    def test_missing_customizer(self):
        self.flags(customizers=['xml', 'doesnotexist'], group='xmlhooks')
        self.assert_refuses_to_start(exception.CustomizerLoadError,
                                     "'doesnotexist'",
                                     'nova_xmlhooks.customizers')

    def test_unknown_default_profile(self):
        self.write_profile('good.yaml', GOOD)
        self.flags(default_profiles=['good', 'absent'], group='xmlhooks')
        self.assert_refuses_to_start(exception.ProfileError,
                                     '[xmlhooks] default_profiles',
                                     "profile 'absent'")

    def test_bad_option_value_the_engine_does_not_read(self):
        # NOTE(xmlhooks): oslo.config checks a value when it is read;
        # preflight_asks_libvirt is only read by a hard reboot's
        # preflight, which each failed with oslo's error, while the
        # service started and said nothing.
        self.use_config_file('[xmlhooks]\npreflight_asks_libvirt = kinda\n')
        self.assert_refuses_to_start(
            exception.XmlHooksError, '[xmlhooks] preflight_asks_libvirt',
            "'kinda'")
