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

"""The parts of libvirt's schema, and validating the parts that changed."""

import os
import threading

import fixtures
from lxml import etree

from nova_xmlhooks import checks
from nova_xmlhooks.customizers import base as customizer_base
from nova_xmlhooks import engine
from nova_xmlhooks import exception
from nova_xmlhooks import schema
from nova_xmlhooks import schema_parts
from tests.unit import base
from tests.unit import odd_shapes
from tests.unit import test_schema

QEMU = '{http://libvirt.org/schemas/domain/qemu/1.0}'


class HostSchemaPartsTest(base.TestCase):
    """What the host's own domain.rng is made of."""

    def setUp(self):
        super().setUp()
        self.path = self.conf.xmlhooks.schema_path
        if not os.path.exists(self.path):
            self.skipTest('libvirt schema %s is not installed' % self.path)
        self.parts = schema_parts.SchemaParts(self.path)

    def _owner(self, level, tag):
        owners = [b for b in level.branches if b.names and tag in b.names]
        self.assertEqual(1, len(owners), tag)
        return owners[0]

    def test_domain(self):
        domain = self.parts.domain
        self.assertEqual('domain', self.parts.root_name)
        self.assertEqual({'name', 'uuid', 'genid'},
                         self._owner(domain, 'genid').names)
        for grouped in ('name', 'os', 'memory', 'on_crash'):
            self.assertTrue(self._owner(domain, grouped).ordered, grouped)
        for alone in ('features', 'clock', 'devices', 'metadata',
                      QEMU + 'commandline'):
            branch = self._owner(domain, alone)
            self.assertEqual({alone}, branch.names)
            self.assertFalse(branch.ordered, alone)
        self.assertTrue(self._owner(domain, 'sysinfo').per_element)
        names = [n for b in domain.branches for n in b.names or ()]
        self.assertEqual(len(names), len(set(names)))

    def test_children(self):
        devices = self.parts.child_level('devices')
        disk = self._owner(devices, 'disk')
        self.assertTrue(disk.per_element)
        self.assertIn('interface', disk.names)
        self.assertFalse(self._owner(devices, 'memballoon').per_element)
        self.assertFalse(devices.ordered)
        meta = self.parts.child_level('metadata')
        self.assertEqual(1, len(meta.branches))
        self.assertTrue(meta.branches[0].anything)
        self.assertIsNone(meta.branches[0].names)
        self.assertTrue(self._owner(self.parts.child_level('clock'),
                                    'timer').per_element)
        # <os> is written three ways (xen, hvm, exe): not one element.
        self.assertIsNone(self.parts.child_level('os'))

    def test_ordered_children_are_validated_whole(self):
        # NOTE(xmlhooks): the content of <sysinfo> groups elements, which
        # libxml2 judges by where they sit: a change to one of them is
        # validated with all of <sysinfo>, as a part of <domain>.
        self.assertTrue(self.parts.child_level('sysinfo').ordered)
        self.flags(validate_schema=True)
        check = [c for c in self.engine().checks
                 if isinstance(c, schema.SchemaCheck)][0]
        parts = check._regions().parts_of(checks.Region.of(
            [('sysinfo', 'bios'), ('devices', 'disk')]))
        self.assertEqual({(None, frozenset(['sysinfo'])),
                          ('devices', frozenset(['disk']))},
                         {(part.parent, part.tags & {'sysinfo', 'disk'})
                          for part in parts})
        # NOTE(xmlhooks): worked out once per region, not on every boot.
        self.assertIs(parts, check._regions().parts_of(checks.Region.of(
            [('devices', 'disk'), ('sysinfo', 'bios')])))

    def test_region_grammar_takes_parts(self):
        grammar = etree.RelaxNG(self.parts.region_grammar())
        self.assertTrue(grammar.validate(etree.fromstring(
            '<domain><features><acpi/></features></domain>')))
        self.assertTrue(grammar.validate(etree.fromstring('<domain/>')))
        self.assertFalse(grammar.validate(etree.fromstring(
            '<domain><features><bogus/></features></domain>')))
        self.assertTrue(grammar.validate(engine.parse_domain(
            base.nova_xml())))


