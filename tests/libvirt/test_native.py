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

"""What asking the real libvirt about a definition does on the host."""

import ctypes
import os

from nova_xmlhooks import native
from tests.libvirt import base

try:
    import libvirt
except ImportError:  # pragma: no cover - depends on the host
    libvirt = None

#: inotify's event for a file opened (linux/inotify.h)
IN_OPEN = 0x20


class OpenWatch:
    """Whether a file is opened, through inotify."""

    def __init__(self, path):
        """Start watching.

        :param path: the file
        """
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK)
        if self.fd < 0 or self.libc.inotify_add_watch(
                self.fd, os.fsencode(path), IN_OPEN) < 0:
            raise OSError(ctypes.get_errno(), 'inotify')

    def opened(self):
        """Whether the file was opened since the watch started."""
        try:
            return bool(os.read(self.fd, 4096))
        except BlockingIOError:
            return False
        finally:
            os.close(self.fd)


class NativeTest(base.LibvirtTestCase):

    def test_passthrough_tpm_device_is_not_opened(self):
        """libvirt opens a passthrough TPM's device when asked about it.

        libvirt 9.0's virConnectDomainXMLToNative opens the device of a
        passthrough TPM read-write, as it would to hand it to QEMU: the
        host's TPM, which one process at a time may open and which the
        guest being rebooted holds. It is left out of what libvirt is
        asked; the rest is still asked about (the topology it refuses,
        which it does before it would open the device).
        """
        device = os.path.join(self.workdir, 'tpm0')
        open(device, 'w').close()
        xml = base.adapt_for_host(base.nova_xml(), self.workdir, start=False)
        xml = xml.replace(
            '</devices>', '<tpm model="tpm-tis"><backend type="passthrough">'
            '<device path="%s"/></backend></tpm></devices>' % device)
        watch = OpenWatch(device)
        self.assertIsNone(native.refused(self.conn, libvirt, xml))
        self.assertFalse(watch.opened())
        reason = native.refused(self.conn, libvirt, xml.replace(
            'sockets="2"', 'sockets="3"'))
        self.assertIn("CPU topology doesn't match", reason)
