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

"""Run customised Nova domain XML on the host's real libvirt and QEMU.

The path of every test here:

1. take domain XML that Nova generated (``tests/fixtures``, captured
   through Nova's own functional harness) and give it a fresh name and
   UUID, as Nova would for another instance;
2. apply the customisation with the real engine and customisers, built
   from an ``[xmlhooks]`` configuration exactly as the driver builds them;
3. adapt only what this host cannot run (:func:`adapt_for_host`);
4. define it on ``qemu:///system`` with ``VIR_DOMAIN_DEFINE_VALIDATE``
   (libvirt's own RelaxNG schema), start it, and read QEMU's command line;
5. destroy and undefine it, whatever happened.

Without a reachable libvirt the tests skip with a message saying how to
enable them, or fail when ``XMLHOOKS_REQUIRE_LIBVIRT=1`` (as in CI).
"""

import json
import os
import re
import subprocess
import tempfile
import uuid

import fixtures
from lxml import etree

from tests.unit import base as unit_base

try:
    import libvirt
    import libvirt_qemu
except ImportError:  # pragma: no cover - depends on the host
    libvirt = None
    libvirt_qemu = None

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROFILES_DIR = os.path.join(os.path.dirname(TESTS_DIR), 'etc', 'xmlhooks.d')
SYSTEM_URI = 'qemu:///system'
REQUIRE_ENV = 'XMLHOOKS_REQUIRE_LIBVIRT'
ENABLE_HINT = (
    'install the packages in bindep.txt and libvirt-python, then run '
    'tools/libvirt-host-setup.sh as root (or start libvirtd yourself)')
#: names of test guests start with this, so a leftover is easy to spot
GUEST_PREFIX = 'xmlhooks-tier-'
# NOTE(xmlhooks): read when the module is imported, before oslotest points
# TMPDIR at a per-test directory of mode 0700 that QEMU, which runs as
# libvirt-qemu, cannot enter.
SYSTEM_TMP = tempfile.gettempdir()
GUEST_MEMORY_KIB = 64 * 1024
#: the CPU model every TCG guest gets instead of a host-derived one
TCG_CPU_MODEL = 'qemu64'
#: Hyper-V enlightenments proven by validated definition rather than in
#: a running guest: vpindex, which QEMU refuses without KVM ("kernel
#: doesn't allow setting HyperV VP_INDEX"), and those that need it
#: under KVM (TCG starts them alone; see test_tcg_starts_what_only_kvm_
#: refuses)
KVM_ONLY_HYPERV = ('vpindex', 'synic', 'stimer', 'tlbflush', 'ipi')


def libvirt_required():
    """Whether a missing libvirt is a failure rather than a skip."""
    return os.environ.get(REQUIRE_ENV) == '1'


# NOTE(xmlhooks): the same captured fixtures and helpers as the unit tests.
nova_xml = unit_base.nova_xml
xpath = unit_base.xpath


def renamed(xml, name):
    """Give Nova's XML a fresh name and UUID, as for another instance.

    NOTE(xmlhooks): the UUID also appears in Nova's SMBIOS entries and in
    file paths; libvirt refuses a ``<sysinfo>`` UUID that differs from the
    domain's, so every occurrence is replaced, before customisation.

    :param xml: Nova's domain XML
    :param name: the new domain name
    :returns: the XML with the new name and a new UUID
    """
    root = etree.fromstring(xml.encode())
    old_uuid = root.findtext('uuid').strip()
    root.find('name').text = name
    text = etree.tostring(root, encoding='unicode')
    return text.replace(old_uuid, str(uuid.uuid4()))


def _make_disk_image(workdir, index, virtual_size='16M'):
    """Lay a disk out the way Nova's Qcow2 image backend does.

    A raw base image in ``_base`` and a qcow2 overlay in the instance
    directory.

    :returns: the overlay's path
    """
    base_dir = os.path.join(workdir, '_base')
    instance_dir = os.path.join(workdir, 'instance')
    os.makedirs(base_dir, exist_ok=True)
    os.makedirs(instance_dir, exist_ok=True)
    base = os.path.join(base_dir, 'base-%d' % index)
    overlay = os.path.join(instance_dir, 'disk-%d' % index)
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'raw', base,
                    virtual_size], check=True)
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'raw',
                    '-b', base, overlay], check=True)
    return overlay


def _adapt_cpu(root):
    cpu = root.find('cpu')
    if cpu is None or cpu.get('mode', 'custom') == 'custom':
        return
    # NOTE(xmlhooks): host-model and host-passthrough describe the host's
    # CPU to KVM; under TCG a named model replaces them, and the features
    # and topology Nova or a customiser wrote stay.
    cpu.set('mode', 'custom')
    cpu.set('match', 'exact')
    cpu.attrib.pop('check', None)
    cpu.attrib.pop('migratable', None)
    model = cpu.find('model')
    if model is None:
        model = etree.Element('model')
        cpu.insert(0, model)
    model.attrib.clear()
    model.set('fallback', 'forbid')
    model.text = TCG_CPU_MODEL


