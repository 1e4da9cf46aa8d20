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

"""What the package installs, where, and what it leaves behind.

NOTE(xmlhooks): nova only loads compute drivers named under ``nova.virt``,
and ``nova`` is a regular package, so the driver's module is provided by an
import finder that a ``.pth`` file registers (see _nova_xmlhooks_shim.py),
never by a file inside nova's package.
"""

import atexit
import fcntl
import glob
from importlib import metadata
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import zipfile

import fixtures
from oslotest import base as oslo_base

import _nova_xmlhooks_shim as shim

TOP = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
_WHEELS = {}
# NOTE(xmlhooks): made when the module is imported, outside the per-test
# temporary directory that oslotest removes after each test, so that the
# wheel is built once for every test of the run.
_WHEEL_DIR = tempfile.mkdtemp(prefix='nova-xmlhooks-wheel-')
atexit.register(shutil.rmtree, _WHEEL_DIR, ignore_errors=True)
_WHEEL_LOCK = os.path.join(tempfile.gettempdir(), 'nova-xmlhooks-wheel.lock')


def _source_copy():
    """The working tree's files, without what earlier builds left.

    NOTE(xmlhooks): setuptools reuses the build/ directory of the source
    tree, so a file removed from the project would still be packaged from
    an earlier build there. pbr reads the version from git, so the copy
    points at the same repository.
    """
    copy = os.path.join(_WHEEL_DIR, 'src')
    names = subprocess.run(
        ['git', 'ls-files', '-z', '--cached', '--others',
         '--exclude-standard'], cwd=TOP, check=True,
        capture_output=True).stdout.decode().split('\0')
    for name in filter(None, names):
        source = os.path.join(TOP, name)
        if os.path.isfile(source):
            os.makedirs(os.path.dirname(os.path.join(copy, name)),
                        exist_ok=True)
            shutil.copy2(source, os.path.join(copy, name))
    git = os.path.join(TOP, '.git')
    if os.path.isdir(git):
        os.symlink(git, os.path.join(copy, '.git'))
    else:
        shutil.copy2(git, os.path.join(copy, '.git'))
    return copy


def build_wheel(test):
    """The project's wheel, built once per test run.

    :param test: the test case, to skip without a git checkout
    :returns: the path of the wheel
    """
    if not os.path.exists(os.path.join(TOP, '.git')):
        test.skipTest('pbr needs the git checkout to build a wheel')
    if 'wheel' not in _WHEELS:
        # NOTE(xmlhooks): a build writes into the source tree, so the test
        # processes stestr runs at once take turns.
        with open(_WHEEL_LOCK, 'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            subprocess.run(
                [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q',
                 '-w', _WHEEL_DIR, _source_copy()],
                check=True, capture_output=True)
        _WHEELS['wheel'], = glob.glob(
            os.path.join(_WHEEL_DIR, 'nova_xmlhooks-*.whl'))
    return _WHEELS['wheel']


def pip(*args):
    return subprocess.run([sys.executable, '-m', 'pip', '-q',
                           '--disable-pip-version-check', *args],
                          check=True, capture_output=True, text=True)


class WheelTest(oslo_base.BaseTestCase):
    """The built wheel: the finder's .pth file, none of nova's files."""

    def test_wheel_contents(self):
        wheel = zipfile.ZipFile(build_wheel(self))
        names = wheel.namelist()
        self.assertIn('nova_xmlhooks/driver.py', names)
        self.assertIn('_nova_xmlhooks_shim.py', names)
        self.assertEqual([], [n for n in names if n.startswith('nova/')])
        self.assertEqual(shim.PTH_LINE,
                         wheel.read(shim.PTH_NAME).decode())
        entry_points = [n for n in names if n.endswith('entry_points.txt')]
        self.assertEqual(1, len(entry_points))
        text = wheel.read(entry_points[0]).decode()
        self.assertIn('[nova.api.extra_spec_validators]', text)
        self.assertIn('[oslo.config.opts]', text)
        self.assertIn('[nova_xmlhooks.customizers]', text)
        # NOTE(xmlhooks): the examples must never land in a directory the
        # driver loads by default (one of them needs allow_sensitive).
        examples = sorted(
            os.path.basename(n) for n in names
            if '.data/data/share/nova-xmlhooks/examples/' in n)
        self.assertEqual(
            sorted(os.listdir(os.path.join(TOP, 'etc', 'xmlhooks.d'))),
            examples)
        self.assertEqual([], [n for n in names if '/etc/nova/' in n])

    def test_metadata_never_moves_nova(self):
        # NOTE(xmlhooks): a cap would make pip downgrade a newer nova, a
        # floor above the running series would make it upgrade nova.
        wheel = zipfile.ZipFile(build_wheel(self))
        name, = [n for n in wheel.namelist() if n.endswith('/METADATA')]
        requires = [line.split(':', 1)[1].strip()
                    for line in wheel.read(name).decode().splitlines()
                    if line.startswith('Requires-Dist: nova')]
        self.assertEqual(['nova>=29.0.0'], requires)


