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

"""Benchmarks of the ``nova-xmlhooks`` operator command.

1. Start-up: the median wall time of ``nova-xmlhooks render``, ``list`` and
   ``validate``, each a process of its own as an operator runs it, against
   a process that only imports lxml, PyYAML, oslo.config and stevedore,
   which every run needs. The target is 3 times that at most.
2. Audit: ``nova-xmlhooks audit`` of 200 Nova domains, customised by the
   engine, defined on libvirt's in-process test driver
   (``test:///default``), in one process (needs libvirt-python).

Run alone (``python tools/bench_cli.py [--quick]``) or as part of ``tox -e
bench``.
"""

import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from xml.sax import saxutils

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(REPO, 'tests', 'fixtures', 'nova-basic.xml')
#: what every run of the command imports, whatever it does
BASELINE_IMPORTS = 'import lxml.etree, yaml, oslo_config.cfg, stevedore'
STARTUP_TARGET = 3.0
PROFILE = '''windows:
  description: a profile for the benchmark
  specs:
    xmlhooks:hyperv:relaxed: "on"
    xmlhooks:smbios:oem.0: "licence {instance_uuid}"
  xml:
    - "xpath.delete=./devices/input[@type='tablet']"
'''
SPECS = {'xmlhooks:profile': 'windows',
         'xmlhooks:xml:clock': './clock/@offset=localtime'}


def _environ(cache_dir):
    # NOTE(xmlhooks): as an operator runs it: byte code cached as for an
    # installed package (outside the tree), no warnings asked for.
    environ = {name: value for name, value in os.environ.items()
               if name not in ('PYTHONWARNINGS', 'PYTHONDONTWRITEBYTECODE')}
    environ['PYTHONPYCACHEPREFIX'] = cache_dir
    return environ


def _seconds(argv, environ):
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=REPO, env=environ,
                            capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise RuntimeError('%s failed: %s' % (
            ' '.join(argv), result.stderr.decode(errors='replace')))
    return elapsed


def _medians(runs, environ, reps):
    """Median wall time of each command, measured in alternating rounds.

    NOTE(xmlhooks): a round runs every command once, so a machine that
    slows down or speeds up during the measurement weighs on the baseline
    as on the commands, and the ratios stay fair. The first round writes
    the byte code cache and is not counted.

    :param runs: a dict of name to argv
    :param environ: the environment of every run
    :param reps: rounds counted
    :returns: a dict of name to median seconds
    """
    samples = {name: [] for name in runs}
    for number in range(reps + 1):
        for name, argv in runs.items():
            elapsed = _seconds(argv, environ)
            if number:
                samples[name].append(elapsed)
    return {name: statistics.median(values)
            for name, values in samples.items()}


def _write_config(workdir):
    profile_dir = os.path.join(workdir, 'xmlhooks.d')
    os.mkdir(profile_dir)
    with open(os.path.join(profile_dir, 'windows.yaml'), 'w') as handle:
        handle.write(PROFILE)
    config_file = os.path.join(workdir, 'nova.conf')
    with open(config_file, 'w') as handle:
        handle.write('[DEFAULT]\ncompute_driver = xmlhooks.LibvirtDriver\n'
                     '[xmlhooks]\nprofile_dirs = %s\n' % profile_dir)
    return config_file


def startup(reps=7):
    """Measure and print the start-up ratio of render, list and validate.

    :param reps: runs per command, after one to warm the caches
    :returns: a dict of name to median seconds, with the ``baseline`` and
        each command's ``ratio``
    """
    command = [sys.executable, '-m', 'nova_xmlhooks.cmd.main']
    with tempfile.TemporaryDirectory() as workdir:
        environ = _environ(os.path.join(workdir, 'pycache'))
        config = ['--config-file', _write_config(workdir)]
        runs = {
            'baseline': [sys.executable, '-c', BASELINE_IMPORTS],
            'render': command + ['render', '--xml', FIXTURE, '--spec',
                                 'xmlhooks:profile=windows'] + config,
            'list': command + ['list'] + config,
            'validate': command + ['validate'] + config,
        }
        results = _medians(runs, environ, reps)
    baseline = results['baseline']
    for name in ('render', 'list', 'validate'):
        results[name + '_ratio'] = results[name] / baseline
    worst = max(results[name + '_ratio']
                for name in ('render', 'list', 'validate'))
    print('cli start-up: import of lxml+yaml+oslo.config+stevedore %.2f s; '
          'render %.2f s (%.1fx), list %.2f s (%.1fx), validate %.2f s '
          '(%.1fx); target <= %.0fx: %s' % (
              baseline, results['render'], results['render_ratio'],
              results['list'], results['list_ratio'], results['validate'],
              results['validate_ratio'], STARTUP_TARGET,
              'met' if worst <= STARTUP_TARGET else 'MISSED'), flush=True)
    return results


