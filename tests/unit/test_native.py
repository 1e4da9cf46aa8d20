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
        self.assertIsNone(native.refused(connection, base.NATIVE_LIBVIRT,
                                         self.xml))
        (asked,) = connection.asked
        self.assertNotIn('<interface', asked)
        self.assertIn('<disk', asked)
        self.assertIn('fa:16:3e:00:00:01', self.xml)

    def test_refused_on_one_line(self):
        connection = base.NativeConnection('sockets="3"')
        xml = self.xml.replace('sockets="2"', 'sockets="3"')
        self.assertEqual(REFUSED,
                         native.refused(connection, base.NATIVE_LIBVIRT, xml))

    def test_refusal_only_where_nova_passes(self):
        new = self.xml.replace('sockets="2"', 'sockets="3"')
        connection = base.NativeConnection('sockets="3"')
        self.assertEqual(REFUSED, native.refusal(
            connection, base.NATIVE_LIBVIRT, self.xml, new))
        self.assertEqual(2, len(connection.asked))
        # Both refused: not the rules' doing.
        connection = base.NativeConnection('<disk')
        self.assertIsNone(native.refusal(connection, base.NATIVE_LIBVIRT,
                                         self.xml, new))

    def test_without_unasked_keeps_a_document_without_any(self):
        xml = base.nova_xml()
        self.assertIs(xml, native.without_unasked(xml))

    def test_passthrough_tpm_is_not_asked_about(self):
        # NOTE(xmlhooks): libvirt 9.0 opens the host's TPM read-write for
        # a document with a passthrough TPM; an emulated one stays.
        tpms = ('<tpm model="tpm-tis"><backend type="passthrough">'
                '<device path="/dev/tpm0"/></backend></tpm>'
                '<tpm model="tpm-crb"><backend type="emulator" '
                'version="2.0"/></tpm>')
        connection = base.NativeConnection('/dev/tpm0')
        xml = self.xml.replace('</devices>', tpms + '</devices>')
        self.assertIsNone(native.refused(connection, base.NATIVE_LIBVIRT,
                                         xml))
        (asked,) = connection.asked
        self.assertNotIn('passthrough', asked)
        self.assertIn('type="emulator"', asked)


class AnswerTest(base.TestCase):
    """Only an error libvirt reports for a definition refuses it."""

    libvirt = base.NATIVE_LIBVIRT
    #: (code, domain) of libvirt's errors refusing a definition
    REFUSALS = ((67, 10), (67, 20), (27, 20), (35, 20), (1, 10), (84, 10),
                (8, 10), (66, 20), (49, 20), (50, 20))
    #: (code, domain) of libvirt's errors that say nothing of it: a
    #: driver without the call, a read-only connection, a host error,
    #: an invalid connection, the RPC client's closed socket
    NO_ANSWERS = ((3, 10), (29, 20), (38, 10), (6, 20), (1, 7), (1, 13),
                  (38, 7))

    def setUp(self):
        super().setUp()
        self.nova = base.nova_xml()
        self.new = self.nova.replace('sockets="2"', 'sockets="3"')

    def test_refusals(self):
        for code, domain in self.REFUSALS:
            connection = base.NativeConnection('sockets="3"', code=code,
                                               domain=domain)
            self.assertEqual(REFUSED, native.refusal(
                connection, self.libvirt, self.nova, self.new))
            self.assertTrue(native.refuses(connection, self.libvirt,
                                           self.new))

    def test_no_answer_is_not_a_refusal(self):
        for code, domain in self.NO_ANSWERS:
            connection = base.NativeConnection('sockets="3"', code=code,
                                               domain=domain)
            error = self.assertRaises(
                native.NotAnswered, native.refusal, connection,
                self.libvirt, self.nova, self.new)
            self.assertEqual(REFUSED, str(error))
            self.assertFalse(native.refuses(connection, self.libvirt,
                                            self.new))

    def test_new_unanswered_current_answered(self):
        # NOTE(xmlhooks): the first question failed (the connection
        # dropped, say) and the second was answered: the customised XML
        # was not refused, whatever Nova's own gets.
        connection = base.NativeConnection('sockets="3"', code=1, domain=7)
        self.assertRaises(native.NotAnswered, native.refusal, connection,
                          self.libvirt, self.nova, self.new)
        self.assertEqual(1, len(connection.asked))

    def test_a_libvirt_without_a_code_name_refuses_nothing_by_it(self):
        # nova's fake libvirt has no VIR_ERR_NO_STORAGE_VOL.
        libvirt = type('libvirt', (), {'libvirtError': base.NativeError,
                                       'VIR_ERR_XML_ERROR': 27})
        connection = base.NativeConnection('sockets="3"', code=50)
        self.assertRaises(native.NotAnswered, native.refused, connection,
                          libvirt, self.new)
        connection = base.NativeConnection('sockets="3"', code=27)
        self.assertEqual(REFUSED, native.refused(connection, libvirt,
                                                 self.new))