NS_RNG = """<?xml version="1.0"?>
<grammar xmlns="http://relaxng.org/ns/structure/1.0" ns="urn:x">
  <start>
    <element name="domain">
      <interleave>
        <element name="name"><text/></element>
        <optional><element name="title" ns=""><text/></element></optional>
      </interleave>
    </element>
  </start>
</grammar>
"""


class NamespaceTest(base.TestCase):

    def test_names_take_the_nearest_ns(self):
        parts = schema_parts.SchemaParts(self.write_profile('ns.rng', NS_RNG))
        self.assertEqual('{urn:x}domain', parts.root_name)
        self.assertEqual([frozenset(['{urn:x}name']), frozenset(['title'])],
                         [branch.names for branch in parts.domain.branches])

    def test_prefixes_are_declared_or_unsupported(self):
        declared = NS_RNG.replace('"title" ns=""', '"q:title" xmlns:q="urn:q"')
        parts = schema_parts.SchemaParts(self.write_profile('q.rng',
                                                            declared))
        self.assertEqual(frozenset(['{urn:q}title']),
                         parts.domain.branches[1].names)
        self.assertRaises(schema_parts.Unsupported, schema_parts.SchemaParts,
                          self.write_profile('u.rng', NS_RNG.replace(
                              '"title" ns=""', '"u:title"')))

    def test_name_elements_are_names(self):
        # NOTE(xmlhooks): libvirt writes name="..."; <name> is the same
        # name class written as an element, and its ns is its own.
        written = NS_RNG.replace(
            '<element name="domain">', '<element><name>domain</name>'
        ).replace('<element name="title" ns="">',
                  '<element><name ns="urn:y">title</name>')
        parts = schema_parts.SchemaParts(self.write_profile('n.rng',
                                                            written))
        self.assertEqual('{urn:x}domain', parts.root_name)
        self.assertEqual([frozenset(['{urn:x}name']),
                          frozenset(['{urn:y}title'])],
                         [branch.names for branch in parts.domain.branches])


ANY_ROOT_RNG = """<?xml version="1.0"?>
<grammar xmlns="http://relaxng.org/ns/structure/1.0">
  <start>
    <element>
      <anyName/>
      <interleave>
        <element name="name"><text/></element>
        <optional><element name="description"><text/></element></optional>
      </interleave>
    </element>
  </start>
</grammar>
"""

#: a ``<clock>`` whose one child may have any name
ANY_CHILD_RNG = """<?xml version="1.0"?>
<grammar xmlns="http://relaxng.org/ns/structure/1.0">
  <start>
    <element name="domain">
      <interleave>
        <ref name="name"/>
        <optional><ref name="clock"/></optional>
      </interleave>
    </element>
  </start>
  <define name="name"><element name="name"><text/></element></define>
  <define name="clock">
    <element name="clock">
      <optional><element><anyName/><empty/></element></optional>
    </element>
  </define>
</grammar>
"""


