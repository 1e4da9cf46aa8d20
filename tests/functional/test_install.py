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

"""Installing the package next to a series' nova changes nothing of nova's.

NOTE(xmlhooks): the functional suite runs in a virtualenv holding the nova
of one supported series under that series' upper constraints (tox -e
functional-<series>). Here pip is asked, as an operator would ask it and
without constraints, what ``pip install .`` would install there: only the
project itself, never another nova, nor anything nova depends on.
"""

import json
import os
import subprocess
import sys

import fixtures
from oslotest import base as oslo_base

from tests.functional import compat

TOP = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


class InstallTest(oslo_base.BaseTestCase):

    def test_pip_install_keeps_the_series_nova(self):
        if not os.path.exists(os.path.join(TOP, '.git')):
            self.skipTest('pbr needs the git checkout to build the package')
        tmp = self.useFixture(fixtures.TempDir()).path
        report = os.path.join(tmp, 'report.json')
        subprocess.run(
            [sys.executable, '-m', 'pip', 'install', '--dry-run', '--quiet',
             '--disable-pip-version-check', '--report', report, TOP],
            check=True, capture_output=True, text=True)
        with open(report) as handle:
            installs = json.load(handle)['install']
        names = sorted(item['metadata']['name'].lower().replace('_', '-')
                       for item in installs)
        self.assertEqual(['nova-xmlhooks'], names,
                         'pip would also install these next to nova %s'
                         % compat.NOVA_VERSION)
