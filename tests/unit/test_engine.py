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

import dataclasses

import fixtures

from lxml import etree
from nova import exception as nova_exception

from nova_xmlhooks import engine
from nova_xmlhooks import exception
from nova_xmlhooks import loader
from nova_xmlhooks import metadata
from nova_xmlhooks import profiles
from tests.unit import base

GOLD = """
gold:
  description: Test profile
  specs:
    xmlhooks:xml:clock: ./clock/@offset=localtime
  xml:
    - "./sysinfo/baseBoard/entry[@name='manufacturer']=ACME"
    - xpath.delete=./devices/input[@type='tablet']
silver:
  specs:
    xmlhooks:xml:clock: ./clock/@offset=variable
"""


class EngineTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.write_profile('gold.yaml', GOLD)
        self.xml = base.nova_xml('nova-basic')
        self.engine = self.engine(customizers=['xml'])

    def test_no_rules_returns_novas_xml_untouched(self):
        self.assertIs(self.xml, self.engine.customize(self.xml, {}))
        self.assertIs(self.xml, self.engine.customize(
            self.xml, {'hw:cpu_policy': 'dedicated', 'other:x': 'y'}))

    def test_profile_and_flavor_rules_apply(self):
        out = self.engine.customize(self.xml, {
            'xmlhooks:profile': 'gold',
            'xmlhooks:xml:name': "./description=managed"})
        self.assertEqual(['localtime'], base.xpath(out, './clock/@offset'))
        self.assertEqual(['ACME'], base.xpath(
            out, "./sysinfo/baseBoard/entry[@name='manufacturer']/text()"))
        self.assertEqual([], base.xpath(out,
                                        "./devices/input[@type='tablet']"))
        self.assertEqual(['managed'], base.xpath(out, './description/text()'))

    def test_rescue_leaves_out_rules_that_match_nothing(self):
        specs = {'xmlhooks:xml:a-swap': "./devices/disk[target/@dev='vdc']"
                                        "/driver/@io=threads",
                 'xmlhooks:xml:b-nic': './devices/interface/mtu/@size=9000',
                 'xmlhooks:xml:c-clock': './clock/@offset=localtime'}
        xml = self.xml.replace('<interface', '<nointerface').replace(
            '</interface>', '</nointerface>')
        e = self.assertRaises(exception.RuleError, self.engine.customize,
                              xml, specs)
        self.assertEqual('xmlhooks:xml:a-swap', e.key)
        out = self.engine.customize(xml, specs, rescue=True)
        self.assertEqual(['localtime'], base.xpath(out, './clock/@offset'))
        record = etree.fromstring(out.encode()).find(
            'metadata/{%s}customization' % metadata.XMLHOOKS_NS)
        self.assertEqual(
            [('xmlhooks:xml:a-swap', 'no'), ('xmlhooks:xml:b-nic', 'no'),
             ('xmlhooks:xml:c-clock', None)],
            [(rule.get('key'), rule.get('added')) for rule in record])

    def test_flavor_key_overrides_profile_key(self):
        out = self.engine.customize(self.xml, {
            'xmlhooks:profile': 'gold',
            'xmlhooks:xml:clock': './clock/@offset=utc'})
        self.assertEqual(['utc'], base.xpath(out, './clock/@offset'))

    def test_later_profile_overrides_earlier(self):
        for order, expected in (('gold,silver', 'variable'),
                                ('silver,gold', 'localtime')):
            out = self.engine.customize(self.xml, {'xmlhooks:profile': order})
            self.assertEqual([expected], base.xpath(out, './clock/@offset'))

    def test_default_profiles_come_first(self):
        engine_ = self.engine_with(default_profiles=['silver'])
        out = engine_.customize(self.xml, {})
        self.assertEqual(['variable'], base.xpath(out, './clock/@offset'))
        out = engine_.customize(self.xml, {'xmlhooks:profile': 'gold'})
        self.assertEqual(['localtime'], base.xpath(out, './clock/@offset'))

    def test_every_default_profile_applies_in_order(self):
        engine_ = self.engine_with(default_profiles=['gold', 'silver'])
        self.assertEqual(('gold', 'silver'), engine_.default_profiles)
        out = engine_.customize(self.xml, {})
        self.assertEqual(['variable'], base.xpath(out, './clock/@offset'))
        self.assertEqual(['ACME'], base.xpath(
            out, "./sysinfo/baseBoard/entry[@name='manufacturer']/text()"))
        self.assertEqual(['gold', 'silver'],
                         metadata.recorded(engine.parse_domain(out))[0])

    def engine_with(self, **flags):
        self.flags(customizers=['xml'], **flags)
        return engine.Engine.from_conf(self.conf)

    def test_order_is_deterministic(self):
        ruleset = self.engine.resolve({
            'xmlhooks:xml:b': './b=1', 'xmlhooks:xml:a': './a=1',
            'xmlhooks:profile': 'gold'})
        self.assertEqual(
            ['xmlhooks:xml:clock', 'xmlhooks:xml:gold[0]',
             'xmlhooks:xml:gold[1]', 'xmlhooks:xml:a', 'xmlhooks:xml:b'],
            [rule.key for rule in ruleset])
        self.assertEqual(('gold',), ruleset.profiles)

    def test_idempotent(self):
        self.engine = self.engine_with(allow_sensitive=['qemu_passthrough'])
        specs = {'xmlhooks:profile': 'gold',
                 'xmlhooks:xml:q': './qemu:commandline/qemu:arg/@value=-S'}
        once = self.engine.customize(self.xml, specs)
        self.assertEqual(once, self.engine.customize(once, specs))

    def test_applied_rules_are_recorded(self):
        out = self.engine.customize(self.xml, {'xmlhooks:profile': 'gold'})
        profiles, rules = metadata.recorded(engine.parse_domain(out))
        self.assertEqual(['gold'], profiles)
        self.assertEqual(
            [('xmlhooks:xml:clock', 'profile:gold', './clock/@offset='
              'localtime')],
            [(r.key, r.source, r.value) for r in rules][:1])
        # Nova's own metadata is kept.
        self.assertTrue(base.xpath(
            out, './metadata/*[local-name()="instance"]'))

    def test_unknown_profile_fails_naming_key_and_profile(self):
        e = self.assertRaises(exception.UnknownProfile,
                              self.engine.customize, self.xml,
                              {'xmlhooks:profile': 'gold,nope'})
        self.assertIsInstance(e, nova_exception.InvalidInput)
        self.assertIn("'xmlhooks:profile'", e.format_message())
        self.assertIn("'nope'", e.format_message())

    def test_unknown_family_fails_naming_key(self):
        e = self.assertRaises(exception.InvalidSpec, self.engine.customize,
                              self.xml, {'xmlhooks:frob:x': 'y'})
        self.assertIn("'xmlhooks:frob:x'", e.format_message())
        self.assertIn('no customizer', e.format_message())

    def test_bad_value_fails_naming_key(self):
        e = self.assertRaises(exception.InvalidSpec, self.engine.customize,
                              self.xml, {'xmlhooks:xml:x': 'not an edit'})
        self.assertIn("'xmlhooks:xml:x'", e.format_message())
        self.assertEqual(1, len(e.format_message().splitlines()))

    def test_all_or_nothing(self):
        # The first rule would apply; the second fails when applied, so the
        # caller gets an error and no XML at all.
        e = self.assertRaises(exception.RuleError, self.engine.apply,
                              self.xml, self.engine.resolve({
                                  'xmlhooks:xml:a': './description=x',
                                  'xmlhooks:xml:b': './os/type/text()=x'}))
        self.assertIn("'xmlhooks:xml:b'", e.format_message())

    def test_skip_returns_novas_xml_and_warns(self):
        logs = self.useFixture(fixtures.FakeLogger())
        engine_ = self.engine_with(on_error='skip')
        out = engine_.customize(self.xml, {
            'xmlhooks:xml:b': './os/type/text()=x',
            'xmlhooks:xml:a': './description=x'})
        self.assertIs(self.xml, out)
        self.assertIn("'xmlhooks:xml:b'", logs.output)

    def test_info_line_and_debug_diff(self):
        logs = self.useFixture(fixtures.FakeLogger(level='DEBUG'))
        self.engine.customize(self.xml, {'xmlhooks:profile': 'gold'})
        self.assertIn("Applied 3 xmlhooks rule(s) from profiles ['gold']",
                      logs.output)
        self.assertIn('+++ xmlhooks', logs.output)
        self.assertIn('offset="localtime"', logs.output)

    def test_parsed_values_are_cached(self):
        specs = {'xmlhooks:xml:a': './description=x'}
        first = self.engine.resolve(specs)[0].payload
        self.assertIs(first, self.engine.resolve(specs)[0].payload)

    def test_flavor_key_takes_the_later_place(self):
        ruleset = self.engine.resolve({
            'xmlhooks:profile': 'gold',
            'xmlhooks:xml:clock': './clock/@offset=utc'})
        self.assertEqual(
            [('xmlhooks:xml:gold[0]', 'profile:gold'),
             ('xmlhooks:xml:gold[1]', 'profile:gold'),
             ('xmlhooks:xml:clock', 'flavor')],
            [(rule.key, rule.source) for rule in ruleset])

    def test_families_run_in_the_customisers_order(self):
        # NOTE(xmlhooks): whatever the sources: the xml edit, the flavor's,
        # runs before the timer family, whose rule is the profile's.
        self.write_profile('hpet.yaml', 'hpet:\n  specs:\n'
                                        '    xmlhooks:timer:hpet: '
                                        'present=no\n')
        specs = {'xmlhooks:profile': 'hpet',
                 'xmlhooks:xml:hpet':
                     "./clock/timer[@name='hpet']/@present=yes"}
        for names, present in ((['xml', 'timer'], 'no'),
                               (['timer', 'xml'], 'yes')):
            out = base.TestCase.engine(self, customizers=names).customize(
                self.xml, specs)
            self.assertEqual([present], base.xpath(
                out, "./clock/timer[@name='hpet']/@present"), names)

    def test_later_profile_key_takes_the_later_place(self):
        # NOTE(xmlhooks): as a flavor key does; the rules apply, and are
        # recorded, in this order.
        ruleset = self.engine.resolve({'xmlhooks:profile': 'gold,silver'})
        self.assertEqual(
            [('xmlhooks:xml:gold[0]', 'profile:gold'),
             ('xmlhooks:xml:gold[1]', 'profile:gold'),
             ('xmlhooks:xml:clock', 'profile:silver')],
            [(rule.key, rule.source) for rule in ruleset])
        out = self.engine.customize(self.xml,
                                    {'xmlhooks:profile': 'gold,silver'})
        self.assertEqual(
            ['xmlhooks:xml:gold[0]', 'xmlhooks:xml:gold[1]',
             'xmlhooks:xml:clock'],
            [r.key for r in metadata.recorded(engine.parse_domain(out))[1]])

    def test_check_refuses_what_apply_refuses(self):
        logs = self.useFixture(fixtures.FakeLogger())
        bad = self.engine.resolve({'xmlhooks:xml:a': './description=x',
                                   'xmlhooks:xml:b': './os/type/text()=x'})
        e = self.assertRaises(exception.RuleError, self.engine.check,
                              self.xml, bad)
        self.assertIn("'xmlhooks:xml:b'", e.format_message())
        self.assertIsNone(self.engine.check(self.xml, self.engine.resolve(
            {'xmlhooks:xml:a': './description=x'})))
        self.assertIsNone(self.engine.check(self.xml, self.engine.resolve(
            {})))
        self.assertNotIn('Applied', logs.output)

    def test_blank_text_of_a_built_tree_is_not_seen(self):
        # NOTE(xmlhooks): Nova's text, once parsed, has no text beside the
        # devices; a tree built in memory may hold an empty or a blank
        # one, which rules reading text() would otherwise see.
        specs = {'xmlhooks:xml:a':
                 "xpath.delete=./devices[not(text())]/input[@type='tablet']"}
        expected = self.engine.customize(self.xml, specs)
        self.assertEqual([], base.xpath(expected,
                                        "./devices/input[@type='tablet']"))
        for where, blank in (('tail', ''), ('text', '\n    ')):
            root = engine.parse_domain(self.xml)
            devices = root.find('devices')
            if where == 'tail':
                devices[0].tail = blank
            else:
                devices.text = blank
            self.assertEqual(expected, self.engine.customize_tree(
                root, lambda: self.xml, specs), where)

    def test_built_tree_keeps_text_beside_other_text(self):
        # NOTE(xmlhooks): the parser keeps a blank text that follows other
        # text in the same element; so does a built tree, and the blanks
        # after it are still dropped.
        specs = {'xmlhooks:xml:a':
                 "xpath.delete=./devices[not(text())]/input[@type='tablet']"}
        xml = base.nova_xml('nova-basic').replace(
            '<metadata>', '<metadata><a:note xmlns:a="urn:a"><a:b/>two'
            '<a:c/> </a:note>', 1)
        expected = self.engine.customize(xml, specs)
        self.assertIn('two<a:c/> </a:note>', expected)
        self.assertEqual([], base.xpath(expected,
                                        "./devices/input[@type='tablet']"))
        root = engine.parse_domain(xml)
        root.find('devices')[0].tail = '\n    '
        self.assertEqual(expected, self.engine.customize_tree(
            root, lambda: xml, specs))

    def test_checks_see_nova_and_result(self):
        seen = []

        def check(nova_root, result_root, ruleset):
            seen.append((nova_root.findtext('description'),
                         result_root.findtext('description'), len(ruleset)))
            raise exception.XmlHooksError(reason='refused by check')

        engine_ = engine.Engine(self.engine.customizers, {}, checks=[check])
        e = self.assertRaises(exception.XmlHooksError, engine_.customize,
                              self.xml, {'xmlhooks:xml:a': './description=x'})
        self.assertEqual([(None, 'x', 1)], seen)
        self.assertIn('refused by check', e.format_message())


