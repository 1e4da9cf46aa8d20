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

import collections
import os

import fixtures
from lxml import etree

from nova_xmlhooks import checks
from nova_xmlhooks import engine
from nova_xmlhooks import exception
from nova_xmlhooks import guard
from nova_xmlhooks import hyperv_deps
from nova_xmlhooks import schema
from tests.unit import base
from tests.unit import odd_shapes

# A small schema of our own, so the mechanics are tested on any machine.
TINY_RNG = """<?xml version="1.0"?>
<grammar xmlns="http://relaxng.org/ns/structure/1.0"
         datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
  <start>
    <element name="domain">
      <externalRef href="part.rng"/>
    </element>
  </start>
</grammar>
"""
TINY_PART = """<?xml version="1.0"?>
<element name="name" xmlns="http://relaxng.org/ns/structure/1.0">
  <text/>
</element>
"""


class SchemaConfTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.missing = os.path.join(self.profile_dir, 'no', 'domain.rng')

    def _schema_check(self):
        # NOTE(xmlhooks): whatever is not the guard's or the Hyper-V
        # check's is the schema's: a value that is not a check would
        # break every boot.
        return [c for c in checks.load_checks(self.conf)
                if not isinstance(c, (guard.Guard, guard.IdentityCheck,
                                      hyperv_deps.HypervDependencyCheck))]

    def test_off(self):
        self.flags(validate_schema=False)
        self.assertEqual([], self._schema_check())
        # What only the schema would refuse is applied.
        out = engine.Engine.from_conf(self.conf).customize(
            base.nova_xml('nova-basic'),
            {'xmlhooks:xml:bogus': './features/bogus/@state=on'})
        self.assertEqual(['on'], base.xpath(out, './features/bogus/@state'))

    def test_auto_without_schema_is_off(self):
        logs = self.useFixture(fixtures.FakeLogger())
        self.flags(validate_schema=None, schema_path=self.missing)
        self.assertEqual([], self._schema_check())
        # NOTE(xmlhooks): the operator is told that nothing is validated.
        self.assertIn('libvirt schema %s not found' % self.missing,
                      logs.output)
        self.assertNotIn('cannot be compiled', logs.output)

    def test_required_without_schema_fails_naming_the_option(self):
        self.flags(validate_schema=True, schema_path=self.missing)
        error = self.assertRaises(exception.XmlHooksError,
                                  checks.load_checks, self.conf)
        self.assertIn('[xmlhooks] validate_schema', error.format_message())

    def test_broken_schema(self):
        path = self.write_profile('broken.rng', '<grammar><start>')
        self.flags(validate_schema=True, schema_path=path)
        error = self.assertRaises(exception.XmlHooksError,
                                  checks.load_checks, self.conf)
        self.assertIn('cannot be compiled', error.format_message())
        self.assertNotIn('\n', error.format_message())
        self.flags(validate_schema=None)
        self.assertEqual([], self._schema_check())

    def test_compiled_once(self):
        self.write_profile('part.rng', TINY_PART)
        path = self.write_profile('tiny.rng', TINY_RNG)
        self.flags(validate_schema=True, schema_path=path)
        first = self._schema_check()[0]
        second = self._schema_check()[0]
        for check in (first, second):
            validator = check._validators.get()
            self.assertIs(schema.compile_schema(path), validator)
            check._validators.put(validator)

    def test_tiny_schema_with_include(self):
        self.write_profile('part.rng', TINY_PART)
        path = self.write_profile('tiny.rng', TINY_RNG)
        check = schema.SchemaCheck(schema.compile_schema(path))
        good = etree.fromstring('<domain><name>x</name></domain>')
        bad = etree.fromstring('<domain><name>x</name><bogus/></domain>')
        self.assertIsNone(check(good, good, ()))
        error = self.assertRaises(exception.SchemaError, check, good, bad,
                                  ())
        self.assertNotIn(self.profile_dir, error.format_message())
        # Nova's own document fails too: not the customisation's fault.
        self.assertIsNone(check(bad, bad, ()))


# A value of a declared type, as libvirt's <memory> is.
TYPED_RNG = """<?xml version="1.0"?>
<element name="domain" xmlns="http://relaxng.org/ns/structure/1.0"
         datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
  <element name="memory"><data type="unsignedLong"/></element>
</element>
"""


