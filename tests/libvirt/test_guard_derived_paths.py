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

"""Host paths that libvirt or QEMU derive from values that look harmless.

* For a UNIX channel whose source names no path, as Nova's guest agent
  channel may be, libvirt binds a socket at ``<channel_target_dir>/
  domain-<id>-<name>/<target name>``, removing what is there first, and
  does not look at the name. The guard counts a name with a ``/`` as a
  host path (see ``_CHANNEL_TARGET_PATH`` in nova_xmlhooks/guard.py).
* libvirt hands QEMU the clock's ``timezone`` as ``TZ``, a zone file
  glibc reads, absolute or relative to its zoneinfo directory.
* libvirt 9.0 writes a fw_cfg entry as ``-fw_cfg name=<name>,string=
  <text>`` without doubling commas; QEMU takes the last of a repeated
  key, so ``,file=<path>`` in the text makes it read a host file and hand
  it to the guest. It writes a character device's ``host`` into
  ``-chardev socket,...,host=<host>`` the same way: ``,logfile=<path>``
  makes QEMU create a host file.
* ``<os firmware='efi'>`` makes libvirt choose one of the host's firmware
  descriptors when the guest starts: QEMU maps its code file, and
  libvirt creates an NVRAM file for the guest from its template. Without
  the NVRAM ``template`` that Nova wrote before 2026.1, libvirt copies a
  template of its own choosing.

These show, on the real libvirt, what the guard refuses; and, for a sound
card added without an audio backend, which it passes, that libvirt gives
the card no host sound device.
"""

import os
import random
import stat
import uuid

from nova_xmlhooks import exception
from nova_xmlhooks import guard
from tests.libvirt import base

#: libvirt's default ``channel_target_dir``, under which it makes the
#: directory of each running domain
CHANNEL_TARGET_DIR = '/var/lib/libvirt/qemu/channel/target'
#: libvirt's default ``nvram_dir``, where it creates a guest's UEFI
#: variables file from the chosen firmware's template
NVRAM_DIR = '/var/lib/libvirt/qemu/nvram'
#: where QEMU's packages install firmware descriptors (Debian's ovmf)
FIRMWARE_DESCRIPTORS = '/usr/share/qemu/firmware'
#: the firmware as nova 29 (2024.1) writes it, on this host's ovmf: the
#: code without Secure Boot, and the template with Microsoft's keys
OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd'
OVMF_VARS_WITH_KEYS = '/usr/share/OVMF/OVMF_VARS_4M.ms.fd'
#: the template the descriptor of that code names: no keys
OVMF_VARS_EMPTY = '/usr/share/OVMF/OVMF_VARS_4M.fd'
NOVA_29_FIRMWARE = ('<loader readonly="yes" type="pflash">%s</loader>'
                    '<nvram template="%s"/>' % (OVMF_CODE,
                                                OVMF_VARS_WITH_KEYS))
#: Nova's guest agent channel, with the socket in libvirt's directory
AGENT = ('<channel type="unix"><source mode="bind"/>'
         '<target type="virtio" name="org.qemu.guest_agent.0"/></channel>')


class DerivedPathTestCase(base.LibvirtTestCase):

    def refused_then_run(self, xml, specs, allowed=()):
        """Show the guard refuses the rules, then run what it refused.

        NOTE(xmlhooks): with every category allowed there is no guard:
        the guest is what libvirt does with the document it refused.

        :param allowed: the categories allowed when the guard refuses
        :returns: a started :class:`tests.libvirt.base.Guest`
        """
        e = self.assertRaises(
            exception.GuardError,
            self.engine(allow_sensitive=list(allowed)).customize, xml, specs)
        self.assertEqual('host_paths', e.category)
        customised = self.engine(
            allow_sensitive=list(guard.CATEGORIES)).customize(xml, specs)
        return self.run_guest(customised)


class ChannelSocketTest(DerivedPathTestCase):

    def _victim(self):
        # NOTE(xmlhooks): a socket path has at most 107 bytes, so the file
        # sits right under /tmp, not in the test's directory.
        path = '/tmp/xh-%s' % uuid.uuid4().hex[:6]
        with open(path, 'w') as handle:
            handle.write('kept by the host\n')
        self.addCleanup(lambda: os.path.lexists(path) and os.unlink(path))
        return path

    def test_a_name_with_dots_replaces_a_host_file(self):
        victim = self._victim()
        # NOTE(xmlhooks): up from the domain's own directory to /.
        ups = '../' * (CHANNEL_TARGET_DIR.count('/') + 1)
        specs = {'xmlhooks:xml:name': './devices/channel/target/@name=%s%s'
                 % (ups, victim.lstrip('/'))}
        xml = base.renamed(base.nova_xml('nova-basic'), self.guest_name())
        xml = xml.replace('<devices>', '<devices>' + AGENT, 1)
        guest = self.refused_then_run(xml, specs)
        live = guest.domain.XMLDesc(0)
        path = base.xpath(live, "string(./devices/channel[@type='unix']"
                                "/source/@path)")
        self.assertTrue(path.startswith(CHANNEL_TARGET_DIR + '/domain-'),
                        path)
        self.assertEqual(victim, os.path.normpath(path))
        self.assertTrue(stat.S_ISSOCK(os.lstat(victim).st_mode))


class TimezoneTest(DerivedPathTestCase):

    def test_a_zone_file_path_reaches_qemu(self):
        specs = {'xmlhooks:xml:offset': './clock/@offset=timezone',
                 'xmlhooks:xml:zone': './clock/@timezone=/etc/shadow'}
        xml = base.renamed(base.nova_xml('nova-basic'), self.guest_name())
        guest = self.refused_then_run(xml, specs)
        self.assertIn('TZ=/etc/shadow', guest.environ)


