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

"""The DevStack plugin, run phase by phase in bash.

DevStack's own functions are replaced by small stubs that do the real work
where it matters (``iniset`` writes a real ini file, ``is_service_enabled``
reads ``ENABLED_SERVICES``) and record the rest (``pip_install``). The
written nova.conf files are then read with oslo.config and this project's
own options, as nova-compute would read them.
"""

import configparser
import glob
import os
import subprocess
import sys
import textwrap

import fixtures
from oslo_config import cfg
from oslotest import base as oslo_base

from nova_xmlhooks.conf import xmlhooks as xmlhooks_opts
from nova_xmlhooks import engine
from nova_xmlhooks import exception

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PLUGIN_DIR = os.path.join(REPO, 'devstack')

# NOTE(xmlhooks): the stubs follow the signatures of DevStack's
# functions-common and inc/ini-config.
STUBS = textwrap.dedent(r'''
    set -o errexit

    function is_service_enabled {
        local service
        for service in "$@"; do
            [[ ",$ENABLED_SERVICES," == *",$service,"* ]] && return 0
        done
        return 1
    }
    function iniset {
        if [[ "$1" == "-sudo" ]]; then shift; fi
        "$STUB_PYTHON" - "$@" <<'PYEOF'
    import configparser, os, sys
    path, section, option, value = sys.argv[1:5]
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str
    parser.read(path)
    if section != 'DEFAULT' and not parser.has_section(section):
        parser.add_section(section)
    parser.set(section, option, value)
    with open(path, 'w') as handle:
        parser.write(handle)
    PYEOF
    }
    function pip_install { echo "pip_install $*" >> "$STUB_CALLS"; }
    function pip_uninstall { echo "pip_uninstall $*" >> "$STUB_CALLS"; }
    function echo_summary { echo "summary: $*"; }
    function die { shift; echo "die: $*" >&2; exit 1; }
    function trueorfalse {
        local default=$1 value=${!2:-}
        case "$value" in
            ""|"$default") echo "$default" ;;
            [Tt]rue|1|[Yy]es) echo True ;;
            *) echo False ;;
        esac
    }
    function sudo { "$@"; }

    source "$PLUGIN_DIR/settings"
    for phase in $PHASES; do
        source "$PLUGIN_DIR/plugin.sh" ${phase//:/ }
    done
''')