class ErrorWordsTest(base.TestCase):
    """What a schema error says never quotes the document's values."""

    def _refused(self, bad):
        """The error for a document, against a valid Nova document."""
        path = self.write_profile('typed.rng', TYPED_RNG)
        check = schema.SchemaCheck(schema.compile_schema(path))
        good = etree.fromstring('<domain><memory>1</memory></domain>')
        return self.assertRaises(exception.SchemaError, check, good,
                                 etree.fromstring(bad), ())

    def test_a_value_of_the_wrong_type_is_not_quoted(self):
        error = self._refused(
            '<domain><memory>/srv/secret</memory></domain>')
        self.assertEqual('/domain/memory: a value its type does not allow',
                         error.error)
        self.assertNotIn('/srv/secret', error.format_message())

    def test_errors_naming_the_schema_are_kept(self):
        error = self._refused('<domain><memory>1</memory><x/></domain>')
        self.assertIn('Did not expect element x there', error.error)

    def test_unknown_errors_are_said_in_our_words(self):
        entry = collections.namedtuple('entry', 'domain type message')
        rng = etree.RelaxNGErrorTypes
        relaxng = etree.ErrorDomains.RELAXNGV
        for error, said in (
                (entry(relaxng, rng.RELAXNG_ERR_DUPID, "ID /srv/x"),
                 'an ID defined twice'),
                (entry(relaxng, rng.RELAXNG_ERR_LISTEXTRA, '/srv/x'),
                 'extra data in a list'),
                (entry(relaxng, rng.RELAXNG_ERR_VALUE, '/srv/x'),
                 'a value the schema does not allow'),
                (entry(relaxng, rng.RELAXNG_ERR_INTERNAL, '/srv/x'),
                 'what is there does not match the schema'),
                (entry(etree.ErrorDomains.PARSER, rng.RELAXNG_ERR_NOELEM,
                       '/srv/x'),
                 'what is there does not match the schema'),
                (entry(relaxng, rng.RELAXNG_ERR_NOELEM, 'Expecting x\n'),
                 'Expecting x')):
            self.assertEqual(said, schema.describe(error))


class ErrorPlaceTest(base.TestCase):

    def test_errors_are_placed_by_the_first_path_given(self):
        # NOTE(xmlhooks): libxml2 leaves the path out of some errors; the
        # message still says where, and never names a file.
        entry = collections.namedtuple('entry', 'path')
        self.assertEqual('/domain/clock', schema.SchemaCheck._where(
            [entry(None), entry('/domain/clock'), entry('/domain')]))
        self.assertEqual('/domain', schema.SchemaCheck._where(
            [entry(None), entry('')]))


