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

"""``nova-xmlhooks render`` on a domain XML with a DOCTYPE."""

from tests.unit.cmd import base

CLOCK = 'xmlhooks:xml:clock=./clock/@offset=localtime'


class RenderDoctypeTest(base.CommandTestCase):

    def test_entities_refused_in_one_line(self):
        # NOTE(xmlhooks): this printed XML with '&co;' still in it and the
        # DOCTYPE that defines it gone, and exited 0.
        xml = ('<!DOCTYPE domain [<!ENTITY co "ACME">]>\n'
               + self.nova_xml().replace(
                   '<devices>', '<description>&co;</description><devices>'))
        path = self.write_xml(xml, 'entities.xml')
        for output in ('diff', 'xml'):
            status, out, err = self.run_command(
                'render', '--xml', path, '--spec', CLOCK, '--output', output)
            self.assertEqual(1, status)
            self.assertEqual('', out)
            self.assertOneLineError(err, 'entities.xml',
                                    'document type declaration')

    def test_doctype_without_entities_refused(self):
        path = self.write_xml('<!DOCTYPE domain>\n' + self.nova_xml(),
                              'doctype.xml')
        status, out, err = self.run_command('render', '--xml', path)
        self.assertEqual((1, ''), (status, out))
        self.assertOneLineError(err, 'doctype.xml', '<!DOCTYPE>')
