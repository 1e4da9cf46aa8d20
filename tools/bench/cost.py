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

"""The cost of an application against Nova's XML generation and the floor.

Nova's own ``_get_guest_xml``; the floor, one lxml parse and one
serialisation of the same document; the engine with 0, 5, 25 and 100
rules, as the driver runs it (on the tree Nova builds, for one guest of
the flavor after another), with each component's share; the same rule
sets with the schema check, the guard or both turned off; and 25 rules
applied to Nova's text, as ``render``, ``audit`` and the preflights do.
"""

from lxml import etree

from nova_xmlhooks.conf import xmlhooks as xmlhooks_conf_opts
from tools.bench import breakdown
from tools.bench import registry
from tools.bench import report
from tools.bench import stats
from tools.bench import workloads

#: the same rule sets with checks off, and their ``[xmlhooks]`` options
VARIANTS = {
    'no schema check': {'validate_schema': False},
    'no guard': {'allow_sensitive': list(
        xmlhooks_conf_opts.SENSITIVE_CATEGORIES)},
    'no checks': {'validate_schema': False, 'allow_sensitive': list(
        xmlhooks_conf_opts.SENSITIVE_CATEGORIES)},
}


def _floor(ctx):
    parser = etree.XMLParser(remove_blank_text=True)
    encoded = ctx.nova_xml.encode('utf-8')

    def floor():
        return etree.tostring(etree.fromstring(encoded, parser),
                              encoding='unicode', pretty_print=True)
    return stats.summary(stats.sample(floor, ctx.reps['engine']))


