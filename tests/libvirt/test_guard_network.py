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

"""What an interface's MTU does to the host, on a real libvirt and Linux.

Nova plugs a port into a bridge on the host, and writes the network's
MTU for it. libvirt gives the guest's tap device that MTU before adding
it to the bridge; a Linux bridge then takes the smallest MTU of its
ports, for every guest on it and for the host's own traffic.
"""

import subprocess
import uuid

from lxml import etree

from nova_xmlhooks import exception
from tests.libvirt import base

#: a port as Nova writes it for a Linux bridge, on a network of MTU 1500
_PORT = ('<interface type="bridge"><mac address="fa:16:3e:11:22:33"/>'
         '<model type="virtio"/><source bridge="%(bridge)s"/>'
         '<mtu size="1500"/><target dev="%(tap)s"/></interface>')


def _mtu(device):
    with open('/sys/class/net/%s/mtu' % device) as handle:
        return int(handle.read())


class BridgedGuest(base.Guest):
    """A guest whose interfaces stay as the customised XML has them.

    The tier makes every interface user-mode networking; this puts the
    customised XML's interfaces back.
    """

    def __init__(self, conn, xml, workdir):
        super().__init__(conn, xml, workdir)
        root = etree.fromstring(self.xml.encode())
        devices = root.find('devices')
        for interface in devices.findall('interface'):
            devices.remove(interface)
        for interface in etree.fromstring(xml.encode()).iterfind(
                'devices/interface'):
            devices.append(interface)
        self.xml = etree.tostring(root, encoding='unicode')


class BridgeMtuTest(base.LibvirtTestCase):

    def setUp(self):
        super().setUp()
        # NOTE(xmlhooks): names of at most 15 bytes, unique per test.
        suffix = uuid.uuid4().hex[:8]
        self.bridge, self.tap = 'xhbr' + suffix, 'xhtap' + suffix
        subprocess.run(['ip', 'link', 'add', self.bridge, 'type', 'bridge'],
                       check=True)
        self.addCleanup(subprocess.run, ['ip', 'link', 'del', self.bridge],
                        check=True)
        subprocess.run(['ip', 'link', 'set', self.bridge, 'up'], check=True)
        self.xml = base.renamed(base.nova_xml('nova-basic'),
                                self.guest_name()).replace(
            '<devices>', '<devices>' + _PORT % {'bridge': self.bridge,
                                                'tap': self.tap}, 1)

    def test_a_smaller_mtu_lowers_the_hosts_bridge(self):
        specs = {'xmlhooks:xml:mtu': './devices/interface/mtu/@size=576'}
        e = self.assertRaises(exception.GuardError,
                              self.engine().customize, self.xml, specs)
        self.assertEqual(('xmlhooks:xml:mtu', 'host_resources'),
                         (e.key, e.category))

        customised = self.engine(
            allow_sensitive=['host_resources']).customize(self.xml, specs)
        self.assertEqual(1500, _mtu(self.bridge))
        self.useFixture(BridgedGuest(self.conn, customised, self.workdir))
        # libvirt gave the tap the rule's MTU, and the host's bridge took
        # it: every other port on it and the host's own traffic too.
        self.assertEqual((576, 576), (_mtu(self.tap), _mtu(self.bridge)))