def _adapt_interfaces(devices):
    # NOTE(xmlhooks): Nova plugs guests into Neutron's bridges or tap
    # devices, which do not exist here (and tap names would clash between
    # parallel tests); user-mode networking keeps the device and its MAC.
    for interface in devices.iterfind('interface'):
        keep = [child for child in interface
                if child.tag in ('mac', 'model', 'address')]
        interface.clear()
        interface.set('type', 'user')
        for child in keep:
            interface.append(child)


def _adapt_disks(devices, workdir):
    for index, disk in enumerate(devices.iterfind('disk')):
        if disk.get('type') != 'file':
            raise ValueError('the tier only adapts file disks, not %s'
                             % disk.get('type'))
        disk.find('source').set('file', _make_disk_image(workdir, index))
        driver = disk.find('driver')
        if driver is None:
            driver = etree.SubElement(disk, 'driver')
        driver.set('name', 'qemu')
        driver.set('type', 'qcow2')


def _adapt_host_paths(devices, workdir):
    for index, node in enumerate(devices.xpath(
            './serial/log | ./console/log | ./serial/source[@path] | '
            './console/source[@path]')):
        attribute = 'file' if node.tag == 'log' else 'path'
        node.set(attribute, os.path.join(workdir, 'console-%d.log' % index))
    emulator = devices.find('emulator')
    if emulator is not None and not os.path.exists(emulator.text or ''):
        devices.remove(emulator)


def adapt_for_host(xml, workdir, start=True, kvm_only=KVM_ONLY_HYPERV):
    """Change only what this host cannot run, and keep the rest.

    * the domain type becomes ``qemu`` (TCG): KVM may be absent or unusable;
    * a host-derived CPU becomes ``qemu64``, keeping features and topology;
    * memory becomes 64 MiB, so that guests start in a blink;
    * every file disk becomes a qcow2 overlay on a raw base image made
      with ``qemu-img`` in ``workdir``, laid out like Nova's ``_base``;
    * interfaces use user-mode networking instead of Neutron's devices;
    * console logs move into ``workdir``; a missing emulator is dropped;
    * when the guest is to be started, the Hyper-V enlightenments that
      QEMU refuses without KVM are dropped (:data:`KVM_ONLY_HYPERV`).

    :param xml: the customised domain XML
    :param workdir: a directory the QEMU user can read, for images and logs
    :param start: whether the guest will be started
    :param kvm_only: the enlightenments to drop before a start
    :returns: the adapted XML
    """
    root = etree.fromstring(xml.encode())
    root.set('type', 'qemu')
    _adapt_cpu(root)
    for tag in ('memory', 'currentMemory'):
        node = root.find(tag)
        if node is not None:
            node.attrib.clear()
            node.set('unit', 'KiB')
            node.text = str(GUEST_MEMORY_KIB)
    devices = root.find('devices')
    _adapt_disks(devices, workdir)
    _adapt_interfaces(devices)
    _adapt_host_paths(devices, workdir)
    if start:
        for feature in kvm_only:
            for node in root.xpath('./features/hyperv/%s' % feature):
                node.getparent().remove(node)
    return etree.tostring(root, encoding='unicode')


def option_values(argv, option):
    """The arguments that follow each occurrence of an option.

    :param argv: QEMU's command line as a list
    :param option: e.g. ``-smbios``
    :returns: a list of str
    """
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == option]


def json_options(argv, option):
    """The JSON-valued arguments of an option, e.g. ``-device``.

    :returns: a list of dicts; non-JSON values are left out
    """
    return [json.loads(value) for value in option_values(argv, option)
            if value.startswith('{')]


def device_drivers(argv):
    """The ``driver`` of every ``-device`` QEMU was given."""
    return [device['driver'] for device in json_options(argv, '-device')]


def smbios_tables(argv):
    """QEMU's ``-smbios type=N,field=value,...`` options, parsed.

    NOTE(xmlhooks): QEMU escapes a comma in a value as ``,,``, and an OEM
    strings table (type 11) repeats ``value=`` once per string.

    :returns: a dict of table type to a list of tables, each a list of
        ``(field, value)`` pairs in command line order
    """
    tables = {}
    for option in option_values(argv, '-smbios'):
        fields = []
        for item in re.split(r'(?<!,),(?!,)', option):
            name, _sep, text = item.partition('=')
            fields.append((name, text.replace(',,', ',')))
        (kind, table_type), *fields = fields
        if kind != 'type':
            raise ValueError('unexpected -smbios %s' % option)
        tables.setdefault(int(table_type), []).append(fields)
    return tables


def smbios_fields(argv, table_type):
    """The fields of the first SMBIOS table of a type, as a dict."""
    return dict(smbios_tables(argv)[table_type][0])