class HostSchemaTest(base.TestCase):
    """Against the host's own libvirt schema."""

    def setUp(self):
        super().setUp()
        if not os.path.exists(self.conf.xmlhooks.schema_path):
            self.skipTest('libvirt schema %s is not installed (Debian: '
                          'apt install libvirt-daemon)'
                          % self.conf.xmlhooks.schema_path)
        self.flags(validate_schema=True)
        self.engine = engine.Engine.from_conf(self.conf)

    def test_novas_fixtures_validate(self):
        validator = schema.compile_schema(self.conf.xmlhooks.schema_path)
        for name in ('nova-basic', 'nova-two-disks', 'nova-windows'):
            root = etree.fromstring(base.nova_xml(name).encode())
            self.assertTrue(validator.validate(root),
                            '%s: %s' % (name, validator.error_log))

    def test_customised_xml_with_our_record_validates(self):
        out = self.engine.customize(base.nova_xml('nova-windows'), {
            'xmlhooks:hyperv:evmcs': 'on',
            'xmlhooks:smbios:chassis.asset': 'x',
            'xmlhooks:xml:clock': './clock/@offset=utc'})
        root = etree.fromstring(out.encode())
        self.assertEqual(1, len(root.xpath(
            './metadata/h:customization',
            namespaces={'h': 'http://openstack.org/xmlns/libvirt/'
                             'nova-xmlhooks/1.0'})))
        validator = schema.compile_schema(self.conf.xmlhooks.schema_path)
        self.assertTrue(validator.validate(root), validator.error_log)

    def test_refused_customisation_names_the_rules(self):
        specs = {'xmlhooks:xml:bogus': './features/bogus/@state=on',
                 'xmlhooks:kvm:hidden': 'on'}
        xml = base.nova_xml('nova-basic')
        error = self.assertRaises(exception.SchemaError,
                                  self.engine.customize, xml, specs)
        message = error.format_message()
        self.assertIn('xmlhooks:xml:bogus', message)
        self.assertIn('xmlhooks:kvm:hidden', message)
        self.assertIn('/domain/features: Extra element features',
                      message.split('):', 1)[1])
        self.assertNotIn('\n', message)
        self.assertNotIn(self.conf.xmlhooks.schema_path, message)
        self.assertEqual(('xmlhooks:kvm:hidden', 'xmlhooks:xml:bogus'),
                         tuple(sorted(error.rules)))

    def test_unsetting_feature_attributes_keeps_the_features(self):
        xml = base.nova_xml('nova-basic')
        out = self.engine.customize(xml, {
            'xmlhooks:xml:a': './features/acpi/@state=',
            'xmlhooks:xml:b': './features/apic/@eoi=',
            'xmlhooks:xml:c': './features/vmcoreinfo/@state='})
        self.assertEqual(['acpi', 'apic', 'vmcoreinfo'],
                         [node.tag for node in base.xpath(out,
                                                          './features/*')])

    def test_unset_of_an_attribute_libvirt_needs_is_refused(self):
        # NOTE(xmlhooks): an unset leaves the element, even empty; where
        # libvirt needs the attribute, the schema check says so, and
        # xpath.delete is what removes the element.
        error = self.assertRaises(
            exception.SchemaError, self.engine.customize,
            base.nova_xml('nova-basic'),
            {'xmlhooks:xml:stats': './devices/memballoon/stats/@period='})
        self.assertEqual(('xmlhooks:xml:stats',), error.rules)
        out = self.engine.customize(base.nova_xml('nova-basic'), {
            'xmlhooks:xml:stats': 'xpath.delete=./devices/memballoon/stats'})
        self.assertEqual([], base.xpath(out, './devices/memballoon/stats'))

    def test_a_rules_value_is_not_quoted(self):
        # NOTE(xmlhooks): libxml2 quotes a value its type does not allow;
        # the fault, which users see, does not.
        self.flags(allow_sensitive=['resources'])
        eng = engine.Engine.from_conf(self.conf)
        error = self.assertRaises(
            exception.SchemaError, eng.customize, base.nova_xml('nova-basic'),
            {'xmlhooks:xml:m': './memory=/srv/secret'})
        self.assertEqual('/domain/memory: a value its type does not allow',
                         error.error)
        self.assertNotIn('/srv/secret', error.format_message())

    def test_novas_own_invalid_xml_is_not_blamed(self):
        # NOTE(xmlhooks): a Nova newer than the host's libvirt may write a
        # value this schema does not know; a rule that changes the same
        # element is not refused for it, and the log says why.
        logs = self.useFixture(fixtures.FakeLogger())
        xml = base.nova_xml('nova-basic').replace(
            '<timer name="hpet" present="no"/>',
            '<timer name="newtimer" present="no"/>')
        out = self.engine.customize(
            xml, {'xmlhooks:xml:clock': './clock/@offset=localtime'})
        self.assertEqual(['localtime'], base.xpath(out, './clock/@offset'))
        self.assertIn("Nova's own domain XML does not match libvirt's "
                      "schema at /domain/clock", logs.output)

    def test_only_what_the_rules_changed_is_judged(self):
        # NOTE(xmlhooks): what the rules did not touch is Nova's, valid on
        # this host or not; a rule elsewhere, changing an element or
        # adding one after Nova's, is judged on its own part, so nothing
        # is said of Nova's.
        xml = base.nova_xml('nova-basic').replace(
            '<timer name="hpet" present="no"/>',
            '<timer name="newtimer" present="no"/>')
        for specs, path in (
                ({'xmlhooks:xml:pmu': './features/pmu/@state=off'},
                 './features/pmu/@state'),
                ({'xmlhooks:xml:pm': './pm/suspend-to-mem/@enabled=no'},
                 './pm/suspend-to-mem/@enabled')):
            logs = self.useFixture(fixtures.FakeLogger())
            out = self.engine.customize(xml, specs)
            self.assertEqual(['off' if 'pmu' in path else 'no'],
                             base.xpath(out, path))
            self.assertNotIn('does not match', logs.output)

    def test_bad_attribute_value_is_refused(self):
        error = self.assertRaises(
            exception.SchemaError, self.engine.customize,
            base.nova_xml('nova-basic'),
            {'xmlhooks:xml:clock': './clock/@offset=sometimes'})
        self.assertIn('xmlhooks:xml:clock', error.format_message())

    def test_skip_returns_novas_xml(self):
        self.flags(on_error='skip')
        eng = engine.Engine.from_conf(self.conf)
        xml = base.nova_xml('nova-basic')
        self.assertIs(xml, eng.customize(
            xml, {'xmlhooks:xml:bogus': './features/bogus/@state=on'}))

    def test_many_rules_are_counted(self):
        specs = {'xmlhooks:xml:e%02d' % i: './description=d%d' % i
                 for i in range(schema.MAX_RULES_NAMED + 3)}
        specs['xmlhooks:xml:zz'] = './features/bogus/@state=on'
        error = self.assertRaises(exception.SchemaError,
                                  self.engine.customize,
                                  base.nova_xml('nova-basic'), specs)
        self.assertIn('and 4 more', error.format_message())

    def test_as_many_rules_as_named_are_all_named(self):
        specs = {'xmlhooks:xml:e%02d' % i: './description=d%d' % i
                 for i in range(schema.MAX_RULES_NAMED - 1)}
        specs['xmlhooks:xml:zz'] = './features/bogus/@state=on'
        error = self.assertRaises(exception.SchemaError,
                                  self.engine.customize,
                                  base.nova_xml('nova-basic'), specs)
        self.assertEqual(tuple(sorted(specs)), error.rules)
        self.assertNotIn('more', error.format_message())