class ProfileCompileTest(base.TestCase):

    def test_bad_profile_entry_names_file_profile_and_entry(self):
        path = self.write_profile('bad.yaml', """
ok:
  specs: {}
broken:
  xml:
    - ./clock/@offset=utc
    - not an edit
""")
        e = self.assertRaises(exception.ProfileError, self.engine,
                              customizers=['xml'])
        message = e.format_message()
        self.assertIn(path, message)
        self.assertIn("profile 'broken'", message)
        self.assertIn("entry 'xml[1]'", message)

    def test_profile_may_not_nest_profiles(self):
        self.write_profile('nest.yaml', """
outer:
  specs:
    xmlhooks:profile: inner
""")
        e = self.assertRaises(exception.ProfileError, self.engine,
                              customizers=['xml'])
        self.assertIn("entry 'xmlhooks:profile'", e.format_message())

    def test_unknown_default_profile(self):
        e = self.assertRaises(exception.ProfileError, self.engine,
                              customizers=['xml'], default_profiles=['nope'])
        self.assertIn("'nope'", e.format_message())

    def test_collects_every_problem(self):
        self.write_profile('a.yaml', 'a:\n  xml: [bad one]\n')
        self.write_profile('b.yaml', 'b: [not, a, mapping]\n')
        self.write_profile('c.yaml', 'c:\n  xml: ["./description=ok"]\n')
        self.write_profile('d.yaml', ': : :\n')
        self.flags(customizers=['xml'])
        errors = []
        engine_ = engine.Engine.from_conf(self.conf, errors=errors)
        self.assertEqual(3, len(errors), [e.format_message()
                                          for e in errors])
        self.assertEqual(['c'], list(engine_.profiles))

    def test_collecting_keeps_what_passed(self):
        path = self.write_profile('a.yaml', '''
bad:
  specs:
    xmlhooks:xml:a: no-equals
    xmlhooks:xml:b: ./title=x
  xml: [./title=y, "xpath.delete=./devices/[["]
good:
  xml: [./title=z]
''')
        self.flags(customizers=['xml'], default_profiles=['bad', 'good'])
        errors = []
        engine_ = engine.Engine.from_conf(self.conf, errors=errors)
        self.assertEqual([
            (path, 'bad', 'xmlhooks:xml:a'), (path, 'bad', 'xml[1]'),
            (None, 'bad', None),
        ], [(e.path, e.profile, e.entry) for e in errors])
        self.assertEqual([None, None, '[xmlhooks] default_profiles'],
                         [e.option for e in errors])
        self.assertEqual(['good'], list(engine_.profiles))
        self.assertEqual(('good',), engine_.default_profiles)
        self.assertEqual(['profile:good'], [
            rule.source for rule in engine_.resolve({})])

    def test_collecting_reports_a_check_that_cannot_be_built(self):
        # NOTE(xmlhooks): nova-xmlhooks validate reports a schema it
        # cannot compile beside the profiles' problems, and goes on.
        self.write_profile('c.yaml', 'c:\n  xml: ["./description=ok"]\n')
        self.flags(customizers=['xml'], validate_schema=True,
                   schema_path=self.write_profile('broken.rng', '<grammar>'))
        errors = []
        engine_ = engine.Engine.from_conf(self.conf, errors=errors)
        self.assertEqual(1, len(errors))
        self.assertIn('cannot be compiled', errors[0].format_message())
        out = engine_.customize(base.nova_xml('nova-basic'),
                                {'xmlhooks:profile': 'c'})
        self.assertEqual(['ok'], base.xpath(out, './description/text()'))

    def test_the_service_stops_at_the_first_problem(self):
        self.write_profile('a.yaml', 'a:\n  colour: red\n  xml: [bad]\n')
        e = self.assertRaises(exception.ProfileError, self.engine,
                              customizers=['xml'])
        self.assertEqual('colour', e.entry)

    def test_engine_from_profiles_collects_too(self):
        profile = profiles.Profile(
            name='p', path='p.yaml', description='', image_selectable=False,
            specs=(('xmlhooks:nofamily:a', 'x'), ('xmlhooks:xml:b', 'bad')),
            xml=('./title=x', 'bad'))
        customizers = loader.load_customizers(self.conf, ['xml'])
        errors = []
        engine_ = engine.Engine(customizers, {'p': profile},
                                default_profiles=['p'], errors=errors)
        self.assertEqual(
            ['xmlhooks:nofamily:a', 'xmlhooks:xml:b', 'xml[1]', None],
            [e.entry for e in errors])
        self.assertEqual({}, engine_.profiles)
        self.assertRaises(exception.ProfileError, engine.Engine,
                          customizers, {'p': profile})


