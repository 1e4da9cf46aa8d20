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

"""What the guard's disk categories stop, on a real libvirt and QEMU.

Everything under a disk is what the disk is, and its format says how
bytes the guest controls are read. Each test customises Nova's own XML
with the red team's rules both ways: refused by default (nothing reaches
libvirt), and, when the operator allows the categories, defined and
started, to show what libvirt and QEMU really do with the change.
"""

import os
import socket
import subprocess
import time

import fixtures
from lxml import etree

from nova_xmlhooks import exception
from tests.libvirt import base

try:
    import libvirt
    import libvirt_qemu
except ImportError:  # pragma: no cover - depends on the host
    libvirt = None
    libvirt_qemu = None

#: bytes no image has by chance, at the start of what the guest must not
#: see
MARKER = b'XMLHOOKS-GUARD-MARKER'
#: how long qemu-nbd may take to listen
NBD_START_SECONDS = 10
#: the first disk's block device in QEMU, and QEMU's log
DISK_QOM = '/machine/peripheral/virtio-disk0/virtio-backend'
QEMU_LOG = '/var/log/libvirt/qemu/%s.log'


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _write_image(path, size=1024 * 1024):
    """A raw image that starts with the marker."""
    with open(path, 'wb') as handle:
        handle.write(MARKER)
        handle.truncate(size)


