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

"""What messages.py says about characters."""

from oslotest import base as oslo_base

from nova_xmlhooks import messages


def _xml_char(code):
    """XML 1.0's ``Char`` production, section 2.2 of the recommendation."""
    return (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF)


class NotXmlTest(oslo_base.BaseTestCase):

    def test_every_code_point(self):
        found = []
        for code in range(0x110000):
            if messages.not_xml(chr(code)) is not None:
                found.append(code)
        self.assertEqual([code for code in range(0x110000)
                          if not _xml_char(code)], found)

    def test_finds_the_first(self):
        match = messages.not_xml('ok\x01then\ud800')
        self.assertEqual(2, match.start())
        self.assertIsNone(messages.not_xml('caf\xe9 \U0001f600\t\n\r'))


class PrintableTest(oslo_base.BaseTestCase):

    def test_nothing_breaks_the_line(self):
        # NOTE(xmlhooks): every code point str.splitlines() breaks at.
        for code in range(0x110000):
            char = chr(code)
            if len(('a%sb' % char).splitlines()) > 1:
                self.assertEqual(1, len(('a%sb' % messages.printable(
                    char)).splitlines()), hex(code))

    def test_text_stays_as_it_is(self):
        self.assertEqual('caf\xe9 \U0001f600 a\\u2028b\\u202ec',
                         messages.printable('caf\xe9 \U0001f600 a\u2028b'
                                            '\u202ec'))