class RuleSetTest(base.TestCase):

    def test_frozen_and_walks_like_its_rules(self):
        eng = self.engine(customizers=['xml'])
        ruleset = eng.resolve({'xmlhooks:xml:b': './b=1',
                               'xmlhooks:xml:a': './a=1'})
        self.assertEqual(2, len(ruleset))
        self.assertEqual(['xmlhooks:xml:a', 'xmlhooks:xml:b'],
                         [rule.key for rule in ruleset])
        self.assertIs(ruleset.rules[1], ruleset[1])
        self.assertIsInstance(ruleset.rules, tuple)
        self.assertEqual((), ruleset.profiles)
        self.assertRaises(dataclasses.FrozenInstanceError, setattr,
                          ruleset, 'profiles', ('x',))
        self.assertFalse(eng.resolve({}))
        self.assertEqual(engine.RuleSet((), ()), eng.resolve({}))

    def test_build_takes_any_iterable(self):
        ruleset = engine.RuleSet.build(iter([]), dict.fromkeys(['a', 'b']))
        self.assertEqual(((), ('a', 'b')),
                         (ruleset.rules, ruleset.profiles))


class DoctypeTest(base.TestCase):
    """A document type declaration is refused, in one line."""

    DOCUMENTS = (
        '<!DOCTYPE domain>\n%s',
        '<!DOCTYPE domain [<!ENTITY co "ACME">]>\n%s',
        '<?xml version="1.0"?>\n<!DOCTYPE domain SYSTEM "domain.dtd">\n%s',
        '<!DOCTYPE domain PUBLIC "-//x//EN" "http://127.0.0.1:9/x.dtd">%s',
    )

    def test_refused_in_one_line(self):
        xml = base.nova_xml('nova-basic')
        for template in self.DOCUMENTS:
            e = self.assertRaises(exception.DoctypeError, engine.parse_domain,
                                  template % xml)
            self.assertIsInstance(e, nova_exception.InvalidInput)
            self.assertEqual(1, len(e.format_message().splitlines()))
            self.assertIn('<!DOCTYPE>', e.format_message())

    def test_entity_is_not_left_in_the_output(self):
        # NOTE(xmlhooks): the entity was kept as a reference and the
        # declaration dropped, so the result was not well-formed XML.
        xml = (self.DOCUMENTS[1] % base.nova_xml('nova-basic')).replace(
            '<devices>', '<description>&co;</description><devices>')
        eng = self.engine(customizers=['xml'])
        self.assertRaises(exception.DoctypeError, eng.customize, xml,
                          {'xmlhooks:xml:a': './clock/@offset=localtime'})
        skipping = self.engine(customizers=['xml'], on_error='skip')
        self.assertIs(xml, skipping.customize(
            xml, {'xmlhooks:xml:a': './clock/@offset=localtime'}))

    def test_comment_that_looks_like_one_is_fine(self):
        xml = '<!-- <!DOCTYPE domain> -->\n' + base.nova_xml('nova-basic')
        self.assertEqual('domain', engine.parse_domain(xml).tag)


class RecordTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml('nova-basic')

    def test_checks_see_the_record(self):
        seen = []

        def check(nova_root, result_root, ruleset):
            seen.append((metadata.recorded(nova_root),
                         metadata.recorded(result_root)))

        eng = engine.Engine(self.engine(customizers=['xml']).customizers,
                            {}, checks=[check])
        eng.customize(self.xml, {'xmlhooks:xml:a': './description=x'})
        (before, after), = seen
        self.assertIsNone(before)
        self.assertEqual(['xmlhooks:xml:a'], [r.key for r in after[1]])

    def test_metadata_goes_after_the_ids_title_and_description(self):
        eng = self.engine(customizers=['xml'])
        specs = {'xmlhooks:xml:a': './clock/@offset=localtime'}
        for children, previous in (
                ('<name>a</name><uuid>%s</uuid><genid/>', 'genid'),
                ('<uuid>%s</uuid><name>a</name><title>t</title>', 'title'),
                ('<name>a</name><description>d</description><uuid>%s</uuid>',
                 'uuid'),
                ('<uuid>%s</uuid><name>a</name>', 'name'),
                ('<name>a</name><uuid>%s</uuid><description>d</description>',
                 'description'),
                ('', None)):
            xml = ('<domain type="kvm">%s<clock offset="utc"/></domain>'
                   % children.replace('%s', '0d9f3c2e-7a51-4e8b-9c3d-'
                                            '2f6a1b5e8c47'))
            root = engine.parse_domain(eng.customize(xml, specs))
            meta = root.find('metadata')
            self.assertEqual(
                previous, None if meta.getprevious() is None
                else meta.getprevious().tag, children)

    def test_existing_metadata_stays_where_it_is(self):
        eng = self.engine(customizers=['xml'])
        out = eng.customize(self.xml, {'xmlhooks:xml:a': './description=x'})
        root = engine.parse_domain(out)
        self.assertEqual(1, len(root.findall('metadata')))
        self.assertEqual('vcpu', root.find('metadata').getprevious().tag)