class NbdServer(fixtures.Fixture):
    """``qemu-nbd`` serving a raw image, read-only, on loopback.

    :ivar port: the TCP port it listens on
    """

    def __init__(self, image):
        super().__init__()
        self.image = image
        self.port = None

    def _setUp(self):
        self.port = _free_port()
        process = subprocess.Popen(
            ['qemu-nbd', '--read-only', '--persistent', '--shared=4',
             '--format=raw', '--bind=127.0.0.1', '--port=%d' % self.port,
             self.image], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.addCleanup(process.wait)
        self.addCleanup(process.terminate)
        deadline = time.monotonic() + NBD_START_SECONDS
        while True:
            try:
                socket.create_connection(('127.0.0.1', self.port),
                                         timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)


class ImageGuest(base.Guest):
    """A guest whose first disk is a given image.

    The tier adapts every disk to an image of its own; this puts the
    test's image back as the first disk's source, and keeps the format
    the customised XML states (the tier would write ``qcow2``).
    """

    def __init__(self, conn, xml, workdir, image):
        super().__init__(conn, xml, workdir)
        (disk_format,) = base.xpath(xml, './devices/disk[1]/driver/@type')
        root = etree.fromstring(self.xml.encode())
        disk = root.find('devices/disk')
        disk.find('source').set('file', image)
        disk.find('driver').set('type', disk_format)
        self.xml = etree.tostring(root, encoding='unicode')


class GuardDiskTestCase(base.LibvirtTestCase):

    def read_disk(self, guest, length=64):
        """The first bytes the guest sees on its first disk.

        NOTE(xmlhooks): QEMU's qemu-io monitor command reads through the
        device the guest has, backing chain included, without an OS; it
        prints what it read on QEMU's standard error, which libvirt
        writes to the domain's log.
        """
        log = QEMU_LOG % guest.domain.name()
        start = os.path.getsize(log)
        libvirt_qemu.qemuMonitorCommand(
            guest.domain, 'qemu-io -d %s "read -v 0 %d"' % (DISK_QOM,
                                                            length),
            libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
        # NOTE(xmlhooks): virtlogd writes QEMU's output to the log on its
        # own time; qemu-io's last line says the read is all there.
        deadline = time.monotonic() + 30
        output = ''
        while 'bytes at offset' not in output and (
                time.monotonic() < deadline):
            time.sleep(0.05)
            with open(log, 'rb') as handle:
                handle.seek(start)
                output = handle.read().decode(errors='replace')
        data = bytearray()
        for line in output.splitlines():
            offset, sep, rest = line.partition(':  ')
            if sep and len(offset) == 8:
                data += bytes(int(byte, 16) for byte in rest.split()[:16])
        return bytes(data)

    def assertNotDefined(self, xml):
        name = base.xpath(xml, 'string(./name)')
        self.assertRaises(libvirt.libvirtError, self.conn.lookupByName, name)


class BackingChainTest(GuardDiskTestCase):

    def test_nbd_backing_chain_on_novas_disk(self):
        image = os.path.join(self.workdir, 'exported.raw')
        _write_image(image)
        server = self.useFixture(NbdServer(image))
        specs = {
            'xmlhooks:xml:chain1': './devices/disk/backingStore/@type=network',
            'xmlhooks:xml:chain2':
                './devices/disk/backingStore/source/@protocol=nbd',
            'xmlhooks:xml:chain3':
                './devices/disk/backingStore/source/host/@name=127.0.0.1',
            'xmlhooks:xml:chain4':
                './devices/disk/backingStore/source/host/@port=%d'
                % server.port,
            'xmlhooks:xml:chain5':
                './devices/disk/backingStore/format/@type=raw',
            'xmlhooks:xml:chain6':
                'xpath.create=./devices/disk/backingStore/backingStore'}
        xml = base.renamed(base.nova_xml('nova-basic'), self.guest_name())
        e = self.assertRaises(exception.GuardError,
                              self.engine().customize, xml, specs)
        self.assertEqual('host_paths', e.category)
        self.assertNotDefined(xml)

        _nova, customised = self.customize(specs, allow_sensitive=[
            'devices_passthrough', 'network_exposure', 'host_paths'])
        guest = self.run_guest(customised)
        # QEMU connects to the server and shows its bytes as the disk
        # Nova attached.
        servers = [node['server'] for node in base.json_options(
            guest.argv, '-blockdev') if node.get('driver') == 'nbd']
        self.assertEqual([{'type': 'inet', 'host': '127.0.0.1',
                           'port': str(server.port)}], servers)
        self.assertTrue(self.read_disk(guest).startswith(MARKER))


class ParkedLimitTest(GuardDiskTestCase):
    """Nova's disk limits, and a copy where libvirt reads nothing."""

    def test_libvirt_ignores_the_copy(self):
        xml = base.renamed(base.nova_xml('nova-basic'),
                           self.guest_name()).replace(
            '</disk>', '<iotune><total_iops_sec>500</total_iops_sec>'
                       '</iotune></disk>', 1)
        specs = {'xmlhooks:xml:a': 'xpath.delete=./devices/disk/iotune',
                 'xmlhooks:xml:b': './devices/memballoon/devices/disk/iotune'
                                   '/total_iops_sec=500'}
        e = self.assertRaises(exception.GuardError, self.engine(
            validate_schema=False).customize, xml, specs)
        self.assertEqual(('xmlhooks:xml:a', 'resources'),
                         (e.key, e.category))
        self.assertNotDefined(xml)

        customised = self.engine(allow_sensitive=['resources'],
                                 validate_schema=False).customize(xml, specs)
        guest = self.useFixture(base.Guest(self.conn, customised,
                                           self.workdir, start=False,
                                           validate=False))
        # libvirt defines it as Nova does, and the disk has no limit.
        limits = guest.domain.blockIoTune('vda',
                                          libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        self.assertEqual(0, limits['total_iops_sec'])
        self.assertEqual([], base.xpath(guest.defined_xml,
                                        './devices/disk/iotune'))


class FormatChangeTest(GuardDiskTestCase):

    def test_qcow2_header_in_a_raw_disk(self):
        # A root-only file on the host, and a raw disk in which the guest
        # wrote a qcow2 header that names it as a backing file.
        secret = os.path.join(self.workdir, 'root-only')
        _write_image(secret)
        os.chmod(secret, 0o600)
        disk = os.path.join(self.workdir, 'guest-disk.raw')
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F',
                        'raw', '-b', secret, disk, '1M'], check=True)
        specs = {'xmlhooks:xml:format': './devices/disk/driver/@type=qcow2'}
        xml = base.renamed(base.nova_xml('nova-basic'), self.guest_name())
        self.assertEqual(['raw'], base.xpath(xml,
                                             './devices/disk/driver/@type'))
        e = self.assertRaises(exception.GuardError,
                              self.engine().customize, xml, specs)
        self.assertEqual(('xmlhooks:xml:format', 'host_paths'),
                         (e.key, e.category))
        self.assertNotDefined(xml)
        self.assertEqual(0, os.stat(secret).st_uid)

        _nova, customised = self.customize(specs, allow_sensitive=[
            'host_paths', 'devices_passthrough'])
        guest = self.useFixture(ImageGuest(self.conn, customised,
                                           self.workdir, disk))
        # libvirt read the header, handed the root-only file to QEMU's
        # user, and the guest reads it as its disk.
        files = [node.get('filename') for node in base.json_options(
            guest.argv, '-blockdev')]
        self.assertIn(secret, files)
        self.assertNotEqual(0, os.stat(secret).st_uid)
        self.assertTrue(self.read_disk(guest).startswith(MARKER))
