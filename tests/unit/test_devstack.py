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
reads ``ENABLED_SERVICES``) and record the rest (``setup_install``). The
written nova.conf files are then read with oslo.config and this project's
own options, as nova-compute would read them.

The plugin's Python sees only a nova package of the test's own (a chosen
version, and no nova/virt/xmlhooks.py unless a test adds one), never the
nova of the test environment.
"""

import configparser
import glob
import os
import re
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
# functions-common (define_plugin, is_service_enabled, die, trueorfalse),
# inc/ini-config (iniset) and inc/python (setup_install [-bindep]
# project_dir [extras], pip_uninstall). STUB_NEW_NOVA makes setup_install
# replace nova's metadata, as a pip that upgraded nova would.
STUBS = textwrap.dedent(r'''
    set -o errexit

    function define_plugin { echo "define_plugin $*" >> "$STUB_CALLS"; }
    function plugin_requires { echo "plugin_requires $*" >> "$STUB_CALLS"; }
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
    function setup_install {
        if [[ $1 == -bindep* ]]; then shift; fi
        echo "setup_install $*" >> "$STUB_CALLS"
        if [[ -n "${STUB_NEW_NOVA:-}" ]]; then
            rm -rf "$STUB_SITE"/nova-*.dist-info
            mkdir "$STUB_SITE/nova-$STUB_NEW_NOVA.dist-info"
            {
                echo 'Metadata-Version: 2.1'
                echo 'Name: nova'
                echo "Version: $STUB_NEW_NOVA"
            } > "$STUB_SITE/nova-$STUB_NEW_NOVA.dist-info/METADATA"
        fi
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

# NOTE(xmlhooks): the plugin's Python: the test's interpreter without its
# site-packages (-S), so only the fake nova on PYTHONPATH is seen. With
# STUB_FINDER set, a meta path finder serves nova.virt.xmlhooks, the way
# the package's own import finder does.
PYTHON_WRAPPER = textwrap.dedent('''\
    #!%(python)s -S
    import importlib.util
    import os
    import sys


    class Finder:
        @classmethod
        def find_spec(cls, name, path=None, target=None):
            if name == 'nova.virt.xmlhooks':
                return importlib.util.spec_from_file_location(
                    name, %(shim)r)


    if os.environ.get('STUB_FINDER'):
        sys.meta_path.insert(0, Finder)
    assert sys.argv[1] == '-c', sys.argv
    code, sys.argv = sys.argv[2], ['-c'] + sys.argv[3:]
    exec(compile(code, '<string>', 'exec'), {'__name__': '__main__'})
''')

# The series the plugin accepts, one released nova of each: nova's major
# version and the OpenStack release.
SUPPORTED = (('29.4.0', '2024.1'), ('30.2.0', '2024.2'),
             ('31.3.1', '2025.1'), ('32.2.1', '2025.2'),
             ('33.0.2', '2026.1'), ('34.0.0', '2026.2'))


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
        self.set_nova_version('34.0.0')
        # A checkout of a package version that shipped the driver module
        # as a file; the stub finder serves that file.
        self.checkout = os.path.join(self.tmp, 'checkout')
        self.shim = os.path.join(self.checkout, 'nova', 'virt',
                                 'xmlhooks.py')
        os.makedirs(os.path.dirname(self.shim))
        with open(self.shim, 'w') as handle:
            handle.write('from nova_xmlhooks.driver import LibvirtDriver\n')
        self.bin_dir = os.path.join(self.tmp, 'bin')
        os.makedirs(self.bin_dir)
        validate = os.path.join(self.bin_dir, 'nova-xmlhooks')
        with open(validate, 'w') as handle:
            handle.write('#!/bin/sh\necho "nova-xmlhooks $*" >> "%s"\n'
                         'exit ${STUB_VALIDATE_RC:-0}\n' % self.calls)
        os.chmod(validate, 0o755)
        self.python = os.path.join(self.bin_dir, 'python3')
        with open(self.python, 'w') as handle:
            handle.write(PYTHON_WRAPPER % {'python': sys.executable,
                                           'shim': self.shim})
        os.chmod(self.python, 0o755)
        self.examples = sorted(
            os.path.basename(path) for path in
            glob.glob(os.path.join(REPO, 'etc', 'xmlhooks.d', '*.yaml'))
            if os.path.basename(path) != 'large-bar-gpu.yaml')

    def set_nova_version(self, version):
        """Make the fake nova's metadata say ``version``."""
        for info in glob.glob(os.path.join(self.site, 'nova-*.dist-info')):
            os.remove(os.path.join(info, 'METADATA'))
            os.rmdir(info)
        info = os.path.join(self.site, 'nova-%s.dist-info' % version)
        os.mkdir(info)
        with open(os.path.join(info, 'METADATA'), 'w') as handle:
            handle.write('Metadata-Version: 2.1\nName: nova\n'
                         'Version: %s\n' % version)

    def run_phases(self, phases, services='n-cpu,n-api', check=True,
                   **settings):
        env = {
            'PATH': os.environ['PATH'],
            'PLUGIN_DIR': PLUGIN_DIR,
            'PHASES': ' '.join(phases),
            'STUB_PYTHON': sys.executable,
            'STUB_CALLS': self.calls,
            'STUB_SITE': self.site,
            'PYTHON': self.python,
            'PYTHONPATH': self.site,
            'DEST': self.tmp,
            'NOVA_XMLHOOKS_DIR': REPO,
            'NOVA_CONF': self.nova_conf,
            'NOVA_CPU_CONF': self.cpu_conf,
            'NOVA_BIN_DIR': self.bin_dir,
            'NOVA_XMLHOOKS_PROFILE_DIR': self.profile_dir,
            'ENABLED_SERVICES': services,
            'VIRT_DRIVER': 'libvirt',
            'STUB_FINDER': '1',
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
            return [line for line in handle.read().splitlines()
                    if not line.startswith('define_plugin ')]

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
        self.assertEqual(['setup_install %s' % REPO,
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

        self.run_phases(['unstack', 'clean'])
        self.assertEqual([], os.listdir(self.profile_dir))
        self.assertEqual('pip_uninstall nova-xmlhooks',
                         self.calls_made()[-1])

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
                        NOVA_XMLHOOKS_PREFLIGHT_ASKS_LIBVIRT='True',
                        NOVA_XMLHOOKS_EXTRAS='libvirt',
                        NOVA_XMLHOOKS_INSTALL_EXAMPLES='False')
        conf = self.read_conf(self.cpu_conf)
        self.assertEqual(['base', 'windows'], conf.xmlhooks.default_profiles)
        self.assertEqual(['xml', 'smbios'], conf.xmlhooks.customizers)
        self.assertEqual('skip', conf.xmlhooks.on_error)
        self.assertEqual(['qemu_passthrough'], conf.xmlhooks.allow_sensitive)
        self.assertIs(False, conf.xmlhooks.validate_schema)
        self.assertIs(True, conf.xmlhooks.preflight_asks_libvirt)
        # setup_install takes the extras as its own argument, not as a
        # "dir[extras]" requirement.
        self.assertEqual(['setup_install %s libvirt' % REPO],
                         self.calls_made())
        self.assertFalse(os.path.exists(self.profile_dir))

    def test_api_only_host(self):
        self.run_phases(['stack:install', 'stack:post-config',
                         'stack:extra'], services='n-api,n-cond')
        self.assertEqual(['setup_install %s' % REPO], self.calls_made())
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

    def test_every_supported_series_is_installed(self):
        for version, release in SUPPORTED:
            self.set_nova_version(version)
            open(self.calls, 'w').close()
            result = self.run_phases(['stack:install'])
            self.assertEqual(['setup_install %s' % REPO], self.calls_made(),
                             version)
            best_effort = ('nova-xmlhooks: nova %s (%s) is supported on a '
                           'best-effort basis' % (version, release))
            if version.startswith('30.'):
                self.assertIn(best_effort, result.stdout)
            else:
                self.assertNotIn('best-effort', result.stdout, version)

    def test_development_nova_of_a_supported_series(self):
        # DevStack's nova is a git checkout; pbr gives it a dev version.
        self.set_nova_version('33.1.0.dev12')
        self.run_phases(['stack:install'])
        self.assertEqual(['setup_install %s' % REPO], self.calls_made())

    def test_other_nova_series_is_refused(self):
        for version in ('28.3.0', '35.0.0', '35.0.0.0rc1'):
            self.set_nova_version(version)
            result = self.run_phases(['stack:install'], check=False)
            self.assertNotEqual(0, result.returncode, version)
            self.assertIn('nova-xmlhooks supports nova 29 to 34 (2024.1 to '
                          '2026.2); this DevStack has nova %s' % version,
                          result.stderr)
            self.assertEqual([], self.calls_made())

    def test_missing_nova_is_refused(self):
        self.set_nova_version('34.0.0')
        for info in glob.glob(os.path.join(self.site, 'nova-*.dist-info')):
            os.remove(os.path.join(info, 'METADATA'))
            os.rmdir(info)
        result = self.run_phases(['stack:install'], check=False)
        self.assertNotEqual(0, result.returncode)
        self.assertIn('die: nova-xmlhooks: nova is not installed for %s'
                      % self.python, result.stderr)
        self.assertEqual([], self.calls_made())

    def test_install_that_changes_nova_stops_stack(self):
        self.set_nova_version('31.3.1')
        result = self.run_phases(['stack:install', 'stack:post-config'],
                                 check=False, STUB_NEW_NOVA='34.0.0')
        self.assertNotEqual(0, result.returncode)
        self.assertIn('nova-xmlhooks: installing it changed nova from '
                      '31.3.1 to 34.0.0', result.stderr)
        self.assertFalse(os.path.exists(self.cpu_conf))

    def test_failed_validation_stops_stack(self):
        result = self.run_phases(['stack:extra'], check=False,
                                 STUB_VALIDATE_RC='1')
        self.assertNotEqual(0, result.returncode)
        self.assertIn('nova-xmlhooks validate found problems', result.stderr)

    def test_no_link_where_an_import_finder_serves_the_shim(self):
        result = self.run_phases(['stack:install', 'stack:post-config'],
                                 NOVA_XMLHOOKS_DIR=self.checkout,
                                 NOVA_XMLHOOKS_INSTALL_EXAMPLES='False')
        self.assertNotIn('linking', result.stdout)
        self.assertFalse(os.path.lexists(
            os.path.join(self.virt_dir, 'xmlhooks.py')))

    def test_module_nova_cannot_find_stops_stack(self):
        # NOTE(xmlhooks): no import finder, and a checkout that still has
        # the module file of versions before the finder: the plugin links
        # nothing into nova's tree, it stops.
        result = self.run_phases(['stack:install', 'stack:post-config'],
                                 check=False, STUB_FINDER='',
                                 NOVA_XMLHOOKS_DIR=self.checkout)
        self.assertNotEqual(0, result.returncode)
        self.assertIn('nova-xmlhooks: nova cannot find nova.virt.xmlhooks '
                      'after the install', result.stderr)
        self.assertFalse(os.path.lexists(
            os.path.join(self.virt_dir, 'xmlhooks.py')))
        self.assertFalse(os.path.exists(self.cpu_conf))

    def test_installed_shim_is_left_alone(self):
        shim = os.path.join(self.virt_dir, 'xmlhooks.py')
        with open(shim, 'w') as handle:
            handle.write('# installed by pip\n')
        self.run_phases(['stack:install', 'stack:post-config', 'clean'],
                        STUB_FINDER='', NOVA_XMLHOOKS_DIR=self.checkout,
                        NOVA_XMLHOOKS_INSTALL_EXAMPLES='False')
        self.assertFalse(os.path.islink(shim))
        with open(shim) as handle:
            self.assertEqual('# installed by pip\n', handle.read())


class DevStackSettingsTest(oslo_base.BaseTestCase):
    """devstack/settings as DevStack and its tools read it."""

    def read_settings(self):
        with open(os.path.join(PLUGIN_DIR, 'settings')) as handle:
            return handle.read().splitlines()

    def test_plugin_defines_its_name(self):
        # NOTE(xmlhooks): the patterns of DevStack's
        # roles/write-devstack-local-conf/library/devstack_local_conf.py
        # (define_re and require_re, lines 158-159 on master), which reads
        # the names without running the file, so they must be literal.
        # doc/source/plugins.rst (lines 57-63) asks for the last component
        # of the git URL that users pass to enable_plugin.
        lines = self.read_settings()
        names = [match.group(1) for match in
                 (re.match(r'^define_plugin\s+(\S+).*', line)
                  for line in lines) if match]
        self.assertEqual(['nova-xmlhooks'], names)
        enable = [line.split() for line in lines
                  if line.startswith('#     enable_plugin ')]
        self.assertEqual([['#', 'enable_plugin', 'nova-xmlhooks',
                           'https://opendev.org/x/nova-xmlhooks']], enable)
        self.assertEqual(names[0], enable[0][3].rsplit('/', 1)[1])
        self.assertEqual([], [line for line in lines
                              if re.match(r'^plugin_requires\s', line)])

    def test_settings_source_with_devstack_functions(self):
        # define_plugin exists only inside DevStack: sourcing settings must
        # call it, not fail on an unknown command.
        result = subprocess.run(
            ['bash', '-c', 'set -o errexit; '
             'function define_plugin { echo "defined $*"; }; '
             'function trueorfalse { echo "$1"; }; '
             'source "$0"; echo "$NOVA_XMLHOOKS_DIR"',
             os.path.join(PLUGIN_DIR, 'settings')],
            env={'PATH': os.environ['PATH'], 'DEST': '/opt/stack'},
            capture_output=True, text=True, timeout=60)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual(['defined nova-xmlhooks', '/opt/stack/nova-xmlhooks'],
                         result.stdout.splitlines())

    def test_devstack_finds_the_project_name(self):
        # NOTE(xmlhooks): setup_install removes the project from the upper
        # constraints by name before installing it; DevStack's inc/python
        # (_setup_package_with_constraints_edit, lines 399-403 on master)
        # takes the third field of the first setup.cfg line that starts
        # with "name" and has an "=", else of pyproject.toml's first
        # 'name =' line, without quotes.
        name = None
        with open(os.path.join(REPO, 'setup.cfg')) as handle:
            for line in handle:
                if re.match(r'^name.*=', line):
                    fields = line.split()
                    name = fields[2] if len(fields) > 2 else None
                    break
        if not name:
            with open(os.path.join(REPO, 'pyproject.toml')) as handle:
                for line in handle:
                    if line.startswith('name ='):
                        name = line.split()[2].replace('"', '')
                        break
        self.assertEqual('nova-xmlhooks', name)
