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

"""The measurements of the benchmark, and how their results are judged.

To add a measurement, write a module that defines a
:class:`tools.bench.registry.Measurement` and list it in :data:`SUITE`.
"""

from tools.bench import api
from tools.bench import bound
from tools.bench import cost
from tools.bench import documents
from tools.bench import reboots
from tools.bench import report
from tools.bench import separate
from tools.bench import startup
from tools.bench import stats
from tools.bench import threads
from tools.bench import workloads

#: the measurements, in the order they run and are reported
SUITE = (
    cost.MEASUREMENT,
    bound.MEASUREMENT,
    documents.MEASUREMENT,
    reboots.MEASUREMENT,
    separate.MEASUREMENT,
    startup.MEASUREMENT,
    api.MEASUREMENT,
    threads.MEASUREMENT,
)


def run(ctx, suite=SUITE):
    """Prepare the rule sets and run every measurement.

    :param ctx: a :class:`tools.bench.context.Context`
    :returns: the results, with the targets judged
    """
    ctx.workload = workloads.prepare(ctx)
    results = {}
    for measurement in suite:
        results.update(measurement.run(ctx))
    results['targets'] = evaluate(results, suite)
    results['profiles'] = profile_misses(ctx, results['targets'], suite)
    return results


def evaluate(results, suite=SUITE):
    """Judge every target.

    :returns: a list of dicts, as
        :meth:`tools.bench.registry.Target.evaluate` gives them
    """
    return [target.evaluate(results) for measurement in suite
            for target in measurement.targets]


def profile_misses(ctx, judged, suite=SUITE):
    """cProfile output for the missed targets that say what to profile.

    :param judged: what :func:`evaluate` returned
    :returns: ``{title: text}``
    """
    missed = {t['key'] for t in judged if not t['met']}
    out = {}
    for measurement in suite:
        for target in measurement.targets:
            profile = target.profile
            if (target.key not in missed or profile is None
                    or profile.title in out):
                continue
            calls = profile.calls or ctx.reps['profile']
            out[profile.title] = stats.cprofile_top(profile.make(ctx), calls,
                                                    limit=profile.limit)
    return out


def tables(results, suite=SUITE):
    """Every measurement's tables, then the targets."""
    shown = [table for measurement in suite
             for table in measurement.tables(results)]
    return report.merge(shown) + [report.targets_table(results['targets'])]
