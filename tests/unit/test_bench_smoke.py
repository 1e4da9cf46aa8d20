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

"""The building blocks of ``tools/bench``, without any timing.

The benchmark itself runs with ``tox -e bench``; these tests make sure the
pieces it is built from keep working as the engine and the customisers
change: its rule mix is valid on Nova's XML under the default checks, the
separate-process hook does the same edits as the engine, the targets are
judged correctly and the suite is laid out as documented.
"""

import functools
import json
import os
import subprocess
import sys
import types

import fixtures

from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import metadata
from tests.unit import base
from tools.bench import bound
from tools.bench import breakdown
from tools.bench import context
from tools.bench import documents
from tools.bench import reboots
from tools.bench import registry
from tools.bench import report
from tools.bench import separate
from tools.bench import stats
from tools.bench import suite
from tools.bench import workloads


def _usable_pool(engine, xml):
    """The bench's candidates that this engine applies to ``xml``."""
    typed, edits = workloads.rule_pool([f for f in engine.customizers
                                        if f != 'xml'])
    return (workloads.usable(engine, xml, typed, together=True),
            workloads.usable(engine, xml, edits))


class TestStatistics(base.TestCase):

    def test_percentiles_are_nearest_rank(self):
        samples = list(range(100, 0, -1))
        self.assertEqual(50, stats.percentile(samples, 50))
        self.assertEqual(99, stats.percentile(samples, 99))
        self.assertEqual(100, stats.percentile(samples, 100))
        self.assertEqual(7, stats.percentile([7], 99))

    def test_summary_is_in_microseconds(self):
        result = stats.summary([1000, 2000, 3000])
        self.assertEqual(2.0, result['p50_us'])
        self.assertEqual(3.0, result['p99_us'])
        self.assertEqual(3, result['n'])

    def test_sample_returns_one_time_per_repetition(self):
        calls = []
        times = stats.sample(lambda: calls.append(1), 10, warmup=2)
        self.assertEqual(10, len(times))
        self.assertEqual(12, len(calls))
        self.assertTrue(all(t >= 0 for t in times))


class TestRuleMix(base.TestCase):

    def test_rule_set_mixes_typed_and_xml_rules(self):
        typed = [('xmlhooks:t:%d' % i, 'on') for i in range(50)]
        edits = [('xmlhooks:xml:e%d' % i, './a/@b=%d' % i)
                 for i in range(100)]
        for count in (5, 25, 100):
            rules = workloads.rule_set(typed, edits, count)
            self.assertEqual(count, len(rules))
            self.assertEqual(count, len(dict(rules)))
            n_typed = sum(1 for key, _ in rules if key.startswith(
                'xmlhooks:t:'))
            self.assertEqual(round(count * workloads.TYPED_SHARE), n_typed)
        # every prefix of five is a mix too
        first = workloads.rule_set(typed, edits, 5)
        self.assertIn('xmlhooks:t:0', dict(first))
        self.assertIn('xmlhooks:xml:e0', dict(first))

    def test_rule_sets_apply_on_nova_xml_with_the_default_checks(self):
        xml = base.nova_xml()
        probe = self.engine()
        typed, edits = _usable_pool(probe, xml)
        rules = workloads.rule_set(typed, edits, 25)
        self.assertEqual(25, len(rules))
        self.write_profile('bench.yaml', json.dumps(workloads.profile_doc(
            'bench-25', rules[:-2], 'bench')))
        engine = self.engine()
        specs = workloads.flavor_specs('bench-25', rules)
        self.assertEqual(25, len(engine.resolve(specs)))
        result = engine.customize(xml, specs)
        _profiles, recorded = metadata.recorded(
            engine_mod.parse_domain(result))
        # NOTE(xmlhooks): entries of a profile's xml list are recorded
        # under keys of their own, so the values are compared.
        self.assertEqual(sorted(value for _key, value in rules),
                         sorted(rule.value for rule in recorded))

    def test_enlightenments_are_kept_after_what_they_need(self):
        # NOTE(xmlhooks): alone on a Linux guest, QEMU could not start
        # them under KVM; after vpindex, synic and the hypervclock timer
        # it can, and every rule set keeps that order.
        typed, _edits = _usable_pool(self.engine(), base.nova_xml())
        keys = [key for key, _value in typed]
        for key in ('synic', 'stimer', 'stimer.direct', 'tlbflush', 'ipi'):
            self.assertIn('xmlhooks:hyperv:' + key, keys)
        self.assertLess(keys.index('xmlhooks:timer:hypervclock'),
                        keys.index('xmlhooks:hyperv:stimer'))
        for count in workloads.RULE_COUNTS[1:]:
            rules = dict(workloads.rule_set(typed, [], count))
            self.engine().customize(base.nova_xml(), rules)


