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

import fixtures

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
                                  'xmlhooks:xml:b': './name/text()=x'}))
        self.assertIn("'xmlhooks:xml:b'", e.format_message())

    def test_skip_returns_novas_xml_and_warns(self):
        logs = self.useFixture(fixtures.FakeLogger())
        engine_ = self.engine_with(on_error='skip')
        out = engine_.customize(self.xml, {
            'xmlhooks:xml:b': './name/text()=x',
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
            ('[xmlhooks] default_profiles', 'bad', None),
        ], [(e.path, e.profile, e.entry) for e in errors])
        self.assertEqual(['good'], list(engine_.profiles))
        self.assertEqual(('good',), engine_.default_profiles)
        self.assertEqual(['profile:good'], [
            rule.source for rule in engine_.resolve({})])

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
