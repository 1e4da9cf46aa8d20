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

"""Sizes as ``nova-xmlhooks show`` prints them."""

import os
import re
import shutil
import subprocess

import fixtures
from oslotest import base as oslo_base

from nova_xmlhooks.cmd import disk_info

KIB = 1024
MIB = KIB * 1024
GIB = MIB * 1024
#: sizes around the points where the unit changes
SIZES = (0, 999, 1000, 1023, KIB, 1000 * KIB - 512, 1000 * KIB,
         1023 * KIB + 512, MIB, 1000 * MIB, 20 * GIB, 999 * GIB,
         1000 * GIB, 4 * 1024 * GIB)


class HumanSizeTest(oslo_base.BaseTestCase):

    def test_never_scientific(self):
        for size in SIZES + (2 ** 50, 1000 * 2 ** 50, 2 ** 60, 2 ** 64 - 1):
            text = disk_info.human_size(size)
            self.assertNotIn('e+', text, size)
            self.assertRegex(text, r'^[0-9.]+ (B|[KMGTPE]iB)$')

    def test_units(self):
        self.assertEqual('999 B', disk_info.human_size(999))
        self.assertEqual('0.977 KiB', disk_info.human_size(1000))
        self.assertEqual('0.977 MiB', disk_info.human_size(1000 * KIB))
        self.assertEqual('0.976 MiB', disk_info.human_size(1000 * KIB - 512))
        self.assertEqual('1 GiB', disk_info.human_size(GIB))
        self.assertEqual('1 PiB', disk_info.human_size(2 ** 50))
        self.assertEqual('16 EiB', disk_info.human_size(2 ** 64 - 1))
        self.assertEqual('?', disk_info.human_size(None))

    def test_same_as_qemu_img(self):
        qemu_img = shutil.which(disk_info.QEMU_IMG)
        if qemu_img is None:
            self.skipTest('qemu-img is not installed')
        tempdir = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tempdir, 'disk.qcow2')
        for size in SIZES:
            if size % 512:
                # NOTE(xmlhooks): qemu-img rounds an image's size up to
                # whole sectors.
                continue
            subprocess.run([qemu_img, 'create', '-q', '-f', 'qcow2', path,
                            str(size)], check=True, timeout=60)
            info = subprocess.run(
                [qemu_img, 'info', '--output=human', path],
                check=True, timeout=60, capture_output=True,
                text=True).stdout
            match = re.search(r'^virtual size: (.+?) \((\d+) bytes\)$',
                              info, re.M)
            self.assertIsNotNone(match, info)
            self.assertEqual(size, int(match.group(2)))
            if 'e+' in match.group(1):
                # NOTE(xmlhooks): qemu-img's own "1e+03 KiB", which
                # human_size words as the next unit.
                self.assertEqual(1000 * KIB - 512, size)
                continue
            self.assertEqual(match.group(1), disk_info.human_size(size))