class DevStackPluginTest(oslo_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.etc = os.path.join(self.tmp, 'etc', 'nova')
        os.makedirs(self.etc)
        self.nova_conf = os.path.join(self.etc, 'nova.conf')
        self.cpu_conf = os.path.join(self.etc, 'nova-cpu.conf')
        self.profile_dir = os.path.join(self.etc, 'xmlhooks.d')
        self.calls = os.path.join(self.tmp, 'calls')
        open(self.calls, 'w').close()
        # A nova package of our own, so the shim logic sees a nova
        # installed from source the way DevStack installs it.
        self.site = os.path.join(self.tmp, 'site')
        self.virt_dir = os.path.join(self.site, 'nova', 'virt')
        os.makedirs(self.virt_dir)
        for package in ('nova', 'nova/virt'):
            open(os.path.join(self.site, package, '__init__.py'),
                 'w').close()
        self.bin_dir = os.path.join(self.tmp, 'bin')
        os.makedirs(self.bin_dir)
        validate = os.path.join(self.bin_dir, 'nova-xmlhooks')
        with open(validate, 'w') as handle:
            handle.write('#!/bin/sh\necho "nova-xmlhooks $*" >> "%s"\n'
                         'exit ${STUB_VALIDATE_RC:-0}\n' % self.calls)
        os.chmod(validate, 0o755)
        self.examples = sorted(
            os.path.basename(path) for path in
            glob.glob(os.path.join(REPO, 'etc', 'xmlhooks.d', '*.yaml'))
            if os.path.basename(path) != 'large-bar-gpu.yaml')

    def run_phases(self, phases, services='n-cpu,n-api', check=True,
                   **settings):
        env = {
            'PATH': os.environ['PATH'],
            'PLUGIN_DIR': PLUGIN_DIR,
            'PHASES': ' '.join(phases),
            'STUB_PYTHON': sys.executable,
            'STUB_CALLS': self.calls,
            'PYTHON': sys.executable,
            'PYTHONPATH': self.site,
            'DEST': self.tmp,
            'NOVA_XMLHOOKS_DIR': REPO,
            'NOVA_CONF': self.nova_conf,
            'NOVA_CPU_CONF': self.cpu_conf,
            'NOVA_BIN_DIR': self.bin_dir,
            'NOVA_XMLHOOKS_PROFILE_DIR': self.profile_dir,
            'ENABLED_SERVICES': services,
            'VIRT_DRIVER': 'libvirt',
        }
        env.update(settings)
        result = subprocess.run(['bash', '-c', STUBS], env=env,
                                capture_output=True, text=True, timeout=60)
        if check:
            self.assertEqual(0, result.returncode,
                             'stdout:\n%s\nstderr:\n%s'
                             % (result.stdout, result.stderr))
        return result

    def calls_made(self):
        with open(self.calls) as handle:
            return handle.read().splitlines()

    def read_conf(self, path):
        """Read a written file the way nova-compute would."""
        conf = cfg.ConfigOpts()
        # NOTE(xmlhooks): a group of its own, so nothing is shared with
        # other ConfigOpts objects (oslo.config keeps overrides in groups).
        conf.register_opts(xmlhooks_opts.ALL_OPTS,
                           group=cfg.OptGroup('xmlhooks'))
        conf.register_opt(cfg.StrOpt('compute_driver'))
        conf(['--config-file', path], project='nova',
             default_config_files=[], default_config_dirs=[])
        return conf

    def raw(self, path):
        parser = configparser.RawConfigParser()
        parser.read(path)
        return parser

    def test_all_in_one(self):
        self.run_phases(['stack:install', 'stack:post-config',
                         'stack:extra'])
        self.assertEqual(['pip_install %s' % REPO,
                          'nova-xmlhooks validate --config-file %s'
                          % self.cpu_conf], self.calls_made())
        for path in (self.cpu_conf, self.nova_conf):
            conf = self.read_conf(path)
            self.assertEqual('xmlhooks.LibvirtDriver', conf.compute_driver)
            self.assertEqual([self.profile_dir], conf.xmlhooks.profile_dirs)
            self.assertEqual('fail', conf.xmlhooks.on_error)
            # Options left to their defaults are not written at all.
            raw = self.raw(path)
            self.assertEqual(
                ['on_error', 'profile_dirs'],
                sorted(set(raw.options('xmlhooks')) - set(raw.defaults())))
        self.assertTrue(self.examples, 'etc/xmlhooks.d has no profiles')
        self.assertEqual(self.examples, sorted(os.listdir(self.profile_dir)))
        # What DevStack wrote must let nova-compute start: the engine loads
        # every customiser and compiles every installed profile.
        conf = self.read_conf(self.cpu_conf)
        built = engine.Engine.from_conf(conf)
        self.assertEqual(sorted(name[:-len('.yaml')]
                                for name in self.examples),
                         sorted(built.profiles))

    def test_gpu_example_needs_qemu_passthrough(self):
        self.run_phases(['stack:install', 'stack:post-config'],
                        NOVA_XMLHOOKS_EXAMPLES='large-bar-gpu windows')
        conf = self.read_conf(self.cpu_conf)
        self.assertRaises(exception.ProfileError, engine.Engine.from_conf,
                          conf)
        self.run_phases(['stack:post-config'],
                        NOVA_XMLHOOKS_EXAMPLES='large-bar-gpu windows',
                        NOVA_XMLHOOKS_ALLOW_SENSITIVE='qemu_passthrough')
        conf = self.read_conf(self.cpu_conf)
        self.assertIn('large-bar-gpu',
                      engine.Engine.from_conf(conf).profiles)

    def test_settings_reach_the_options(self):
        self.run_phases(['stack:install', 'stack:post-config'],
                        NOVA_XMLHOOKS_DEFAULT_PROFILES='base,windows',
                        NOVA_XMLHOOKS_CUSTOMIZERS='xml,smbios',
                        NOVA_XMLHOOKS_ON_ERROR='skip',
                        NOVA_XMLHOOKS_ALLOW_SENSITIVE='qemu_passthrough',
                        NOVA_XMLHOOKS_VALIDATE_SCHEMA='False',
                        NOVA_XMLHOOKS_EXTRAS='libvirt',
                        NOVA_XMLHOOKS_INSTALL_EXAMPLES='False')
        conf = self.read_conf(self.cpu_conf)
        self.assertEqual(['base', 'windows'], conf.xmlhooks.default_profiles)
        self.assertEqual(['xml', 'smbios'], conf.xmlhooks.customizers)
        self.assertEqual('skip', conf.xmlhooks.on_error)
        self.assertEqual(['qemu_passthrough'], conf.xmlhooks.allow_sensitive)
        self.assertIs(False, conf.xmlhooks.validate_schema)
        self.assertEqual(['pip_install %s[libvirt]' % REPO],
                         self.calls_made())
        self.assertFalse(os.path.exists(self.profile_dir))

    def test_api_only_host(self):
        self.run_phases(['stack:install', 'stack:post-config',
                         'stack:extra'], services='n-api,n-cond')
        self.assertEqual(['pip_install %s' % REPO], self.calls_made())
        conf = self.read_conf(self.nova_conf)
        self.assertIsNone(conf.compute_driver)
        self.assertEqual([self.profile_dir], conf.xmlhooks.profile_dirs)
        self.assertFalse(os.path.exists(self.cpu_conf))
        self.assertEqual(self.examples, sorted(os.listdir(self.profile_dir)))

    def test_host_without_nova_api_or_compute(self):
        self.run_phases(['stack:install', 'stack:post-config',
                         'stack:extra', 'unstack', 'clean'],
                        services='key,n-sch,n-cond')
        self.assertEqual([], self.calls_made())
        self.assertFalse(os.path.exists(self.nova_conf))
        self.assertFalse(os.path.exists(self.profile_dir))

    def test_other_virt_driver_is_refused(self):
        result = self.run_phases(['stack:install', 'stack:post-config'],
                                 check=False, VIRT_DRIVER='ironic')
        self.assertNotEqual(0, result.returncode)
        self.assertIn('nova-xmlhooks needs VIRT_DRIVER=libvirt, not ironic',
                      result.stderr)
        self.assertFalse(os.path.exists(self.cpu_conf))

    def test_other_nova_series_is_refused(self):
        # NOTE(xmlhooks): metadata found first on the path wins, as it
        # would for a DevStack nova of another series.
        info = os.path.join(self.site, 'nova-35.0.0.dist-info')
        os.mkdir(info)
        with open(os.path.join(info, 'METADATA'), 'w') as handle:
            handle.write('Metadata-Version: 2.1\nName: nova\n'
                         'Version: 35.0.0\n')
        result = self.run_phases(['stack:install'], check=False)
        self.assertNotEqual(0, result.returncode)
        self.assertIn('nova-xmlhooks supports nova 34.x only; this '
                      'DevStack has nova 35.0.0', result.stderr)
        self.assertEqual([], self.calls_made())

    def test_failed_validation_stops_stack(self):
        result = self.run_phases(['stack:extra'], check=False,
                                 STUB_VALIDATE_RC='1')
        self.assertNotEqual(0, result.returncode)
        self.assertIn('nova-xmlhooks validate found problems', result.stderr)

    def test_shim_linked_into_source_nova_and_cleaned(self):
        link = os.path.join(self.virt_dir, 'xmlhooks.py')
        self.run_phases(['stack:install', 'stack:post-config'])
        self.assertEqual(os.path.join(REPO, 'nova', 'virt', 'xmlhooks.py'),
                         os.readlink(link))
        self.assertTrue(os.path.isfile(link))

        self.run_phases(['unstack', 'clean'])
        self.assertFalse(os.path.lexists(link))
        self.assertEqual([], os.listdir(self.profile_dir))
        self.assertEqual('pip_uninstall nova-xmlhooks',
                         self.calls_made()[-1])

    def test_installed_shim_is_left_alone(self):
        shim = os.path.join(self.virt_dir, 'xmlhooks.py')
        with open(shim, 'w') as handle:
            handle.write('# installed by pip\n')
        self.run_phases(['stack:install', 'stack:post-config', 'clean'])
        self.assertFalse(os.path.islink(shim))
        with open(shim) as handle:
            self.assertEqual('# installed by pip\n', handle.read())
