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

"""nova-api's check of ``xmlhooks:profile`` against a profile library.

:func:`measure` times the validator nova-api runs for a flavor that names
one profile, with ``count`` profile files on disk: the first request
(which reads every file), the requests after it, and a periodic recheck
(which lists and stats every file and reads none). Run it alone with
``python tools/bench_profile_names.py [--count N]``.
"""

import argparse
import os
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# NOTE(xmlhooks): run by path, Python puts tools/ first on sys.path; the
# tree's package must win over an installed one.
sys.path.insert(0, REPO)

from nova_xmlhooks import api_validation  # noqa: E402
from nova_xmlhooks import conf as xmlhooks_conf  # noqa: E402
from nova_xmlhooks import profiles  # noqa: E402

PROFILE = '''%(name)s:
  description: library profile %(n)d
  specs:
    xmlhooks:hyperv:relaxed: "on"
    xmlhooks:xml:note: ./description=profile %(n)d
  xml:
    - ./clock/@offset=utc
'''


def write_library(directory, count):
    """Write ``count`` profile files, one profile each.

    :param directory: an existing directory, writable by its owner only
    :returns: the profile names
    """
    names = []
    for n in range(count):
        name = 'lib-%05d' % n
        with open(os.path.join(directory, name + '.yaml'), 'w') as handle:
            handle.write(PROFILE % {'name': name, 'n': n})
        names.append(name)
    # NOTE(xmlhooks): files written a moment ago are read again until
    # they settle (see NameIndex); a library in use is older than that.
    past = time.time_ns() - 60 * 10 ** 9
    for name in os.listdir(directory) + ['']:
        os.utime(os.path.join(directory, name), ns=(past, past))
    return names


def _quantile(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(count=1000, requests=2000, rechecks=20, conf=None):
    """Time nova-api's profile name check with a library on disk.

    :param count: profile files in the library
    :param requests: requests timed after the first
    :param rechecks: periodic rechecks timed
    :param conf: the ``ConfigOpts`` to set ``[xmlhooks] profile_dirs`` in;
        nova-xmlhooks' global one by default
    :returns: a dict of ``first_ms`` (the first request), ``p50_us``,
        ``p95_us`` and ``max_us`` (the requests after it) and
        ``recheck_ms`` (the median periodic recheck)
    """
    conf = conf or xmlhooks_conf.CONF
    with tempfile.TemporaryDirectory() as directory:
        os.chmod(directory, 0o755)
        names = write_library(directory, count)
        conf.set_override('profile_dirs', [directory], group='xmlhooks')
        try:
            parse = api_validation._profile_parser(conf)
            wanted = names[len(names) // 2]
            start = time.perf_counter()
            parse('xmlhooks:profile', wanted)
            first = time.perf_counter() - start
            samples = []
            for _ in range(requests):
                start = time.perf_counter()
                parse('xmlhooks:profile', wanted)
                samples.append(time.perf_counter() - start)
            index = profiles.NameIndex(recheck=0)
            index.names([directory])
            sweeps = []
            for _ in range(rechecks):
                start = time.perf_counter()
                index.names([directory])
                sweeps.append(time.perf_counter() - start)
        finally:
            conf.clear_override('profile_dirs', group='xmlhooks')
    return {'count': count, 'first_ms': first * 1e3,
            'p50_us': _quantile(samples, 0.5) * 1e6,
            'p95_us': _quantile(samples, 0.95) * 1e6,
            'max_us': max(samples) * 1e6,
            'recheck_ms': _quantile(sweeps, 0.5) * 1e3}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--count', type=int, default=1000)
    args = parser.parse_args()
    xmlhooks_conf.CONF([], project='nova', default_config_files=[])
    result = measure(args.count)
    print('%(count)d profiles: first request %(first_ms).1f ms, then p50 '
          '%(p50_us).1f us, p95 %(p95_us).1f us, max %(max_us).1f us; '
          'periodic recheck %(recheck_ms).2f ms' % result)


if __name__ == '__main__':
    main()
