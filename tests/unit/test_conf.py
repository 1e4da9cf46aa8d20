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

from oslotest import base as oslo_base


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
