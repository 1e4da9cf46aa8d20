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

"""What the hot path keeps between applications gives the same results."""

import concurrent.futures
import os
import queue
import subprocess
import sys
import threading

import fixtures
from lxml import etree
import yaml

from nova_xmlhooks.customizers import base as customizer_base
from nova_xmlhooks import engine
from nova_xmlhooks import exception
from nova_xmlhooks import guard
from nova_xmlhooks import metadata
from nova_xmlhooks import profiles
from nova_xmlhooks import schema
from nova_xmlhooks import xpath_edit
from tests.unit import base
from tests.unit.cmd import base as cmd_base
from tests.unit import test_schema


def _ruleset(rules, names=('p',)):
    return engine.RuleSet.build(
        [customizer_base.Rule(key=key, value=value, source='flavor',
                              family='xml', payload=None)
         for key, value in rules], names)


def _built_in_place(xml, ruleset):
    """The record as it was made before it was cached: element by element."""
    root = engine.parse_domain(xml)
    meta = root.find('metadata')
    ns = metadata.XMLHOOKS_NS
    node = etree.SubElement(meta, '{%s}customization' % ns,
                            nsmap={'xmlhooks': ns})
    for name in ruleset.profiles:
        etree.SubElement(node, '{%s}profile' % ns, name=name)
    for rule in ruleset:
        child = etree.SubElement(node, '{%s}rule' % ns, key=rule.key,
                                 family=rule.family, source=rule.source)
        child.text = rule.value
    return engine.serialize(root)


def fixtures_patch(owner, name, value):
    return fixtures.MonkeyPatch('%s.%s' % (owner.__name__, name), value)


def _recorded(xml, ruleset):
    root = engine.parse_domain(xml)
    metadata.record(root, ruleset)
    return engine.serialize(root)


class RecordCacheTest(base.TestCase):

    def setUp(self):
        super().setUp()
        metadata._cache_local.records = {}
        self.xml = base.nova_xml('nova-windows')

    def test_same_document_as_built_in_place(self):
        for rules in ([('xmlhooks:xml:a', './clock/@offset=utc')],
                      [('xmlhooks:xml:a', "x='<&>\"'\n\t"),
                       ('xmlhooks:xml:b', ''), ('xmlhooks:xml:c', ' ')]):
            ruleset = _ruleset(rules, ('p', 'q'))
            for _ in range(2):
                self.assertEqual(_built_in_place(self.xml, ruleset),
                                 _recorded(self.xml, ruleset))

    def test_rule_sets_get_their_own_records(self):
        first = _ruleset([('xmlhooks:xml:a', './title=a')])
        second = _ruleset([('xmlhooks:xml:a', './title=b')])
        other_profiles = _ruleset([('xmlhooks:xml:a', './title=a')], ('q',))
        for ruleset in (first, second, other_profiles, first):
            names, rules = metadata.recorded(engine.parse_domain(
                _recorded(self.xml, ruleset)))
            self.assertEqual(list(ruleset.profiles), names)
            self.assertEqual([r.value for r in ruleset],
                             [r.value for r in rules])

    def test_documents_do_not_share_the_record(self):
        ruleset = _ruleset([('xmlhooks:xml:a', './title=a')])
        first = engine.parse_domain(self.xml)
        second = engine.parse_domain(self.xml)
        metadata.record(first, ruleset)
        metadata.record(second, ruleset)
        path = 'metadata/{%s}customization' % metadata.XMLHOOKS_NS
        first.find(path)[0].set('name', 'changed')
        self.assertEqual('p', second.find(path)[0].get('name'))
        self.assertEqual('p', engine.parse_domain(_recorded(
            self.xml, ruleset)).find(path)[0].get('name'))

    def test_bounded(self):
        self.useFixture(fixtures_patch(metadata, 'MAX_CACHED_RECORDS', 3))
        for n in range(10):
            _recorded(self.xml, _ruleset([('xmlhooks:xml:a', str(n))]))
        self.assertEqual(3, len(metadata._cache_local.records))

    def test_per_thread(self):
        ruleset = _ruleset([('xmlhooks:xml:a', './title=a')])
        expected = _recorded(self.xml, ruleset)
        seen = []

        def other_thread():
            seen.append(getattr(metadata._cache_local, 'records', None))
            seen.append(_recorded(self.xml, ruleset))
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        self.assertEqual([None, expected], seen)