class UnsupportedSchemaTest(base.TestCase):

    def _check(self, path):
        self.flags(validate_schema=True, schema_path=path)
        return [c for c in checks.load_checks(self.conf)
                if isinstance(c, schema.SchemaCheck)][0]

    def test_external_ref_validates_whole_documents(self):
        self.write_profile('part.rng', test_schema.TINY_PART)
        path = self.write_profile('tiny.rng', test_schema.TINY_RNG)
        self.assertRaises(schema_parts.Unsupported,
                          schema_parts.SchemaParts, path)
        check = self._check(path)
        logs = self.useFixture(fixtures.FakeLogger())
        self.assertIsNone(check._regions())
        self.assertFalse(check._region_valid(None))
        # NOTE(xmlhooks): the schema is read part by part once, not on
        # every boot.
        self.assertIsNone(check._regions())
        self.assertEqual(1, logs.output.count('Validating whole documents'))

    def test_element_root_validates_whole_documents(self):
        path = self.write_profile('e.rng', test_schema.NO_RECORD_RNG)
        self.assertRaises(schema_parts.Unsupported,
                          schema_parts.SchemaParts, path)

    def test_unnamed_root_validates_whole_documents(self):
        path = self.write_profile('any.rng', ANY_ROOT_RNG)
        self.assertRaises(schema_parts.Unsupported,
                          schema_parts.SchemaParts, path)
        check = self._check(path)
        self.assertIsNone(check._regions())
        nova = etree.fromstring('<domain><name>x</name></domain>')
        bad = etree.fromstring(
            '<domain><name>x</name><description><b/></description></domain>')
        change = checks.Change(
            result=bad, text='', region=checks.Region.of(['description']),
            before=None, tags=('name', 'description'),
            nova_tags=('name',), nova=lambda: nova)
        self.assertRaises(exception.SchemaError, check.check_change, change,
                          ())

    def test_a_part_of_any_name_validates_whole_documents(self):
        # NOTE(xmlhooks): the part that holds <clock>'s child takes any
        # name, one element at most: the tags of a change do not say
        # which of its elements to judge. It was taken as a part of no
        # tags, on which validating a region raised a TypeError.
        check = self._check(self.write_profile('any-child.rng',
                                               ANY_CHILD_RNG))
        region = checks.Region.of([('clock', 'timer')])
        self.assertIsNone(check._regions().parts_of(region))
        nova = etree.fromstring('<domain><name>x</name><clock/></domain>')

        def change(clock):
            return checks.Change(
                result=etree.fromstring(
                    '<domain><name>x</name><clock>%s</clock></domain>'
                    % clock),
                text='', region=region, before=None,
                tags=('name', 'clock'), nova_tags=('name', 'clock'),
                nova=lambda: nova)

        check.check_change(change('<timer/>'), ())
        self.assertRaises(exception.SchemaError, check.check_change,
                          change('<timer/><timer/>'), ())

    def test_includes_nest_so_deep_only(self):
        leaf = NS_RNG
        self.write_profile('inc%d.rng' % schema_parts._MAX_INCLUDES, leaf)
        for depth in range(schema_parts._MAX_INCLUDES - 1, -1, -1):
            self.write_profile(
                'inc%d.rng' % depth,
                '<grammar xmlns="%s"><include href="inc%d.rng"/></grammar>'
                % (schema_parts.RNG_NS, depth + 1))
        self.assertEqual('{urn:x}domain', schema_parts.SchemaParts(
            os.path.join(self.profile_dir, 'inc0.rng')).root_name)
        self.write_profile('deeper.rng', '<grammar xmlns="%s"><include '
                           'href="inc0.rng"/></grammar>' % schema_parts.RNG_NS)
        self.assertRaises(schema_parts.Unsupported, schema_parts.SchemaParts,
                          os.path.join(self.profile_dir, 'deeper.rng'))

    def test_a_part_that_may_be_empty_is_copied(self):
        written = NS_RNG.replace(
            '<optional><element name="title" ns=""><text/></element>'
            '</optional>',
            '<choice><ref name="title"/><empty/></choice>').replace(
            '<element name="name"><text/></element>', '<ref name="name"/>'
        ).replace('</grammar>', '<define name="title"><element name='
                  '"title" ns=""><text/></element></define><define name='
                  '"name"><element name="name"><text/></element></define>'
                  '</grammar>')
        parts = schema_parts.SchemaParts(self.write_profile('e.rng',
                                                            written))
        grammar = etree.RelaxNG(parts.region_grammar())
        self.assertTrue(grammar.validate(etree.fromstring(
            '<domain xmlns="urn:x"><title xmlns="">t</title></domain>')))
        self.assertFalse(grammar.validate(etree.fromstring(
            '<domain xmlns="urn:x"><title xmlns=""><b/></title></domain>')))


class _RenamingCustomizer(customizer_base.Customizer):
    """Sets the domain's <name>, and says that is all it changes."""

    family = 'rename'

    def declarations(self):
        return [customizer_base.KeyValidator(
            name='xmlhooks:rename:name', description='test',
            value={'type': str, 'description': 'test'})]

    def parse(self, key, value):
        return value

    def touches(self, rules):
        return ['name']

    def apply(self, root, rules, context):
        for rule in rules:
            root.find('name').text = rule.payload