class TestSeparateProcessHook(base.TestCase):

    def test_hook_does_the_same_edits_as_the_engine(self):
        xml = base.nova_xml()
        probe = self.engine(customizers=['xml'])
        _typed, edits = _usable_pool(probe, xml)
        edits = edits[:6]
        edits_file = os.path.join(self.profile_dir, 'edits.json')
        with open(edits_file, 'w') as handle:
            json.dump([value for _key, value in edits], handle)
        done = subprocess.run(
            [sys.executable, separate.HOOK,
             edits_file], input=xml.encode('utf-8'), capture_output=True,
            check=True)
        hooked = done.stdout.decode('utf-8')
        ours = probe.customize(xml, dict(edits))
        self.assertNotEqual(workloads.strip_record(xml),
                            workloads.strip_record(hooked))
        self.assertEqual(workloads.strip_record(ours),
                         workloads.strip_record(hooked))

    def test_hook_needs_its_edits_file(self):
        done = subprocess.run(
            [sys.executable, separate.HOOK],
            input=b'<domain/>', capture_output=True)
        self.assertEqual(2, done.returncode)
        self.assertIn(b'usage', done.stderr)


class TestBreakdown(base.TestCase):

    def test_components_are_timed_and_the_engine_restored(self):
        xml = base.nova_xml()
        engine = self.engine()
        parse, serialize = (engine_mod.parse_domain,
                            engine_mod.serialize_tidied)
        take = vars(engine_mod.checks_mod.Snapshot)['take']
        module_metadata = engine_mod.metadata
        specs = {'xmlhooks:xml:cache':
                 "./devices/disk/driver/@cache=writeback"}
        with breakdown.Breakdown(engine) as timers:
            timed = engine.customize(xml, specs)
        self.assertIn('parse', timers.totals)
        self.assertIn('serialise', timers.totals)
        self.assertIn('customizer xml', timers.totals)
        self.assertIn('metadata record', timers.totals)
        self.assertIn('snapshot for checks', timers.totals)
        self.assertIn('check guard', timers.totals)
        # NOTE(xmlhooks): the timed checks read the region, as the
        # engine's do: Nova's document is not parsed again.
        self.assertEqual(1, len(timers.totals['parse']))
        self.assertIs(parse, engine_mod.parse_domain)
        self.assertIs(serialize, engine_mod.serialize_tidied)
        self.assertIs(take, vars(engine_mod.checks_mod.Snapshot)['take'])
        self.assertIs(module_metadata, engine_mod.metadata)
        self.assertNotIn('resolve', vars(engine))
        self.assertNotIn('apply', vars(engine.customizers['xml']))
        self.assertEqual(engine.customize(xml, specs), timed)