class LoaderTest(base.TestCase):
    """libyaml reads profiles exactly as PyYAML's own loader does."""

    def setUp(self):
        super().setUp()
        if profiles._StrictCLoader is None:
            self.skipTest('PyYAML was built without libyaml')

    def _both(self, text):
        results = []
        for loader in (profiles._StrictCLoader, profiles._StrictLoader):
            try:
                results.append(('ok', yaml.load(text, Loader=loader)))
            except yaml.YAMLError as e:
                mark = getattr(e, 'problem_mark', None)
                results.append(('error', mark and mark.line,
                                getattr(e, 'problem', None)))
        return results

    def test_same_data(self):
        text = ('a:\n  description: "x\\ty"\n  specs:\n'
                '    xmlhooks:xml:n: 1\n    xmlhooks:xml:b: on\n'
                "  xml:\n    - './clock=\n\n      '\n    - |\n      x\n"
                '  image_selectable: true\n')
        first, second = self._both(text)
        self.assertEqual('ok', first[0])
        self.assertEqual(first, second)

    def test_same_refusals(self):
        for text in ('a: 1\na: 2\n', 'a: &x 1\nb: *x\n',
                     '[' * 40 + ']' * 40, 'a:\n  b: 1\n  b: 2\n'):
            first, second = self._both(text)
            self.assertEqual('error', first[0], text)
            self.assertEqual(first, second, text)

    def test_syntax_errors_worded_as_pyyaml_does(self):
        messages = {}
        for name, loader in (('c', profiles._StrictCLoader), ('py', None)):
            self.useFixture(fixtures_patch(profiles, '_StrictCLoader',
                                           loader))
            for text in ('a: b: c\n', 'a:\n\t- x\n', '- [a\n'):
                path = self.write_profile('bad.yaml', text)
                error = self.assertRaises(exception.ProfileError,
                                          profiles.load_file, path)
                messages.setdefault(text, []).append(error.format_message())
        for text, (with_c, pure) in messages.items():
            self.assertEqual(pure, with_c)
            self.assertIn('is not valid YAML at line', pure)

    def test_library_reads_the_same(self):
        for n in range(20):
            self.write_profile('p%02d.yaml' % n, yaml.safe_dump({
                'p%02d' % n: {'description': 'n %d' % n,
                              'specs': {'xmlhooks:xml:a': './title=%d' % n},
                              'xml': ["./description='%d'" % n]}}))
        with_c = base.load_profiles([self.profile_dir])
        self.useFixture(fixtures_patch(profiles, '_StrictCLoader', None))
        self.assertEqual(base.load_profiles([self.profile_dir]),
                         with_c)


class ParserTest(base.TestCase):

    def test_one_parser_per_thread(self):
        # NOTE(xmlhooks): lxml parsers must not be shared between threads;
        # each thread makes one, once, and parses every document with it.
        first = engine._parser()
        self.assertIs(first, engine._parser())
        other = []
        thread = threading.Thread(target=lambda: other.append(
            (engine._parser(), engine._parser())))
        thread.start()
        thread.join()
        self.assertIs(other[0][0], other[0][1])
        self.assertIsNot(first, other[0][0])
        xml = base.nova_xml('nova-basic')
        self.assertEqual(xml, engine.serialize(engine.parse_domain(xml)))
        self.assertIs(first, engine._parser())


class LibyamlTest(base.TestCase):
    """Profiles are parsed by libyaml where PyYAML has it, else in Python."""

    def test_libyaml_parses_where_pyyaml_has_it(self):
        if not yaml.__with_libyaml__:
            self.skipTest('PyYAML was built without libyaml')
        self.assertIsNotNone(profiles._StrictCLoader)
        path = self.write_profile('p.yaml', 'p:\n  description: x\n')
        self.useFixture(fixtures_patch(profiles, '_StrictLoader', None))
        self.assertEqual(['p'], [p.name for p in profiles.load_file(path)])

    def test_profiles_load_without_libyaml(self):
        # NOTE(xmlhooks): a process of its own, where PyYAML's libyaml
        # binding is gone before the profiles module is imported.
        path = self.write_profile('p.yaml', 'p:\n  description: x\n')
        script = '\n'.join((
            'import sys, yaml',
            'del yaml.cyaml',
            'sys.modules["yaml.cyaml"] = None',
            'from nova_xmlhooks import profiles',
            'assert profiles._StrictCLoader is None',
            'print([p.name for p in profiles.load_file(sys.argv[1])])'))
        result = subprocess.run(
            [sys.executable, '-c', script, path], cwd=cmd_base.REPO_DIR,
            capture_output=True, text=True, timeout=120)
        self.assertEqual((0, "['p']\n"), (result.returncode, result.stdout),
                         result.stderr)