class InstalledFilesTest(oslo_base.BaseTestCase):
    """What pip installed next to nova, read from the installed RECORD.

    NOTE(xmlhooks): tox installs the package (not editable) into a fresh
    virtualenv next to nova. "pip uninstall nova-xmlhooks" removes exactly
    the files of the RECORD, which is why nothing of nova's may be there.
    """

    def test_installed_record(self):
        # NOTE(xmlhooks): read from the site directory, never from the
        # metadata a build may leave in the source tree.
        found = list(metadata.distributions(
            name='nova-xmlhooks', path=[sysconfig.get_paths()['purelib']]))
        if not found:
            self.skipTest('nova-xmlhooks is not installed')
        dist, = found
        files = [str(f) for f in dist.files]
        self.assertEqual([], [f for f in files if f.startswith('nova/')])
        self.assertIn('nova_xmlhooks/driver.py', files)
        self.assertIn(shim.PTH_NAME, files)


# NOTE(xmlhooks): run in a separate interpreter. The project's copy in
# TARGET comes first on sys.path; nova stays where this virtualenv has
# it. Only TARGET's .pth file may register a finder: any registered by
# this virtualenv's own copy of the project is removed first.
_LOAD_FROM_TARGET = textwrap.dedent("""
    import os, site, sys
    target, register = sys.argv[1], sys.argv[2] == 'register'
    sys.meta_path[:] = [f for f in sys.meta_path
                        if getattr(f, '__module__', '') !=
                        '_nova_xmlhooks_shim']
    for name in [m for m in sys.modules if 'nova_xmlhooks' in m]:
        del sys.modules[name]
    sys.path.insert(0, target)
    if register:
        site.addsitedir(target)
    import nova.virt
    assert not os.path.exists(
        os.path.join(os.path.dirname(nova.virt.__file__), 'xmlhooks.py'))
    # NOTE(xmlhooks): nova's own fake stands in for libvirt-python.
    from nova.tests.fixtures import libvirt as fakelibvirt
    sys.modules['libvirt'] = fakelibvirt
    from nova.virt import driver, fake
    drv = driver.load_compute_driver(fake.FakeVirtAPI(),
                                     'xmlhooks.LibvirtDriver')
    module = sys.modules[type(drv).__module__]
    print(type(drv).__name__, os.path.dirname(module.__file__))
""")


class TargetLayoutTest(oslo_base.BaseTestCase):
    """The driver loads with the project and nova in separate site dirs.

    NOTE(xmlhooks): that is the layout of pip next to distribution
    packages: nova in /usr/lib/python3/dist-packages, the project in
    /usr/local/lib/python3*/dist-packages, earlier on sys.path.
    """

    def setUp(self):
        super().setUp()
        wheel = build_wheel(self)
        self.target = self.useFixture(fixtures.TempDir()).path
        pip('install', '--no-deps', '--target', self.target, wheel)

    def _start(self, register):
        return subprocess.Popen(
            [sys.executable, '-c', _LOAD_FROM_TARGET, self.target,
             'register' if register else 'no'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=self.target)

    def test_driver_loads_through_nova_loader_only_with_the_pth(self):
        # NOTE(xmlhooks): the second interpreter is the control: without
        # the .pth file nothing makes the driver loadable. Each imports
        # nova's driver modules, which takes seconds, so both run at once.
        loaded, control = self._start(True), self._start(False)
        out, err = loaded.communicate()
        control_out, control_err = control.communicate()
        self.assertEqual(0, loaded.returncode, err)
        name, where = out.split()
        self.assertEqual('LibvirtDriver', name)
        self.assertEqual(os.path.join(self.target, 'nova_xmlhooks'), where)
        self.assertTrue(os.path.exists(os.path.join(self.target,
                                                    shim.PTH_NAME)))
        self.assertFalse(os.path.exists(os.path.join(self.target, 'nova')))
        self.assertNotEqual(0, control.returncode)
        self.assertIn('nova.virt.xmlhooks', control_out + control_err)


class UninstallTest(oslo_base.BaseTestCase):
    """``pip uninstall`` removes every file the install added."""

    def _site_files(self, venv):
        python = os.path.join(venv, 'bin', 'python')
        site_dir = subprocess.run(
            [python, '-c', 'import sysconfig; '
             'print(sysconfig.get_paths()["purelib"])'],
            check=True, capture_output=True, text=True).stdout.strip()
        found = set()
        for root, _dirs, files in os.walk(site_dir):
            found.update(os.path.relpath(os.path.join(root, name), site_dir)
                         for name in files)
        return found

    def test_uninstall_leaves_nothing_behind(self):
        wheel = build_wheel(self)
        venv = os.path.join(self.useFixture(fixtures.TempDir()).path, 'v')
        subprocess.run([sys.executable, '-m', 'venv', '--without-pip',
                        venv], check=True)
        python = os.path.join(venv, 'bin', 'python')
        run = [sys.executable, '-m', 'pip', '-q', '--python', python]
        before = self._site_files(venv)
        subprocess.run(run + ['install', '--no-deps', wheel], check=True,
                       capture_output=True)
        installed = self._site_files(venv) - before
        self.assertIn(shim.PTH_NAME, installed)
        # NOTE(xmlhooks): start the interpreter, so that the .pth file
        # runs and the finder's byte code is written, as in real use.
        subprocess.run([python, '-c', 'import sys, _nova_xmlhooks_shim as s; '
                        'assert s.ShimFinder in sys.meta_path; '
                        'assert "nova_xmlhooks" not in sys.modules'],
                       check=True)
        self.assertTrue(any('__pycache__' in name
                            for name in self._site_files(venv) - before))
        subprocess.run(run + ['uninstall', '-y', 'nova-xmlhooks'],
                       check=True, capture_output=True)
        self.assertEqual(before, self._site_files(venv))