class TestBound(base.TestCase):
    """The least parts of an application, on the fixture's XML."""

    def setUp(self):
        super().setUp()
        xml = base.nova_xml()
        probe = self.engine()
        typed, edits = _usable_pool(probe, xml)
        rules = workloads.rule_set(typed, edits, bound.COUNT)
        self.write_profile('bench.yaml', json.dumps(workloads.profile_doc(
            'bench-25', rules[:-2], 'bench')))
        self.specs = workloads.flavor_specs('bench-25', rules)
        self.engine_ = self.engine()
        root = engine_mod.parse_domain(xml)
        instance = types.SimpleNamespace(
            uuid=root.findtext('uuid'), system_metadata={},
            display_name=root.xpath(
                "string(metadata/*/*[local-name()='name'])"))
        self.ctx = types.SimpleNamespace(
            nova_xml=xml, instance=instance, images=(),
            reps={'engine': 7},
            workload=types.SimpleNamespace(
                engine=self.engine_, specs=lambda count: self.specs))
        self.ctx.customize_tree = functools.partial(
            context.Context.customize_tree, self.ctx)

    def test_edits_alone_give_the_engines_document(self):
        make, same = bound._edits(self.ctx, self.specs)
        self.assertTrue(same)
        result = make()()
        self.assertNotEqual(workloads.strip_record(self.ctx.nova_xml),
                            result)
        # NOTE(xmlhooks): nothing around the customisers ran: no record.
        self.assertNotIn(metadata.XMLHOOKS_NS, result)

    def test_edits_that_differ_are_not_reported(self):
        real = bound._edits
        self.useFixture(fixtures.MockPatchObject(
            bound, '_edits', lambda ctx, specs: (real(ctx, specs)[0],
                                                 False)))
        self.assertRaises(AssertionError, bound.run, self.ctx)

    def test_validation_times_the_schema_checks_calls(self):
        pools = [getattr(owner, attr)
                 for owner, attr in bound._pools(self.engine_)]
        self.assertEqual(2, len(pools))
        figure = bound._validation(self.ctx, self.specs)
        self.assertEqual(7, figure['n'])
        self.assertGreater(figure['p50_us'], 0)
        self.assertEqual(pools, [getattr(owner, attr) for owner, attr
                                 in bound._pools(self.engine_)])

    def test_no_schema_check_no_validation(self):
        self.flags(validate_schema=False)
        self.ctx.workload.engine = self.engine()
        self.assertIsNone(bound._validation(self.ctx, self.specs))

    def test_info_line_leaves_the_engine_as_it_was(self):
        figure = bound._info_line(self.ctx, self.specs)
        self.assertEqual(7, figure['n'])
        self.assertNotIn('_build', vars(self.engine_))
        self.assertIn('xmlhooks', self.engine_.customize(
            self.ctx.nova_xml, self.specs))

    def test_table_sums_the_parts(self):
        results = _results(p50_25=200.0)
        rows = {row[0]: row[1:] for row in bound.tables(results)[0].rows}
        self.assertEqual(('70.0', '2.33'), rows['sum'])
        self.assertEqual(('90.0', '3.00'), rows['the target: 3x the floor'])
        self.assertEqual(('200.0', '6.67'), rows['the engine, 25 rules'])


def _documents(per_disk=2.0, late=1.0):
    sizes = {}
    for count in documents.DISK_COUNTS:
        extra = 0 if count <= 100 else (count - 100) * per_disk * late
        cost = 100.0 + min(count, 100) * per_disk + extra
        sizes[count] = {'bytes': count * 200, 'floor': {'p50_us': count},
                        'every disk': {'p50_us': cost},
                        'no disk': {'p50_us': 100.0}}
    return sizes


def _reboots(added_us=200.0, generation_us=4000.0):
    one = dict.fromkeys(reboots.PARTS, 0)
    one.update({'plan': generation_us + 500.0 + added_us,
                'nova generation': generation_us, 'engine': 500.0,
                'generations': 1})
    share = 100.0 * reboots.added(one) / generation_us
    return {'reboots': 1, 'generations': [1], 'reads': [2],
            'added': {'p50_us': added_us, 'p95_us': added_us},
            'parts_us': {part: one[part] / 1000.0 for part in reboots.PARTS},
            'nova_us': reboots.nova_generation(one) / 1000.0,
            'share_pct': {'p50': share, 'p95': share}}


