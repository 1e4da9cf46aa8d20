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

import os

from lxml import etree

from nova_xmlhooks.customizers import smbios
from nova_xmlhooks import metadata
from tests.unit import base
from tests.unit import customizers

NOVA_NS = {'nova': metadata.NOVA_NS}
#: BIOS dates, and whether libvirt 9.0 defines a guest with them
#: (virSysinfoBIOSParseXML; tests/libvirt asks libvirt itself)
BIOS_DATES = (
    ('12/31/2024', True), ('01/02/99', True), ('1/2/2020', True),
    ('1/2/0', True), ('01/01/1900', True), ('12/31/99999', True),
    (' 1/+2/ 2020', True), ('001/002/02020', True), ('1/2/-0', True),
    ('01/01/1000', False), ('01/01/100', False), ('12/31/1899', False),
    ('13/01/2024', False), ('0/01/2024', False), ('01/32/2024', False),
    ('01/00/2024', False), ('1/2/-1', False), ('1/2/2020 ', False),
    ('1 /2/2020', False), ('1/2', False), ('1/2/3/4', False),
    ('2024-12-31', False), ('12/1a/2024', False), ('1/2/+', False),
    ('1/2/2147483648', False), ('1/2/2147483647', True),
    ('4294967297/2/2020', False), ('1/2/0x10', False),
)