class SerializeTest(base.TestCase):
    """Whitespace that would not survive a re-read is not written."""

    def test_blank_container_that_gains_a_child(self):
        root = engine.parse_domain(
            '<domain>\n  <devices>\n  </devices>\n'
            '  <description>  two  spaces  </description>\n'
            '  <title> </title>\n</domain>')
        root.find('devices').append(etree.Element('memballoon'))
        out = engine.serialize(root)
        self.assertIn('  <devices>\n    <memballoon/>\n  </devices>\n', out)
        self.assertIn('<description>  two  spaces  </description>', out)
        self.assertIn('<title> </title>', out)
        self.assertEqual(out, engine.serialize(engine.parse_domain(out)))

    def test_text_beside_elements_is_kept(self):
        # Foreign metadata may hold mixed content; its text is content.
        xml = ('<domain><metadata><a:note xmlns:a="urn:a">one <a:b>two'
               '</a:b> three<a:c/> </a:note></metadata></domain>')
        out = engine.serialize(engine.parse_domain(xml))
        self.assertIn('one <a:b>two</a:b> three<a:c/> </a:note>', out)
        # Elements side by side in mixed content: nothing is dropped, and
        # the caller is told so.
        xml = xml.replace('</a:b> three', '</a:b><a:d/>three')
        out = engine.serialize(engine.parse_domain(xml))
        self.assertIn('one <a:b>two</a:b><a:d/>three<a:c/> </a:note>', out)
        self.assertEqual((out, False), engine.serialize_tidied(
            engine.parse_domain(xml)))

    def test_blank_beside_elements_in_a_built_tree_is_dropped(self):
        # NOTE(xmlhooks): a tree built in memory may hold indentation
        # between elements, as text or as a tail; it is written as Nova
        # writes the document, and the caller is told.
        xml = base.nova_xml('nova-basic')
        for where in ('text', 'tail'):
            root = engine.parse_domain(xml)
            devices = root.find('devices')
            if where == 'tail':
                devices[0].tail = '\n    '
            else:
                devices.text = '\n    '
            self.assertEqual((xml, True), engine.serialize_tidied(root),
                             where)

    def test_novas_documents_are_written_as_they_were(self):
        for name in ('nova-basic', 'nova-two-disks', 'nova-windows'):
            xml = base.nova_xml(name)
            self.assertEqual(xml, engine.serialize(engine.parse_domain(xml)))


