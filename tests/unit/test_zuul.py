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

"""The Zuul jobs run what .ci/run runs, with envs tox.ini defines.

NOTE(xmlhooks): Zuul cannot run here. What can drift without anyone
noticing is checked: a job naming a tox env that does not exist, a
series (or an env of the README's ``tox``) that no job runs, a
playbook that is missing or not a list of plays.
"""

import configparser
import itertools
import os
import re
import shlex

from oslotest import base as oslo_base
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
#: the envs that the project templates run (openstack-python3-jobs runs
#: pyXY, publish-openstack-docs-pti docs, release-notes-jobs-python3
#: releasenotes, openstack-cover-jobs cover)
TEMPLATE_ENVS = {
    'openstack-python3-jobs': ('py3', 'pep8'),
    'publish-openstack-docs-pti': ('docs',),
    'release-notes-jobs-python3': ('releasenotes',),
    'openstack-cover-jobs': ('cover',),
}
_BRACES = re.compile(r'\{([^{}]*)\}')


def _expand(name):
    """Every env name of a section name with ``{a,b}`` factors."""
    parts = _BRACES.split(name)
    choices = [part.split(',') if i % 2 else [part]
               for i, part in enumerate(parts)]
    return [''.join(combo) for combo in itertools.product(*choices)]


def tox_envs():
    """The envs tox.ini defines, and its default envlist."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(REPO, 'tox.ini'))
    envs = {'py3'}
    for section in parser.sections():
        if section.startswith('testenv:'):
            envs.update(_expand(section[len('testenv:'):]))
    envlist = [env.strip() for env in
               parser.get('tox', 'envlist').split(',')]
    return envs, envlist


def ci_envs():
    """The tox envs that .ci/run runs, besides the default envlist."""
    with open(os.path.join(REPO, '.ci', 'run')) as handle:
        text = handle.read()
    found = []
    for line in text.splitlines():
        line = line.split('#', 1)[0]
        if 'tox -e' not in line:
            continue
        words = shlex.split(line.rstrip(' \\'))
        found += words[words.index('-e') + 1].split(',')
    return found


class ZuulTest(oslo_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        with open(os.path.join(REPO, '.zuul.yaml')) as handle:
            config = yaml.safe_load(handle)
        self.jobs = {item['job']['name']: item['job'] for item in config
                     if 'job' in item}
        [self.project] = [item['project'] for item in config
                          if 'project' in item]

    def _var(self, name, var):
        """A job's variable, from the job or the nearest parent here."""
        while name in self.jobs:
            job = self.jobs[name]
            if var in job.get('vars', {}):
                return job['vars'][var]
            name = job.get('parent')
        return None

    def _run_envs(self, pipeline):
        envs = set()
        for template in self.project['templates']:
            envs.update(TEMPLATE_ENVS[template])
        for name in self.project[pipeline]['jobs']:
            envs.add(self._var(name, 'tox_envlist'))
        return envs

    def test_every_job_names_an_env_of_tox_ini(self):
        envs, _envlist = tox_envs()
        for name in self.jobs:
            env = self._var(name, 'tox_envlist')
            self.assertIn(env, envs, name)

    def test_check_and_gate_run_what_ci_runs(self):
        _envs, envlist = tox_envs()
        wanted = set(envlist) | set(ci_envs())
        self.assertIn('functional-2024.1', wanted)
        for pipeline in ('check', 'gate'):
            self.assertEqual(set(), wanted - self._run_envs(pipeline),
                             pipeline)

    def test_every_job_defined_here_runs(self):
        for pipeline in ('check', 'gate'):
            self.assertEqual(set(self.jobs),
                             set(self.project[pipeline]['jobs']), pipeline)

    def test_every_series_has_its_job(self):
        envs, _envlist = tox_envs()
        series = sorted(env for env in envs
                        if re.match(r'functional-\d{4}\.\d$', env))
        self.assertIn('functional-2026.2', series)
        for env in series[:-1]:
            self.assertIn('nova-xmlhooks-tox-' + env, self.jobs)

    def test_libvirt_tier_must_run(self):
        job = self.jobs['nova-xmlhooks-tox-libvirt']
        self.assertEqual(
            '1', job['vars']['tox_environment']['XMLHOOKS_REQUIRE_LIBVIRT'])
        self.assertIn('test', job['vars']['bindep_profile'].split())

    def test_playbooks_are_plays(self):
        for name, job in self.jobs.items():
            for key in ('pre-run', 'run', 'post-run'):
                if key not in job:
                    continue
                path = os.path.join(REPO, job[key])
                with open(path) as handle:
                    plays = yaml.safe_load(handle)
                self.assertIsInstance(plays, list, path)
                for play in plays:
                    self.assertIn('hosts', play, path)
                    self.assertTrue(play['tasks'], path)