def _results(p50_25=50.0, p95_25=60.0, hook=100000.0, load=0.2,
             large=101.0, identical=True):
    rule = {'p50_us': 0, 'p95_us': 0, 'p99_us': 0, 'rules': 0, 'typed': 0,
            'components_us': {'parse': 1.0}}
    rules = {
        0: dict(rule, p50_us=1.0, p95_us=1.5, p99_us=2.0),
        5: dict(rule, p50_us=30.0, p95_us=35.0, p99_us=40.0, rules=5,
                typed=2),
        25: dict(rule, p50_us=p50_25, p95_us=p95_25, p99_us=p95_25 + 10,
                 rules=25, typed=10),
        100: dict(rule, p50_us=p50_25 + 75.0, p95_us=190.0, p99_us=200.0,
                  rules=100, typed=40),
    }
    startup = {n: {'read_s': load / 2, 'compile_s': load / 2,
                   'load_and_compile_s': load, 'from_conf_s': load}
               for n in (10, 100, 1000)}
    return {
        'nova': {'p50_us': 4000.0, 'p99_us': 9000.0},
        'floor': {'p50_us': 30.0, 'p99_us': 40.0},
        'rules': rules,
        'separate_process': {
            'hook': {'p50_us': hook, 'p99_us': hook},
            'engine_same_edits': {'p50_us': 50.0, 'p99_us': 60.0},
            'edits': 25, 'same_result': True},
        'startup': startup,
        'profile_independence': {
            'profiles_small': 10, 'profiles_large': 1000, 'rules': 5,
            'small': {'p50_us': 100.0, 'p99_us': 150.0},
            'large': {'p50_us': large, 'p99_us': 150.0}},
        'concurrency': {n: {'applications_per_s': 1000.0,
                            'identical': identical} for n in (1, 4, 16)},
        'documents': _documents(),
        'hard_reboot': _reboots(),
        'api': {'profiles': 1000, 'first_ms': 100.0, 'added_seen': True,
                'requests': {'p50_us': 20.0, 'p95_us': 30.0,
                             'p99_us': 40.0},
                'recheck': {'p50_us': 3000.0, 'p95_us': 3500.0,
                            'p99_us': 4000.0}},
        'bound': {'edits': {'p50_us': 40.0}, 'info_line': {'p50_us': 10.0},
                  'validation': {'p50_us': 20.0}},
    }


class TestTargets(base.TestCase):

    def _met(self, results):
        return {t['key']: t['met'] for t in suite.evaluate(results)}

    def test_all_met(self):
        self.assertEqual({True}, set(self._met(_results()).values()))

    def test_each_miss_is_reported(self):
        self.assertFalse(self._met(_results(p50_25=91.0))['p50_floor'])
        self.assertFalse(self._met(_results(p95_25=201.0))['p95_nova'])
        results = _results()
        results['documents'] = _documents(late=2.0)
        self.assertFalse(self._met(results)['document_growth'])
        results['hard_reboot'] = _reboots(added_us=401.0)
        self.assertFalse(self._met(results)['reboot_share'])
        results['api']['requests']['p95_us'] = 5001.0
        self.assertFalse(self._met(results)['api'])
        results['api']['requests']['p95_us'] = 30.0
        results['api']['added_seen'] = False
        self.assertFalse(self._met(results)['api'])
        self.assertFalse(self._met(_results(hook=4000.0))['separate'])
        self.assertFalse(self._met(_results(load=0.6))['startup'])
        self.assertFalse(self._met(_results(large=120.0))['independence'])
        self.assertFalse(self._met(_results(identical=False))['threads'])

    def test_the_engine_inside_a_generation_is_not_novas(self):
        # NOTE(xmlhooks): the plan customises the tree inside Nova's
        # _get_guest_xml; the share is of Nova's own part of it.
        one = dict.fromkeys(reboots.PARTS, 0)
        one.update({'plan': 4700.0, 'nova generation': 4500.0,
                    'engine in the generation': 500.0})
        self.assertEqual(200.0, reboots.added(one))
        self.assertEqual(4000.0, reboots.nova_generation(one))

    def test_independence_allows_the_measured_noise(self):
        results = _results(large=115.0)
        self.assertFalse(self._met(results)['independence'])
        results['profile_independence']['noise_pct'] = 20.0
        self.assertTrue(self._met(results)['independence'])

    def test_superlinear_growth_is_a_miss(self):
        results = _results()
        results['rules'][100]['p50_us'] = 50.0 + 75 * 5.0
        self.assertFalse(self._met(results)['growth'])

    def test_tables_show_every_target(self):
        results = _results(p50_25=91.0)
        results['targets'] = suite.evaluate(results)
        tables = suite.tables(results)
        markdown = report.markdown(tables)
        rst = report.rst(tables)
        for target in results['targets']:
            self.assertIn(target['target'], markdown)
            self.assertIn(target['target'], rst)
        self.assertIn('MISSED', markdown)
        self.assertIn('.. list-table:: Targets', rst)

    def test_cost_table_holds_the_separate_process_rows(self):
        results = _results()
        results['targets'] = suite.evaluate(results)
        tables = suite.tables(results)
        titles = [table.title for table in tables]
        self.assertEqual(len(titles), len(set(titles)))
        self.assertEqual(report.COST_TITLE, titles[0])
        self.assertEqual('Targets', titles[-1])
        cost = [row[0] for row in tables[0].rows]
        self.assertEqual('Nova _get_guest_xml', cost[0])
        self.assertEqual('engine, the same 25 xml edits', cost[-1])
        self.assertIn('separate-process hook, 25 xml edits', cost)