IMAGE_PROFILES = """
host-default:
  xml:
    - ./features/pmu/@state=off
selectable:
  image_selectable: true
  xml:
    - ./features/vmport/@state=off
operator-only:
  xml:
    - ./features/pvspinlock/@state=off
breaks-on-apply:
  image_selectable: true
  xml:
    - ./os/type/text()=x
"""


class ImageProfileTest(base.TestCase):
    """What an ordinary user's image property can and cannot do."""

    def setUp(self):
        super().setUp()
        self.write_profile('image.yaml', IMAGE_PROFILES)
        self.xml = base.nova_xml('nova-basic')
        self.specs = {'xmlhooks:xml:flavor': './clock/@offset=localtime'}

    def _engine(self, on_error):
        return self.engine(customizers=['xml'], on_error=on_error,
                           default_profiles=['host-default'])

    def _host_and_flavor_applied(self, out, image_applied=False):
        self.assertEqual(['off'], base.xpath(out, './features/pmu/@state'))
        self.assertEqual(['localtime'], base.xpath(out, './clock/@offset'))
        self.assertEqual(['off'] if image_applied else [],
                         base.xpath(out, './features/vmport/@state'))

    def test_one_message_for_unknown_and_not_selectable(self):
        eng = self._engine('fail')
        messages = []
        for name in ('nosuch', 'operator-only'):
            e = self.assertRaises(exception.InvalidSpec, eng.customize,
                                  self.xml, self.specs, [name])
            messages.append(e.format_message().replace(name, 'NAME'))
            self.assertIn(engine.IMAGE_PROPERTY, e.format_message())
        self.assertEqual(messages[0], messages[1])
        self.assertNotIn('unknown', messages[0])

    def test_a_forbidding_flavor_is_named_as_such(self):
        eng = self._engine('fail')
        e = self.assertRaises(
            exception.InvalidSpec, eng.customize, self.xml,
            dict(self.specs, **{'xmlhooks:image_profiles': 'forbidden'}),
            ['selectable'])
        self.assertIn(engine.IMAGE_PROPERTY, e.format_message())
        self.assertIn('forbids', e.format_message())
        e = self.assertRaises(
            exception.InvalidSpec, eng.customize, self.xml,
            dict(self.specs, **{'xmlhooks:image_profiles': 'maybe'}),
            ['selectable'])
        self.assertIn(engine.IMAGE_PROFILES_KEY, e.format_message())

    def test_a_name_that_is_not_a_string_is_refused(self):
        # NOTE(xmlhooks): Nova's image properties are strings; another
        # caller's may not be.
        eng = self._engine('fail')
        for name in (None, 5, ['selectable']):
            e = self.assertRaises(exception.InvalidSpec, eng.customize,
                                  self.xml, self.specs, [name])
            self.assertIn(engine.IMAGE_PROPERTY, e.format_message())
            self.assertIn('not a string', e.format_message())

    def test_a_long_name_is_quoted_short(self):
        # NOTE(xmlhooks): the image's owner sets the property, and the
        # fault shows the message; it quotes the start of the name.
        name = 'x' * 100000
        e = self.assertRaises(exception.InvalidSpec, self._engine('fail')
                              .customize, self.xml, self.specs, [name])
        self.assertIn("'%s...' is not a profile" % ('x' * 64),
                      e.format_message())
        self.assertLess(len(e.format_message()), 200)

    def test_skip_keeps_host_and_flavor_when_the_image_is_wrong(self):
        eng = self._engine('skip')
        for names, specs in (
                (['nosuch'], self.specs),
                (['operator-only'], self.specs),
                (['selectable', 'nosuch'], self.specs),
                (['breaks-on-apply'], self.specs),
                (['selectable'],
                 dict(self.specs, **{'xmlhooks:image_profiles':
                                     'forbidden'}))):
            logs = self.useFixture(fixtures.FakeLogger())
            out = eng.customize(self.xml, specs, names)
            self._host_and_flavor_applied(out)
            self.assertEqual(['profile:host-default', 'flavor'], base.xpath(
                out, './metadata/*[local-name()="customization"]/'
                     '*/@source'))
            self.assertIn('Ignoring the profiles the image selects',
                          logs.output)
            self.assertNotIn('Skipping', logs.output)

    def test_skip_applies_a_good_image_selection(self):
        out = self._engine('skip').customize(self.xml, self.specs,
                                             ['selectable'])
        self._host_and_flavor_applied(out, image_applied=True)

    def test_skip_drops_everything_when_the_flavor_is_wrong(self):
        logs = self.useFixture(fixtures.FakeLogger())
        eng = self._engine('skip')
        self.assertIs(self.xml, eng.customize(
            self.xml, {'xmlhooks:xml:bad': './os/type/text()=x'},
            ['selectable']))
        self.assertIn("Skipping xmlhooks customisation: xmlhooks: rule "
                      "'xmlhooks:xml:bad'", logs.output)
        self.assertNotIn('Ignoring', logs.output)

    def test_fail_still_fails_on_the_image(self):
        eng = self._engine('fail')
        self.assertRaises(exception.InvalidSpec, eng.customize, self.xml,
                          self.specs, ['operator-only'])
