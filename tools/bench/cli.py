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

"""The command line: run the suite, write the results, print the report."""

import argparse
import json
import os
import platform
import shutil
import sys
import time

import lxml
from lxml import etree
from nova import version as nova_version

import tools.bench
from tools.bench import harness
from tools.bench import plot
from tools.bench import report
from tools.bench import suite
from tools import bench_cli

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
DOCS_DIR = os.path.join(REPO, 'doc', 'source', 'admin')
#: the files ``--update-docs`` copies, by extension
DOCS_FILES = {'rst': 'benchmark-results.inc', 'md': 'benchmark-results.md',
              'png': 'benchmark-cost.png'}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='python -m tools.bench',
        description=tools.bench.__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true',
                        help='fewer repetitions; finishes in under a minute')
    parser.add_argument('--update-docs', action='store_true',
                        help='copy the table and the plot into %s'
                        % os.path.relpath(DOCS_DIR, REPO))
    parser.add_argument('--output-dir', default=os.path.join(
        REPO, 'bench-results'), help='where the results go')
    args = parser.parse_args(argv)
    args.mode = 'quick' if args.quick else 'full'
    return args


def _threads():
    patched = os.environ.get('OS_NOVA_DISABLE_EVENTLET_PATCHING', '')
    return ('eventlet' if patched.lower() not in ('1', 'true', 'yes')
            else 'native')


def meta(mode, available, missing):
    """What the run ran on."""
    return {
        'mode': mode,
        'python': platform.python_version(),
        'lxml': lxml.__version__,
        'libxml2': '.'.join(str(v) for v in etree.LIBXML_VERSION),
        'nova': nova_version.version_string(),
        'machine': '%s, %d CPUs' % (platform.machine(), os.cpu_count()),
        'customizers': available,
        'customizers_missing': missing,
        'threads': _threads(),
        'gc': 'collected before, disabled during each timed series',
    }


def write(results, nova_xml, output_dir):
    """Write the JSON, the tables, the figure and Nova's XML.

    :returns: ``{extension: path}``
    """
    paths = {ext: os.path.join(output_dir, 'bench.' + ext)
             for ext in ('json', 'md', 'rst', 'png')}
    tables = suite.tables(results)
    with open(paths['json'], 'w') as handle:
        json.dump(results, handle, indent=2, sort_keys=True, default=str)
    with open(paths['md'], 'w') as handle:
        handle.write(report.markdown(tables))
    with open(paths['rst'], 'w') as handle:
        handle.write(report.rst(tables))
    with open(os.path.join(output_dir, 'nova-domain.xml'), 'w') as handle:
        handle.write(nova_xml)
    plot.plot(results, paths['png'])
    return paths


def show(results, paths):
    """Print the report."""
    meta = results['meta']
    print('nova-xmlhooks benchmark (%s run, %.0f s): Nova %s, Python %s, '
          'lxml %s, %s' % (meta['mode'], meta['seconds'], meta['nova'],
                           meta['python'], meta['lxml'], meta['machine']))
    print('customizers: %s; checks: %s; threads: %s'
          % (', '.join(meta['customizers']),
             ', '.join(meta['checks']) or 'none', meta['threads']))
    for name, reason in sorted(meta['customizers_missing'].items()):
        print('  customizer %s not loaded: %s' % (name, reason))
    for key, reason in sorted(meta['dropped_rules'].items()):
        print('  candidate rule %s left out: %s' % (key, reason))
    print(report.text(suite.tables(results)))
    for title, text in results['profiles'].items():
        print('\nProfile, %s (cProfile, by own time):' % title)
        print(text)
    print('\nResults in %s' % ', '.join(sorted(paths.values())))


def update_docs(paths):
    os.makedirs(DOCS_DIR, exist_ok=True)
    for ext, name in DOCS_FILES.items():
        shutil.copy(paths[ext], os.path.join(DOCS_DIR, name))
    print('Docs updated in %s' % DOCS_DIR)


def main(argv=None):
    args = parse_args(argv)
    started = time.perf_counter()
    available, missing = harness.available_customizers()
    os.makedirs(args.output_dir, exist_ok=True)
    try:
        results, workload, nova_xml = harness.run(
            args.mode, available, os.path.join(args.output_dir,
                                               'harness.log'))
    except RuntimeError as e:
        sys.stderr.write('bench: %s\n' % e)
        return 1
    results['meta'] = dict(meta(args.mode, available, missing),
                           families=workload.families,
                           checks=workload.checks,
                           dropped_rules=workload.dropped,
                           seconds=time.perf_counter() - started)
    paths = write(results, nova_xml, args.output_dir)
    show(results, paths)
    if args.update_docs:
        update_docs(paths)
    bench_cli.run(quick=args.quick)
    return 0
