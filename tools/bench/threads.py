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

"""Applications per second from 1, 4 and 16 threads.

The engine holds no per-call state, so every result must be identical to
the serial one; the interpreter lock means more threads need not mean more
applications per second.
"""

import concurrent.futures
import gc
import time

from tools.bench import registry
from tools.bench import report

THREAD_COUNTS = (1, 4, 16)


def _throughput(func, threads, total, expected):
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        # NOTE(xmlhooks): start the workers before the clock.
        list(pool.map(lambda _: None, range(threads * 2)))
        gc.collect()
        start = time.perf_counter()
        results = list(pool.map(lambda _: func(), range(total)))
        elapsed = time.perf_counter() - start
    return {'applications_per_s': total / elapsed,
            'applications': total,
            'identical': all(r == expected for r in results)}


def run(ctx):
    func = ctx.customize(ctx.workload.engine, ctx.workload.specs(25))
    expected = func()
    return {'concurrency': {
        threads: _throughput(func, threads, ctx.reps['threads'], expected)
        for threads in THREAD_COUNTS}}


def _identical(results):
    identical = all(v['identical'] for v in results['concurrency'].values())
    return identical, True, identical


def tables(results):
    rows = tuple((str(threads), report.fmt(entry['applications_per_s'], 0),
                  report.fmt(entry['identical']))
                 for threads, entry in results['concurrency'].items())
    return [registry.Table('Concurrency, 25 rules',
                           ('threads', 'applications/s',
                            'all identical to serial'), rows)]


MEASUREMENT = registry.Measurement(
    name='concurrency',
    run=run,
    targets=(
        registry.Target('threads', 'every threaded result identical to the '
                        'serial one', '', _identical),
    ),
    tables=tables,
)
