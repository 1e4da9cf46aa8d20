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

"""Timing and statistics."""

import cProfile
import gc
import io
import math
import pstats
import time


def percentile(samples, pct):
    """Nearest-rank percentile of a list of numbers."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median(samples):
    """The middle value (the upper one of an even count)."""
    return sorted(samples)[len(samples) // 2]


def summary(samples_ns):
    """p50, p95, p99, mean and count of samples in nanoseconds, in µs."""
    return {'p50_us': percentile(samples_ns, 50) / 1000.0,
            'p95_us': percentile(samples_ns, 95) / 1000.0,
            'p99_us': percentile(samples_ns, 99) / 1000.0,
            'mean_us': sum(samples_ns) / len(samples_ns) / 1000.0,
            'n': len(samples_ns)}


def sample(func, reps, warmup=None):
    """Time ``func()`` ``reps`` times, in nanoseconds.

    NOTE(xmlhooks): every series is timed the same way: warm up, collect,
    then run with the cyclic garbage collector off, so no series pays for
    garbage another one left. The engine allocates no cycles, so the
    collector would only add noise.
    """
    return sample_each(lambda: func, reps, warmup)


def sample_each(make, reps, warmup=None):
    """Time ``make()()`` ``reps`` times, in nanoseconds, without ``make``.

    For calls that need something prepared each time (a fresh document to
    change): ``make()`` prepares and returns the call, and only the call
    is timed, the way :func:`sample` times its calls.
    """
    for _ in range(warmup if warmup is not None else max(3, reps // 20)):
        make()()
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    clock = time.perf_counter_ns
    times = []
    try:
        for _ in range(reps):
            call = make()
            start = clock()
            call()
            times.append(clock() - start)
    finally:
        if enabled:
            gc.enable()
    return times


def cprofile_top(func, reps, limit=15):
    """Profile ``reps`` calls of ``func`` and return the top entries."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(reps):
        func()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats('tottime').print_stats(limit)
    return out.getvalue()