class RegionValidatorTest(base.TestCase):
    """Parts found valid are remembered; nothing invalid is."""

    def setUp(self):
        super().setUp()
        if not os.path.exists(self.conf.xmlhooks.schema_path):
            self.skipTest('libvirt schema is not installed')
        self.flags(validate_schema=True)
        self.engine_ = self.engine()
        self.check = [c for c in self.engine_.checks
                      if isinstance(c, schema.SchemaCheck)][0]
        self.validated = []
        regions = self.check._regions()
        validate = regions._validate

        def counting(root, top, inner):
            self.validated.append((sorted(top), {k: sorted(v) for k, v
                                                 in inner.items()}))
            return validate(root, top, inner)
        # NOTE(xmlhooks): this test's own engine holds this validator.
        regions._validate = counting
        self.whole = []
        errors = self.check._errors

        def counting_whole(root):
            self.whole.append(root.tag)
            return errors(root)
        self.check._errors = counting_whole

    def test_a_part_valid_once_is_not_validated_again(self):
        specs = {'xmlhooks:xml:a': './devices/graphics/@keymap=fr',
                 'xmlhooks:hyperv:relaxed': 'on'}
        xml = base.nova_xml('nova-windows')
        first = self.engine_.customize(xml, specs)
        self.assertEqual([(['devices', 'features'],
                           {'devices': ['graphics'],
                            'features': ['hyperv']})], self.validated)
        self.assertEqual(first, self.engine_.customize(xml, specs))
        self.assertEqual(1, len(self.validated))
        # The valid parts stand for the document: it is not validated.
        self.assertEqual([], self.whole)
        # Another guest's graphics: validated, the features were.
        other = xml.replace('127.0.0.1', '127.0.0.2')
        self.engine_.customize(other, specs)
        self.assertEqual((['devices'], {'devices': ['graphics']}),
                         self.validated[-1])

    def test_invalid_parts_are_never_remembered(self):
        specs = {'xmlhooks:xml:a': './devices/graphics/@keymap=fr',
                 'xmlhooks:xml:b': './devices/video/model/@bogus=1'}
        xml = base.nova_xml('nova-windows')
        for _ in range(2):
            self.assertRaises(exception.SchemaError, self.engine_.customize,
                              xml, specs)
        self.assertEqual(2, len(self.validated))
        # Refused as a whole document is: Nova's is validated too.
        self.assertEqual(['domain'] * 4, self.whole)

    def test_a_part_valid_once_does_not_vouch_for_the_others(self):
        graphics = {'xmlhooks:xml:a': './devices/graphics/@keymap=fr'}
        xml = base.nova_xml('nova-windows')
        self.engine_.customize(xml, graphics)
        self.assertRaises(exception.SchemaError, self.engine_.customize,
                          xml, dict(graphics, **{
                              'xmlhooks:xml:b': './features/hyperv/@bogus=1'}))
        self.assertEqual((['features'], {'features': ['hyperv']}),
                         self.validated[-1])

    def test_a_removed_part_validates_the_whole_document(self):
        # NOTE(xmlhooks): a part left without elements may be one the
        # schema requires, so nothing else the change holds is taken
        # apart either.
        delete = {'xmlhooks:xml:a': 'xpath.delete=./features/hyperv'}
        xml = base.nova_xml('nova-windows')
        self.assertNotIn('<hyperv>', self.engine_.customize(xml, delete))
        self.assertRaises(exception.SchemaError, self.engine_.customize,
                          xml, dict(delete, **{
                              'xmlhooks:xml:b':
                                  './devices/video/model/@bogus=1'}))
        self.assertEqual([], self.validated)
        self.assertEqual(['domain'] * 3, self.whole)

    def renaming(self):
        """An engine that renames the domain, checked by the schema only.

        NOTE(xmlhooks): no rule of the stock customisers may rename a
        domain (see nova_xmlhooks.guard.IdentityCheck), but name and uuid
        are the grouped part of libvirt's schema, so a customiser that
        declares <name> is what reaches it.
        """
        return engine.Engine({'rename': _RenamingCustomizer(self.conf)}, {},
                             checks=[self.check])

    def test_grouped_parts_are_validated_each_time(self):
        # NOTE(xmlhooks): name and uuid are one part, which libxml2 judges
        # by what sits between them.
        specs = {'xmlhooks:rename:name': 'other'}
        for _ in range(2):
            self.renaming().customize(base.nova_xml(), specs)
        self.assertEqual([(['name', 'uuid'], {})] * 2, self.validated)

    def test_a_grouped_part_of_one_element_is_remembered(self):
        # NOTE(xmlhooks): <os> shares a grouped part of <domain> with
        # <bootloader>, which Nova does not write: alone, it is judged
        # by what it holds (where it sits is checked apart, see
        # _placed_alike), so it is validated once.
        specs = {'xmlhooks:xml:a': './os/bootmenu/@enable=yes'}
        for _ in range(2):
            self.engine_.customize(base.nova_xml(), specs)
        self.assertEqual([(['os'], {})], self.validated)

    def test_parts_moved_among_grouped_ones_validate_whole(self):
        # NOTE(xmlhooks): the record's new <metadata> goes between <genid>
        # and <memory>, inside the span of grouped parts.
        out = self.renaming().customize(
            odd_shapes.ODD_SHAPES['genid-without-metadata'],
            {'xmlhooks:rename:name': 'other'})
        self.assertEqual([], self.validated)
        self.assertEqual(['domain'], self.whole)
        self.assertIn('<name>other</name>', out)

    def test_the_document_is_put_back(self):
        root = engine.parse_domain(base.nova_xml('nova-windows'))
        before = etree.tostring(root)
        snapshot = checks.Snapshot.take(root, checks.Region.of(
            [('devices', 'graphics')]))
        root.find('devices/graphics').set('keymap', 'fr')
        after = etree.tostring(root)
        change = snapshot.change(root, after.decode(), lambda: None)
        self.assertIsNotNone(change.region)
        self.assertTrue(self.check._regions().valid(change))
        self.assertEqual(after, etree.tostring(root))
        self.assertNotEqual(before, after)