class ValidatorPoolTest(base.TestCase):
    """Threads validate with validators of their own, up to a bound."""

    def setUp(self):
        super().setUp()
        self.write_profile('part.rng', test_schema.TINY_PART)
        self.path = self.write_profile('tiny.rng', test_schema.TINY_RNG)
        self.good = '<domain><name>x</name></domain>'
        self.bad = '<domain><name>x</name><bogus/></domain>'

    def _run(self, check, threads=8, rounds=200):
        def one(n):
            doc = self.good if n % 2 else self.bad
            root = etree.fromstring(doc)
            try:
                check(etree.fromstring(self.good), root, ())
            except exception.SchemaError as e:
                return e.format_message()
            return None
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            return list(pool.map(one, range(rounds)))

    def test_concurrent_results_match_serial(self):
        check = schema.SchemaCheck(schema.compile_schema(self.path),
                                   self.path, max_validators=3)
        serial = self._run(check, threads=1)
        self.assertIsNone(serial[1])
        self.assertIn('bogus', serial[0])
        self.assertEqual(serial, self._run(check))
        self.assertLessEqual(check._validators._free.qsize(), 3)
        self.assertGreaterEqual(check._validators._spare, 0)

    def test_without_path_one_validator(self):
        check = schema.SchemaCheck(schema.compile_schema(self.path))
        serial = self._run(check, threads=1)
        self.assertEqual(serial, self._run(check))
        self.assertEqual(1, check._validators._free.qsize())

    def test_validators_are_made_only_when_all_are_in_use(self):
        # NOTE(xmlhooks): each costs a few MB; a free one is taken first,
        # and past the bound a thread waits for one in use (here, instead
        # of waiting, it is given 'in use').
        made = []

        def make():
            made.append('made%d' % len(made))
            return made[-1]
        pool = schema._Pool(make, 2, first='first')
        free = pool._free.get

        def get(block=True, timeout=None):
            try:
                return free(False)
            except queue.Empty:
                if not block:
                    raise
                return 'in use'
        self.useFixture(fixtures.MockPatchObject(pool._free, 'get', get))
        pool.put(pool.get())
        self.assertEqual(('first', []), (pool.get(), made))
        self.assertEqual('made0', pool.get())
        self.assertEqual('in use', pool.get())
        self.assertEqual(['made0'], made)

    def test_spare_validators_are_compiled_from_the_file(self):
        # NOTE(xmlhooks): a validator serves one thread at a time; the
        # others are compiled again from the file, and when it cannot be
        # read any more the threads share the validators there are.
        logs = self.useFixture(fixtures.FakeLogger())
        check = schema.SchemaCheck(schema.compile_schema(self.path),
                                   self.path, max_validators=2)
        spare = check._compile_spare()
        self.assertIsInstance(spare, etree.RelaxNG)
        self.assertIsNot(schema.compile_schema(self.path), spare)
        self.assertTrue(spare.validate(etree.fromstring(self.good)))
        self.assertFalse(spare.validate(etree.fromstring(self.bad)))
        os.unlink(self.path)
        self.assertIsNone(check._compile_spare())
        self.assertIn('Validating with fewer validators', logs.output)

    def test_unreadable_schema_later_waits_for_a_validator(self):
        check = schema.SchemaCheck(schema.compile_schema(self.path),
                                   self.path, max_validators=4)
        os.unlink(self.path)
        serial = self._run(check, threads=1)
        self.assertEqual(serial, self._run(check))
        self.assertEqual(1, check._validators._free.qsize())


