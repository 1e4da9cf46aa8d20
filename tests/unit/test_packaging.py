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

import glob
from importlib import metadata
import os
import subprocess
import sys
import zipfile

import fixtures
from oslotest import base as oslo_base

TOP = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


class WheelTest(oslo_base.BaseTestCase):
    """The built wheel ships the shim but none of nova's own files."""

    def test_wheel_contents(self):
        if not os.path.isdir(os.path.join(TOP, '.git')):
            self.skipTest('pbr needs the git checkout to build a wheel')
        out = self.useFixture(fixtures.TempDir()).path
        subprocess.run(
            [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q',
             '-w', out, TOP],
            check=True, capture_output=True)
        wheel, = glob.glob(os.path.join(out, 'nova_xmlhooks-*.whl'))
        names = zipfile.ZipFile(wheel).namelist()
        self.assertIn('nova/virt/xmlhooks.py', names)
        self.assertIn('nova_xmlhooks/driver.py', names)
        self.assertEqual(['nova/virt/xmlhooks.py'],
                         [n for n in names if n.startswith('nova/')])
        entry_points = [n for n in names if n.endswith('entry_points.txt')]
        self.assertEqual(1, len(entry_points))
        text = zipfile.ZipFile(wheel).read(entry_points[0]).decode()
        self.assertIn('[nova.api.extra_spec_validators]', text)
        self.assertIn('[oslo.config.opts]', text)
        # NOTE(xmlhooks): the examples must never land in a directory the
        # driver loads by default (one of them needs allow_sensitive).
        examples = sorted(
            os.path.basename(n) for n in names
            if '.data/data/share/nova-xmlhooks/examples/' in n)
        self.assertEqual(
            sorted(os.listdir(os.path.join(TOP, 'etc', 'xmlhooks.d'))),
            examples)
        self.assertEqual([], [n for n in names if '/etc/nova/' in n])


class InstalledFilesTest(oslo_base.BaseTestCase):
    """What pip installed: the shim, and none of nova's own files.

    NOTE(xmlhooks): tox installs the package (not editable) into a fresh
    virtualenv next to nova, so this reads the real installed RECORD.
    "pip uninstall nova-xmlhooks" removes exactly these files, which is
    why nova/__init__.py must never be among them.
    """

    def test_installed_record(self):
        try:
            dist = metadata.distribution('nova-xmlhooks')
        except metadata.PackageNotFoundError:
            self.skipTest('nova-xmlhooks is not installed')
        files = [str(f) for f in dist.files]
        self.assertEqual(['nova/virt/xmlhooks.py'],
                         [f for f in files if f.startswith('nova/')])
        self.assertIn('nova_xmlhooks/driver.py', files)
