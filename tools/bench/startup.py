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

"""Start-up with 10, 100 and 1,000 profiles, and what a library costs.

Reading the profile files, compiling them and the whole
``Engine.from_conf`` that nova-compute runs when it starts; then the same
5-rule instance with 10 and with 1,000 profiles loaded: an instance should
pay for the profiles it uses, not for the library.
"""

import gc
import os
import time

from oslo_config import cfg

from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import loader
from nova_xmlhooks import problems
from nova_xmlhooks import profiles as profiles_mod
from tools.bench import registry
from tools.bench import report
from tools.bench import stats
from tools.bench import workloads

CONF = cfg.CONF
PROFILE_COUNTS = (10, 100, 1000)
#: the instance of the library measurement: one profile of 5 rules
SPECS = {engine_mod.PROFILE_KEY: 'lib-00003'}
#: alternating rounds of the library measurement
ROUNDS = 6


def library_dir(ctx, count):
    """The directory of the library of ``count`` profiles."""
    return os.path.join(ctx.work_dir, 'library-%d' % count)


def _timed(func):
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def _one_start(ctx, directory):
    """Time reading, compiling and all of ``Engine.from_conf`` once.

    :returns: ``(engine, read_s, compile_s, from_conf_s)``
    """
    gc.collect()
    profiles, read = _timed(lambda: list(profiles_mod.read_directories(
        [directory], problems.raise_first)))
    customizers = loader.load_customizers(CONF, CONF.xmlhooks.customizers)
    _engine, compiled = _timed(lambda: engine_mod.Engine(customizers,
                                                         profiles))
    engine, total = _timed(lambda: ctx.engine(directory))
    return engine, read, compiled, total


def _startup(ctx, count):
    directory = library_dir(ctx, count)
    workloads.write_library(directory, count,
                            ctx.workload.typed + ctx.workload.edits[:20])
    runs = [_one_start(ctx, directory) for _ in range(ctx.reps['startup'])]
    entry = {'read_s': stats.median([r[1] for r in runs]),
             'compile_s': stats.median([r[2] for r in runs]),
             'from_conf_s': stats.median([r[3] for r in runs])}
    entry['load_and_compile_s'] = entry['read_s'] + entry['compile_s']
    return runs[-1][0], entry


def _independence(ctx, small, large):
    """The same 5-rule instance with a small and a large library loaded.

    Measured in alternating rounds so drift hits both alike.
    """
    funcs = {'small': ctx.customize(small, SPECS),
             'large': ctx.customize(large, SPECS)}
    if funcs['small']() != funcs['large']():
        raise AssertionError('the 5-rule instance differs between '
                             'libraries')
    samples = {'small': [], 'large': []}
    round_p50 = {'small': [], 'large': []}
    for _ in range(ROUNDS):
        for name, func in funcs.items():
            times = stats.sample(func, max(20, ctx.reps['engine'] // ROUNDS))
            samples[name].extend(times)
            round_p50[name].append(stats.percentile(times, 50))
    # NOTE(xmlhooks): the noise is how far the p50 of one round of the
    # same engine strays from another's, leaving out the highest and the
    # lowest round.
    noise = max((v[-2] - v[1]) / v[1]
                for v in map(sorted, round_p50.values()))
    return {'profiles_small': min(PROFILE_COUNTS),
            'profiles_large': max(PROFILE_COUNTS),
            'rules': len(small.resolve(SPECS, ctx.images)),
            'small': stats.summary(samples['small']),
            'large': stats.summary(samples['large']),
            'noise_pct': 100.0 * noise}


def run(ctx):
    startup, engines = {}, {}
    for count in PROFILE_COUNTS:
        engines[count], startup[count] = _startup(ctx, count)
    return {'startup': startup,
            'profile_independence': _independence(
                ctx, engines[min(PROFILE_COUNTS)],
                engines[max(PROFILE_COUNTS)])}


def _independent(results):
    """Whether the library size leaves the instance's cost within noise.

    The noise is 10%, or the spread between rounds of one engine when the
    machine is noisier than that.
    """
    independence = results['profile_independence']
    diff = (independence['large']['p50_us'] /
            independence['small']['p50_us'] - 1.0) * 100.0
    noise = max(10.0, independence.get('noise_pct', 0.0))
    return diff, noise, abs(diff) <= noise


def _fast_start(results):
    load = results['startup'][1000]['load_and_compile_s']
    return load, 0.5, load < 0.5


def _profile_large(ctx):
    return ctx.customize(ctx.engine(library_dir(ctx, max(PROFILE_COUNTS))),
                         SPECS)


def _profile_start(ctx):
    directory = library_dir(ctx, max(PROFILE_COUNTS))
    return lambda: ctx.engine(directory)


def tables(results):
    fmt = report.fmt
    rows = tuple(('%s profiles' % fmt(count), fmt(entry['read_s'] * 1000),
                  fmt(entry['compile_s'] * 1000),
                  fmt(entry['load_and_compile_s'] * 1000),
                  fmt(entry['from_conf_s'] * 1000))
                 for count, entry in results['startup'].items())
    independence = results['profile_independence']
    library = tuple(('%s profiles loaded' % fmt(independence[
        'profiles_' + size]), fmt(independence[size]['p50_us']),
        fmt(independence[size]['p99_us'])) for size in ('small', 'large'))
    return [
        registry.Table('Start-up (ms)', ('library', 'read YAML', 'compile',
                                         'read + compile',
                                         'Engine.from_conf (all of it)'),
                       rows),
        registry.Table('A %d-rule instance against the library size (µs)'
                       % independence['rules'],
                       ('library', 'p50 µs', 'p99 µs'), library),
    ]


MEASUREMENT = registry.Measurement(
    name='start-up and library size',
    run=run,
    targets=(
        registry.Target('independence', '5-rule instance: 1,000 profiles '
                        'loaded vs 10, p50 within noise ({limit:.0f}%)',
                        '% difference', _independent,
                        registry.Profile('5 rules, 1,000 profiles',
                                         _profile_large)),
        registry.Target('startup', '1,000 profiles load and compile in '
                        '< 0.5 s', 's', _fast_start,
                        registry.Profile('1,000 profiles start-up',
                                         _profile_start, calls=1, limit=20)),
    ),
    tables=tables,
)