class QemuDeclarationTest(base.TestCase):

    def test_found_anywhere_under_any_prefix(self):
        ns = xpath_edit.QEMU_NS
        for doc, found in (
                ('<domain><devices/></domain>', False),
                ('<domain xmlns:q="%s"><devices/></domain>' % ns, True),
                ('<domain><devices><x:a xmlns:x="%s"/></devices></domain>'
                 % ns, True),
                ('<domain><title>%s</title></domain>' % ns, False),
                ('<domain xmlns:q="urn:other"/>', False)):
            self.assertEqual(found, guard._declares_qemu(
                etree.fromstring(doc)), doc)

    def test_element_added_by_lxml_declares_it(self):
        root = etree.fromstring('<domain><devices/></domain>')
        etree.SubElement(root[0], '{%s}commandline' % xpath_edit.QEMU_NS)
        self.assertTrue(guard._declares_qemu(root))
        self.assertEqual(1, len(guard._qemu_items((), (root,))))

    def test_declared_above_a_subtree(self):
        ns = xpath_edit.QEMU_NS
        root = etree.fromstring('<domain xmlns:q="%s"><devices><q:a/>'
                                '</devices><q:b/></domain>' % ns)
        self.assertTrue(guard._declares_qemu(root[0]))
        self.assertEqual(['domain/devices/{%s}a' % ns],
                         [path for path, _value in
                          guard._qemu_items((), (root[0],))])
        self.assertEqual([], guard._qemu_items((root[0],), ()))
        self.assertEqual(2, len(guard._qemu_items((), (root,))))


class ResolveCacheTest(base.TestCase):

    def test_same_rules_for_the_same_specs(self):
        engine_ = self.engine()
        specs = {'xmlhooks:kvm:hidden': 'on', 'hw:cpu_policy': 'dedicated'}
        first = engine_.resolve(specs)
        self.assertIs(first, engine_.resolve(dict(specs)))
        self.assertIs(first, engine_.resolve({'xmlhooks:kvm:hidden': 'on'}))
        self.assertIsNot(first, engine_.resolve({'xmlhooks:kvm:hidden':
                                                 'off'}))
        self.assertEqual(first, engine.Engine.from_conf(self.conf).resolve(
            specs))

    def test_errors_are_raised_each_time(self):
        engine_ = self.engine()
        for _ in range(2):
            self.assertRaises(exception.UnknownProfile, engine_.resolve,
                              {'xmlhooks:profile': 'missing'})

    def test_image_profiles_are_part_of_the_key(self):
        self.write_profile('p.yaml', 'p:\n  image_selectable: true\n  specs:'
                           '\n    xmlhooks:kvm:hidden: "on"\n')
        engine_ = self.engine()
        self.assertEqual(0, len(engine_.resolve({})))
        self.assertEqual(1, len(engine_.resolve({}, ['p'])))
        self.assertRaises(exception.InvalidSpec, engine_.resolve,
                          {'xmlhooks:image_profiles': 'forbidden'}, ['p'])

    def test_the_plan_is_made_once(self):
        engine_ = self.engine()
        ruleset = engine_.resolve({'xmlhooks:kvm:hidden': 'on'})
        self.assertIs(ruleset.plan, engine_._plan(ruleset))
        other = self.engine()
        self.assertIsNot(ruleset.plan, other._plan(ruleset))
        self.assertEqual(ruleset.plan.region, other._plan(ruleset).region)
        self.assertEqual(ruleset, engine.RuleSet.build(ruleset.rules,
                                                       ruleset.profiles))


class ContextCacheTest(base.TestCase):

    def test_hostname_derived_once_per_name(self):
        calls = []
        real = metadata.hostname_mod.sanitize_hostname

        def counting(name):
            calls.append(name)
            return real(name)
        self.useFixture(fixtures.MonkeyPatch(
            'nova_xmlhooks.metadata.hostname_mod.sanitize_hostname', counting))
        metadata._hostname.cache_clear()
        root = engine.parse_domain(base.nova_xml())
        first = metadata.domain_context(root)
        self.assertEqual(first, metadata.domain_context(root))
        self.assertEqual(1, len(calls))
        self.assertEqual(real(calls[0]), first.hostname)

    def test_record_key_made_once(self):
        ruleset = _ruleset([('xmlhooks:xml:a', './title=a')])
        self.assertIs(ruleset.record_key, ruleset.record_key)
        self.assertEqual((('xmlhooks:xml:a', 'xml', 'flavor', './title=a'),),
                         ruleset.record_key)
