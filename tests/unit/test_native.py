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

"""What libvirt is asked about a domain XML, and what is made of it."""

from nova_xmlhooks import native
from tests.unit import base

#: an interface as Nova writes one for an OVS port
_INTERFACE = ('<interface type="ethernet"><mac address="fa:16:3e:00:00:01"/>'
              '<model type="virtio"/><target dev="tap0123abcd-ef"/>'
              '</interface>')
#: libvirt's message for a refused document, on one line
REFUSED = 'unsupported configuration: refused for sockets="3"'


class NativeTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml().replace('<devices>',
                                           '<devices>' + _INTERFACE, 1)

    def test_interfaces_are_not_asked_about(self):
        # NOTE(xmlhooks): libvirt 9.0 opens a tap device on the host for
        # each interface of a document it turns into QEMU's command line.
        connection = base.NativeConnection('sockets="3"')
        self.assertIsNone(native.refused(connection, base.NativeError,
                                         self.xml))
        (asked,) = connection.asked
        self.assertNotIn('<interface', asked)
        self.assertIn('<disk', asked)
        self.assertIn('fa:16:3e:00:00:01', self.xml)

    def test_refused_on_one_line(self):
        connection = base.NativeConnection('sockets="3"')
        xml = self.xml.replace('sockets="2"', 'sockets="3"')
        self.assertEqual(REFUSED,
                         native.refused(connection, base.NativeError, xml))

    def test_refusal_only_where_nova_passes(self):
        new = self.xml.replace('sockets="2"', 'sockets="3"')
        connection = base.NativeConnection('sockets="3"')
        self.assertEqual(REFUSED, native.refusal(
            connection, base.NativeError, self.xml, new))
        self.assertEqual(2, len(connection.asked))
        # Both refused: not the rules' doing.
        connection = base.NativeConnection('<disk')
        self.assertIsNone(native.refusal(connection, base.NativeError,
                                         self.xml, new))

    def test_without_interfaces_keeps_a_document_without_any(self):
        xml = base.nova_xml()
        self.assertIs(xml, native.without_interfaces(xml))