# Only a name, a description, and an empty <metadata>: our record is the
# only thing a rule on the description can get wrong.
NO_RECORD_RNG = """<?xml version="1.0"?>
<element name="domain" xmlns="http://relaxng.org/ns/structure/1.0">
  <interleave>
    <element name="name"><text/></element>
    <optional><element name="description"><text/></element></optional>
    <optional><element name="metadata"><empty/></element></optional>
  </interleave>
</element>
"""


class RecordCheckedTest(base.TestCase):
    """The record is part of what the checks judge."""

    def test_schema_check_sees_the_record(self):
        path = self.write_profile('no-record.rng', NO_RECORD_RNG)
        check = schema.SchemaCheck(schema.compile_schema(path))
        eng = engine.Engine(self.engine(customizers=['xml']).customizers, {},
                            checks=[check])
        xml = '<domain><name>x</name></domain>'
        error = self.assertRaises(exception.SchemaError, eng.customize, xml,
                                  {'xmlhooks:xml:d': './description=y'})
        self.assertIn('/domain/metadata', error.format_message())
        self.assertEqual(('xmlhooks:xml:d',), error.rules)


class HostSchemaRecordTest(base.TestCase):
    """Where the record goes, against the host's own libvirt schema."""

    def setUp(self):
        super().setUp()
        if not os.path.exists(self.conf.xmlhooks.schema_path):
            self.skipTest('libvirt schema %s is not installed'
                          % self.conf.xmlhooks.schema_path)
        self.flags(validate_schema=True)
        self.validator = schema.compile_schema(
            self.conf.xmlhooks.schema_path)

    def test_genid_without_metadata(self):
        # NOTE(xmlhooks): libxml2 refuses <metadata> between <uuid> and
        # <genid>, and says so as "Invalid attribute id for element
        # domain" when the domain has an id.
        xml = odd_shapes.ODD_SHAPES['genid-without-metadata']
        self.assertTrue(self.validator.validate(
            etree.fromstring(xml.encode())))
        out = self.engine().customize(xml, {'xmlhooks:kvm:hidden': 'on'})
        root = etree.fromstring(out.encode())
        self.assertTrue(self.validator.validate(root),
                        self.validator.error_log)
        self.assertEqual(['name', 'uuid', 'genid', 'metadata'],
                         [node.tag for node in root[:4]])