def _components(ctx, engine, make):
    """The median time of each component, per application, in µs.

    NOTE(xmlhooks): medians, not means: on a busy machine a few
    descheduled calls would otherwise decide the shares.
    """
    reps = max(50, ctx.reps['engine'] // 5)
    with breakdown.Breakdown(engine) as timers:
        stats.sample_each(make, 5, warmup=0)
        timers.totals.clear()
        total = stats.sample_each(make, reps, warmup=0)
    parts = {}
    for name, times in sorted(timers.totals.items()):
        calls = len(times) / reps
        parts[name] = stats.percentile(times, 50) * calls / 1000.0
    parts['other (incl. logging)'] = max(
        0.0, stats.percentile(total, 50) / 1000.0 - sum(parts.values()))
    return parts


def _rule_count(ctx, count):
    workload = ctx.workload
    specs = workload.specs(count)
    resolved = len(workload.engine.resolve(specs, ctx.images))
    # NOTE(xmlhooks): a run that applies fewer rules than it says would
    # flatter the engine; refuse to report it.
    if count and resolved != len(workload.sets[count]):
        raise AssertionError('rule set %d resolved to %d rules'
                             % (count, resolved))
    make = ctx.customize_tree(workload.engine, specs)
    entry = stats.summary(stats.sample_each(make, ctx.reps['engine']))
    entry['rules'] = resolved
    entry['typed'] = sum(1 for key, _ in workload.sets.get(count, ())
                         if not key.startswith('xmlhooks:xml:'))
    entry['components_us'] = _components(ctx, workload.engine, make)
    return entry


def _from_text(ctx):
    """25 rules applied to Nova's text, as the preflights do."""
    return stats.summary(stats.sample_each(ctx.customize_text(
        ctx.workload.engine, ctx.workload.specs(25)), ctx.reps['engine']))


def _variants(ctx):
    """The same rule sets with the checks turned off, for their share.

    NOTE(xmlhooks): shares from timing wrappers carry the wrappers' own
    cost; the difference between two configurations does not.
    """
    figures = {}
    for name, options in VARIANTS.items():
        counts = workloads.RULE_COUNTS if name == 'no checks' else (25,)
        with ctx.options(**options):
            engine = ctx.engine(ctx.workload.rules_dir)
            figures[name] = {
                'checks': [workloads.check_name(c) for c in engine.checks],
                'rules': {count: stats.summary(stats.sample_each(
                    ctx.customize_tree(engine, ctx.workload.specs(count)),
                    ctx.reps['engine'])) for count in counts if count}}
    return figures


def run(ctx):
    return {
        'nova': stats.summary(stats.sample(ctx.nova_call,
                                           ctx.reps['nova'])),
        'floor': _floor(ctx),
        'xml_bytes': len(ctx.nova_xml.encode('utf-8')),
        'rules': {count: _rule_count(ctx, count)
                  for count in workloads.RULE_COUNTS},
        'from_text': _from_text(ctx),
        'variants': _variants(ctx),
    }


#: 25 rules: the most p50 may cost, in floors; the most p95 may cost, in
#: percent of Nova's p50
P50_FLOORS = 3.0
P95_NOVA_PCT = 5.0


def _p50_floor(results):
    ratio = results['rules'][25]['p50_us'] / results['floor']['p50_us']
    return ratio, P50_FLOORS, ratio <= P50_FLOORS


def _p95_nova(results):
    share = 100.0 * results['rules'][25]['p95_us'] / results['nova'][
        'p50_us']
    return share, P95_NOVA_PCT, share <= P95_NOVA_PCT


def _growth(results):
    """Whether growth in rule count is linear or better.

    A rule may cost no more between 25 and 100 rules than between 5 and
    25, with 25% for noise.
    """
    rules = results['rules']
    low = (rules[25]['p50_us'] - rules[5]['p50_us']) / 20.0
    high = (rules[100]['p50_us'] - rules[25]['p50_us']) / 75.0
    growth = high / low if low > 0 else float('inf')
    return growth, 1.25, growth <= 1.25


def _profile_25(ctx):
    return ctx.repeat(ctx.customize_tree(ctx.workload.engine,
                                         ctx.workload.specs(25)))


PROFILE_25 = registry.Profile('25 rules', _profile_25)


def _cost_rows(results):
    nova = results['nova']
    rows = [('Nova _get_guest_xml', report.EMPTY,
             report.fmt(nova['p50_us']),
             report.fmt(nova.get('p95_us', nova['p99_us'])),
             report.fmt(nova['p99_us']), report.EMPTY, '100.0')]
    floor = results['floor']
    rows.append(('parse + serialise floor', report.EMPTY,
                 report.fmt(floor['p50_us']),
                 report.fmt(floor.get('p95_us', floor['p99_us'])),
                 report.fmt(floor['p99_us']),
                 '1.0', report.fmt(100 * floor['p50_us'] /
                                   results['nova']['p50_us'], 2)))
    for count, entry in results['rules'].items():
        rows.append(report.cost_row(
            results, 'engine, %d rules' % count, entry, '%d typed + %d xml'
            % (entry['typed'], entry['rules'] - entry['typed'])))
    if 'from_text' in results:
        rows.append(report.cost_row(
            results, "engine, 25 rules, from Nova's text",
            results['from_text']))
    for name, variant in results.get('variants', {}).items():
        rows += [report.cost_row(results, 'engine, %d rules, %s'
                                 % (count, name), entry)
                 for count, entry in variant['rules'].items()]
    return tuple(rows)


def _components_table(results):
    families = sorted({name for entry in results['rules'].values()
                       for name in entry['components_us']})
    counts = [c for c in results['rules'] if c]
    rows = tuple((name,) + tuple(report.fmt(results['rules'][c][
        'components_us'].get(name, 0.0)) for c in counts)
        for name in families)
    return registry.Table('Where the time goes (median µs per application)',
                          ('component',) + tuple('%d rules' % c
                                                 for c in counts), rows)


def tables(results):
    return [registry.Table(report.COST_TITLE, report.COST_HEADER,
                           _cost_rows(results)),
            _components_table(results)]


MEASUREMENT = registry.Measurement(
    name='cost against Nova and the floor',
    run=run,
    targets=(
        registry.Target('p50_floor',
                        '25 rules: p50 <= {limit:.0f}x the parse+serialise '
                        'floor', 'x floor', _p50_floor, PROFILE_25),
        registry.Target('p95_nova',
                        "25 rules: p95 <= {limit:.0f}% of Nova's "
                        "_get_guest_xml p50", '% of Nova', _p95_nova,
                        PROFILE_25),
        registry.Target('growth', 'growth in rule count linear or better '
                        '(per-rule cost 25..100 / 5..25 <= 1.25)', 'ratio',
                        _growth),
    ),
    tables=tables,
)