class SmbiosTest(customizers.CustomizerTests, base.TestCase):

    FAMILY = 'smbios'
    GOOD = tuple(
        [('xmlhooks:smbios:%s.%s' % (section, field), 'x')
         for section, fields in smbios.FIELDS.items() for field in fields
         if (section, field) not in (('bios', 'date'), ('bios', 'release'))]
        + [('xmlhooks:smbios:bios.date', '12/31/2024'),
           ('xmlhooks:smbios:bios.date', '01/02/99'),
           ('xmlhooks:smbios:bios.release', '1.22'),
           ('xmlhooks:smbios:bios.release', '255.0'),
           # the characters next to the noncharacters are ordinary
           ('xmlhooks:smbios:system.serial', 'a\ufffd\U0001fffd\u00fe'),
           ('xmlhooks:smbios:oem.0', 'licence={instance_uuid}'),
           ('xmlhooks:smbios:oem.999', 'x'),
           ('xmlhooks:smbios:system.serial',
            '{instance_uuid}/{instance_name}/{flavor_name}/{hostname}'),
           ('xmlhooks:smbios:chassis.asset', 'x' * 255)])
    BAD = (
        ('xmlhooks:smbios:system.uuid', 'x'),
        ('xmlhooks:smbios:chassis.product', 'x'),
        ('xmlhooks:smbios:baseBoard.manufacturer', 'x'),
        ('xmlhooks:smbios:memory.size', 'x'),
        ('xmlhooks:smbios:bios.date', '2024-12-31'),
        ('xmlhooks:smbios:bios.date', '13/01/2024'),
        ('xmlhooks:smbios:bios.release', '1'),
        ('xmlhooks:smbios:bios.release', '1a.2'),
        ('xmlhooks:smbios:bios.release', '256.1'),
        # a lone surrogate, and Unicode's noncharacters U+xFFFE and U+xFFFF
        ('xmlhooks:smbios:system.serial', 'a\ud800'),
        ('xmlhooks:smbios:system.serial', 'a\ufffe'),
        ('xmlhooks:smbios:system.serial', 'a\uffff'),
        ('xmlhooks:smbios:system.serial', 'a\U0010fffe'),
        ('xmlhooks:smbios:system.serial', 'a\U0001ffff'),
        ('xmlhooks:smbios:bios.release', '1.300'),
        ('xmlhooks:smbios:bios.date', '12/1a/2024'),
        ('xmlhooks:smbios:bios.vendor', ''),
        ('xmlhooks:smbios:system.serial', '{uuid}'),
        ('xmlhooks:smbios:system.serial', '{instance_uuid'),
        ('xmlhooks:smbios:system.serial', 'a}b'),
        ('xmlhooks:smbios:system.serial', '{{instance_uuid}}'),
        ('xmlhooks:smbios:system.serial', '{instance_uuid!r}'),
        ('xmlhooks:smbios:system.serial', 'a\x00b'),
        ('xmlhooks:smbios:system.serial', 'a\nb'),
        ('xmlhooks:smbios:system.serial', 'a\x7f'),
        ('xmlhooks:smbios:system.serial', 'a\u202eb'),
        ('xmlhooks:smbios:system.serial', 'a\ud800b'),
        ('xmlhooks:smbios:oem.x', 'x'),
        ('xmlhooks:smbios:oem.1000', 'x'),
        ('xmlhooks:smbios:oemX1', 'x'),
    )

    def test_fields_are_libvirts(self):
        # NOTE(xmlhooks): the examples above are built from FIELDS, so
        # they cannot notice a field left out; libvirt's schema can.
        path = os.path.join(os.path.dirname(self.conf.xmlhooks.schema_path),
                            'domaincommon.rng')
        if not os.path.exists(path):
            self.skipTest('no libvirt schema at %s' % path)
        rng = etree.parse(path)
        ns = {'rng': 'http://relaxng.org/ns/structure/1.0'}
        for section, element in smbios._ELEMENTS.items():
            names = rng.xpath(
                "//rng:define[@name='sysinfo-%s-name']//rng:value/text()"
                % element, namespaces=ns)
            expected = set(names) - ({'uuid'} if section == 'system'
                                     else set())
            self.assertEqual(expected, set(smbios.FIELDS[section]), section)

    def test_bios_date_is_what_libvirt_accepts(self):
        for value, accepted in BIOS_DATES:
            with self.subTest(value=value):
                self.assertEqual(accepted, smbios.is_bios_date(value))
                if not accepted:
                    self.assertRefused('xmlhooks:smbios:bios.date', value,
                                       'the year 0 to 99 or 1900 and later')
                    continue
                out = self.customize({'xmlhooks:smbios:bios.date': value})
                self.assertEqual([value], self.xpath(
                    out, "./sysinfo/bios/entry[@name='date']/text()"))

    def test_parse_checks_the_key_on_its_own(self):
        # NOTE(xmlhooks): nova-xmlhooks audit parses the keys of a domain's
        # record, which may have been edited by hand, without matching
        # them against the declarations first.
        parse = self.engine.customizers['smbios'].parse
        for key, reason in (
                ('xmlhooks:smbios:oem.x', 'position must be a number'),
                ('xmlhooks:smbios:oem.\u0663', 'position must be a number'),
                ('xmlhooks:smbios:memory.size', 'unknown SMBIOS section')):
            error = self.assertRaises(ValueError, parse, key, 'x')
            self.assertIn(reason, str(error))

    def test_overrides_novas_entry(self):
        xml = base.nova_xml(self.FIXTURE)
        self.assertEqual(1, len(self.xpath(
            xml, "./sysinfo/system/entry[@name='manufacturer']")))
        out = self.customize({'xmlhooks:smbios:system.manufacturer': 'ACME',
                              'xmlhooks:smbios:system.product': 'Rocket'})
        self.assertEqual(['ACME'], self.xpath(
            out, "./sysinfo/system/entry[@name='manufacturer']/text()"))
        self.assertEqual(['Rocket'], self.xpath(
            out, "./sysinfo/system/entry[@name='product']/text()"))
        self.assertEqual(len(self.xpath(xml, './sysinfo/system/entry')),
                         len(self.xpath(out, './sysinfo/system/entry')))
        self.assertEqual(1, len(self.xpath(out, './sysinfo')))
        # NOTE(xmlhooks): libvirt refuses an SMBIOS UUID that differs.
        self.assertEqual(self.xpath(xml, './uuid/text()'), self.xpath(
            out, "./sysinfo/system/entry[@name='uuid']/text()"))

    def test_sections_are_created_with_libvirts_names(self):
        out = self.customize({
            'xmlhooks:smbios:baseboard.manufacturer': 'ACME',
            'xmlhooks:smbios:baseboard.serial': 'BB-1',
            'xmlhooks:smbios:chassis.asset': 'rack-7',
            'xmlhooks:smbios:bios.vendor': 'ACME BIOS',
            'xmlhooks:smbios:bios.date': '12/31/2024'})
        self.assertEqual(['ACME', 'BB-1'], self.xpath(
            out, './sysinfo/baseBoard/entry/text()'))
        self.assertEqual(['rack-7'], self.xpath(
            out, "./sysinfo/chassis/entry[@name='asset']/text()"))
        self.assertEqual(['12/31/2024'], self.xpath(
            out, "./sysinfo/bios/entry[@name='date']/text()"))

    def test_placeholders_are_filled_from_the_xml(self):
        xml = base.nova_xml(self.FIXTURE)
        uuid = self.xpath(xml, './uuid/text()')[0]
        out = self.customize({
            'xmlhooks:smbios:system.serial': 'srv-{instance_uuid}',
            'xmlhooks:smbios:oem.0': 'flavor={flavor_name}',
            'xmlhooks:smbios:oem.1': 'name={instance_name}',
            'xmlhooks:smbios:oem.2': 'host={hostname}'})
        root = self._root(xml)
        flavor = root.xpath('./metadata/nova:instance/nova:flavor/@name',
                            namespaces=NOVA_NS)
        instance_name = root.xpath(
            './metadata/nova:instance/nova:name/text()', namespaces=NOVA_NS)
        self.assertEqual(1, len(flavor))
        self.assertEqual(['srv-' + uuid], self.xpath(
            out, "./sysinfo/system/entry[@name='serial']/text()"))
        self.assertEqual(
            ['flavor=' + flavor[0], 'name=' + instance_name[0].strip(),
             'host=' + instance_name[0].strip()],
            self.xpath(out, './sysinfo/oemStrings/entry/text()'))

    @staticmethod
    def _root(xml):
        return etree.fromstring(xml.encode())

    def test_hostname_is_derived_from_the_server_name(self):
        root = self._root(base.nova_xml(self.FIXTURE))
        name = root.find('./metadata/nova:instance/nova:name', NOVA_NS)
        name.text = 'Web Server_01.example'
        out = self.customize(
            {'xmlhooks:smbios:oem.0': '{instance_name}|{hostname}'},
            xml=etree.tostring(root, encoding='unicode'))
        self.assertEqual(['Web Server_01.example|web-server-01-example'],
                         self.xpath(out, './sysinfo/oemStrings/entry/text()'))

    def test_hostname_falls_back_to_the_uuid_as_novas(self):
        # NOTE(xmlhooks): nothing is left of a Cyrillic name; Nova then
        # names the host Server-<uuid>.
        root = self._root(base.nova_xml(self.FIXTURE))
        root.find('./metadata/nova:instance/nova:name', NOVA_NS).text = (
            'Сервер')
        out = self.customize(
            {'xmlhooks:smbios:oem.0': '{hostname}'},
            xml=etree.tostring(root, encoding='unicode'))
        self.assertEqual(['Server-' + root.findtext('uuid')],
                         self.xpath(out, './sysinfo/oemStrings/entry/text()'))

    def test_value_filled_with_nothing_leaves_the_field_unset(self):
        # NOTE(xmlhooks): libvirt reads an empty entry as none and drops
        # it; written empty, the audit would report drift forever.
        xml = base.nova_xml(self.FIXTURE)
        self.assertIn('<nova:flavor name="capture.basic"', xml)
        xml = xml.replace('<nova:flavor name="capture.basic"',
                          '<nova:flavor name=""')
        self.assertEqual(['OpenStack Nova'], self.xpath(
            xml, "./sysinfo/system/entry[@name='product']/text()"))
        out = self.customize({
            'xmlhooks:smbios:system.product': '{flavor_name}',
            'xmlhooks:smbios:system.sku': '{flavor_name}',
            'xmlhooks:smbios:chassis.asset': '{flavor_name}',
            'xmlhooks:smbios:chassis.serial': 'C-{flavor_name}'}, xml=xml)
        self.assertEqual([], self.xpath(
            out, "./sysinfo/system/entry[@name='product' or @name='sku']"))
        self.assertEqual(len(self.xpath(xml, './sysinfo/system/entry')) - 1,
                         len(self.xpath(out, './sysinfo/system/entry')))
        self.assertEqual(['serial'], self.xpath(
            out, './sysinfo/chassis/entry/@name'))
        # NOTE(xmlhooks): a section left without entries goes.
        out = self.customize(
            {'xmlhooks:smbios:baseboard.asset': '{flavor_name}'}, xml=xml)
        self.assertEqual([], self.xpath(out, './sysinfo/baseBoard'))
        first = self.customize(
            {'xmlhooks:smbios:baseboard.asset': 'A'}, xml=xml)
        out = self.customize(
            {'xmlhooks:smbios:baseboard.asset': '{flavor_name}'}, xml=first)
        self.assertEqual([], self.xpath(out, './sysinfo/baseBoard'))

    def test_oem_strings_are_ordered_numerically(self):
        out = self.customize({'xmlhooks:smbios:oem.10': 'ten',
                              'xmlhooks:smbios:oem.2': 'two',
                              'xmlhooks:smbios:oem.0': 'zero'})
        self.assertEqual(['zero', 'two', 'ten'], self.xpath(
            out, './sysinfo/oemStrings/entry/text()'))

    def test_oem_strings_are_replaced_on_a_new_application(self):
        first = self.customize({'xmlhooks:smbios:oem.0': 'a',
                                'xmlhooks:smbios:oem.1': 'b'})
        out = self.customize({'xmlhooks:smbios:oem.0': 'c'}, xml=first)
        self.assertEqual(['c'], self.xpath(
            out, './sysinfo/oemStrings/entry/text()'))

    def test_smbios_mode_is_ensured(self):
        out = self.customize({
            'xmlhooks:xml:nosmbios': 'xpath.delete=./os/smbios',
            'xmlhooks:smbios:chassis.serial': 'C-1'})
        self.assertEqual(['sysinfo'], self.xpath(out, './os/smbios/@mode'))

    def test_smbios_mode_host_is_switched_to_sysinfo(self):
        out = self.customize({
            'xmlhooks:xml:hostsmbios': './os/smbios/@mode=host',
            'xmlhooks:smbios:chassis.serial': 'C-1'})
        self.assertEqual(['sysinfo'], self.xpath(out, './os/smbios/@mode'))
        self.assertEqual(1, len(self.xpath(out, './os/smbios')))

    def test_sysinfo_is_created_when_nova_wrote_none(self):
        out = self.customize({
            'xmlhooks:xml:nosysinfo': 'xpath.delete=./sysinfo',
            'xmlhooks:smbios:chassis.serial': 'C-1'})
        self.assertEqual(['smbios'], self.xpath(out, './sysinfo/@type'))
        self.assertEqual(['C-1'], self.xpath(
            out, './sysinfo/chassis/entry/text()'))

    def test_xml_characters_are_text(self):
        out = self.customize({'xmlhooks:smbios:chassis.asset': '<a>&b'})
        self.assertEqual(['<a>&b'], self.xpath(
            out, "./sysinfo/chassis/entry[@name='asset']/text()"))

    def test_errors_name_the_reason(self):
        self.assertRefused('xmlhooks:smbios:system.serial', 'x{uuid}',
                           '{instance_uuid}')
        self.assertRefused('xmlhooks:smbios:system.serial', 'x}',
                           'stray')
        self.assertRefused('xmlhooks:smbios:chassis.product', 'x',
                           'manufacturer, version')
        self.assertRefused('xmlhooks:smbios:system.serial', 'a\x01',
                           'U+0001')