class _Racing(dict):
    """A cache another thread writes to while this one searches it."""

    def __iter__(self):
        found = super().__iter__()
        self.other = threading.Thread(target=schema._remember,
                                      args=(self, 'other', 3, 100))
        self.other.start()
        # NOTE(xmlhooks): without the lock, the other thread inserts now.
        self.other.join(timeout=0.2)
        return found


class RememberTest(base.TestCase):

    def test_threads_do_not_break_the_search_for_the_oldest(self):
        cache = _Racing(first=1)
        schema._remember(cache, 'second', 2, 1)
        cache.other.join()
        self.assertEqual({'second': 2, 'other': 3}, dict(cache))


class ManyPartsTest(RegionValidatorTest):

    def test_as_many_elements_as_allowed_are_validated_apart(self):
        self.useFixture(fixtures.MonkeyPatch(
            'nova_xmlhooks.schema.MAX_PART_ELEMENTS', 2))
        specs = {'xmlhooks:xml:a': './devices/disk/driver/@cache=none'}
        out = self.engine_.customize(base.nova_xml('nova-two-disks'), specs)
        self.assertEqual(2, out.count('cache="none"'))
        self.assertEqual([(['devices'], {'devices': ['disk']})],
                         self.validated)

    def test_many_elements_validate_the_document(self):
        self.useFixture(fixtures.MonkeyPatch(
            'nova_xmlhooks.schema.MAX_PART_ELEMENTS', 1))
        specs = {'xmlhooks:xml:a': './devices/disk/driver/@cache=none'}
        out = self.engine_.customize(base.nova_xml('nova-two-disks'), specs)
        self.assertEqual([], self.validated)
        self.assertEqual(2, out.count('cache="none"'))
        self.assertRaises(exception.SchemaError, self.engine_.customize,
                          base.nova_xml('nova-two-disks'),
                          dict(specs, **{'xmlhooks:xml:b':
                                         './devices/disk/driver/@io=bogus'}))