class FwCfgTest(DerivedPathTestCase):

    def test_a_comma_in_an_entry_reads_a_host_file(self):
        victim = os.path.join(self.workdir, 'victim.txt')
        with open(victim, 'w') as handle:
            handle.write('kept by the host\n')
        os.chmod(victim, 0o644)
        specs = {'xmlhooks:xml:a': "xpath.create=./sysinfo[@type='fwcfg']"
                                   "/entry[@name='opt/org.example.x']",
                 'xmlhooks:xml:b': "./sysinfo[@type='fwcfg']/entry"
                                   "=,file=" + victim}
        xml = base.renamed(base.nova_xml('nova-basic'), self.guest_name())
        guest = self.refused_then_run(xml, specs)
        self.assertIn('name=opt/org.example.x,string=,file=' + victim,
                      base.option_values(guest.argv, '-fw_cfg'))


class CharacterDeviceHostTest(DerivedPathTestCase):

    def test_a_comma_in_a_host_makes_qemu_create_a_file(self):
        # NOTE(xmlhooks): a directory the QEMU user may write to, as
        # other guests' files are on a host without confinement.
        writable = os.path.join(self.workdir, 'writable')
        os.mkdir(writable)
        os.chmod(writable, 0o777)
        created = os.path.join(writable, 'created.log')
        specs = {
            'xmlhooks:xml:a': "xpath.create=./devices/serial[@type='tcp']"
                              "/source[@mode='bind']",
            'xmlhooks:xml:b': "./devices/serial[@type='tcp']/source/@host"
                              "=127.0.0.1,logfile=" + created,
            'xmlhooks:xml:c': "./devices/serial[@type='tcp']/source/@service"
                              "=%d" % random.randint(41000, 48000)}
        xml = base.renamed(base.nova_xml('nova-basic'), self.guest_name())
        self.refused_then_run(xml, specs, allowed=['network_exposure'])
        self.assertTrue(os.path.isfile(created))


def _nvram(name):
    """The variables file libvirt creates for a UEFI guest by default."""
    return os.path.join(NVRAM_DIR, '%s_VARS.fd' % name)


class FirmwareChoiceTest(DerivedPathTestCase):

    def setUp(self):
        super().setUp()
        if not os.path.isdir(FIRMWARE_DESCRIPTORS):
            self._unavailable('no firmware descriptors in %s (bindep.txt '
                              'installs ovmf)' % FIRMWARE_DESCRIPTORS)

    def test_asking_for_a_firmware_maps_and_creates_host_files(self):
        name = self.guest_name()
        nvram = _nvram(name)
        self.assertFalse(os.path.exists(nvram))
        xml = base.renamed(base.nova_xml('nova-basic'), name)
        guest = self.refused_then_run(
            xml, {'xmlhooks:xml:fw': './os/@firmware=efi'})
        # NOTE(xmlhooks): nothing in the rule names a file, yet QEMU maps
        # the firmware libvirt chose and the guest's own variables file,
        # which libvirt created on the host from the firmware's template.
        files = [option.split('"filename":"', 1)[1].split('"', 1)[0]
                 for option in base.option_values(guest.argv, '-blockdev')
                 if '"filename":' in option]
        self.assertIn(nvram, files)
        self.assertTrue([path for path in files
                         if path.startswith('/usr/share/')], files)
        self.assertTrue(os.path.isfile(nvram))

    def test_without_novas_template_libvirt_copies_its_own(self):
        missing = [path for path in (OVMF_CODE, OVMF_VARS_WITH_KEYS,
                                     OVMF_VARS_EMPTY)
                   if not os.path.isfile(path)]
        if missing:
            self._unavailable('%s: not installed (the test uses the files '
                              "of Debian's ovmf)" % ', '.join(missing))
        name = self.guest_name()
        xml = base.renamed(base.nova_xml('nova-basic'), name).replace(
            '</os>', NOVA_29_FIRMWARE + '</os>', 1)
        self.refused_then_run(xml, {'xmlhooks:xml:nv':
                                    'xpath.delete=./os/nvram'})
        # NOTE(xmlhooks): the guest's variables are a copy of a file the
        # rule never named, without the keys of the template Nova chose.
        with open(_nvram(name), 'rb') as f:
            variables = f.read()
        with open(OVMF_VARS_EMPTY, 'rb') as f:
            self.assertEqual(f.read(), variables)
        with open(OVMF_VARS_WITH_KEYS, 'rb') as f:
            self.assertNotEqual(f.read(), variables)


class SoundWithoutAudioTest(base.LibvirtTestCase):
    """A sound card added without a backend gets none from libvirt.

    NOTE(xmlhooks): the guard passes a ``<sound>`` with no ``<audio>``
    (see hardening.rst): libvirt adds the backend when it defines the
    domain, from qemu.conf's ``vnc_allow_host_audio`` and
    ``nographics_allow_host_audio``, both off by default. With them off,
    which is how the tier's libvirt runs, the card reaches no host
    sound device.
    """

    SOUND = "xpath.create=./devices/sound[@model='ich9']"

    def _backends(self, specs):
        guest = self.boot(specs, allow_sensitive=[], start=False)
        return base.xpath(guest.defined_xml, './devices/audio/@type')

    def test_under_vnc_libvirt_adds_no_backend(self):
        self.assertEqual(['none'], self._backends({'xmlhooks:xml:s':
                                                   self.SOUND}))

    def test_without_graphics_libvirt_adds_no_backend(self):
        # NOTE(xmlhooks): removing the VNC listener narrows what is
        # exposed, which the guard passes.
        self.assertEqual(['none'], self._backends({
            'xmlhooks:xml:g': 'xpath.delete=./devices/graphics',
            'xmlhooks:xml:s': self.SOUND}))
