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


class BackingChainTest(oslo_base.BaseTestCase):
    """qemu-img never guesses a format for show, on a real qemu-img."""

    def setUp(self):
        super().setUp()
        if shutil.which(disk_info.QEMU_IMG) is None:
            self.skipTest('qemu-img is not installed')
        self.tempdir = self.useFixture(fixtures.TempDir()).path
        # NOTE(xmlhooks): stands for a root-only host file.
        self.secret = self.path('secret')
        with open(self.secret, 'wb') as handle:
            handle.write(b'secret' * 1000)

    def path(self, name):
        return os.path.join(self.tempdir, name)

    def qemu_img(self, *argv):
        subprocess.run([disk_info.QEMU_IMG] + list(argv), check=True,
                       timeout=60, capture_output=True)

    def qcow2_over(self, name, backing, backing_format='raw'):
        path = self.path(name)
        self.qemu_img('create', '-q', '-f', 'qcow2', '-F', backing_format,
                      '-b', backing, path, '1M')
        return path

    def test_raw_disk_with_a_qcow2_header_is_raw(self):
        # A guest wrote a qcow2 header, naming a host file as its backing
        # file, at the start of its raw disk.
        header = self.qcow2_over('header.qcow2', self.secret)
        disk = self.path('disk')
        with open(header, 'rb') as source, open(disk, 'wb') as target:
            target.write(source.read())
            target.truncate(4 * 1024 * 1024)
        chain = disk_info.backing_chain(disk, 'raw')
        self.assertEqual([(disk, 'raw', None)],
                         [(layer.filename, layer.format, layer.backing_file)
                          for layer in chain])

    def test_chain_with_recorded_formats_is_followed(self):
        base = self.path('base')
        self.qemu_img('create', '-q', '-f', 'raw', base, '2M')
        middle = self.qcow2_over('middle', base)
        top = self.qcow2_over('top', middle, 'qcow2')
        chain = disk_info.backing_chain(top, 'qcow2')
        self.assertEqual([(top, 'qcow2', middle), (middle, 'qcow2', base),
                          (base, 'raw', None)],
                         [(layer.filename, layer.format, layer.backing_file)
                          for layer in chain])
        self.assertEqual(2 * MIB, chain[-1].virtual_size)
        self.assertIsNone(chain[-1].note)
        lines = disk_info.describe_layer(chain[0])
        self.assertEqual('%s: qcow2, virtual size 1 MiB, actual size %s'
                         % (top, disk_info.human_size(chain[0].actual_size)),
                         lines[0])
        self.assertEqual('  backing file: %s (qcow2)' % middle, lines[1])

    def test_backing_file_without_a_recorded_format_is_not_opened(self):
        # NOTE(xmlhooks): the qcow2 file below the overlay would make a
        # probing qemu-img open the secret.
        below = self.qcow2_over('below', self.secret)
        top = self.qcow2_over('top', below, 'qcow2')
        with open(top, 'r+b') as handle:
            data = handle.read(4096)
            # The backing format header extension becomes an unknown
            # extension, which qemu-img skips: no format is recorded.
            offset = data.index(bytes.fromhex('e2792aca'))
            handle.seek(offset)
            handle.write(bytes.fromhex('7fffffff'))
        probed = subprocess.run(
            [disk_info.QEMU_IMG, 'info', '--backing-chain', '-f', 'qcow2',
             '--output=json', '-U', top], check=True, timeout=60,
            capture_output=True, text=True).stdout
        self.assertIn(self.secret, probed)
        chain = disk_info.backing_chain(top, 'qcow2')
        self.assertEqual([top], [layer.filename for layer in chain])
        self.assertEqual(below, chain[0].backing_file)
        self.assertIsNone(chain[0].backing_format)
        self.assertIn('qemu-img would have to guess it', chain[0].note)
        self.assertIn('backing file not followed: its format is not '
                      'recorded', '\n'.join(
                          disk_info.describe_layer(chain[0])))

    def test_format_must_come_from_the_domain(self):
        for fmt in (None, 'iso', 'raw,file.driver=nbd'):
            self.assertRaisesRegex(disk_info.DiskInfoError, 'not opened',
                                   disk_info.backing_chain, self.secret, fmt)

    def test_file_name_is_never_a_protocol(self):
        path = self.path('nbd:localhost:10809')
        self.qemu_img('create', '-q', '-f', 'raw', path, '1M')
        chain = disk_info.backing_chain(path, 'raw')
        self.assertEqual([(path, 'raw')],
                         [(layer.filename, layer.format) for layer in chain])
