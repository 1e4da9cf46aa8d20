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

"""Guest memory that shared access puts in a host file.

``<memoryBacking>`` is ``resources``, as placement counts the guest's
memory; but ``<access mode='shared'/>`` also makes libvirt back the
guest's memory with a file in qemu.conf's ``memory_backing_dir``, which
QEMU maps shared: the guest's writes go back to a file on the host,
outside placement (``host_resources``).
"""

from nova_xmlhooks import exception
from tests.libvirt import base

#: libvirt's default ``memory_backing_dir``
MEMORY_BACKING_DIR = '/var/lib/libvirt/qemu/ram/'
_SPECS = {'xmlhooks:xml:shared':
          "xpath.create=./memoryBacking/access[@mode='shared']"}


def _shared_maps(maps):
    """The files a process maps shared, from ``/proc/<pid>/maps``.

    :param maps: the lines of the maps file
    :returns: a set of paths
    """
    found = set()
    for line in maps:
        fields = line.split(None, 5)
        if len(fields) == 6 and fields[1].endswith('s'):
            found.add(fields[5].strip())
    return found


class SharedMemoryTest(base.LibvirtTestCase):

    def test_shared_memory_is_a_host_file(self):
        e = self.assertRaises(exception.GuardError, self.customize, _SPECS,
                              allow_sensitive=['resources'])
        self.assertEqual('host_resources', e.category)
        self.assertIn('memoryBacking/access', e.format_message())
        guest = self.boot(_SPECS,
                          allow_sensitive=['resources', 'host_resources'])
        backends = [props for props in base.json_options(guest.argv,
                                                         '-object')
                    if props.get('qom-type') == 'memory-backend-file']
        self.assertEqual(1, len(backends), guest.argv)
        (backend,) = backends
        self.assertIs(True, backend.get('share'))
        path = backend['mem-path']
        self.assertTrue(path.startswith(MEMORY_BACKING_DIR), path)
        # The guest's memory, mapped shared from that file by QEMU.
        self.assertIn(path, _shared_maps(guest.read_proc('maps')[0]
                                         .splitlines()))