class _Context:
    """What :func:`suite.profile_misses` needs of a context."""

    reps = {'profile': 3}


class TestRegistry(base.TestCase):
    """A measurement is added by declaring it; the suite does the rest."""

    def _suite(self, calls):
        def judge(results):
            return results['widgets'], 10, results['widgets'] <= 10

        profile = registry.Profile('widgets', lambda ctx: lambda:
                                   calls.append(1))
        widgets = registry.Measurement(
            name='widgets', run=lambda ctx: {'widgets': 12},
            targets=(registry.Target('widgets', 'at most {limit} widgets',
                                     'widgets', judge, profile),
                     registry.Target('widgets_again', 'the same, again',
                                     'widgets', judge, profile)),
            tables=lambda results: [registry.Table(
                'Widgets', ('what', 'count'),
                (('widgets', report.fmt(results['widgets'])),))])
        return suite.SUITE + (widgets,)

    def test_a_new_measurement_is_judged_and_shown(self):
        calls = []
        measurements = self._suite(calls)
        results = dict(_results(), widgets=12)
        results['targets'] = suite.evaluate(results, measurements)
        self.assertEqual(
            {'key': 'widgets', 'target': 'at most 10 widgets',
             'measured': 12, 'limit': 10, 'met': False, 'unit': 'widgets'},
            results['targets'][-2])
        tables = suite.tables(results, measurements)
        self.assertEqual(['Widgets', 'Targets'],
                         [table.title for table in tables[-2:]])
        self.assertIn('| at most 10 widgets | 12 widgets | MISSED |',
                      report.markdown(tables))

    def test_missed_targets_are_profiled_once_per_title(self):
        calls = []
        measurements = self._suite(calls)
        results = dict(_results(), widgets=12)
        judged = suite.evaluate(results, measurements)
        profiles = suite.profile_misses(_Context(), judged, measurements)
        self.assertEqual(['widgets'], list(profiles))
        self.assertIn('function calls', profiles['widgets'])
        self.assertEqual(3, len(calls))

    def test_target_keys_are_unique(self):
        keys = [target.key for measurement in suite.SUITE
                for target in measurement.targets]
        self.assertEqual(len(keys), len(set(keys)))
        self.assertEqual({'p50_floor', 'p95_nova', 'growth',
                          'document_growth', 'reboot_share', 'separate',
                          'independence', 'startup', 'api', 'threads'},
                         set(keys))