def cpu_properties(argv):
    """Parse QEMU's ``-cpu MODEL,prop=value,...`` into a model and a dict.

    :returns: ``(model, {prop: value})``
    """
    (value,) = option_values(argv, '-cpu')
    model, *props = value.split(',')
    return model, dict(prop.partition('=')[::2] for prop in props)


class Guest(fixtures.Fixture):
    """A domain defined, and optionally started, on the real libvirt.

    :ivar domain: the ``libvirt.virDomain``
    :ivar defined_xml: the persistent definition libvirt keeps
    :ivar argv: QEMU's command line, once started
    :ivar environ: QEMU's environment (``NAME=value`` items), once started
    """

    def __init__(self, conn, xml, workdir, start=True,
                 kvm_only=KVM_ONLY_HYPERV, validate=True):
        super().__init__()
        self.conn = conn
        self.xml = adapt_for_host(xml, workdir, start=start,
                                  kvm_only=kvm_only)
        self.start = start
        # NOTE(xmlhooks): Nova defines without libvirt's schema check.
        self.define_flags = (libvirt.VIR_DOMAIN_DEFINE_VALIDATE if validate
                             else 0)
        self.domain = None
        self.defined_xml = None
        self.argv = None
        self.environ = None

    def _setUp(self):
        self.domain = self.conn.defineXMLFlags(self.xml, self.define_flags)
        self.addCleanup(self._undefine)
        self.defined_xml = self.domain.XMLDesc(0)
        if not self.start:
            return
        self.addCleanup(self._destroy)
        self.domain.create()
        self.argv = self.read_proc('cmdline')
        self.environ = self.read_proc('environ')

    def read_proc(self, name):
        """A file of the running QEMU's /proc directory, split at NULs."""
        pid_file = '/run/libvirt/qemu/%s.pid' % self.domain.name()
        with open(pid_file) as handle:
            pid = int(handle.read().strip())
        with open('/proc/%d/%s' % (pid, name), 'rb') as handle:
            return handle.read().decode().rstrip('\0').split('\0')

    def _destroy(self):
        if self.domain.isActive():
            self.domain.destroy()

    def _undefine(self):
        self.domain.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)

    def qmp(self, command):
        """Run a QMP command in the running QEMU.

        :param command: the command name, e.g. ``query-name``
        :returns: the ``return`` member of QEMU's answer, as JSON text
        """
        return libvirt_qemu.qemuMonitorCommand(
            self.domain, '{"execute": "%s"}' % command, 0)


class LibvirtTestCase(unit_base.TestCase):
    """Tests on ``qemu:///system``, with a config of their own."""

    uri = SYSTEM_URI

    def setUp(self):
        super().setUp()
        self.conn = self.connect(self.uri)
        self.workdir = self.useFixture(
            fixtures.TempDir(rootdir=SYSTEM_TMP)).path
        # NOTE(xmlhooks): QEMU runs as libvirt-qemu and must reach the
        # images and logs; libvirt relabels the files, not their parents.
        os.chmod(self.workdir, 0o755)

    def connect(self, uri):
        """Open a libvirt connection, or skip/fail with the reason.

        :param uri: the libvirt URI
        :returns: a ``libvirt.virConnect``
        """
        if libvirt is None:
            self._unavailable('libvirt-python is not installed')
        # NOTE(xmlhooks): libvirt prints every error on stderr by default;
        # the exceptions carry the same text.
        libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
        try:
            conn = libvirt.open(uri)
        except libvirt.libvirtError as e:
            self._unavailable('cannot connect to %s: %s' % (uri, e))
        self.addCleanup(conn.close)
        return conn

    def _unavailable(self, reason):
        if libvirt_required():
            self.fail('%s (%s=1 makes this a failure)' % (reason,
                                                          REQUIRE_ENV))
        self.skipTest('%s; to run this tier, %s' % (reason, ENABLE_HINT))

    def guest_name(self):
        return GUEST_PREFIX + uuid.uuid4().hex[:12]

    def customize(self, specs, fixture='nova-basic', **flags):
        """Customise a fresh copy of Nova's XML with the real engine.

        :param specs: flavor extra specs
        :param fixture: the Nova XML fixture
        :param flags: ``[xmlhooks]`` options
        :returns: ``(nova_xml, customised_xml)``, both with the new name
        """
        xml = renamed(nova_xml(fixture), self.guest_name())
        result = self.engine(**flags).customize(xml, specs)
        self.assertNotEqual(xml, result, 'the customisation changed nothing')
        return xml, result

    def run_guest(self, xml, start=True):
        """Define (validated) and start a guest; cleaned up after the test.

        :returns: a :class:`Guest`
        """
        return self.useFixture(Guest(self.conn, xml, self.workdir,
                                     start=start))

    def boot(self, specs, fixture='nova-basic', start=True, **flags):
        """Customise Nova's XML, then define and start it.

        :returns: a :class:`Guest`
        """
        _nova, customised = self.customize(specs, fixture, **flags)
        return self.run_guest(customised, start=start)
