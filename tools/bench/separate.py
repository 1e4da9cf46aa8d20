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

"""The alternative: the same edits by a hook in a process of its own.

libvirt's hook scripts and oVirt's VDSM hooks run one process per domain
definition; ``tools/bench_hook.py`` is such a hook, doing the same edits
with the same lxml code, so the difference is the price of the process.
"""

import json
import os
import subprocess
import sys

from nova_xmlhooks.conf import xmlhooks as xmlhooks_conf_opts
from nova_xmlhooks import engine as engine_mod
from tools.bench import registry
from tools.bench import report
from tools.bench import stats
from tools.bench import workloads

HOOK = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), 'bench_hook.py')
#: the profile of the rule sets that holds xml edits only
SPECS = {engine_mod.PROFILE_KEY: 'bench-xml-25'}
#: the engine with neither the schema check nor the guard
NO_CHECKS = {'validate_schema': False,
             'allow_sensitive': list(xmlhooks_conf_opts.SENSITIVE_CATEGORIES)}


def _hook(ctx, edits):
    """The hook run on Nova's XML, as libvirt would run it."""
    edits_file = os.path.join(ctx.work_dir, 'edits.json')
    with open(edits_file, 'w') as handle:
        json.dump(edits, handle)
    command = [sys.executable, HOOK, edits_file]
    encoded = ctx.nova_xml.encode('utf-8')

    def hook():
        done = subprocess.run(command, input=encoded, capture_output=True,
                              check=True)
        return done.stdout
    return hook


def run(ctx):
    engine = ctx.workload.engine
    # NOTE(xmlhooks): in the engine's order (a profile's specs, then its
    # xml list): attributes come out in the order they were set.
    edits = [rule.value for rule in engine.resolve(SPECS)]
    hook = _hook(ctx, edits)
    hooked = workloads.strip_record(hook().decode('utf-8'))
    func = ctx.customize(engine, SPECS)
    ours = workloads.strip_record(func())
    # NOTE(xmlhooks): the hook checks nothing; the engine with the schema
    # check and the guard off does the same work, for a like for like
    # ratio next to the one the target uses.
    with ctx.options(**NO_CHECKS):
        bare = ctx.customize(ctx.engine(ctx.workload.rules_dir), SPECS)
        same = hooked == ours == workloads.strip_record(bare())
        bare_summary = stats.summary(stats.sample_each(
            ctx.customize_tree(ctx.engine(ctx.workload.rules_dir), SPECS),
            ctx.reps['engine']))
    return {'separate_process': {
        'hook': stats.summary(stats.sample(hook, ctx.reps['hook'],
                                           warmup=2)),
        'engine_same_edits': stats.summary(stats.sample_each(
            ctx.customize_tree(engine, SPECS), ctx.reps['engine'])),
        'engine_same_edits_no_checks': bare_summary,
        'edits': len(edits),
        'same_result': same,
    }}


def _cheaper(results):
    """How many times the hook costs what the engine does, checks off.

    NOTE(xmlhooks): the hook does the edits and nothing else, so the
    target compares it with the engine doing the same work; the ratio with
    the checks on is in the cost table.
    """
    separate = results['separate_process']
    like = separate.get('engine_same_edits_no_checks',
                        separate['engine_same_edits'])
    cheaper = separate['hook']['p50_us'] / like['p50_us']
    return cheaper, 100.0, cheaper >= 100.0 and separate['same_result']


def tables(results):
    separate = results['separate_process']
    edits = separate['edits']
    rows = [report.cost_row(
        results, 'separate-process hook, %d xml edits%s' % (
            edits, '' if separate['same_result'] else
            ' (OUTPUT DIFFERS from the engine)'),
        separate['hook'], digits=1)]
    rows.append(report.cost_row(results, 'engine, the same %d xml edits'
                                % edits, separate['engine_same_edits']))
    bare = separate.get('engine_same_edits_no_checks')
    if bare:
        rows.append(report.cost_row(
            results, 'engine, the same %d xml edits, no checks' % edits,
            bare))
    return [registry.Table(report.COST_TITLE, report.COST_HEADER,
                           tuple(rows))]


MEASUREMENT = registry.Measurement(
    name='a separate-process hook',
    run=run,
    targets=(
        registry.Target('separate', '>= 100x cheaper than a '
                        'separate-process hook doing the same edits '
                        '(neither side checking)', 'x cheaper', _cheaper),
    ),
    tables=tables,
)