def _customised_domains(engine, count):
    # NOTE(xmlhooks): Nova records the flavor's extra specs in the domain,
    # so that audit finds the guests "ok", their usual state.
    with open(FIXTURE) as handle:
        template = handle.read().replace('<nova:extraSpecs/>', (
            '<nova:extraSpecs>%s</nova:extraSpecs>' % ''.join(
                '<nova:extraSpec name=%s>%s</nova:extraSpec>'
                % (saxutils.quoteattr(key), saxutils.escape(value))
                for key, value in SPECS.items())))
    old_uuid = '70bd88b9-71aa-4bab-acfb-bbe1b44d4ef1'
    for number in range(count):
        xml = template.replace(old_uuid, str(uuid.uuid4())).replace(
            'instance-00000001', 'bench-cli-%05d' % number)
        yield engine.customize(xml, SPECS)


def _check_all_ok(report, domains):
    statuses = [item['status'] for item in json.loads(report)
                if item['name'].startswith('bench-cli-')]
    if statuses != ['ok'] * domains:
        raise RuntimeError('audit did not find %d domains ok: %s'
                           % (domains, sorted(set(statuses))))


def audit(domains=200, reps=3):
    """Measure and print the time ``audit`` takes for many domains.

    :param domains: how many Nova domains to define on ``test:///default``
    :param reps: audits to take the median of
    :returns: the median seconds, or ``None`` without libvirt-python
    """
    sys.path.insert(0, REPO)
    try:
        import libvirt
    except ImportError:
        print('cli audit: skipped, libvirt-python is not installed (pip '
              'install libvirt-python; it needs libvirt\'s headers)',
              flush=True)
        return None
    from nova_xmlhooks.cmd import config as config_mod
    from nova_xmlhooks.cmd import main
    from nova_xmlhooks import engine as engine_mod

    connection = libvirt.open('test:///default')
    with tempfile.TemporaryDirectory() as workdir:
        config_file = _write_config(workdir)
        config_mod.CONF(['--config-file', config_file], project='nova')
        engine = engine_mod.Engine.from_conf(config_mod.CONF)
        defined = [connection.defineXML(xml)
                   for xml in _customised_domains(engine, domains)]
        samples = []
        for _ in range(reps):
            output = io.StringIO()
            with contextlib.redirect_stdout(output):
                started = time.perf_counter()
                status = main.main(['audit', '--connection',
                                    'test:///default', '--format', 'json',
                                    '--config-file', config_file])
                samples.append(time.perf_counter() - started)
            if status != 0:
                raise RuntimeError('audit exited with %d' % status)
            _check_all_ok(output.getvalue(), domains)
        for domain in defined:
            domain.undefine()
    seconds = statistics.median(samples)
    print('cli audit: %d domains on test:///default in %.2f s (%.1f ms per '
          'domain)' % (domains, seconds, 1000 * seconds / domains),
          flush=True)
    return seconds


def audit_in_subprocess(reps=3):
    """Run :func:`audit` in a process of its own.

    NOTE(xmlhooks): ``tools/bench.py`` runs Nova's functional harness in
    its process, which leaves overrides on the global configuration that
    the command reads too.
    """
    subprocess.run([sys.executable, os.path.abspath(__file__), 'audit',
                    str(reps)], cwd=REPO, check=True)


def run(quick=False):
    """Run both benchmarks and print a line for each, as ``tox -e bench``.

    :param quick: fewer repetitions
    """
    # NOTE(xmlhooks): what the caller printed comes first.
    sys.stdout.flush()
    startup(reps=3 if quick else 7)
    audit_in_subprocess(reps=1 if quick else 3)


if __name__ == '__main__':
    if sys.argv[1:2] == ['audit']:
        audit(reps=int(sys.argv[2]) if len(sys.argv) > 2 else 3)
    else:
        run(quick='--quick' in sys.argv[1:])
