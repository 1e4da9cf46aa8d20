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

"""nova-api: a flavor that names a profile, with 1,000 profiles on disk.

nova-api validates ``xmlhooks:profile`` with the validator this project
registers (:func:`nova_xmlhooks.api_validation.validators`), on every
request that sets it. Timed here through nova's validator object: the
first request after start (which reads every file), the requests after
it, and a request that finds the library due for its periodic recheck
(which lists and stats every file, and reads none). A profile file added
while the API runs must be seen by the next request.
"""

import os
import time

from oslo_config import cfg

from nova_xmlhooks import api_validation
from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import profiles
from tools.bench import registry
from tools.bench import report
from tools.bench import stats
from tools import bench_profile_names

CONF = cfg.CONF
PROFILES = 1000
#: the most validating a request may cost, at p95 and on a recheck
LIMIT_MS = 5.0
#: rechecks timed
RECHECKS = 20
_ADDED = 'api-added'


def _validator():
    return next(v for v in api_validation.validators(CONF)
                if v.name == engine_mod.PROFILE_KEY)


def _added_is_seen(validator, directory):
    """Whether a profile written after the first request is valid."""
    path = os.path.join(directory, _ADDED + '.yaml')
    with open(path, 'w') as handle:
        handle.write(bench_profile_names.PROFILE % {'name': _ADDED, 'n': 0})
    try:
        validator.validate(engine_mod.PROFILE_KEY, _ADDED)
    except Exception:
        return False
    return True


def run(ctx):
    directory = os.path.join(ctx.work_dir, 'api-library')
    os.makedirs(directory, mode=0o755)
    names = bench_profile_names.write_library(directory, PROFILES)
    wanted = names[len(names) // 2]
    with ctx.options(profile_dirs=[directory]):
        validator = _validator()
        start = time.perf_counter_ns()
        validator.validate(engine_mod.PROFILE_KEY, wanted)
        first = time.perf_counter_ns() - start
        requests = stats.summary(stats.sample(
            lambda: validator.validate(engine_mod.PROFILE_KEY, wanted),
            ctx.reps['api']))
        index = profiles.NameIndex(recheck=0)
        index.names([directory])
        recheck = stats.summary(stats.sample(
            lambda: index.names([directory]), RECHECKS, warmup=0))
        seen = _added_is_seen(validator, directory)
    return {'api': {'profiles': PROFILES, 'first_ms': first / 1e6,
                    'requests': requests, 'recheck': recheck,
                    'added_seen': seen}}


def _fast(results):
    api = results['api']
    p95 = api['requests']['p95_us'] / 1000.0
    return p95, LIMIT_MS, p95 < LIMIT_MS and api['added_seen']


def tables(results):
    api = results['api']
    fmt = report.fmt
    rows = (
        ('first request after start (reads every file)',
         fmt(api['first_ms'], 2)),
        ('a request (p50)', fmt(api['requests']['p50_us'] / 1000, 3)),
        ('a request (p95)', fmt(api['requests']['p95_us'] / 1000, 3)),
        ('a request (p99)', fmt(api['requests']['p99_us'] / 1000, 3)),
        ('a request that rechecks every file, at most once every %s s '
         '(p50)' % fmt(profiles.NameIndex.RECHECK),
         fmt(api['recheck']['p50_us'] / 1000, 2)),
        ('a profile added while running is seen', fmt(api['added_seen'])),
    )
    return [registry.Table('nova-api: xmlhooks:profile with %s profiles '
                           'on disk (ms)' % fmt(api['profiles']),
                           ('request', 'ms'), rows)]


MEASUREMENT = registry.Measurement(
    name='nova-api profile names',
    run=run,
    targets=(
        registry.Target('api', 'nova-api: a request naming a profile, '
                        '1,000 profiles on disk, < {limit:.0f} ms (p95); a '
                        'new profile is seen', 'ms', _fast),
    ),
    tables=tables,
)
