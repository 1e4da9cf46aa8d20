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

"""The guard on sensitive changes, in both directions, on Nova's XML."""

import copy
import os
import re

from lxml import etree
import testscenarios

from nova_xmlhooks import checks
from nova_xmlhooks.customizers import base as customizer_base
from nova_xmlhooks import engine
from nova_xmlhooks import exception
from nova_xmlhooks import guard
from nova_xmlhooks import loader
from nova_xmlhooks import metadata
from nova_xmlhooks import xpath_edit
from tests.unit import base

load_tests = testscenarios.load_tests_apply_scenarios

ALL = list(guard.CATEGORIES)
#: libvirt's domain schema, with the definitions of every element
_SCHEMA = '/usr/share/libvirt/schemas/domaincommon.rng'
_RNG = '{http://relaxng.org/ns/structure/1.0}'
#: the schema's types of host paths
_PATH_TYPES = frozenset(['absFilePath', 'filePath', 'absDirPath',
                         'devicePath'])
#: a Manila share as Nova attaches it: a virtiofs <filesystem>
_VIRTIOFS = ('<filesystem type="mount" accessmode="passthrough">'
             '<driver type="virtiofs"/>'
             '<source dir="/var/lib/nova/mnt/share1"/>'
             '<target dir="share1"/></filesystem>')
#: a port as Nova plugs it into Open vSwitch
_OVS_PORT = ('<interface type="bridge">'
             '<mac address="fa:16:3e:4c:2c:30"/>'
             '<model type="virtio"/>'
             '<driver name="vhost" rx_queue_size="512"/>'
             '<source bridge="br-int"/><mtu size="1442"/>'
             '<target dev="tap4c2c30aa-11"/>'
             '<virtualport type="openvswitch">'
             '<parameters interfaceid="4c2c30aa-1175-4b4c-9c4d-1d4e5f6a7b8c"/>'
             '</virtualport></interface>')
#: a Ceph volume as Nova attaches it
_RBD_VOLUME = ('<disk type="network" device="disk">'
               '<driver name="qemu" type="raw" cache="writeback"/>'
               '<source protocol="rbd" name="volumes/volume-1">'
               '<host name="192.0.2.10" port="6789"/></source>'
               '<auth username="cinder">'
               '<secret type="ceph"'
               ' uuid="5c1b5f8e-3b0e-4c56-9f2e-2f1c1d9d1a11"/>'
               '</auth><target dev="vdb" bus="virtio"/>'
               '<serial>1d0c1ad5-4b1e-4ad4-9d35-0a4d0e5b7a2c</serial></disk>')
#: the volume's ID, as Nova writes it in the disk's serial
VOLUME = '1d0c1ad5-4b1e-4ad4-9d35-0a4d0e5b7a2c'
#: a volume and an RNG with the limits Nova writes for quota:disk_* and
#: hw_rng:rate_bytes
_LIMITED_VOLUME = _RBD_VOLUME.replace(
    '</disk>', '<iotune><total_iops_sec>100</total_iops_sec></iotune></disk>')
_LIMITED_RNG = ('<rng model="virtio"><rate period="2000" bytes="1024"/>'
                '<backend model="random">/dev/urandom</backend></rng>')
#: a watchdog as Nova attaches it for hw:watchdog_action=pause
_WATCHDOG = '<watchdog model="i6300esb" action="pause"/>'
#: a vTPM as Nova attaches it for hw:tpm_version=2.0
_VTPM = ('<tpm model="tpm-tis">'
         '<backend type="emulator" version="2.0">'
         '<encryption secret="9b1a4c2e-0f1d-4e5a-8c3b-7d6e5f4a3b2c"/>'
         '</backend></tpm>')
#: the schema's types of network addresses and ports
_NETWORK_TYPES = frozenset(['ipAddr', 'ipv4Addr', 'ipv6Addr', 'dnsName',
                            'addrIPorName', 'PortNumber', 'dbusAddr'])


def engine_of(conf, customizers, xml=True):
    """An engine of test customisers, the checks built as the driver's.

    :param conf: the configuration, ``[xmlhooks]`` set
    :param customizers: family to customiser, besides ``xml``
    :param xml: whether the ``xml`` customiser comes first
    """
    if xml:
        customizers = dict(loader.load_customizers(conf, ['xml']),
                           **customizers)
    return engine.Engine(customizers, {}, checks=checks.load_checks(
        conf, customizers))


class GuardTestCase(base.TestCase):

    def engine(self, xml_only=False, **flags):
        """Build the engine as the driver does, the guard knowing the rules.

        NOTE(xmlhooks): the customisers are passed to the checks so the
        guard can name the rule behind a change.
        """
        self.flags(**flags)
        names = ['xml'] if xml_only else self.conf.xmlhooks.customizers
        customizers = loader.load_customizers(self.conf, names)
        return engine.Engine(customizers, {},
                             on_error=self.conf.xmlhooks.on_error,
                             checks=checks.load_checks(self.conf,
                                                       customizers))

    def engine_with(self, customizers, allowed, xml=True, **flags):
        """An engine of test customisers, the checks knowing them.

        :param customizers: family to customiser, besides ``xml``
        :param allowed: the categories ``allow_sensitive`` lists
        :param xml: whether the ``xml`` customiser comes first
        :param flags: other ``[xmlhooks]`` options
        """
        self.flags(allow_sensitive=allowed, **flags)
        return engine_of(self.conf, customizers, xml=xml)


class SensitiveCategoryTest(GuardTestCase):
    """Each category is refused by default and allowed by its option."""

    scenarios = [
        ('qemu_commandline', dict(
            category='qemu_passthrough',
            value='./qemu:commandline/qemu:arg/@value=-S',
            proof='./qemu:commandline/qemu:arg/@value', at_parse=True)),
        ('qemu_override', dict(
            category='qemu_passthrough',
            value="./qemu:override/qemu:device/@alias=ua-disk",
            proof='./qemu:override/qemu:device', at_parse=True)),
        ('seclabel_none', dict(
            category='security_labels',
            value='./seclabel/@type=none', proof='./seclabel')),
        ('seclabel_disk', dict(
            category='security_labels',
            value='./devices/disk/source/seclabel/@relabel=no',
            proof='./devices/disk/source/seclabel',
            fixture='nova-two-disks')),
        ('disk_source_file', dict(
            category='host_paths',
            value="./devices/disk[1]/source/@file=/etc/shadow",
            proof="./devices/disk/source[@file='/etc/shadow']",
            also=['devices_passthrough'])),
        ('kernel', dict(
            category='host_paths', value='./os/kernel=/boot/vmlinuz',
            proof='./os/kernel')),
        ('initrd', dict(
            category='host_paths', value='./os/initrd=/boot/initrd.img',
            proof='./os/initrd')),
        ('loader', dict(
            category='host_paths',
            value='./os/loader=/usr/share/OVMF/OVMF_CODE.fd',
            proof='./os/loader')),
        ('nvram_template', dict(
            category='host_paths',
            value='./os/nvram/@template=/usr/share/OVMF/OVMF_VARS.fd',
            proof='./os/nvram/@template')),
        ('emulator', dict(
            category='host_paths',
            devices='<emulator>/usr/bin/qemu-system-x86_64</emulator>',
            value='./devices/emulator=/usr/bin/x',
            proof="./devices/emulator[.='/usr/bin/x']")),
        ('serial_log', dict(
            category='host_paths',
            value='./devices/serial/log/@file=/etc/cron.d/x',
            proof="./devices/serial/log[@file='/etc/cron.d/x']")),
        ('serial_source', dict(
            category='host_paths',
            value='./devices/serial/source/@path=/dev/ttyS0',
            proof='./devices/serial/source/@path',
            also=['network_exposure'])),
        ('rng_backend', dict(
            category='host_paths',
            value='./devices/rng/backend=/dev/mem',
            proof="./devices/rng[backend='/dev/mem']")),
        ('interface_script', dict(
            category='host_paths',
            devices="<interface type='ethernet'/>",
            value="./devices/interface[@type='ethernet']/script/@path=/x",
            proof='./devices/interface/script/@path',
            also=['devices_passthrough', 'network_exposure'])),
        ('filesystem_dir', dict(
            category='host_paths',
            devices=_VIRTIOFS,
            value="./devices/filesystem/source/@dir=/",
            proof='./devices/filesystem/source/@dir',
            also=['devices_passthrough'])),
        # libvirt 9.0 writes -fw_cfg name=...,string=... without doubling
        # commas: a comma adds options, file= among them.
        ('fwcfg_entry_text_comma', dict(
            category='host_paths',
            setup=["xpath.create=./sysinfo[@type='fwcfg']"
                   "/entry[@name='opt/org.example.x']"],
            value="./sysinfo[@type='fwcfg']/entry=,file=/etc/passwd",
            proof="./sysinfo[@type='fwcfg']/entry[.=',file=/etc/passwd']")),
        ('fwcfg_entry_name_comma', dict(
            category='host_paths',
            value="xpath.create=./sysinfo[@type='fwcfg']"
                  "/entry[@name='opt/x,file=/etc/passwd']",
            proof="./sysinfo[@type='fwcfg']/entry[@name]")),
        # libvirt 9.0 writes a character device's host and service, and
        # the graphics' listen address, into QEMU options without
        # doubling commas: logfile= makes QEMU create a host file.
        ('chardev_host_comma', dict(
            category='host_paths',
            setup=["xpath.create=./devices/serial[@type='tcp']"
                   "/source[@mode='bind']"],
            value="./devices/serial[@type='tcp']/source/@host="
                  "127.0.0.1,logfile=/var/lib/libvirt/qemu/x.log",
            proof="./devices/serial/source[contains(@host, 'logfile')]",
            also=['network_exposure'])),
        ('chardev_service_comma', dict(
            category='host_paths',
            setup=["xpath.create=./devices/serial[@type='tcp']"
                   "/source[@mode='bind']",
                   "./devices/serial[@type='tcp']/source/@host=127.0.0.1"],
            value="./devices/serial[@type='tcp']/source/@service="
                  "4000,logfile=/var/lib/libvirt/qemu/x.log",
            proof="./devices/serial/source[contains(@service, 'logfile')]",
            also=['network_exposure'])),
        # QEMU's DISPLAY: :0 is the host's own X server.
        ('sdl_display', dict(
            category='host_paths',
            setup=['./devices/graphics/@type=sdl'],
            value='./devices/graphics/@display=:0',
            proof="./devices/graphics[@display=':0']",
            also=['network_exposure'])),
        ('graphics_listen_comma', dict(
            category='host_paths',
            value="./devices/graphics/@listen="
                  "127.0.0.1,x509-dir=/etc/ssl/private",
            proof="./devices/graphics[contains(@listen, 'x509')]",
            also=['network_exposure'])),
        ('graphics_listen_address_comma', dict(
            category='host_paths',
            value="./devices/graphics/listen[@type='address']/@address="
                  "127.0.0.1,x509-dir=/etc/ssl/private",
            proof="./devices/graphics/listen[contains(@address, 'x509')]",
            also=['network_exposure'])),
        ('fwcfg_entry_file', dict(
            category='host_paths',
            setup=["xpath.create=./sysinfo[@type='fwcfg']/entry",
                   "./sysinfo[@type='fwcfg']/entry/@name=opt/x"],
            value="./sysinfo[@type='fwcfg']/entry/@file=/etc/shadow",
            proof="./sysinfo[@type='fwcfg']/entry[@file='/etc/shadow']")),
        ('audio_file', dict(
            category='host_paths',
            setup=["xpath.create=./devices/audio[@id='1']"],
            value="./devices/audio[@id='1']/@path=/etc/cron.d/x",
            then=["./devices/audio[@id='1']/@type=file"],
            proof="./devices/audio[@path='/etc/cron.d/x']",
            also=['host_resources'])),
        ('audio_alsa_input', dict(
            category='host_paths',
            value="xpath.create=./devices/audio[@type='alsa']"
                  "/input[@dev='/dev/snd/x']",
            proof="./devices/audio/input[@dev='/dev/snd/x']",
            also=['host_resources'])),
        ('audio_alsa_output', dict(
            category='host_paths',
            value="xpath.create=./devices/audio[@type='alsa']"
                  "/output[@dev='/dev/snd/x']",
            proof="./devices/audio/output[@dev='/dev/snd/x']",
            also=['host_resources'])),
        ('virtiofs_binary', dict(
            category='host_paths',
            devices=_VIRTIOFS,
            value='./devices/filesystem/binary/@path=/tmp/evil',
            proof="./devices/filesystem/binary[@path='/tmp/evil']",
            also=['devices_passthrough'])),
        ('graphics_gl_rendernode', dict(
            category='host_paths',
            value="xpath.create=./devices/graphics[@type='egl-headless']"
                  "/gl[@rendernode='/dev/dri/renderD128']",
            proof='./devices/graphics/gl/@rendernode',
            also=['network_exposure', 'host_resources'])),
        ('video_acceleration_rendernode', dict(
            category='host_paths',
            value='./devices/video/model/acceleration/@rendernode'
                  '=/dev/dri/renderD128',
            proof='./devices/video/model/acceleration/@rendernode',
            also=['host_resources'])),
        # A host device Nova's PCI tracker or placement did not hand out.
        ('hostdev', dict(
            category='devices_passthrough',
            value="xpath.create=./devices/hostdev[@mode='subsystem']",
            proof='./devices/hostdev', also=['resources'])),
        ('hostdev_mdev', dict(
            category='devices_passthrough',
            value="xpath.create=./devices/hostdev[@type='mdev']",
            then=['./devices/hostdev/@mode=subsystem',
                  './devices/hostdev/@model=vfio-pci',
                  './devices/hostdev/source/address/@uuid='
                  'c2177883-f1bb-47f0-914d-32a22e3a8804'],
            proof="./devices/hostdev[@type='mdev']", also=['resources'])),
        ('interface_vf', dict(
            category='devices_passthrough',
            value="xpath.create=./devices/interface[@type='hostdev']",
            then=["./devices/interface/source/address/@type=pci",
                  "./devices/interface/source/address/@bus=0x03"],
            proof="./devices/interface[@type='hostdev']",
            also=['network_exposure', 'resources'])),
        # The host's keyboard, read and grabbed by the guest (its device,
        # in <source>, is host_paths).
        ('input_evdev', dict(
            category='devices_passthrough',
            value="xpath.create=./devices/input[@type='evdev']",
            proof="./devices/input[@type='evdev']")),
        ('input_passthrough', dict(
            category='devices_passthrough',
            value="xpath.create=./devices/input[@type='passthrough']",
            proof="./devices/input[@type='passthrough']")),
        # A host serial or parallel port (its path is host_paths).
        ('serial_host_port', dict(
            category='devices_passthrough',
            value='./devices/serial/@type=dev',
            proof="./devices/serial[@type='dev']",
            also=['network_exposure'])),
        ('parallel_host_port', dict(
            category='devices_passthrough',
            value="xpath.create=./devices/parallel[@type='dev']",
            proof="./devices/parallel[@type='dev']",
            also=['network_exposure'])),
        # The host's SGX enclave page cache.
        ('sgx_epc', dict(
            category='devices_passthrough',
            value="xpath.create=./devices/memory[@model='sgx-epc']",
            then=['./devices/memory/target/size=65536'],
            proof="./devices/memory[@model='sgx-epc']",
            also=['host_resources', 'resources'])),
        # swtpm's state, which the guest writes, in host files.
        ('tpm_emulator', dict(
            category='devices_passthrough',
            value="xpath.create=./devices/tpm[@model='tpm-crb']",
            then=['./devices/tpm/backend/@type=emulator',
                  './devices/tpm/backend/@version=2.0',
                  './devices/tpm/backend/@persistent_state=yes'],
            proof="./devices/tpm/backend[@type='emulator']",
            also=['host_resources'])),
        # An ivshmem-doorbell server's socket, which QEMU connects to.
        ('shmem_doorbell', dict(
            category='host_paths',
            value="xpath.create=./devices/shmem[@name='ivs']",
            then=['./devices/shmem/model/@type=ivshmem-doorbell',
                  './devices/shmem/server/@path=/run/ivshmem.sock'],
            proof='./devices/shmem/server',
            also=['host_resources', 'network_exposure'])),
        ('new_cdrom', dict(
            category='devices_passthrough',
            value="xpath.create=./devices/disk[@device='cdrom']",
            proof="./devices/disk[@device='cdrom']")),
        ('new_interface', dict(
            category='devices_passthrough',
            value="xpath.create=./devices/interface[@type='network']",
            proof='./devices/interface', also=['network_exposure'])),
        ('vcpu', dict(
            category='resources', value='./vcpu=64', proof="./vcpu[.='64']")),
        ('memory', dict(
            category='resources', value='./memory=99999999',
            proof="./memory[.='99999999']")),
        ('cputune', dict(
            category='resources', value='./cputune/shares=262144',
            proof='./cputune/shares')),
        ('numatune', dict(
            category='resources', value='./numatune/memory/@nodeset=0',
            proof='./numatune')),
        # A guest NUMA topology: placement counts each cell's memory on
        # a host NUMA node (hw:numa_nodes).
        ('cpu_numa', dict(
            category='resources',
            value="xpath.create=./cpu/numa/cell[@id='0']",
            then=['./cpu/numa/cell/@cpus=0',
                  './cpu/numa/cell/@memory=1048576'],
            proof="./cpu/numa/cell[@memory='1048576']")),
        ('memory_backing', dict(
            category='resources',
            value='xpath.create=./memoryBacking/hugepages',
            proof='./memoryBacking')),
        ('iothreads_removed', dict(
            category='resources', value='xpath.delete=./iothreads',
            proof='./devices')),
        ('launch_security', dict(
            category='resources', value="./launchSecurity/@type=sev",
            proof="./launchSecurity[@type='sev']")),
        # Everything under a disk is what the disk is.
        ('backing_store_network', dict(
            category='devices_passthrough',
            value='./devices/disk/backingStore/@type=network',
            proof="./devices/disk/backingStore[@type='network']")),
        ('backing_store_file', dict(
            category='host_paths',
            value='./devices/disk/backingStore/source/@file=/etc/shadow',
            proof='./devices/disk/backingStore/source/@file',
            also=['devices_passthrough'])),
        ('backing_store_nbd_host', dict(
            category='devices_passthrough',
            value='./devices/disk/backingStore/source/host/@name=192.0.2.1',
            proof='./devices/disk/backingStore/source/host/@name',
            also=['network_exposure'])),
        ('deep_source', dict(
            category='host_paths',
            value='./devices/disk/source/reservations/source/@path=/run/x',
            proof='./devices/disk/source/reservations/source/@path',
            also=['devices_passthrough'])),
        ('disk_network_host', dict(
            category='devices_passthrough', devices=_RBD_VOLUME,
            value="./devices/disk[@type='network']/source/host/@name"
                  "=198.51.100.7",
            proof="./devices/disk/source/host[@name='198.51.100.7']",
            also=['network_exposure'])),
        ('disk_auth_secret', dict(
            category='devices_passthrough', devices=_RBD_VOLUME,
            value="./devices/disk/auth/secret/@uuid"
                  "=00000000-0000-0000-0000-000000000001",
            proof="./devices/disk/auth/secret/@uuid")),
        ('disk_shareable', dict(
            category='devices_passthrough',
            value='xpath.create=./devices/disk/shareable',
            proof='./devices/disk/shareable')),
        # A format says how guest-controlled bytes are read.
        ('disk_format', dict(
            category='host_paths',
            value="./devices/disk/driver/@type=qcow2",
            proof="./devices/disk/driver[@type='qcow2']",
            also=['devices_passthrough'])),
        ('disk_format_removed', dict(
            category='host_paths',
            value="xpath.delete=./devices/disk/driver",
            proof="./devices/disk[not(driver)]",
            also=['devices_passthrough'])),
        ('rbd_format', dict(
            category='host_paths', devices=_RBD_VOLUME,
            value="./devices/disk[@type='network']/driver/@type=qcow2",
            proof="./devices/disk/driver[@type='qcow2']",
            also=['devices_passthrough'])),
        # Network exposure: listeners, character devices, interfaces.
        ('vnc_listen_all', dict(
            category='network_exposure',
            value="./devices/graphics[@type='vnc']/@listen=0.0.0.0",
            proof="./devices/graphics[@listen='0.0.0.0']")),
        ('vnc_listen_element', dict(
            category='network_exposure',
            value="./devices/graphics/listen[@type='address']/@address"
                  "=0.0.0.0",
            proof="./devices/graphics/listen[@address='0.0.0.0']")),
        ('vnc_port', dict(
            category='network_exposure',
            value="./devices/graphics/@websocket=5700",
            proof="./devices/graphics/@websocket")),
        ('spice_listener', dict(
            category='network_exposure',
            value="xpath.create=./devices/graphics[@type='spice']",
            then=["./devices/graphics[@type='spice']/@autoport=yes"],
            proof="./devices/graphics[@type='spice']")),
        ('serial_tcp', dict(
            category='network_exposure',
            value="./devices/serial/@type=tcp",
            proof="./devices/serial[@type='tcp']")),
        ('serial_tcp_source', dict(
            category='network_exposure',
            value="./devices/serial/source[@mode='bind']/@service=4555",
            proof="./devices/serial/source[@service='4555']")),
        ('channel_udp', dict(
            category='network_exposure',
            value="xpath.create=./devices/channel[@type='udp']"
                  "/source[@host='192.0.2.1']",
            proof="./devices/channel[@type='udp']/source/@host")),
        ('redirdev_tcp', dict(
            category='network_exposure',
            value="xpath.create=./devices/redirdev[@type='tcp']"
                  "/source[@service='4000']",
            proof="./devices/redirdev[@type='tcp']")),
        ('rng_egd', dict(
            category='network_exposure',
            value="./devices/rng/backend/@model=egd",
            proof="./devices/rng/backend[@model='egd']")),
        ('interface_port_forward', dict(
            category='devices_passthrough', devices=_OVS_PORT,
            value="./devices/interface/portForward/@proto=tcp",
            proof="./devices/interface/portForward",
            also=['network_exposure'])),
        ('interface_tap_of_another_guest', dict(
            category='devices_passthrough', devices=_OVS_PORT,
            value="./devices/interface/target/@dev=tap00000000-00",
            proof="./devices/interface/target[@dev='tap00000000-00']",
            also=['network_exposure'])),
        ('interface_vlan', dict(
            category='devices_passthrough', devices=_OVS_PORT,
            value="./devices/interface/vlan/tag/@id=42",
            proof="./devices/interface/vlan/tag",
            also=['network_exposure'])),
        ('vsock', dict(
            category='network_exposure',
            value="xpath.create=./devices/vsock[@model='virtio']"
                  "/cid[@auto='yes']",
            proof="./devices/vsock")),
        ('dbus_display_address', dict(
            category='host_paths',
            value="xpath.create=./devices/graphics"
                  "[@address='unix:path=/run/x']",
            then=["./devices/graphics[@address='unix:path=/run/x']"
                  "/@type=dbus"],
            proof="./devices/graphics[@type='dbus']/@address",
            also=['network_exposure'])),
        ('audio_server_name', dict(
            category='host_paths',
            setup=["xpath.create=./devices/audio[@id='1']"],
            value="./devices/audio[@id='1']/@serverName"
                  "=/run/user/0/pulse/native",
            proof="./devices/audio/@serverName",
            also=['network_exposure'])),
        ('sdl_xauth', dict(
            category='host_paths',
            value="xpath.create=./devices/graphics"
                  "[@xauth='/root/.Xauthority']",
            then=["./devices/graphics[@xauth='/root/.Xauthority']"
                  "/@type=sdl"],
            proof="./devices/graphics[@type='sdl']/@xauth",
            also=['network_exposure'])),
        ('nmdm_master', dict(
            category='host_paths',
            value="./devices/serial/source/@master=/dev/nmdm0A",
            proof="./devices/serial/source/@master",
            also=['network_exposure'])),
        ('nmdm_slave', dict(
            category='host_paths',
            value="./devices/serial/source/@slave=/dev/nmdm0B",
            proof="./devices/serial/source/@slave",
            also=['network_exposure'])),
        # libvirt resolves a storage pool's volume to a host file or
        # device (virStorageTranslateDiskSourcePool) and opens it for QEMU.
        ('disk_source_pool', dict(
            category='host_paths',
            value="./devices/disk/source/@pool=default",
            then=['./devices/disk/source/@volume=other.qcow2',
                  'xpath.set=./devices/disk/source/@file=',
                  './devices/disk/@type=volume'],
            proof="./devices/disk[@type='volume']/source[@pool='default']",
            also=['devices_passthrough'])),
        ('disk_source_volume', dict(
            category='host_paths',
            value="./devices/disk/source/@volume=other.qcow2",
            then=['./devices/disk/source/@pool=default',
                  'xpath.set=./devices/disk/source/@file=',
                  './devices/disk/@type=volume'],
            proof="./devices/disk[@type='volume']/source[@volume]",
            also=['devices_passthrough'])),
        # A pseudo-terminal's host side, as libvirt writes it in a
        # running guest's XML; libvirt 9.0's schema has it on <serial>,
        # <parallel> and <console> only, the guard on <channel> as well.
        ('channel_tty', dict(
            category='host_paths',
            devices='<channel type="pty"><target type="virtio"'
                    ' name="org.example.0"/></channel>',
            value='./devices/channel/@tty=/dev/pts/0',
            proof="./devices/channel[@tty='/dev/pts/0']",
            also=['network_exposure'])),
        # A JACK server's name: QEMU connects to that server's socket.
        ('jack_input_server', dict(
            category='host_paths',
            value="xpath.create=./devices/audio[@type='jack']"
                  "/input[@serverName='other']",
            proof="./devices/audio/input/@serverName",
            also=['network_exposure', 'host_resources'])),
        ('jack_output_server', dict(
            category='host_paths',
            value="xpath.create=./devices/audio[@type='jack']"
                  "/output[@serverName='other']",
            proof="./devices/audio/output/@serverName",
            also=['network_exposure', 'host_resources'])),
        # Host resources outside placement.
        ('shmem', dict(
            category='host_resources',
            value="xpath.create=./devices/shmem",
            then=["./devices/shmem/size=64"],
            proof="./devices/shmem")),
        ('shmem_name', dict(
            category='host_paths',
            value="xpath.create=./devices/shmem[@name='guests']",
            proof="./devices/shmem[@name='guests']",
            also=['host_resources'])),
        ('on_crash_coredump', dict(
            category='host_resources',
            value="./on_crash=coredump-restart",
            proof="./on_crash[.='coredump-restart']")),
        # The guest's whole memory in QEMU's core dump, over qemu.conf.
        ('memory_dump_core', dict(
            category='resources',
            value="./memory/@dumpCore=on",
            proof="./memory[@dumpCore='on']",
            also=['host_resources'])),
        ('on_poweroff_preserve', dict(
            category='host_resources',
            value="./on_poweroff=preserve",
            proof="./on_poweroff[.='preserve']")),
        ('watchdog_dump', dict(
            category='host_resources',
            devices=_WATCHDOG,
            value="./devices/watchdog[@model='i6300esb']/@action=dump",
            proof="./devices/watchdog[@action='dump']")),
        ('audio_pulseaudio', dict(
            category='host_resources',
            setup=["xpath.create=./devices/audio[@id='1']"],
            value="./devices/audio[@id='1']/@type=pulseaudio",
            proof="./devices/audio[@type='pulseaudio']")),
        # QEMU writes the sound to qemu.wav in its working directory.
        ('audio_file_no_path', dict(
            category='host_resources',
            setup=["xpath.create=./devices/audio[@id='1']"],
            value="./devices/audio[@id='1']/@type=file",
            proof="./devices/audio[@type='file']")),
        ('graphics_gl', dict(
            category='network_exposure',
            value="xpath.create=./devices/graphics[@type='spice']"
                  "/gl[@enable='yes']",
            proof="./devices/graphics/gl[@enable='yes']",
            also=['host_resources'])),
        # Host memory outside placement.
        ('video_vram', dict(
            category='host_resources',
            value='./devices/video/model/@vram=16777216',
            proof="./devices/video/model[@vram='16777216']")),
        ('video_vgamem', dict(
            category='host_resources',
            value='./devices/video/model/@vgamem=1048576',
            proof="./devices/video/model[@vgamem='1048576']")),
        ('video_ram', dict(
            category='host_resources',
            setup=['./devices/video/model/@type=qxl'],
            value='./devices/video/model/@ram=1048576',
            proof="./devices/video/model[@ram='1048576']")),
        ('video_vram64', dict(
            category='host_resources',
            setup=['./devices/video/model/@type=qxl'],
            value='./devices/video/model/@vram64=16777216',
            proof="./devices/video/model[@vram64='16777216']")),
        # QEMU emulating the guest, with its 1 GiB translation cache
        ('domain_type', dict(
            category='host_resources', value='./@type=qemu',
            proof="self::domain[@type='qemu']")),
        # QEMU's main thread pool: thread_pool_min threads at start.
        ('default_iothread', dict(
            category='resources',
            value="xpath.create=./defaultiothread[@thread_pool_min='2000']",
            proof="./defaultiothread[@thread_pool_min='2000']")),
        # The flavor's quota:disk_* and hw_rng:rate_* limits, which Nova
        # writes as it writes cputune from quota:cpu_*.
        ('disk_iotune_removed', dict(
            category='resources', devices=_LIMITED_VOLUME,
            value="xpath.delete=./devices/disk/iotune",
            proof="./devices/disk[not(iotune)]")),
        ('disk_iotune_raised', dict(
            category='resources', devices=_LIMITED_VOLUME,
            value="./devices/disk/iotune/total_iops_sec=1000000",
            proof="./devices/disk/iotune[total_iops_sec='1000000']")),
        ('rng_rate_removed', dict(
            category='resources', devices=_LIMITED_RNG,
            value="xpath.delete=./devices/rng/rate",
            proof="./devices/rng[not(rate)]")),
        # The same limits removed, and a copy written where libvirt never
        # reads it, under the same last three element names.
        ('disk_iotune_parked', dict(
            category='resources', devices=_LIMITED_VOLUME,
            value="xpath.delete=./devices/disk/iotune",
            then=['./devices/memballoon/devices/disk/iotune/total_iops_sec'
                  '=100'],
            proof="./devices/memballoon/devices/disk/iotune")),
        ('rng_rate_parked', dict(
            category='resources', devices=_LIMITED_RNG,
            value="xpath.delete=./devices/rng/rate",
            then=['./devices/memballoon/devices/rng/rate/@period=2000',
                  './devices/memballoon/devices/rng/rate/@bytes=1024'],
            proof="./devices/memballoon/devices/rng/rate")),
        # ... or moved to another device: the volume's limit onto the
        # root disk, the RNG's onto an RNG fed by QEMU.
        ('disk_iotune_moved', dict(
            category='resources', devices=_LIMITED_VOLUME,
            value="xpath.delete=./devices/disk/iotune",
            then=['./devices/disk[2]/iotune/total_iops_sec=100'],
            proof="./devices/disk[target/@dev='vda']/iotune")),
        # ... or left on the RNG while its source changes, Nova's source
        # going to a new RNG without one.
        ('rng_rate_left_behind', dict(
            category='resources', devices=_LIMITED_RNG,
            setup=['xpath.create=./devices/rng[2]',
                   './devices/rng[2]/@model=virtio',
                   './devices/rng[2]/backend/@model=random',
                   './devices/rng[2]/backend=/dev/urandom'],
            value='./devices/rng[1]/backend/@model=builtin',
            then=['xpath.set=./devices/rng[1]/backend='],
            proof="./devices/rng[backend/@model='builtin']/rate")),
        ('rng_rate_moved', dict(
            category='resources',
            devices=_LIMITED_RNG + '<rng model="virtio">'
                                   '<backend model="builtin"/></rng>',
            value="xpath.delete=./devices/rng/rate",
            then=['./devices/rng[2]/rate/@period=2000',
                  './devices/rng[2]/rate/@bytes=1024'],
            proof="./devices/rng[2]/rate")),
        # libvirt gives an EGL display the host's first DRM render node.
        ('graphics_egl_headless', dict(
            category='network_exposure', also=['host_resources'],
            value="xpath.create=./devices/graphics[@type='egl-headless']",
            proof="./devices/graphics[@type='egl-headless']")),
        # A VNC password replaces qemu.conf's vnc_password: who may
        # connect to a listener on the host.
        ('graphics_passwd', dict(
            category='network_exposure',
            value='./devices/graphics/@passwd=secret',
            proof='./devices/graphics/@passwd')),
        # libvirt hands QEMU the zone as TZ, and glibc reads the file.
        ('clock_timezone_file', dict(
            category='host_paths',
            value='./clock/@timezone=/etc/shadow',
            proof="./clock[@timezone='/etc/shadow']")),
        # NOTE(xmlhooks): on a KVM guest, which libvirt refuses TCG's
        # features for; on a TCG guest a larger cache is also
        # host_resources (TranslationCacheTest).
        ('tcg_translation_cache', dict(
            category='resources',
            value='./features/tcg/tb-cache=2097152',
            proof="./features/tcg[tb-cache='2097152']")),
        # A second video device, whose model QEMU gives host memory even
        # when no size is written (QXL: 64 MiB of RAM and of VRAM).
        ('video_second_device', dict(
            category='host_resources',
            value="xpath.create=./devices/video[2]/model[@type='qxl']",
            proof="./devices/video[2]/model[@type='qxl']")),
        # The host's first DRM render node, handed to vhost-user-gpu.
        ('video_vhostuser', dict(
            category='host_resources',
            value='./devices/video/driver/@name=vhostuser',
            proof="./devices/video/driver[@name='vhostuser']")),
        # The host kernel's crypto framework; QEMU's own backend passes.
        ('crypto_host_kernel', dict(
            category='host_resources',
            setup=["xpath.create=./devices/crypto[@model='virtio']"
                   "/backend[@model='builtin']"],
            value='./devices/crypto/backend/@model=lkcf',
            proof="./devices/crypto/backend[@model='lkcf']")),
        # A host file QEMU maps shared, as the guest's error record store.
        ('pstore', dict(
            category='host_paths',
            value="xpath.create=./devices/pstore[@backend='acpi-erst']",
            then=['./devices/pstore/path=/var/lib/libvirt/x',
                  './devices/pstore/size=8'],
            proof="./devices/pstore/path",
            also=['host_resources'])),
        ('shim', dict(
            category='host_paths', value='./os/shim=/boot/efi/shimx64.efi',
            proof='./os/shim')),
        # Newer than libvirt 9.0, whose schema refuses them: only the guard
        # stands between them and a newer host. The UEFI variables QEMU's
        # uefi-vars device writes, and their template.
        ('varstore_template', dict(
            category='host_paths',
            value="xpath.create=./os/varstore[@template='/etc/shadow']",
            proof='./os/varstore/@template')),
        ('varstore_path', dict(
            category='host_paths',
            value="xpath.create=./os/varstore[@path='/etc/nova/nova.conf']",
            proof='./os/varstore/@path')),
        # How QEMU reads the NVRAM file and a block copy's destination,
        # as a disk's format: which header names further host files.
        ('nvram_format', dict(
            category='host_paths',
            value="xpath.create=./os/nvram[@format='qcow2']",
            proof='./os/nvram/@format')),
        ('disk_mirror_format', dict(
            category='host_paths',
            value="xpath.create=./devices/disk/mirror[@format='qcow2']",
            proof='./devices/disk/mirror/@format',
            also=['devices_passthrough'])),
        ('nvram_template_format', dict(
            category='host_paths',
            value="xpath.create=./os/nvram[@templateFormat='qcow2']",
            proof='./os/nvram/@templateFormat')),
        # What nbdkit reads on the host for an SSH disk.
        ('ssh_identity', dict(
            category='host_paths', devices=_RBD_VOLUME,
            value="xpath.create=./devices/disk[@type='network']/source"
                  "/identity[@keyfile='/var/lib/nova/.ssh/id_rsa']",
            proof='./devices/disk/source/identity/@keyfile',
            also=['devices_passthrough'])),
        ('ssh_agent', dict(
            category='host_paths', devices=_RBD_VOLUME,
            value="xpath.create=./devices/disk[@type='network']/source"
                  "/identity[@agentsock='/run/user/0/ssh-agent']",
            proof='./devices/disk/source/identity/@agentsock',
            also=['devices_passthrough'])),
        ('ssh_known_hosts', dict(
            category='host_paths', devices=_RBD_VOLUME,
            value="xpath.create=./devices/disk[@type='network']/source"
                  "/knownHosts[@path='/etc/shadow']",
            proof='./devices/disk/source/knownHosts/@path',
            also=['devices_passthrough'])),
        # TDX's quote generation service, a host socket; launchSecurity is
        # resources as a whole.
        ('tdx_quote_service', dict(
            category='host_paths',
            value="xpath.create=./launchSecurity[@type='tdx']"
                  "/quoteGenerationService[@path='/run/qgs.sock']",
            proof='./launchSecurity/quoteGenerationService/@path',
            also=['resources'])),
        # PipeWire's runtime directory, where its socket is.
        ('pipewire_runtime_dir', dict(
            category='host_paths',
            setup=["xpath.create=./devices/audio[@type='pipewire']"],
            value='./devices/audio/@runtimeDir=/var/lib/nova',
            proof='./devices/audio/@runtimeDir',
            also=['host_resources'])),
        # QEMU's iommufd backend (libvirt 12.2 and later): libvirt opens
        # the host's /dev/iommu for QEMU, through which host devices reach
        # the guest.
        ('iommufd', dict(
            category='devices_passthrough',
            value="xpath.create=./iommufd[@enabled='yes']",
            proof="./iommufd[@enabled='yes']")),
        ('iommufd_fdgroup', dict(
            category='devices_passthrough',
            value="xpath.create=./iommufd[@enabled='yes']",
            then=['./iommufd/@fdgroup=iommu'],
            proof="./iommufd[@fdgroup='iommu']")),
        # Disks' shared I/O limits, as a disk's iotune.
        ('throttle_groups', dict(
            category='resources',
            value="xpath.create=./throttlegroups/throttlegroup"
                  "/group_name",
            proof='./throttlegroups/throttlegroup')),
        ('video_3d', dict(
            category='host_resources',
            value="./devices/video/model/acceleration/@accel3d=yes",
            proof="./devices/video/model/acceleration[@accel3d='yes']")),
        ('lease', dict(
            category='host_paths',
            value="xpath.create=./devices/lease"
                  "/target[@path='/var/lib/libvirt/x']",
            proof="./devices/lease/target/@path",
            also=['host_resources'])),
        # Host devices, and the host's own data.
        ('smbios_host', dict(
            category='devices_passthrough',
            value='./os/smbios/@mode=host',
            proof="./os/smbios[@mode='host']")),
        ('tpm_passthrough', dict(
            category='devices_passthrough', devices=_VTPM,
            value="./devices/tpm[@model='tpm-tis']/backend/@type"
                  "=passthrough",
            proof="./devices/tpm/backend[@type='passthrough']")),
        ('smartcard_host', dict(
            category='devices_passthrough',
            value="xpath.create=./devices/smartcard[@mode='host']",
            proof="./devices/smartcard[@mode='host']",
            also=['network_exposure'])),
        # libvirt opens an enabled perf event on the host's PMU.
        ('perf_event', dict(
            category='host_resources',
            value="xpath.create=./perf/event[@enabled='yes']",
            then=['./perf/event/@name=cpu_cycles'],
            proof="./perf/event[@name='cpu_cycles']")),
        # The host kernel's ring for each vCPU, charged to no cgroup.
        ('kvm_dirty_ring', dict(
            category='host_resources',
            value="./features/kvm/dirty-ring/@state=on",
            then=['./features/kvm/dirty-ring/@size=65536'],
            proof="./features/kvm/dirty-ring[@size='65536']")),
        # A vhost worker thread on the host for each queue.
        ('interface_queues', dict(
            category='resources', devices=_OVS_PORT,
            value='./devices/interface/driver/@queues=256',
            proof="./devices/interface/driver[@queues='256']")),
        # libvirt sets the host tap's MTU, which its bridge then takes.
        ('interface_mtu', dict(
            category='host_resources', devices=_OVS_PORT,
            value='./devices/interface/mtu/@size=576',
            proof="./devices/interface/mtu[@size='576']")),
        # Guest memory in a host file under memory_backing_dir, which
        # shared access writes back to; memoryBacking is also resources.
        ('memory_file_source', dict(
            category='resources',
            value="xpath.create=./memoryBacking/source[@type='file']",
            proof="./memoryBacking/source[@type='file']",
            also=['host_resources'])),
        ('memory_shared_access', dict(
            category='resources',
            value="xpath.create=./memoryBacking/access[@mode='shared']",
            proof="./memoryBacking/access[@mode='shared']",
            also=['host_resources'])),
        # The guest's cgroup moved beside the host's own services.
        ('cgroup_partition', dict(
            category='resources',
            value='./resource/partition=/system',
            proof='./resource/partition',
            also=['host_resources'])),
        # Real-time vCPUs pre-empt the host and every other guest.
        ('realtime_vcpus', dict(
            category='resources',
            value="./cputune/vcpusched[@vcpus='0']/@scheduler=fifo",
            then=["./cputune/vcpusched/@priority=99"],
            proof="./cputune/vcpusched[@scheduler='fifo']",
            also=['host_resources'])),
        ('realtime_emulator', dict(
            category='resources',
            value="./cputune/emulatorsched/@scheduler=rr",
            proof="./cputune/emulatorsched[@scheduler='rr']",
            also=['host_resources'])),
        # Ways of the host's shared cache, a share of its memory bandwidth.
        ('cache_allocation', dict(
            category='resources',
            value="xpath.create=./cputune/cachetune[@vcpus='0']"
                  "/cache[@id='0']",
            then=['./cputune/cachetune/cache/@level=3',
                  './cputune/cachetune/cache/@type=both',
                  './cputune/cachetune/cache/@size=10',
                  './cputune/cachetune/cache/@unit=MiB'],
            proof='./cputune/cachetune/cache',
            also=['host_resources'])),
        ('memory_bandwidth', dict(
            category='resources',
            value="xpath.create=./cputune/memorytune[@vcpus='0']"
                  "/node[@id='0']",
            then=['./cputune/memorytune/node/@bandwidth=60'],
            proof='./cputune/memorytune/node',
            also=['host_resources'])),
        ('filesystem_readonly_removed', dict(
            category='devices_passthrough',
            devices=_VIRTIOFS.replace('<target', '<readonly/><target'),
            value='xpath.delete=./devices/filesystem/readonly',
            proof="./devices/filesystem[not(readonly)]")),
    ]
    fixture = 'nova-basic'
    also = []
    #: whether the edit is refused when it is parsed, as nova-api does,
    #: because it writes QEMU passthrough on any document
    at_parse = False
    #: rules before the sensitive one that change nothing sensitive
    setup = []
    #: rules after the sensitive one, completing the device it adds
    then = []
    #: devices added to Nova's XML, as Nova writes them for some instances
    devices = ''

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml(self.fixture).replace(
            '<devices>', '<devices>' + self.devices, 1)
        self.specs = {'xmlhooks:xml:a-clock': './clock/@offset=localtime',
                      'xmlhooks:xml:b-sensitive': self.value,
                      'xmlhooks:xml:c-tablet':
                          "xpath.delete=./devices/input[@type='tablet']"}
        for index, value in enumerate(self.setup):
            self.specs['xmlhooks:xml:a-setup-%d' % index] = value
        for index, value in enumerate(self.then):
            self.specs['xmlhooks:xml:b-sensitive-then-%d' % index] = value

    def assertRefusedFor(self, category, engine_):
        if self.at_parse and category == guard.QEMU_PASSTHROUGH:
            e = self.assertRaises(exception.InvalidSpec, engine_.customize,
                                  self.xml, self.specs)
            self.assertIn(category, e.format_message())
        else:
            e = self.assertRaises(exception.GuardError, engine_.customize,
                                  self.xml, self.specs)
            self.assertEqual(category, e.category)
            self.assertIn("'%s'" % category, e.format_message())
        return e

    def test_refused_by_default(self):
        e = self.assertRefusedFor(self.category, self.engine())
        self.assertEqual('xmlhooks:xml:b-sensitive', e.key)
        message = e.format_message()
        self.assertIn("'xmlhooks:xml:b-sensitive'", message)
        self.assertNotIn('\n', message)
        # NOTE(xmlhooks): values may be host paths; users never see them.
        # A value is set, or written in the last predicate of a create.
        value = self.value.rsplit('=', 1)[1].rstrip(']').strip('\'')
        if value.startswith('/') and len(value) > 1:
            self.assertNotIn(value, message)

    def test_refused_unless_each_of_its_categories_is_allowed(self):
        for category in [self.category] + self.also:
            others = [c for c in ALL if c != category]
            self.assertRefusedFor(category, self.engine(
                allow_sensitive=others, validate_schema=False))

    def test_allowed_by_option(self):
        # NOTE(xmlhooks): some of these edits are incomplete devices that
        # libvirt's schema refuses; the schema check is not what is tested.
        engine_ = self.engine(allow_sensitive=[self.category] + self.also,
                              validate_schema=False)
        out = engine_.customize(self.xml, self.specs)
        self.assertTrue(base.xpath(out, self.proof))
        self.assertEqual(['localtime'], base.xpath(out, './clock/@offset'))

    def test_skip_returns_novas_xml(self):
        engine_ = self.engine(on_error='skip')
        self.assertEqual(self.xml, engine_.customize(self.xml, self.specs))


class _LastPartCustomizer(customizer_base.Customizer):
    """A test customiser whose payload is the last part of its key."""

    def declarations(self):
        return [customizer_base.KeyValidator(
            name='xmlhooks:%s:{what}' % self.family, description='test',
            value={'type': str, 'description': 'test'},
            parameters=[{'name': 'what', 'pattern': '[a-z]+',
                         'description': 'test'}])]

    def parse(self, key, value):
        return key.rsplit(':', 1)[1]


class _TableCustomizer(_LastPartCustomizer):
    """Makes the edits of its table, as a third-party customiser could."""

    #: payload to ``edit(root)``
    edits = {}

    def apply(self, root, rules, context):
        for rule in rules:
            self.edits[rule.payload](root)


class _ForeignPrefixCustomizer(_LastPartCustomizer):
    """Writes QEMU passthrough under a prefix of its own choosing."""

    family = 'foreign'

    def apply(self, root, rules, context):
        for rule in rules:
            if rule.payload in ('element', 'root'):
                node = etree.SubElement(
                    root, '{%s}commandline' % xpath_edit.QEMU_NS,
                    nsmap={'foo': xpath_edit.QEMU_NS})
                etree.SubElement(node, '{%s}arg' % xpath_edit.QEMU_NS,
                                 value=rule.value)
                if rule.payload == 'root':
                    # NOTE(xmlhooks): declared on <domain>, as libvirt
                    # writes it in the XML it gives back.
                    etree.cleanup_namespaces(
                        root, top_nsmap={'qemu': xpath_edit.QEMU_NS})
            else:
                root.find('devices').set(
                    '{%s}%s' % (xpath_edit.QEMU_NS, rule.value), 'on')


#: edits a third-party customiser could make, which libvirt reads as
#: shown in each comment; the XML customiser cannot write them
_X = '{urn:x}'


def _replace_attribute(node, name, value):
    """Set an attribute in another namespace, first, dropping the plain one.

    NOTE(xmlhooks): libvirt's xmlGetProp returns the first attribute of
    that local name, whatever its namespace.
    """
    attributes = [(key, val) for key, val in node.items() if key != name]
    node.attrib.clear()
    node.set(_X + name, value)
    for key, val in attributes:
        node.set(key, val)


def _prepend_attribute(node, name, value):
    """Set an attribute in another namespace before the plain one."""
    attributes = node.items()
    node.attrib.clear()
    node.set(_X + name, value)
    for key, val in attributes:
        node.set(key, val)


def _emptied(node):
    """The node, without its text."""
    node.text = None
    return node


def _after_blank(node, text):
    """Write text after two elements with blank text between them."""
    etree.SubElement(node, 'y').tail = ' '
    etree.SubElement(node, 'z').tail = text
    return node


def _split(node, *parts):
    """Write text as several nodes: text, comments and their tails."""
    for child in list(node):
        node.remove(child)
    node.text = parts[0]
    for part in parts[1:]:
        comment = etree.Comment(' x ')
        comment.tail = part
        node.append(comment)


_RAW_EDITS = {
    # <log file='/etc/cron.d/x'>
    'logfile': lambda root: _replace_attribute(
        root.find('devices/serial/log'), 'file', '/etc/cron.d/x'),
    # <driver type='qcow2'>
    'format': lambda root: _replace_attribute(
        root.find('devices/disk/driver'), 'type', 'qcow2'),
    # <graphics listen='0.0.0.0'>
    'listen': lambda root: _replace_attribute(
        root.find('devices/graphics'), 'listen', '0.0.0.0'),
    # <watchdog action='dump'>
    'watchdog': lambda root: _replace_attribute(
        etree.SubElement(root.find('devices'), 'watchdog',
                         model='i6300esb'), 'action', 'dump'),
    # <backend model='random'/>, written twice: libvirt reads the first
    # model and opens /dev/random
    'rngdefault': lambda root: _prepend_attribute(_emptied(
        root.find('devices/rng/backend')), 'model', 'random'),
    # <backend>/dev/urandom/../x</backend>: the text before the comment
    # is what Nova wrote
    'rngtext': lambda root: _split(
        root.find('devices/rng/backend'), '/dev/urandom', '/../x'),
    # the same with CDATA after the comment
    'rngcdata': lambda root: _split(
        root.find('devices/rng/backend'), '/dev/urandom',
        etree.CDATA('/../x')),
    # <on_crash>coredump-restart</on_crash>
    'oncrash': lambda root: _split(
        etree.SubElement(root, 'on_crash'), 'coredump-', 'restart'),
    # <on_crash><y/> <z/>coredump-restart</on_crash>: libvirt's parser
    # drops the blank text between the elements (xmlKeepBlanksDefault(0))
    'oncrashblank': lambda root: _after_blank(
        etree.SubElement(root, 'on_crash'), 'coredump-restart'),
    # <backend>/dev/urandom</backend>: the same path as Nova's, split
    'rngsame': lambda root: _split(
        root.find('devices/rng/backend'), '/dev/', 'u', 'random'),
}


#: what each edit of _RAW_EDITS leaves in the document, but a comment
_RAW_MARKS = dict(dict.fromkeys(
    ['logfile', 'format', 'listen', 'watchdog', 'rngdefault'], 'urn:x'),
    oncrashblank='<y/> <z/>coredump-restart')


class _RawCustomizer(_TableCustomizer):
    """Makes the edits above, as a third-party customiser could."""

    family = 'raw'
    edits = _RAW_EDITS


class _RawTestCase(GuardTestCase):

    def _engine(self, allowed):
        return self.engine_with({'raw': _RawCustomizer(self.conf)}, allowed,
                                xml=False, validate_schema=False)


class ReadAsLibvirtReadsTest(_RawTestCase):
    """The guard stands on its own: no schema check behind it.

    Attributes in another namespace and text split across several nodes
    are read the way libvirt reads them.
    """

    scenarios = [
        ('namespaced_log_file', dict(edit='logfile',
                                     categories=['host_paths'])),
        ('namespaced_format', dict(
            edit='format',
            categories=['host_paths', 'devices_passthrough'])),
        ('namespaced_listen', dict(edit='listen',
                                   categories=['network_exposure'])),
        ('namespaced_watchdog_action', dict(edit='watchdog',
                                            categories=['host_resources'])),
        # NOTE(xmlhooks): an RNG's backend with an attribute the guard
        # does not know as local is also network_exposure.
        ('namespaced_rng_model', dict(
            edit='rngdefault',
            categories=['host_paths', 'network_exposure'])),
        ('text_after_a_comment', dict(edit='rngtext',
                                      categories=['host_paths'])),
        ('cdata_after_a_comment', dict(edit='rngcdata',
                                       categories=['host_paths'])),
        ('split_lifecycle_action', dict(edit='oncrash',
                                        categories=['host_resources'])),
        ('lifecycle_action_after_blank_text', dict(
            edit='oncrashblank', categories=['host_resources'])),
    ]

    def test_refused_by_default(self):
        e = self.assertRaises(exception.GuardError,
                              self._engine([]).customize, base.nova_xml(),
                              {'xmlhooks:raw:' + self.edit: 'x'})
        self.assertEqual(self.categories[0], e.category)

    def test_refused_unless_each_of_its_categories_is_allowed(self):
        for category in self.categories:
            others = [c for c in ALL if c != category]
            e = self.assertRaises(
                exception.GuardError, self._engine(others).customize,
                base.nova_xml(), {'xmlhooks:raw:' + self.edit: 'x'})
            self.assertEqual(category, e.category)

    def test_allowed_by_its_categories(self):
        out = self._engine(self.categories).customize(
            base.nova_xml(), {'xmlhooks:raw:' + self.edit: 'x'})
        self.assertIn(_RAW_MARKS.get(self.edit, '<!-- x -->'), out)


class TextAsLibvirtReadsTest(base.TestCase):
    """guard._text gives every text of an element, whatever splits it."""

    scenarios = [
        ('leaf', dict(xml='<path>/dev/urandom</path>',
                      text='/dev/urandom')),
        ('empty', dict(xml='<path/>', text='')),
        ('cdata', dict(xml='<path><![CDATA[/dev/random]]></path>',
                       text='/dev/random')),
        ('after_a_comment', dict(xml='<path>/dev/<!-- x -->random</path>',
                                 text='/dev/random')),
        ('after_a_processing_instruction', dict(
            xml='<path>/dev/<?x y?>random</path>', text='/dev/random')),
        ('only_a_comment_before', dict(xml='<path><!-- x -->/etc</path>',
                                       text='/etc')),
        ('in_a_child', dict(xml='<path>/e<b>t</b>c</path>', text='/etc')),
    ]

    def test_text(self):
        node = etree.fromstring(self.xml, etree.XMLParser(
            remove_blank_text=True, resolve_entities=False))
        self.assertEqual(self.text, guard._text(node))
        self.assertEqual(''.join(node.itertext()), guard._text(node))


def _namespaced(node, *names):
    """Move attributes into the namespace ``urn:x``, keeping their values."""
    for name in names:
        node.set(_X + name, node.attrib.pop(name))
    return node


def _tb_cache_in_bytes(root):
    tcg = etree.SubElement(root.find('features'), 'tcg')
    cache = etree.SubElement(tcg, 'tb-cache')
    cache.set(_X + 'unit', 'b')
    cache.text = '8388608'


def _shared_memfd(root):
    backing = etree.SubElement(root, 'memoryBacking')
    etree.SubElement(backing, 'source').set(_X + 'type', 'memfd')
    etree.SubElement(backing, 'access', mode='shared')


#: attributes libvirt 9.0 reads with XPath (``string(./os/@firmware)``),
#: which finds them in no namespace only; the XML customiser cannot write
#: an attribute in a namespace. What libvirt defines instead is in each
#: comment (tests/libvirt/test_guard_namespaces.py).
_XPATH_EDITS = {
    # <tb-cache x:unit='b'>8388608</tb-cache>: 8388608 KiB, 8 GiB
    'tbunit': _tb_cache_in_bytes,
    # <source x:type='memfd'/>: no source, and shared access maps a file
    'memfd': _shared_memfd,
    # <model x:type='none'/>: the default model, cirrus, with 16 MiB
    'videonone': lambda root: _namespaced(
        root.find('devices/video/model'), 'type'),
    # <model type='qxl' x:ram='16384' x:vram='16384'/>: 64 MiB of each
    'videovram': lambda root: _namespaced(
        root.find('devices/video/model'), 'ram', 'vram'),
    # <os x:firmware='efi'>: no firmware chosen
    'firmware': lambda root: _namespaced(root.find('os'), 'firmware'),
}


class _XPathReadCustomizer(_TableCustomizer):
    """Makes the edits above, as a third-party customiser could."""

    family = 'unread'
    edits = _XPATH_EDITS


class ReadWithXPathTest(GuardTestCase):
    """An attribute libvirt reads with XPath is read in no namespace only.

    libvirt reads most attributes with xmlGetProp, in any namespace, but
    some with XPath, which finds only the one in no namespace: a value
    written in another namespace is not read there, and a bound or an
    exemption the guard took from it (a translation cache's unit, a
    memfd source, a video model of none) or a value of Nova's it seemed
    to keep (video memory, the firmware) was not libvirt's.
    """

    scenarios = [
        ('tb_cache_unit', dict(edit='tbunit', nova=('<domain type="kvm">',
                                                    '<domain type="qemu">'),
                               allowed=['resources'],
                               category='host_resources')),
        ('memfd_source', dict(edit='memfd', nova=None,
                              allowed=['resources'],
                              category='host_resources')),
        ('video_none', dict(edit='videonone',
                            nova=('<model type="virtio"/>',
                                  '<model type="none"/>'),
                            allowed=[], category='host_resources')),
        ('video_memory', dict(edit='videovram',
                              nova=('<model type="virtio"/>',
                                    '<model type="qxl" ram="16384" '
                                    'vram="16384"/>'),
                              allowed=[], category='host_resources')),
        ('firmware', dict(edit='firmware',
                          nova=('<os>', '<os firmware="efi">'),
                          allowed=[], category='host_paths')),
    ]

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml()
        if self.nova:
            self.assertIn(self.nova[0], self.xml)
            self.xml = self.xml.replace(*self.nova)

    def _engine(self, allowed):
        return self.engine_with({'unread': _XPathReadCustomizer(self.conf)},
                                allowed, xml=False, validate_schema=False)

    def test_refused(self):
        e = self.assertRaises(exception.GuardError,
                              self._engine(self.allowed).customize, self.xml,
                              {'xmlhooks:unread:' + self.edit: 'x'})
        self.assertEqual(self.category, e.category)
        self.assertEqual('xmlhooks:unread:' + self.edit, e.key)

    def test_allowed_by_its_category(self):
        out = self._engine(self.allowed + [self.category]).customize(
            self.xml, {'xmlhooks:unread:' + self.edit: 'x'})
        self.assertIn('xmlns:ns0="urn:x"', out)


class DeclaringCustomizer(_LastPartCustomizer):
    """Sets an attribute named xmlns, as a third-party customiser could.

    lxml keeps it as a plain attribute, so the elements stay in no
    namespace for the checks, and writes it out as a declaration.
    """

    family = 'declaring'

    def apply(self, root, rules, context):
        for rule in rules:
            if rule.payload == 'qemu':
                # <commandline xmlns="...qemu/1.0"><arg value="-S"/>
                node = etree.SubElement(root, 'commandline')
                etree.SubElement(node, 'arg', value='-S')
                node.set('xmlns', xpath_edit.QEMU_NS)
            else:
                # <driver xmlns="urn:x">: libvirt finds no format, and
                # probes the disk's
                root.find('devices/disk/driver').set('xmlns', 'urn:x')


class FakeDeclarationTest(GuardTestCase):
    """What lxml would write as a namespace declaration is refused."""

    def _engine(self, allowed):
        return self.engine_with({'declaring': DeclaringCustomizer(self.conf)},
                                allowed, validate_schema=False)

    def test_refused_whatever_the_namespace(self):
        specs = {'xmlhooks:xml:clock': './clock/@offset=localtime'}
        for payload in ('qemu', 'driver'):
            # NOTE(xmlhooks): libvirt would read the element in another
            # namespace, so no category allowed makes the document safe.
            key = 'xmlhooks:declaring:' + payload
            e = self.assertRaises(
                exception.RuleError,
                self._engine(['qemu_passthrough']).customize,
                base.nova_xml(), dict(specs, **{key: 'x'}))
            self.assertEqual(key, e.key)
            self.assertIn('attribute named xmlns', e.format_message())
            self.assertNotIn('\n', e.format_message())

    def test_real_declarations_pass(self):
        # Nova's own metadata declares its namespace; lxml keeps that as
        # a declaration, not as an attribute.
        out = self._engine([]).customize(
            base.nova_xml(), {'xmlhooks:xml:clock':
                              './clock/@offset=localtime'})
        self.assertIn('xmlns:nova=', out)

    def test_nothing_to_refuse_when_everything_is_allowed(self):
        # NOTE(xmlhooks): with every category allowed there is no guard,
        # and the operator has allowed QEMU arguments outright.
        out = self._engine(ALL).customize(
            base.nova_xml(), {'xmlhooks:declaring:qemu': 'x'})
        self.assertIn('xmlns="%s"' % xpath_edit.QEMU_NS, out)


def _foreign_feature(root, payload):
    """Write a feature, or a KVM feature, in the namespace ``urn:x``."""
    features = root.find('features')
    if payload == 'tcg':
        # <tcg><tb-cache unit='GiB'>8</tb-cache></tcg>
        tcg = etree.SubElement(features, _X + 'tcg', nsmap={'x': 'urn:x'})
        etree.SubElement(tcg, 'tb-cache', unit='GiB').text = '8'
        return
    # <kvm><dirty-ring state='on' size='65536'/></kvm>
    kvm = (etree.SubElement(features, _X + 'kvm', nsmap={'x': 'urn:x'})
           if payload == 'kvm' else etree.SubElement(features, 'kvm'))
    tag = _X + 'dirty-ring' if payload == 'ring' else 'dirty-ring'
    etree.SubElement(kvm, tag, nsmap={'x': 'urn:x'}, state='on',
                     size='65536')


class ForeignFeatureCustomizer(_LastPartCustomizer):
    """Writes features in another namespace, as a third-party one could.

    libvirt reads them by their local name.
    """

    family = 'namespaced'

    def apply(self, root, rules, context):
        for rule in rules:
            _foreign_feature(root, rule.payload)


class ForeignFeatureTest(GuardTestCase):
    """An element of another namespace under <features> is refused.

    libvirt tells features apart by their local name (``./features/*``,
    and the children of ``<kvm>`` one by one): ``<x:tcg>`` raises TCG's
    translation cache and ``<x:dirty-ring>`` switches KVM's dirty ring on,
    which the checks, finding elements by name and namespace, did not see.
    """

    scenarios = [('tcg', dict(payload='tcg')),
                 ('kvm', dict(payload='kvm')),
                 ('ring', dict(payload='ring'))]

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml().replace('<domain type="kvm">',
                                           '<domain type="qemu">')

    def _engine(self, allowed):
        return self.engine_with(
            {'namespaced': ForeignFeatureCustomizer(self.conf)}, allowed,
            validate_schema=False)

    def test_refused_whatever_is_allowed(self):
        key = 'xmlhooks:namespaced:' + self.payload
        specs = {'xmlhooks:xml:clock': './clock/@offset=localtime', key: 'x'}
        for allowed in ([], ['resources', 'host_resources'], ALL[:-1]):
            e = self.assertRaises(exception.RuleError,
                                  self._engine(allowed).customize, self.xml,
                                  specs)
            self.assertEqual(key, e.key)
            self.assertIn('another namespace under domain/features',
                          e.format_message())
            self.assertNotIn('\n', e.format_message())

    def test_nothing_to_refuse_when_everything_is_allowed(self):
        out = self._engine(ALL).customize(
            self.xml, {'xmlhooks:namespaced:' + self.payload: 'x'})
        self.assertIn('xmlns:x="urn:x"', out)


def _foreign_root(root, payload):
    """Put ``<domain>`` in the namespace ``urn:x``, adding one setting.

    NOTE(xmlhooks): libvirt checks the root element by its local name
    alone (virXMLParseHelper) and reads the rest of the document from it
    with relative XPath, so the domain is defined as it would be in no
    namespace.
    """
    root.tag = _X + 'domain'
    if payload == 'initrd':
        # <os><initrd>/etc/shadow</initrd>: QEMU loads the file into the
        # guest's memory
        etree.SubElement(root.find('os'), 'initrd').text = '/etc/shadow'
    else:
        # <on_crash>coredump-restart</on_crash>
        etree.SubElement(root, 'on_crash').text = 'coredump-restart'


class ForeignRootCustomizer(_LastPartCustomizer):
    """Writes ``<domain>`` in another namespace, as a third-party one could.

    For ``initrd`` it declares the part it changes, so that the checks
    read only that part.
    """

    family = 'rooted'

    def touches(self, rules):
        if all(rule.payload == 'initrd' for rule in rules):
            return ['os']
        return None

    def apply(self, root, rules, context):
        for rule in rules:
            _foreign_root(root, rule.payload)


class ForeignRootTest(GuardTestCase):
    """A ``<domain>`` in another namespace is refused whatever is allowed.

    libvirt takes the root element by its local name, and finds everything
    below it from there: the checks, finding ``domain/...`` places by name
    and namespace, read nothing at them, so an initrd of a host file (the
    checks reading only ``<os>``) passed with nothing allowed, and a
    coredump on crash whenever host_resources was the one refused.
    """

    scenarios = [('initrd', dict(payload='initrd')),
                 ('crash', dict(payload='crash'))]

    def _engine(self, allowed):
        return self.engine_with(
            {'rooted': ForeignRootCustomizer(self.conf)}, allowed,
            xml=False, validate_schema=False)

    def test_refused_whatever_is_allowed(self):
        key = 'xmlhooks:rooted:' + self.payload
        for allowed in ([], ['resources'], ALL[:-1],
                        [c for c in ALL if c != 'host_resources']):
            e = self.assertRaises(exception.RuleError,
                                  self._engine(allowed).customize,
                                  base.nova_xml(), {key: 'x'})
            self.assertEqual(key, e.key)
            self.assertIn('domain element in another namespace',
                          e.format_message())
            self.assertNotIn('\n', e.format_message())

    def test_nothing_to_refuse_when_everything_is_allowed(self):
        out = self._engine(ALL).customize(
            base.nova_xml(), {'xmlhooks:rooted:' + self.payload: 'x'})
        self.assertIn(':domain xmlns:', out)


def _with_references(node, text):
    """Write text as character references, as a third-party customiser could.

    NOTE(xmlhooks): lxml keeps an ``etree.Entity`` as a node of its own,
    whose text is the reference as written (``&#114;``), and writes it
    out as such; libvirt parses the character it names.
    """
    node.text = None
    for char in text:
        node.append(etree.Entity('#%d' % ord(char)))


_REFERENCE_EDITS = {
    # <on_crash>coredump-restart</on_crash>: the guest's memory written
    # to the host's disk
    'crash': lambda root: _with_references(
        etree.SubElement(root, 'on_crash'), 'coredump-restart'),
    # <entry name='opt/x'>a,file=/etc/passwd</entry>: libvirt 9.0 writes
    # -fw_cfg name=opt/x,string=a,file=/etc/passwd
    'fwcfg': lambda root: _with_references(etree.SubElement(
        etree.SubElement(root, 'sysinfo', type='fwcfg'), 'entry',
        name='opt/x'), 'a,file=/etc/passwd'),
}


class ReferenceCustomizer(_TableCustomizer):
    """Writes text as character references (see _REFERENCE_EDITS)."""

    family = 'referencing'
    edits = _REFERENCE_EDITS


class EntityReferenceTest(GuardTestCase):
    """A document holding an entity reference is refused, whatever is allowed.

    Text that the checks read is the reference as written, ``&#114;``,
    where libvirt reads the character: a lifecycle action or a fw_cfg
    entry written so was no item of any category.
    """

    scenarios = [('crash', dict(payload='crash')),
                 ('fwcfg', dict(payload='fwcfg'))]

    def _engine(self, allowed):
        return self.engine_with(
            {'referencing': ReferenceCustomizer(self.conf)}, allowed,
            validate_schema=False)

    def test_refused_whatever_is_allowed(self):
        key = 'xmlhooks:referencing:' + self.payload
        specs = {'xmlhooks:xml:clock': './clock/@offset=localtime', key: 'x'}
        for allowed in ([], ['resources'], ALL[:-1]):
            e = self.assertRaises(exception.RuleError,
                                  self._engine(allowed).customize,
                                  base.nova_xml(), specs)
            self.assertEqual(key, e.key)
            self.assertIn('entity reference', e.format_message())
            self.assertNotIn('\n', e.format_message())

    def test_nothing_to_refuse_when_everything_is_allowed(self):
        out = self._engine(ALL).customize(
            base.nova_xml(), {'xmlhooks:referencing:' + self.payload: 'x'})
        self.assertIn('&#44;' if self.payload == 'fwcfg' else '&#114;', out)


class _RenamingCustomizer(_LastPartCustomizer):
    """Names the guest otherwise, declaring the part it changes."""

    family = 'renaming'

    def touches(self, rules):
        return ['name', 'uuid', 'sysinfo']

    def apply(self, root, rules, context):
        for rule in rules:
            if rule.payload == 'name':
                root.find('name').text = 'instance-00000002'
            else:
                root.find('uuid').text = OTHER_UUID


OTHER_UUID = '11111111-2222-3333-4444-555555555555'
_SYSINFO_UUID = "./sysinfo/system/entry[@name='uuid']"


class IdentityTest(GuardTestCase):
    """What Nova finds the guest by never changes, whatever is allowed.

    NOTE(xmlhooks): libvirt defines a guest under the name and UUID it is
    given, and takes the SMBIOS system UUID when <uuid> is missing. Nova
    looks the guest up by its instance's UUID, so a guest renamed runs on
    outside Nova, which can neither account for it nor stop it; under
    another guest's name and UUID, it replaces that guest's definition.
    """

    def assertRefused(self, specs, key, what, customizers=None, **flags):
        flags.setdefault('allow_sensitive', ALL)
        engine_ = self.engine_with(customizers or {}, flags.pop(
            'allow_sensitive'), **flags)
        e = self.assertRaises(exception.RuleError, engine_.customize,
                              base.nova_xml(), specs)
        self.assertEqual(key, e.key)
        self.assertIn('it changes %s' % what, e.format_message())
        self.assertIn('no rule may change it', e.format_message())

    def test_plain_paths_are_refused_when_parsed(self):
        for value in ('./uuid=' + OTHER_UUID, 'xpath.delete=./uuid',
                      './name=victim', './uuid/@x=1'):
            e = self.assertRaises(xpath_edit.EditError, xpath_edit.parse,
                                  value)
            self.assertIn('by which', str(e))

    def test_other_paths_are_refused_when_applied(self):
        for value, what in (
                ("./*[local-name()='uuid']=" + OTHER_UUID,
                 "the domain's <uuid>"),
                ("xpath.delete=./*[local-name()='uuid']",
                 "the domain's <uuid>"),
                ("./*[local-name()='name']=victim", "the domain's <name>"),
                ('%s=%s' % (_SYSINFO_UUID, OTHER_UUID),
                 'the SMBIOS system UUID')):
            specs = {'xmlhooks:xml:a': './clock/@offset=localtime',
                     'xmlhooks:xml:b': value}
            self.assertRefused(specs, 'xmlhooks:xml:b', what)
            self.assertRefused(specs, 'xmlhooks:xml:b', what,
                               allow_sensitive=[], validate_schema=False)

    def test_any_customizer_declaring_the_part(self):
        customizers = {'renaming': _RenamingCustomizer(self.conf)}
        self.assertRefused({'xmlhooks:renaming:name': 'x'},
                           'xmlhooks:renaming:name', "the domain's <name>",
                           customizers)
        self.assertRefused({'xmlhooks:renaming:uuid': 'x'},
                           'xmlhooks:renaming:uuid', "the domain's <uuid>",
                           customizers)

    def test_the_smbios_uuid_may_go_or_be_the_domains(self):
        uuid = base.xpath(base.nova_xml(), 'string(./uuid)')
        engine_ = self.engine_with({}, [])
        for value in ('xpath.delete=' + _SYSINFO_UUID,
                      'xpath.delete=./sysinfo',
                      '%s=%s' % (_SYSINFO_UUID, uuid),
                      # read as libvirt reads them: the same UUID, none
                      '%s=%s' % (_SYSINFO_UUID, uuid.upper()),
                      'xpath.set=%s=' % _SYSINFO_UUID):
            out = engine_.customize(base.nova_xml(), {'xmlhooks:xml:a': value})
            self.assertEqual(uuid, base.xpath(out, 'string(./uuid)'))


class LocalCharacterDeviceTest(GuardTestCase):
    """Character devices that reach nothing on the network pass."""

    def test_local_devices_pass(self):
        for specs in (
                # a second console, on a pseudo-terminal as Nova's serial
                {'xmlhooks:xml:console': "xpath.create=./devices/"
                 "console[@type='pty']/target[@type='virtio']"},
                # QEMU's own RNG instead of the host's /dev/urandom
                {'xmlhooks:xml:model':
                    './devices/rng/backend/@model=builtin',
                 'xmlhooks:xml:path': 'xpath.set=./devices/rng/backend='},
                # a serial port on TCP back to a pseudo-terminal
                {'xmlhooks:xml:null': './devices/serial/@type=null'}):
            out = self.engine(allow_sensitive=[]).customize(
                base.nova_xml(), specs)
            self.assertNotEqual(base.nova_xml(), out)

    def test_a_device_of_no_type_is_a_pseudo_terminal(self):
        # NOTE(xmlhooks): as libvirt's virDomainChrDefParseXML reads it;
        # its schema wants a type, but the schema check may be off.
        specs = {'xmlhooks:xml:bare': 'xpath.create=./devices/serial[2]'}
        out = self.engine(allow_sensitive=[], validate_schema=False
                          ).customize(base.nova_xml(), specs)
        self.assertEqual(2, len(base.xpath(out, './devices/serial')))
        e = self.assertRaises(
            exception.GuardError, self.engine(
                allow_sensitive=[], validate_schema=False).customize,
            base.nova_xml(),
            {'xmlhooks:xml:bare': 'xpath.create=./devices/redirdev[2]'})
        self.assertEqual('network_exposure', e.category)

    def test_a_guest_agent_channel_in_libvirts_directory(self):
        # NOTE(xmlhooks): what Nova writes for hw_qemu_guest_agent: with
        # no path, libvirt makes the socket in its own directory.
        specs = {
            'xmlhooks:xml:a': "xpath.create=./devices/channel[@type='unix']"
                              "/source[@mode='bind']",
            'xmlhooks:xml:b': "xpath.create=./devices/channel[@type='unix']"
                              "/target[@type='virtio']",
            'xmlhooks:xml:c': "./devices/channel[@type='unix']/target/@name"
                              "=org.qemu.guest_agent.0"}
        out = self.engine(allow_sensitive=[]).customize(base.nova_xml(),
                                                        specs)
        self.assertEqual(['bind'], base.xpath(
            out, "./devices/channel[@type='unix']/source/@mode"))
        specs['xmlhooks:xml:d'] = (
            "./devices/channel[@type='unix']/source/@path=/run/x.sock")
        e = self.assertRaises(
            exception.GuardError,
            self.engine(allow_sensitive=['host_paths']).customize,
            base.nova_xml(), specs)
        self.assertEqual('network_exposure', e.category)

    def test_an_rng_without_a_path_reads_dev_random(self):
        # NOTE(xmlhooks): libvirt fills in /dev/random for an empty
        # backend of model random: emptying Nova's /dev/urandom, or adding
        # an RNG without a path, names a host device.
        without_rng = re.sub(r'<rng .*?</rng>', '', base.nova_xml(),
                             flags=re.S)
        for xml, edit in (
                (base.nova_xml(), 'xpath.set=./devices/rng/backend='),
                (without_rng, "xpath.create=./devices/rng[@model='virtio']"
                 "/backend[@model='random']")):
            e = self.assertRaises(
                exception.GuardError,
                self.engine(allow_sensitive=[]).customize, xml,
                {'xmlhooks:xml:rng': edit})
            self.assertEqual('host_paths', e.category)
            self.assertIn('devices/rng/backend', e.format_message())

    def test_what_reaches_the_network_is_still_refused(self):
        for specs in (
                {'xmlhooks:xml:tcp': './devices/serial/@type=tcp'},
                {'xmlhooks:xml:pty': "xpath.create=./devices/console"
                 "[@type='pty']/source[@mode='connect']"},
                {'xmlhooks:xml:egd': './devices/rng/backend/@model=egd'},
                {'xmlhooks:xml:proto': "xpath.create=./devices/serial"
                 "/protocol[@type='telnet']"}):
            e = self.assertRaises(
                exception.GuardError,
                self.engine(allow_sensitive=[],
                            validate_schema=False).customize,
                base.nova_xml(), specs)
            self.assertEqual('network_exposure', e.category, specs)


class ChannelSocketNameTest(GuardTestCase):
    """A UNIX channel's target name, which libvirt makes a socket path of.

    NOTE(xmlhooks): for a UNIX channel whose source names no path, libvirt
    binds ``<channel_target_dir>/domain-<id>-<name>/<target name>``, as
    root, after removing what is there; tests/libvirt/
    test_guard_derived_paths.py shows the path libvirt makes.
    """

    _AGENT = ('<channel type="unix"><source mode="bind"/>'
              '<target type="virtio" name="org.qemu.guest_agent.0"/>'
              '</channel>')

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml().replace('<devices>',
                                           '<devices>' + self._AGENT, 1)

    def test_a_name_out_of_libvirts_directory_is_a_host_path(self):
        for xml, specs in (
                (self.xml, {'xmlhooks:xml:name':
                            './devices/channel/target/@name='
                            '../../../../../../etc/nova/nova.conf'}),
                (base.nova_xml(), {
                    'xmlhooks:xml:a': "xpath.create=./devices/channel"
                                      "[@type='unix']/source[@mode='bind']",
                    'xmlhooks:xml:b': "xpath.create=./devices/channel"
                                      "[@type='unix']/target[@type='virtio']",
                    'xmlhooks:xml:c': "./devices/channel[@type='unix']"
                                      "/target/@name=../../x"})):
            e = self.assertRaises(
                exception.GuardError,
                self.engine(allow_sensitive=[]).customize, xml, specs)
            self.assertEqual('host_paths', e.category, specs)
            self.assertIn('devices/channel/target/@name',
                          e.format_message())
            self.assertNotIn('nova.conf', e.format_message())
            self.engine(allow_sensitive=['host_paths']).customize(
                xml, specs)

    def test_the_directory_and_its_parent_are_refused(self):
        for name in ('.', '..'):
            e = self.assertRaises(
                exception.GuardError,
                self.engine(allow_sensitive=[]).customize, self.xml,
                {'xmlhooks:xml:name':
                 './devices/channel/target/@name=' + name})
            self.assertEqual('host_paths', e.category)

    def test_a_name_in_libvirts_directory_passes(self):
        out = self.engine().customize(self.xml, {
            'xmlhooks:xml:name':
                './devices/channel/target/@name=org.example.agent.1'})
        self.assertEqual(['org.example.agent.1'], base.xpath(
            out, './devices/channel/target/@name'))

    def test_another_channel_type_names_no_socket(self):
        xml = self.xml.replace('channel type="unix"', 'channel type="pty"')
        xml = xml.replace('<source mode="bind"/>', '')
        out = self.engine().customize(xml, {
            'xmlhooks:xml:name': './devices/channel/target/@name=../x'})
        self.assertEqual(['../x'], base.xpath(
            out, './devices/channel/target/@name'))


class TranslationCacheTest(GuardTestCase):
    """TCG's translation cache: Nova's limit, and QEMU's 1 GiB without it."""

    def setUp(self):
        super().setUp()
        # NOTE(xmlhooks): what Nova writes with [libvirt] virt_type = qemu
        # and tb_cache_size = 128.
        self.xml = base.nova_xml().replace(
            '<domain type="kvm">', '<domain type="qemu">').replace(
            '</features>',
            '<tcg><tb-cache unit="MiB">128</tb-cache></tcg></features>')

    def test_removing_novas_limit_is_refused(self):
        for edit in ('xpath.delete=./features/tcg',
                     'xpath.delete=./features/tcg/tb-cache',
                     'xpath.delete=./features'):
            e = self.assertRaises(
                exception.GuardError, self.engine().customize, self.xml,
                {'xmlhooks:xml:tcg': edit})
            self.assertEqual('resources', e.category, edit)
            self.assertIn('removes domain/features/tcg/tb-cache',
                          e.format_message())

    def test_raising_or_removing_novas_limit_is_host_resources(self):
        # NOTE(xmlhooks): QEMU's memory for translated code is outside
        # placement, as the domain's type is; allowing resources alone
        # does not allow it.
        engine_ = self.engine(allow_sensitive=['resources'])
        for edit in ('./features/tcg/tb-cache=65536',
                     './features/tcg/tb-cache/@unit=GiB',
                     'xpath.delete=./features/tcg/tb-cache',
                     'xpath.delete=./features/tcg',
                     'xpath.delete=./features'):
            e = self.assertRaises(exception.GuardError, engine_.customize,
                                  self.xml, {'xmlhooks:xml:tcg': edit})
            self.assertEqual('host_resources', e.category, edit)
            self.assertIn('domain/features/tcg/tb-cache',
                          e.format_message())
        out = engine_.customize(self.xml, {
            'xmlhooks:xml:pmu': 'xpath.create=./features/pmu[@state="off"]'})
        self.assertEqual(['128'], base.xpath(
            out, './features/tcg/tb-cache/text()'))

    def test_lowering_novas_limit_passes(self):
        engine_ = self.engine(allow_sensitive=['resources'])
        for specs in ({'a': './features/tcg/tb-cache=64'},
                      {'a': './features/tcg/tb-cache=131072',
                       'b': './features/tcg/tb-cache/@unit=KiB'},
                      {'a': './features/tcg/tb-cache=134217728',
                       'b': './features/tcg/tb-cache/@unit=bytes'}):
            engine_.customize(self.xml, {'xmlhooks:xml:' + key: value
                                         for key, value in specs.items()})
        # NOTE(xmlhooks): without a limit QEMU takes 1 GiB; a smaller one
        # narrows what the guest takes.
        unlimited = self.xml.replace(
            '<tcg><tb-cache unit="MiB">128</tb-cache></tcg>', '')
        out = engine_.customize(unlimited, {
            'xmlhooks:xml:tcg': './features/tcg/tb-cache=262144'})
        self.assertEqual(['262144'], base.xpath(
            out, './features/tcg/tb-cache/text()'))
        e = self.assertRaises(exception.GuardError, engine_.customize,
                              unlimited, {'xmlhooks:xml:tcg':
                                          './features/tcg/tb-cache=2GB'})
        self.assertEqual('host_resources', e.category)

    def test_sizes(self):
        for text, units, size in (('128', ('MiB',), 128 << 20),
                                  ('128', (), 128 << 10),
                                  ('2', ('G',), 2 << 30),
                                  ('2', ('gb',), 2 * 10 ** 9),
                                  ('7', ('Bytes',), 7)):
            self.assertEqual(size, guard._scaled_bytes(text, units))
        for text, units in (('1', ('MiBs',)), ('1', ('x',)), ('²', ()),
                            ('-1', ()), ('1', ('M', 'G'))):
            self.assertIsNone(guard._scaled_bytes(text, units))

    def test_parking_novas_limit_is_refused(self):
        # NOTE(xmlhooks): the copy has the same last three element names,
        # where libvirt reads nothing; QEMU would take 1 GiB.
        e = self.assertRaises(
            exception.GuardError, self.engine().customize, self.xml,
            {'xmlhooks:xml:a': 'xpath.delete=./features/tcg',
             'xmlhooks:xml:b': './devices/memballoon/features/tcg/tb-cache'
                               '=128',
             'xmlhooks:xml:c': './devices/memballoon/features/tcg/tb-cache'
                               '/@unit=MiB'})
        self.assertEqual(('xmlhooks:xml:a', 'resources'),
                         (e.key, e.category))

    def test_a_second_tcg_is_read_as_libvirt_reads_it(self):
        # NOTE(xmlhooks): libvirt reads every <tcg> of every <features>
        # and keeps the last cache that is not zero. Its schema refuses a
        # second one, but the schema check may be off.
        engine_ = self.engine(allow_sensitive=['resources'],
                              validate_schema=False)
        raising = ({'a': 'xpath.create=./features/tcg[2]/tb-cache',
                    'b': './features/tcg[2]/tb-cache=8',
                    'c': './features/tcg[2]/tb-cache/@unit=GiB'},
                   {'a': 'xpath.create=./features[2]/tcg/tb-cache',
                    'b': './features[2]/tcg/tb-cache=8',
                    'c': './features[2]/tcg/tb-cache/@unit=GiB'})
        for specs in raising:
            e = self.assertRaises(exception.GuardError, engine_.customize,
                                  self.xml, {'xmlhooks:xml:' + key: value
                                             for key, value in specs.items()})
            self.assertEqual('host_resources', e.category, specs)
        # NOTE(xmlhooks): a cache of zero leaves the one before it.
        engine_.customize(self.xml, {
            'xmlhooks:xml:a': 'xpath.create=./features/tcg[2]/tb-cache',
            'xmlhooks:xml:b': './features/tcg[2]/tb-cache=0'})
        self.assertEqual(128 << 20, guard._tb_cache_size(etree.fromstring(
            self.xml.replace('</tcg>', '</tcg><tcg><tb-cache>0</tb-cache>'
                             '</tcg>'))))

    def test_other_features_pass(self):
        out = self.engine().customize(self.xml, {
            'xmlhooks:xml:pmu': 'xpath.create=./features/pmu[@state="off"]'})
        self.assertEqual(['128'], base.xpath(
            out, './features/tcg/tb-cache/text()'))


class DeviceLimitTest(GuardTestCase):
    """A device's limits stay the device's."""

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml().replace('<devices>',
                                           '<devices>' + _LIMITED_VOLUME, 1)

    def test_removing_another_disk_leaves_a_limit_where_it_was(self):
        # NOTE(xmlhooks): a disk is named by its target: removing the disk
        # before it does not make the volume's limit look moved.
        out = self.engine().customize(self.xml, {
            'xmlhooks:xml:a': 'xpath.delete=./devices/disk[2]'})
        self.assertEqual(['vdb'], base.xpath(
            out, './devices/disk[iotune]/target/@dev'))
        self.assertEqual(1, len(base.xpath(out, './devices/disk')))

    def test_removing_the_limited_disk_passes(self):
        # NOTE(xmlhooks): its limit goes with it, as a disk removed
        # reaches nothing.
        out = self.engine().customize(self.xml, {
            'xmlhooks:xml:a':
                "xpath.delete=./devices/disk[target/@dev='vdb']"})
        self.assertEqual(['vda'], base.xpath(
            out, './devices/disk/target/@dev'))

    def test_the_limited_disk_written_again_without_it_is_refused(self):
        e = self.assertRaises(
            exception.GuardError, self.engine(allow_sensitive=[
                'devices_passthrough']).customize, self.xml,
            {'xmlhooks:xml:a': "xpath.delete=./devices/disk[target/@dev"
                               "='vdb']",
             'xmlhooks:xml:b': 'xpath.create=./devices/disk[2]',
             'xmlhooks:xml:c': './devices/disk[2]/target/@dev=vdb'})
        # NOTE(xmlhooks): the rule that names a disk vdb again.
        self.assertEqual(('xmlhooks:xml:c', 'resources'),
                         (e.key, e.category))
        self.assertIn('removes domain/devices/disk[vdb]/iotune',
                      e.format_message())

    def test_a_second_limit_on_the_same_disk_is_refused(self):
        # NOTE(xmlhooks): libvirt reads the first <iotune> of a disk.
        e = self.assertRaises(
            exception.GuardError, self.engine().customize, self.xml,
            {'xmlhooks:xml:a': 'xpath.create=./devices/disk[1]/iotune',
             'xmlhooks:xml:b': './devices/disk[1]/iotune[2]/total_iops_sec'
                               '=100'})
        self.assertEqual('resources', e.category)


class RngRateTest(GuardTestCase):
    """An RNG's rate, from the flavor's hw_rng:rate_bytes."""

    def setUp(self):
        super().setUp()
        self.xml = re.sub('<rng .*?</rng>', _LIMITED_RNG, base.nova_xml(),
                          count=1, flags=re.S)

    def test_removing_the_limited_rng_passes(self):
        # NOTE(xmlhooks): the host no longer serves the source at all.
        out = self.engine().customize(self.xml, {
            'xmlhooks:xml:a': 'xpath.delete=./devices/rng'})
        self.assertEqual([], base.xpath(out, './devices/rng'))

    def test_an_rng_without_it_on_the_same_source_is_refused(self):
        e = self.assertRaises(
            exception.GuardError, self.engine().customize, self.xml,
            {'xmlhooks:xml:a': 'xpath.delete=./devices/rng',
             'xmlhooks:xml:b': 'xpath.create=./devices/rng',
             'xmlhooks:xml:c': './devices/rng/@model=virtio',
             'xmlhooks:xml:d': './devices/rng/backend/@model=random',
             'xmlhooks:xml:e': './devices/rng/backend=/dev/urandom'})
        # NOTE(xmlhooks): the rule that reads Nova's source again.
        self.assertEqual(('xmlhooks:xml:e', 'resources'),
                         (e.key, e.category))
        self.assertIn('removes domain/devices/rng/rate', e.format_message())

    def test_a_second_rng_beside_novas_is_refused(self):
        # NOTE(xmlhooks): QEMU's builtin source reads no host device, but
        # the guest's reads are no longer held to the flavor's rate.
        e = self.assertRaises(
            exception.GuardError, self.engine().customize, self.xml,
            {'xmlhooks:xml:a': 'xpath.create=./devices/rng[2]',
             'xmlhooks:xml:b': './devices/rng[2]/@model=virtio',
             'xmlhooks:xml:c': './devices/rng[2]/backend/@model=builtin'})
        self.assertEqual(('xmlhooks:xml:a', 'resources'),
                         (e.key, e.category))
        self.assertIn('gives the guest an RNG without the rate Nova '
                      'limits its RNG to (domain/devices/rng/rate)',
                      e.format_message())

    def test_a_second_rng_at_novas_rate_is_refused(self):
        # NOTE(xmlhooks): a limit is a device's; two devices at Nova's
        # rate give the guest twice what the flavor allows.
        e = self.assertRaises(
            exception.GuardError, self.engine().customize, self.xml,
            {'xmlhooks:xml:a': 'xpath.create=./devices/rng[2]',
             'xmlhooks:xml:b': './devices/rng[2]/@model=virtio',
             'xmlhooks:xml:c': './devices/rng[2]/rate/@period=2000',
             'xmlhooks:xml:d': './devices/rng[2]/rate/@bytes=1024',
             'xmlhooks:xml:e': './devices/rng[2]/backend/@model=builtin'})
        self.assertEqual('resources', e.category)

    def test_novas_rng_on_another_source_without_its_rate_is_refused(self):
        # NOTE(xmlhooks): Nova's source is no longer read, so its rate
        # goes with it, but the device stays, unlimited.
        e = self.assertRaises(
            exception.GuardError, self.engine().customize, self.xml,
            {'xmlhooks:xml:a': './devices/rng/backend/@model=builtin',
             'xmlhooks:xml:b': './devices/rng/backend=',
             'xmlhooks:xml:c': 'xpath.delete=./devices/rng/rate'})
        self.assertEqual(('xmlhooks:xml:c', 'resources'),
                         (e.key, e.category))

    def test_novas_rng_on_another_source_with_its_rate_is_refused(self):
        # NOTE(xmlhooks): the rate is read with its source (_rng_rate).
        e = self.assertRaises(
            exception.GuardError, self.engine().customize, self.xml,
            {'xmlhooks:xml:a': './devices/rng/backend/@model=builtin',
             'xmlhooks:xml:b': './devices/rng/backend='})
        self.assertEqual('resources', e.category)

    def test_an_rng_beside_an_unlimited_one_passes(self):
        # NOTE(xmlhooks): without hw_rng:rate_bytes the guest's RNG is
        # unlimited already; another adds no limit to lift.
        out = self.engine().customize(base.nova_xml(), {
            'xmlhooks:xml:a': 'xpath.create=./devices/rng[2]',
            'xmlhooks:xml:b': './devices/rng[2]/@model=virtio',
            'xmlhooks:xml:c': './devices/rng[2]/backend/@model=builtin'})
        self.assertEqual(['random', 'builtin'], base.xpath(
            out, './devices/rng/backend/@model'))


class OtherDriverTest(GuardTestCase):
    """A domain that libvirt's LXC driver runs, as Nova defines one."""

    scenarios = [
        # NOTE(xmlhooks): the container keeps every capability, such as
        # CAP_SYS_MODULE, of the host's root without an <idmap>.
        ('capabilities', {'specs': {
            'xmlhooks:xml:a': './features/capabilities/@policy=allow'}}),
        # NOTE(xmlhooks): without <idmap>, no user namespace.
        ('idmap', {'specs': {'xmlhooks:xml:a': 'xpath.delete=./idmap'}}),
        # NOTE(xmlhooks): without an interface, the host's network.
        ('description', {'specs': {
            'xmlhooks:xml:a': './description=a container'}}),
        # NOTE(xmlhooks): an XPath that may change anything: the checks
        # read the whole documents.
        ('whole document', {'specs': {
            'xmlhooks:xml:a': './/clock/@offset=localtime'}}),
        ('typed', {'specs': {
            'xmlhooks:smbios:system.manufacturer': 'ACME'}}),
    ]

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml('nova-lxc')

    def test_refused_whatever_it_changes(self):
        e = self.assertRaises(exception.RuleError, self.engine().customize,
                              self.xml, self.specs)
        self.assertNotIsInstance(e, exception.GuardError)
        self.assertEqual(sorted(self.specs)[0], e.key)
        self.assertIn("it applies to a domain of type 'lxc'",
                      e.format_message())

    def test_applies_with_every_category_allowed(self):
        # NOTE(xmlhooks): with every category allowed there is no guard;
        # the operator has said that nothing needs one.
        out = self.engine(allow_sensitive=ALL).customize(self.xml,
                                                         self.specs)
        self.assertNotEqual(self.xml, out)
        self.assertEqual(['lxc'], base.xpath(out, '/domain/@type'))

    def test_qemus_types_pass(self):
        for kind in sorted(guard.QEMU_TYPES):
            xml = base.nova_xml().replace('<domain type="kvm">',
                                          '<domain type="%s">' % kind)
            out = self.engine().customize(xml, self.specs)
            self.assertEqual([kind], base.xpath(out, '/domain/@type'))


class InterfaceBandwidthTest(GuardTestCase):
    """The traffic shaping Nova writes from the flavor's quota:vif_*."""

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml().replace('<devices>',
                                           '<devices>' + _LIMITED_PORT, 1)

    def test_lifting_it_needs_resources(self):
        # NOTE(xmlhooks): it is also what the interface is.
        identity = ['devices_passthrough', 'network_exposure']
        for edit in ('xpath.delete=./devices/interface/bandwidth',
                     './devices/interface/bandwidth/inbound/@average=99999'):
            e = self.assertRaises(
                exception.GuardError, self.engine(
                    allow_sensitive=identity).customize, self.xml,
                {'xmlhooks:xml:a': edit})
            self.assertEqual(('xmlhooks:xml:a', 'resources'),
                             (e.key, e.category))
            self.assertIn('domain/devices/interface[fa:16:3e:4c:2c:30]'
                          '/bandwidth', e.format_message())
            out = self.engine(allow_sensitive=identity + [
                'resources']).customize(self.xml, {'xmlhooks:xml:a': edit})
            self.assertNotEqual(['1000'], base.xpath(
                out, './devices/interface/bandwidth/inbound/@average'))

    def test_removing_the_port_passes(self):
        out = self.engine().customize(self.xml, {
            'xmlhooks:xml:a': 'xpath.delete=./devices/interface'})
        self.assertEqual([], base.xpath(out, './devices/interface'))


class KeymapTest(GuardTestCase):
    """QEMU reads a keymap as a path before it looks among its own."""

    def test_qemus_keymaps_pass(self):
        for name in ('en-us', 'de-ch', 'pt-br'):
            out = self.engine().customize(base.nova_xml(), {
                'xmlhooks:xml:keymap': './devices/graphics/@keymap=' + name})
            self.assertEqual([name], base.xpath(
                out, './devices/graphics/@keymap'))

    def test_any_other_keymap_is_a_host_path(self):
        for name in ('/etc/nova/nova.conf', 'etc/shadow', 'vmlinuz'):
            e = self.assertRaises(
                exception.GuardError, self.engine().customize,
                base.nova_xml(),
                {'xmlhooks:xml:keymap': './devices/graphics/@keymap=' + name})
            self.assertEqual('host_paths', e.category, name)
            self.assertIn('devices/graphics/@keymap', e.format_message())

    def test_keymap_nova_wrote_is_kept(self):
        xml = base.nova_xml().replace(
            'listen="127.0.0.1"', 'listen="127.0.0.1" keymap="xx"')
        out = self.engine().customize(
            xml, {'xmlhooks:xml:share':
                  './devices/graphics/@sharePolicy=allow-exclusive'})
        self.assertEqual(['xx'], base.xpath(out,
                                            './devices/graphics/@keymap'))


class TimezoneTest(GuardTestCase):
    """The clock's time zone, a file glibc reads for QEMU."""

    def _customize(self, zone):
        return self.engine(allow_sensitive=[]).customize(base.nova_xml(), {
            'xmlhooks:xml:offset': './clock/@offset=timezone',
            'xmlhooks:xml:zone': './clock/@timezone=' + zone})

    def test_a_zone_of_the_zoneinfo_directory_passes(self):
        for zone in ('Europe/Paris', 'UTC', 'America/New_York'):
            out = self._customize(zone)
            self.assertEqual([zone], base.xpath(out, './clock/@timezone'))

    def test_a_zone_outside_it_is_a_host_path(self):
        for zone in ('/etc/shadow', ':/etc/shadow',
                     '../../../../etc/shadow', 'Europe/../../../x'):
            e = self.assertRaises(exception.GuardError, self._customize,
                                  zone)
            self.assertEqual('host_paths', e.category, zone)
            self.assertIn('clock/@timezone', e.format_message())
            self.assertNotIn('shadow', e.format_message())


class FwCfgEntryTest(GuardTestCase):
    """A fw_cfg entry is a string for the guest, unless it adds options."""

    def test_a_plain_entry_passes(self):
        out = self.engine(allow_sensitive=[]).customize(base.nova_xml(), {
            'xmlhooks:xml:a': "xpath.create=./sysinfo[@type='fwcfg']"
                              "/entry[@name='opt/org.example.x']",
            'xmlhooks:xml:b': "./sysinfo[@type='fwcfg']/entry=a=b;c d"})
        self.assertEqual(['a=b;c d'], base.xpath(
            out, "./sysinfo[@type='fwcfg']/entry/text()"))

    def test_smbios_strings_with_commas_pass(self):
        # NOTE(xmlhooks): libvirt doubles commas in -smbios values.
        out = self.engine(allow_sensitive=[]).customize(base.nova_xml(), {
            'xmlhooks:smbios:system.manufacturer': 'ACME, Inc.,file=x'})
        self.assertIn('ACME, Inc.,file=x', out)


class MetadataCacheTest(GuardTestCase):

    def test_a_qcow2_metadata_cache_is_host_memory(self):
        e = self.assertRaises(
            exception.GuardError, self.engine().customize, base.nova_xml(),
            {'xmlhooks:xml:cache': "xpath.create=./devices/disk/driver/"
                                   "metadata_cache/max_size[@unit='GiB']",
             'xmlhooks:xml:size':
                 './devices/disk/driver/metadata_cache/max_size=1024'})
        self.assertEqual('host_resources', e.category)
        self.assertIn('metadata_cache', e.format_message())


class HostSmbiosTest(GuardTestCase):
    """Taking the host's SMBIOS tables away is not refused."""

    def test_sysinfo_instead_of_the_hosts_tables_passes(self):
        # NOTE(xmlhooks): Nova writes mode='sysinfo'; a document asking
        # for the host's tables (virt-install --sysinfo host) loses them
        # when the smbios customiser sets its own.
        xml = base.nova_xml().replace('<smbios mode="sysinfo"/>',
                                      '<smbios mode="host"/>')
        self.assertNotEqual(base.nova_xml(), xml)
        out = self.engine(allow_sensitive=[]).customize(
            xml, {'xmlhooks:smbios:bios.vendor': 'ACME'})
        self.assertEqual(['sysinfo'], base.xpath(out, './os/smbios/@mode'))
        e = self.assertRaises(
            exception.GuardError, self.engine().customize, base.nova_xml(),
            {'xmlhooks:xml:mode': './os/smbios/@mode=host'})
        self.assertEqual('devices_passthrough', e.category)


#: perf events as Nova writes them from [libvirt] enabled_perf_events
_PERF = ("<perf><event name='cpu_cycles' enabled='yes'/>"
         "<event name='instructions' enabled='yes'/></perf>")


class PerfEventTest(GuardTestCase):
    """Perf events libvirt opens on the host's PMU for the guest."""

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml().replace('<devices>', _PERF + '<devices>')

    def _customize(self, **specs):
        return self.engine(allow_sensitive=[]).customize(self.xml, {
            'xmlhooks:xml:' + key: value for key, value in specs.items()})

    def test_novas_events_pass(self):
        out = self._customize(offset='./clock/@offset=localtime')
        self.assertEqual(2, len(base.xpath(
            out, "./perf/event[@enabled='yes']")))

    def test_disabling_or_adding_a_disabled_event_passes(self):
        out = self._customize(
            off="./perf/event[@name='instructions']/@enabled=no",
            other="xpath.create=./perf/event[@name='cache_misses']",
            other_off="./perf/event[@name='cache_misses']/@enabled=no")
        self.assertEqual(['cpu_cycles'], base.xpath(
            out, "./perf/event[@enabled='yes']/@name"))

    def test_enabling_another_event_is_refused(self):
        for specs in (
                {'on': "./perf/event[@name='instructions']/@name="
                       "cache_misses"},
                {'a': "xpath.create=./perf/event[@name='cache_misses']",
                 'b': "./perf/event[@name='cache_misses']/@enabled=yes"}):
            e = self.assertRaises(exception.GuardError, self._customize,
                                  **specs)
            self.assertEqual('host_resources', e.category)
            self.assertIn('perf/event', e.format_message())


#: memory as Nova writes it for [libvirt] file_backed_memory
_FILE_MEMORY = ('<memoryBacking><source type="file"/><access mode="shared"/>'
                '<allocation mode="immediate"/></memoryBacking>')
#: a guest NUMA topology as Nova writes it, its cells' memory private
_NUMA = ('<numa><cell id="0" cpus="0" memory="1048576" memAccess="private"/>'
         '<cell id="1" cpus="1" memory="1048576" memAccess="private"/>'
         '</numa>')


class MemoryFileTest(GuardTestCase):
    """Guest memory that QEMU maps shared from a host file."""

    def _customize(self, xml, **specs):
        return self.engine(allow_sensitive=['resources']).customize(xml, {
            'xmlhooks:xml:' + key: value for key, value in specs.items()})

    def _refused(self, xml, **specs):
        e = self.assertRaises(exception.GuardError, self._customize, xml,
                              **specs)
        self.assertEqual('host_resources', e.category)
        return e.format_message()

    def test_novas_file_backed_memory_passes(self):
        xml = base.nova_xml().replace('<vcpu>', _FILE_MEMORY + '<vcpu>')
        out = self.engine(allow_sensitive=[]).customize(
            xml, {'xmlhooks:xml:offset': './clock/@offset=localtime'})
        self.assertEqual(['file'], base.xpath(
            out, './memoryBacking/source/@type'))

    def test_shared_memfd_passes_with_resources(self):
        xml = base.nova_xml().replace(
            '<vcpu>', '<memoryBacking><source type="memfd"/>'
                      '</memoryBacking><vcpu>')
        out = self._customize(
            xml, access="xpath.create=./memoryBacking/access"
                        "[@mode='shared']")
        self.assertEqual(['shared'], base.xpath(
            out, './memoryBacking/access/@mode'))

    def test_shared_memory_without_memfd_is_refused(self):
        xml = base.nova_xml().replace(
            '<vcpu>', '<memoryBacking><source type="memfd"/>'
                      '<access mode="shared"/></memoryBacking><vcpu>')
        message = self._refused(
            xml, source="./memoryBacking/source/@type=anonymous")
        self.assertIn('memoryBacking/access/@mode', message)
        self._refused(xml, source='xpath.delete=./memoryBacking/source')
        # NOTE(xmlhooks): the source decides what a NUMA cell maps.
        cells = xml.replace('<access mode="shared"/>', '').replace(
            '</cpu>', _NUMA.replace('private', 'shared') + '</cpu>')
        self.assertEqual(['memfd'], base.xpath(self._customize(
            cells, offset='./clock/@offset=localtime'),
            './memoryBacking/source/@type'))
        self.assertIn('cpu/numa/cell/@memAccess', self._refused(
            cells, source='./memoryBacking/source/@type=anonymous'))

    def test_a_source_is_memfd_only_when_every_type_says_so(self):
        # NOTE(xmlhooks): libvirt 9.0 reads the type with XPath, in no
        # namespace, and another libvirt might read it in any: the source
        # is memfd only when the plain type alone says so (see also
        # ReadWithXPathTest); no rule writes a namespaced attribute, so
        # the document is read alone.
        xml = base.nova_xml().replace(
            '<vcpu>', '<memoryBacking><source type="memfd" x:type="file" '
                      'xmlns:x="urn:x"/><access mode="shared"/>'
                      '</memoryBacking><vcpu>')
        items = guard._collect(etree.fromstring(xml.encode()))
        self.assertIn(('domain/memoryBacking/access/@mode', 'shared'),
                      items[guard.HOST_RESOURCES])
        self.assertIn(('domain/memoryBacking/source/@type', 'file'),
                      items[guard.HOST_RESOURCES])

    def test_a_numa_cell_shared_is_refused(self):
        xml = base.nova_xml().replace('</cpu>', _NUMA + '</cpu>')
        self.assertEqual(['private', 'private'], base.xpath(
            self._customize(xml, offset='./clock/@offset=localtime'),
            './cpu/numa/cell/@memAccess'))
        message = self._refused(
            xml, cell="./cpu/numa/cell[@id='1']/@memAccess=shared")
        self.assertIn('cpu/numa/cell/@memAccess', message)

    def test_a_shared_memory_device_is_refused(self):
        self._refused(
            base.nova_xml(),
            dimm="xpath.create=./devices/memory[@model='dimm']",
            dimm_shared='./devices/memory/@access=shared')

    def test_allowed_with_host_resources(self):
        xml = base.nova_xml().replace('</cpu>', _NUMA + '</cpu>')
        out = self.engine(
            allow_sensitive=['resources', 'host_resources']).customize(
                xml, {'xmlhooks:xml:cell':
                      "./cpu/numa/cell[@id='1']/@memAccess=shared"})
        self.assertEqual(['private', 'shared'], base.xpath(
            out, './cpu/numa/cell/@memAccess'))


#: real-time vCPUs as Nova writes them for hw:cpu_realtime
_REALTIME = ('<cputune><vcpupin vcpu="0" cpuset="2"/>'
             '<vcpupin vcpu="1" cpuset="3"/><emulatorpin cpuset="2"/>'
             '<vcpusched vcpus="1" scheduler="fifo" priority="1"/>'
             '</cputune>')


class RealtimeTest(GuardTestCase):
    """The guest's threads scheduled ahead of the host's and others'."""

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml().replace('<vcpu>2</vcpu>',
                                           '<vcpu>2</vcpu>' + _REALTIME)

    def _customize(self, **specs):
        return self.engine(allow_sensitive=['resources']).customize(
            self.xml, {'xmlhooks:xml:' + key: value
                       for key, value in specs.items()})

    def test_novas_realtime_vcpus_pass(self):
        out = self.engine(allow_sensitive=[]).customize(
            self.xml, {'xmlhooks:xml:offset': './clock/@offset=localtime'})
        self.assertEqual(['1'], base.xpath(
            out, './cputune/vcpusched/@priority'))

    def test_a_higher_priority_or_more_vcpus_is_refused(self):
        for specs in ({'priority': './cputune/vcpusched/@priority=99'},
                      {'vcpus': './cputune/vcpusched/@vcpus=0-1'},
                      {'iothread': "./cputune/iothreadsched"
                                   "[@iothreads='1']/@scheduler=rr"}):
            e = self.assertRaises(exception.GuardError, self._customize,
                                  **specs)
            self.assertEqual('host_resources', e.category)
            self.assertIn('/cputune/', e.format_message())

    def test_other_schedulers_pass_with_resources(self):
        out = self._customize(
            batch="./cputune/emulatorsched/@scheduler=batch")
        self.assertEqual(['batch'], base.xpath(
            out, './cputune/emulatorsched/@scheduler'))


class RedirectedUsbTest(GuardTestCase):
    """A USB device redirected to the guest from a host terminal."""

    def test_a_pseudo_terminal_passes_and_a_socket_does_not(self):
        engine_ = self.engine(allow_sensitive=[])
        out = engine_.customize(base.nova_xml(), {
            'xmlhooks:xml:a': "xpath.create=./devices/redirdev[@bus='usb']",
            'xmlhooks:xml:b': './devices/redirdev/@type=pty'})
        self.assertEqual(['pty'], base.xpath(out, './devices/redirdev/@type'))
        e = self.assertRaises(
            exception.GuardError, engine_.customize, base.nova_xml(), {
                'xmlhooks:xml:a':
                    "xpath.create=./devices/redirdev[@bus='usb']",
                'xmlhooks:xml:b': './devices/redirdev/@type=spicevmc'})
        self.assertEqual('network_exposure', e.category)


#: a GPU's function and an SR-IOV port, as Nova attaches them from its PCI
#: tracker
_TRACKED = ('<hostdev mode="subsystem" type="pci" managed="yes"><source>'
            '<address domain="0x0000" bus="0x81" slot="0x00" '
            'function="0x0"/></source></hostdev>'
            '<interface type="hostdev" managed="yes">'
            '<mac address="fa:16:3e:11:22:33"/><source>'
            '<address type="pci" domain="0x0000" bus="0x82" slot="0x10" '
            'function="0x1"/></source></interface>')


class TrackedDeviceTest(GuardTestCase):
    """Devices Nova's PCI tracker or placement hands an instance."""

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml().replace('<devices>',
                                           '<devices>' + _TRACKED, 1)

    def test_removing_them_needs_no_resources(self):
        engine_ = self.engine(allow_sensitive=['devices_passthrough'])
        out = engine_.customize(self.xml, {
            'xmlhooks:xml:a': 'xpath.delete=./devices/hostdev',
            'xmlhooks:xml:b': "xpath.delete=./devices/interface"})
        self.assertEqual([], base.xpath(out, './devices/hostdev'))
        self.assertEqual([], base.xpath(out, './devices/interface'))

    def test_tuning_novas_host_device_needs_no_resources(self):
        out = self.engine(allow_sensitive=['devices_passthrough']).customize(
            self.xml, {
                'xmlhooks:xml:a': "xpath.create=./devices/hostdev"
                                  "/rom[@bar='off']",
                'xmlhooks:xml:b': "xpath.create=./devices/hostdev"
                                  "/boot[@order='2']"})
        self.assertEqual(['off'], base.xpath(out,
                                             './devices/hostdev/rom/@bar'))

    def test_tuning_novas_port_passes(self):
        out = self.engine(allow_sensitive=[]).customize(self.xml, {
            'xmlhooks:xml:rom': "./devices/interface/rom/@bar=off"})
        self.assertEqual(['off'], base.xpath(
            out, './devices/interface/rom/@bar'))

    def test_another_function_is_resources(self):
        engine_ = self.engine(allow_sensitive=[
            'devices_passthrough', 'network_exposure'])
        for specs in ({'xmlhooks:xml:f': './devices/hostdev/source/address'
                                         '/@function=0x1'},
                      {'xmlhooks:xml:f': './devices/interface/source/address'
                                         '/@function=0x2'}):
            e = self.assertRaises(exception.GuardError, engine_.customize,
                                  self.xml, specs)
            self.assertEqual('resources', e.category)
            self.assertIn('attaches a new', e.format_message())


#: the pins Nova writes for a guest of dedicated CPUs: every vCPU, the
#: emulator and the I/O thread
_NOVAS_PINS = ('<cputune><emulatorpin cpuset="8-9"/>'
               '<iothreadpin cpuset="8-9" iothread="1"/>'
               '<vcpupin vcpu="0" cpuset="6"/>'
               '<vcpupin vcpu="1" cpuset="2"/></cputune>')


class HostCpuTest(GuardTestCase):
    """The host CPUs the guest's threads run on, beyond placement's."""

    def setUp(self):
        super().setUp()
        # NOTE(xmlhooks): as Nova writes it with [compute] cpu_shared_set.
        self.xml = base.nova_xml().replace('<vcpu>2</vcpu>',
                                           '<vcpu cpuset="4-7">2</vcpu>')

    def _customize(self, xml=None, **specs):
        return self.engine(allow_sensitive=['resources'],
                           validate_schema=False).customize(
            xml or self.xml, {'xmlhooks:xml:' + key: value
                              for key, value in specs.items()})

    def test_within_novas_cpus_passes(self):
        for specs in ({'set': './vcpu/@cpuset=4-5'},
                      {'set': './vcpu/@cpuset=4-7,^5'},
                      {'a': "xpath.create=./cputune/vcpupin[@vcpu='0']",
                       'b': './cputune/vcpupin/@cpuset=6'}):
            self._customize(**specs)
        self.engine(allow_sensitive=[]).customize(
            self.xml, {'xmlhooks:xml:offset': './clock/@offset=localtime'})

    def test_beyond_novas_cpus_is_refused(self):
        for specs in ({'set': './vcpu/@cpuset=0-7'},
                      {'set': './vcpu/@cpuset=4-7,8'},
                      {'unset': './vcpu/@cpuset='},
                      {'auto': './vcpu/@placement=auto'},
                      {'bad': './vcpu/@cpuset=4-x'},
                      {'digit': './vcpu/@cpuset=\u00b2'},
                      {'order': './vcpu/@cpuset=^0,^1,^2,^3,0-7'},
                      {'pin': "xpath.create=./cputune/emulatorpin"
                              "[@cpuset='0']"}):
            e = self.assertRaises(exception.GuardError, self._customize,
                                  **specs)
            self.assertEqual('host_resources', e.category, specs)
            self.assertIn('host CPUs', e.format_message())

    def test_a_pinned_guests_cpus_are_its_pins(self):
        # NOTE(xmlhooks): as Nova pins a guest of dedicated CPUs: every
        # vCPU, the emulator and the I/O thread, and no cpuset.
        xml = base.nova_xml().replace('</vcpu>', '</vcpu>' + _NOVAS_PINS)
        self._customize(xml, pin="./cputune/vcpupin[@vcpu='0']/@cpuset=8")
        for specs in ({'pin': "./cputune/vcpupin[@vcpu='0']/@cpuset=0-9"},
                      {'pin': 'xpath.delete=./cputune/emulatorpin'},
                      {'pin': "xpath.delete=./cputune/vcpupin[@vcpu='1']"}):
            e = self.assertRaises(exception.GuardError, self._customize,
                                  xml, **specs)
            self.assertEqual('host_resources', e.category, specs)

    def test_a_second_cputune_is_read(self):
        # NOTE(xmlhooks): libvirt reads the pins of every <cputune>.
        xml = self.xml.replace('</vcpu>',
                               '</vcpu><cputune><shares>2048</shares>'
                               '</cputune>')
        e = self.assertRaises(
            exception.GuardError, self._customize, xml,
            a='xpath.create=./cputune[2]/emulatorpin',
            b='./cputune[2]/emulatorpin/@cpuset=0-63')
        self.assertEqual('host_resources', e.category)

    def test_io_threads_without_a_pin_run_anywhere(self):
        # NOTE(xmlhooks): libvirt runs an I/O thread without a pin on
        # the cpuset, or on any CPU; it adds threads up to <iothreads>
        # beyond those <iothreadids> lists.
        xml = base.nova_xml().replace('</vcpu>', '</vcpu>' + _NOVAS_PINS)
        for specs in ({'count': './iothreads=2'},
                      {'count': './iothreads=0000002'},
                      {'a': './iothreads=4',
                       'b': "xpath.create=./iothreadids/iothread[@id='1']"}):
            e = self.assertRaises(exception.GuardError, self._customize,
                                  xml, **specs)
            self.assertEqual('host_resources', e.category, specs)
        self._customize(xml, count='./iothreads=1')

    def test_io_thread_numbers(self):
        def numbers(inner):
            return guard._iothreads(etree.fromstring(
                '<domain>%s</domain>' % inner))
        self.assertEqual({'1', '2'}, numbers('<iothreads>2</iothreads>'))
        self.assertEqual({'1', '2', '3'}, numbers(
            '<iothreads>3</iothreads><iothreadids><iothread id="3"/>'
            '</iothreadids>'))
        self.assertEqual({'5', '6'}, numbers(
            '<iothreads>1</iothreads><iothreadids><iothread id="5"/>'
            '<iothread id="6"/></iothreadids>'))
        self.assertIn(None, numbers('<iothreads>999999</iothreads>'))
        # NOTE(xmlhooks): as strtoul reads them.
        self.assertEqual({'1', '2'}, numbers('<iothreads>0000002</iothreads>'))
        self.assertEqual({'1', '2'}, numbers('<iothreads> +2</iothreads>'))
        self.assertIn(None, numbers('<iothreads>2x</iothreads>'))

    def test_any_cpu_already_is_no_change(self):
        self._customize(base.nova_xml(), set='./vcpu/@cpuset=0-3')

    def test_cpusets(self):
        self.assertEqual(frozenset([0, 1, 2, 4]),
                         guard._cpuset(('0-4, ^3',)))
        # NOTE(xmlhooks): as virBitmapParse, from left to right.
        self.assertEqual(frozenset(range(6)),
                         guard._cpuset(('^0,^1,^2,^3,0-5',)))
        self.assertEqual(frozenset([0]), guard._cpuset(('^0,0',)))
        for values in ((), ('1', '2'), ('',), ('1-',), ('3-1',), ('²',),
                       ('2-³',), ('9' * 5000,),
                       ('0-%d' % (guard.MAX_HOST_CPU + 1),)):
            self.assertIsNone(guard._cpuset(values), values)


class TpmEmulatorTest(GuardTestCase):
    """swtpm's state, which the guest writes, in host files."""

    def test_a_tpm_emulators_state_is_host_resources(self):
        xml = base.nova_xml().replace(
            '<devices>', '<devices><tpm model="tpm-crb"><backend '
                         'type="emulator" version="2.0"/></tpm>', 1)
        engine_ = self.engine(allow_sensitive=['devices_passthrough'],
                              validate_schema=False)
        engine_.customize(xml, {
            'xmlhooks:xml:pcr': 'xpath.create=./devices/tpm/backend'
                                '/active_pcr_banks/sha256'})
        e = self.assertRaises(exception.GuardError, engine_.customize, xml, {
            'xmlhooks:xml:keep': './devices/tpm/backend'
                                 '/@persistent_state=yes'})
        self.assertEqual('host_resources', e.category)


class DirtyRingTest(GuardTestCase):
    """KVM's dirty ring: host kernel memory for each vCPU."""

    def _customize(self, specs, xml=None):
        return self.engine(allow_sensitive=[]).customize(
            xml or base.nova_xml(), specs)

    def test_a_ring_switched_on_is_refused(self):
        for specs in ({'xmlhooks:kvm:dirty-ring': '65536'},
                      {'xmlhooks:kvm:dirty-ring': 'on'},
                      {'xmlhooks:xml:on': './features/kvm/dirty-ring/'
                                          '@state=on',
                       'xmlhooks:xml:size': './features/kvm/dirty-ring/'
                                            '@size=4096'}):
            e = self.assertRaises(exception.GuardError, self._customize,
                                  specs)
            self.assertEqual('host_resources', e.category)
            self.assertIn('features/kvm/dirty-ring', e.format_message())

    def test_a_ring_switched_off_passes(self):
        out = self._customize({'xmlhooks:kvm:dirty-ring': 'off'})
        self.assertEqual(['off'], base.xpath(
            out, './features/kvm/dirty-ring/@state'))

    def test_a_ring_passes_when_allowed(self):
        out = self.engine(allow_sensitive=['host_resources']).customize(
            base.nova_xml(), {'xmlhooks:kvm:dirty-ring': '8192'})
        self.assertEqual(['8192'], base.xpath(
            out, './features/kvm/dirty-ring/@size'))

    def test_a_rings_other_size_is_refused(self):
        # NOTE(xmlhooks): Nova writes no ring; a document that has one
        # passes as it is, and switching it off passes.
        xml = base.nova_xml().replace(
            '<features>', "<features><kvm><dirty-ring state='on' "
            "size='4096'/></kvm>")
        self.assertEqual(['4096'], base.xpath(
            self._customize({'xmlhooks:kvm:hidden': 'on'}, xml),
            './features/kvm/dirty-ring/@size'))
        e = self.assertRaises(exception.GuardError, self._customize,
                              {'xmlhooks:kvm:dirty-ring': '65536'}, xml)
        self.assertEqual('host_resources', e.category)
        self.assertEqual(['off'], base.xpath(
            self._customize({'xmlhooks:kvm:dirty-ring': 'off'}, xml),
            './features/kvm/dirty-ring/@state'))


class InterfaceQueuesTest(GuardTestCase):
    """An interface's queues, from the flavor's vCPUs."""

    def setUp(self):
        super().setUp()
        # NOTE(xmlhooks): as Nova writes it for hw_vif_multiqueue_enabled
        # on a flavor of two vCPUs.
        self.xml = base.nova_xml().replace('<devices>', '<devices>' + (
            _OVS_PORT.replace('rx_queue_size', 'queues="2" rx_queue_size')))

    def _customize(self, edit):
        return self.engine(allow_sensitive=[]).customize(
            self.xml, {'xmlhooks:xml:queues': edit})

    def test_novas_queues_and_other_tuning_pass(self):
        out = self._customize('./devices/interface/driver/@txmode=iothread')
        self.assertEqual(['2'], base.xpath(
            out, './devices/interface/driver/@queues'))

    def test_removing_them_passes(self):
        for edit in ('./devices/interface/driver/@queues=',
                     'xpath.delete=./devices/interface'):
            out = self._customize(edit)
            self.assertEqual([], base.xpath(
                out, './devices/interface/driver/@queues'), edit)

    def test_more_queues_are_refused(self):
        e = self.assertRaises(exception.GuardError, self._customize,
                              './devices/interface/driver/@queues=256')
        self.assertEqual('resources', e.category)
        self.assertIn('devices/interface/driver/@queues',
                      e.format_message())


#: a port with the limits Nova writes from a flavor's quota:vif_*
_LIMITED_PORT = _OVS_PORT.replace(
    '</interface>', '<bandwidth><inbound average="1000" peak="2000" '
                    'burst="128"/><outbound average="500"/></bandwidth>'
                    '</interface>')
#: a second port, on a network of another MTU
_OVS_PORT_9000 = _OVS_PORT.replace('1442', '9000').replace(
    '4c:2c:30', '5d:3d:41').replace('tap4c2c30aa-11', 'tap5d3d41bb-22')


class InterfaceMtuTest(GuardTestCase):
    """The MTU of an interface's tap device on the host."""

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml().replace(
            '<devices>', '<devices>' + _OVS_PORT + _OVS_PORT_9000, 1)

    def _customize(self, **edits):
        return self.engine(allow_sensitive=[]).customize(
            self.xml, {'xmlhooks:xml:' + key: edit
                       for key, edit in edits.items()})

    def test_novas_mtu_and_its_removal_pass(self):
        # NOTE(xmlhooks): without an MTU libvirt gives the tap its
        # bridge's, which changes nothing on the host.
        out = self._customize(a='./devices/interface[1]/link/@state=up')
        self.assertEqual(['1442', '9000'], base.xpath(
            out, './devices/interface/mtu/@size'))
        out = self._customize(a='xpath.delete=./devices/interface[1]/mtu')
        self.assertEqual(['9000'], base.xpath(
            out, './devices/interface/mtu/@size'))

    def test_removing_another_interface_passes(self):
        out = self._customize(a='xpath.delete=./devices/interface[1]')
        self.assertEqual(['9000'], base.xpath(
            out, './devices/interface/mtu/@size'))

    def test_another_mtu_is_refused(self):
        for size in ('576', '65520'):
            e = self.assertRaises(
                exception.GuardError, self._customize,
                a='./devices/interface[2]/mtu/@size=%s' % size)
            self.assertEqual(('xmlhooks:xml:a', 'host_resources'),
                             (e.key, e.category))
            self.assertIn('devices/interface', e.format_message())

    def test_swapping_novas_mtus_is_refused(self):
        # NOTE(xmlhooks): each port's MTU is its network's; the smaller
        # one on the other port's tap would lower that bridge's MTU.
        e = self.assertRaises(
            exception.GuardError, self._customize,
            a='./devices/interface[1]/mtu/@size=9000',
            b='./devices/interface[2]/mtu/@size=1442')
        self.assertEqual(('xmlhooks:xml:a', 'host_resources'),
                         (e.key, e.category))

    def test_an_mtu_on_a_port_without_one_is_refused(self):
        e = self.assertRaises(
            exception.GuardError, self._customize,
            a='xpath.delete=./devices/interface[2]/mtu',
            b='./devices/interface[2]/mtu/@size=1442')
        self.assertEqual(('xmlhooks:xml:b', 'host_resources'),
                         (e.key, e.category))
        out = self.engine(allow_sensitive=['host_resources']).customize(
            self.xml, {'xmlhooks:xml:a':
                       './devices/interface[2]/mtu/@size=1442'})
        self.assertEqual(['1442', '1442'], base.xpath(
            out, './devices/interface/mtu/@size'))


#: a UEFI loader as Nova writes it for hw_firmware_type=uefi
_LOADER = ("<loader readonly='yes' secure='no' type='pflash'>"
           "/usr/share/OVMF/OVMF_CODE_4M.fd</loader>")


class LoaderTest(GuardTestCase):
    """Whether QEMU may write the firmware file every guest shares."""

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml().replace('</os>', _LOADER + '</os>', 1)

    def test_writable_or_remapped_firmware_is_refused(self):
        for edit in ('./os/loader/@readonly=no',
                     'xpath.set=./os/loader/@readonly=',
                     './os/loader/@type=rom'):
            refusing = self.engine(allow_sensitive=[])
            e = self.assertRaises(exception.GuardError, refusing.customize,
                                  self.xml, {'xmlhooks:xml:loader': edit})
            self.assertEqual('host_paths', e.category, edit)
            self.assertIn('domain/os/loader/@', e.format_message())
            out = self.engine(allow_sensitive=['host_paths']).customize(
                self.xml, {'xmlhooks:xml:loader': edit})
            self.assertNotEqual(self.xml, out)

    def test_the_firmwares_format_is_a_host_path(self):
        # NOTE(xmlhooks): the format (libvirt 9.2 and later, beyond 9.0's
        # schema) says how QEMU reads the firmware file, like a disk's.
        edit = {'xmlhooks:xml:format': './os/loader/@format=qcow2'}
        e = self.assertRaises(exception.GuardError,
                              self.engine(allow_sensitive=[]).customize,
                              self.xml, edit)
        self.assertEqual('host_paths', e.category)
        self.assertIn('domain/os/loader/@format', e.format_message())
        out = self.engine(allow_sensitive=['host_paths'],
                          validate_schema=False).customize(self.xml, edit)
        self.assertEqual(['qcow2'], base.xpath(out, './os/loader/@format'))

    def test_adding_a_loader_is_named_as_such(self):
        # NOTE(xmlhooks): Nova writes no <loader> for a BIOS guest; one
        # added to set another attribute is named, not its readonly.
        e = self.assertRaises(
            exception.GuardError, self.engine(allow_sensitive=[]).customize,
            base.nova_xml(),
            {'xmlhooks:xml:loader': './os/loader/@secure=yes'})
        self.assertEqual('host_paths', e.category)
        self.assertIn('adds or changes domain/os/loader ',
                      e.format_message())

    def test_other_loader_settings_pass(self):
        out = self.engine().customize(
            self.xml, {'xmlhooks:xml:loader': './os/loader/@secure=no',
                       'xmlhooks:xml:menu': './os/bootmenu/@enable=yes'})
        self.assertEqual(['yes'], base.xpath(out, './os/loader/@readonly'))


#: the firmware choice Nova writes for hw_firmware_type=uefi and
#: os_secure_boot=required from 2026.1 (LibvirtConfigGuest._format_os):
#: libvirt picks the files from the host's firmware descriptors
_FIRMWARE = ('<firmware><feature name="secure-boot" enabled="yes"/>'
             '</firmware>')
_CHOSEN_LOADER = '<loader secure="yes"/>'
#: the firmware nova 29 (2024.1) chose itself for such a guest: its
#: loader, and the template of the guest's variables
_NOVA_29_FIRMWARE = (
    _LOADER + '<nvram template="/usr/share/OVMF/OVMF_VARS_4M.ms.fd"/>')


class FirmwareChoiceTest(GuardTestCase):
    """What makes libvirt choose the firmware files a guest gets."""

    def setUp(self):
        super().setUp()
        xml = base.nova_xml().replace('<os>', '<os firmware="efi">'
                                      + _FIRMWARE, 1)
        self.uefi = xml.replace('</os>', _CHOSEN_LOADER + '</os>', 1)
        self.nova_29 = base.nova_xml().replace(
            '</os>', _NOVA_29_FIRMWARE + '</os>', 1)

    def assertChoiceRefused(self, xml, edit, shown):
        refusing = self.engine(allow_sensitive=[])
        e = self.assertRaises(exception.GuardError, refusing.customize,
                              xml, {'xmlhooks:xml:fw': edit})
        self.assertEqual(('xmlhooks:xml:fw', 'host_paths'),
                         (e.key, e.category), edit)
        self.assertIn(' %s ' % shown, e.format_message(), edit)
        # NOTE(xmlhooks): some of these choices are beyond libvirt 9.0's
        # schema (a stateless loader); the guard alone is judged here.
        out = self.engine(allow_sensitive=['host_paths'],
                          validate_schema=False).customize(
            xml, {'xmlhooks:xml:fw': edit})
        self.assertNotEqual(xml, out)

    def test_asking_a_bios_guest_for_a_firmware_is_refused(self):
        # NOTE(xmlhooks): libvirt then maps the code file and creates an
        # NVRAM file from the template of the descriptor it picks.
        for value in ('efi', 'bios'):
            self.assertChoiceRefused(base.nova_xml(),
                                     './os/@firmware=%s' % value,
                                     'domain/os/@firmware')

    def test_changing_novas_choice_is_refused(self):
        for edit, shown in (
                ('./os/@firmware=bios', 'domain/os/@firmware'),
                ('xpath.set=./os/@firmware=', 'domain/os/@firmware'),
                ("./os/firmware/feature[@name='secure-boot']/@enabled=no",
                 'domain/os/firmware'),
                ("xpath.create=./os/firmware/feature[@name='enrolled-keys']",
                 'domain/os/firmware'),
                ('xpath.delete=./os/firmware', 'domain/os/firmware'),
                ('./os/loader/@secure=no', 'domain/os/loader/@secure'),
                ('./os/loader/@stateless=yes',
                 'domain/os/loader/@stateless'),
                ('xpath.delete=./os/loader', 'domain/os/loader/@secure')):
            self.assertChoiceRefused(self.uefi, edit, shown)

    def test_a_removed_choice_is_named_as_such(self):
        # NOTE(xmlhooks): the items exist even when unwritten; a rule
        # that deletes what held one is told it removes it.
        for edit, told in (
                ('xpath.delete=./os/firmware', 'removes domain/os/firmware'),
                ('xpath.delete=./os/loader',
                 'removes domain/os/loader/@secure'),
                ('xpath.set=./os/@firmware=',
                 'removes domain/os/@firmware'),
                ('./os/@firmware=bios',
                 'adds or changes domain/os/@firmware')):
            self.assertChoiceRefused(self.uefi, edit, told)
        for edit in ('xpath.delete=./os/nvram',
                     'xpath.set=./os/nvram/@template='):
            self.assertChoiceRefused(self.nova_29, edit,
                                     'removes domain/os/nvram/@template')

    def test_a_second_firmware_or_loader_is_refused(self):
        # NOTE(xmlhooks): libvirt reads the features of every
        # <firmware>, and the first <loader>.
        for edit, shown in (
                ('xpath.create=./os/firmware[2]', 'domain/os/firmware'),
                ('xpath.create=./os/loader[2]', 'domain/os/loader')):
            self.assertChoiceRefused(self.uefi, edit, shown)

    def test_leaving_the_nvram_template_to_libvirt_is_refused(self):
        # NOTE(xmlhooks): libvirt then copies a template of its own
        # choosing: one without the Secure Boot keys Nova's holds.
        for edit in ('xpath.delete=./os/nvram',
                     'xpath.set=./os/nvram/@template='):
            self.assertChoiceRefused(self.nova_29, edit,
                                     'domain/os/nvram/@template')

    def test_another_architecture_is_refused(self):
        # NOTE(xmlhooks): libvirt runs the QEMU program of that
        # architecture from its capabilities.
        self.assertChoiceRefused(base.nova_xml(), './os/type/@arch=i686',
                                 'domain/os/type/@arch')

    def test_rules_beside_novas_choice_pass(self):
        out = self.engine().customize(
            self.uefi, {'xmlhooks:xml:menu': './os/bootmenu/@enable=yes',
                        'xmlhooks:xml:same': './os/loader/@secure=yes',
                        'xmlhooks:smbios:system.serial': 'S-1'})
        self.assertEqual(['efi'], base.xpath(out, './os/@firmware'))
        self.assertEqual(['yes'], base.xpath(
            out, "./os/firmware/feature[@name='secure-boot']/@enabled"))
        self.assertEqual(['yes'], base.xpath(out, './os/bootmenu/@enable'))


class SameTextSplitTest(_RawTestCase):

    def test_same_text_split_differently_passes(self):
        # libvirt reads "/dev/urandom", as Nova wrote it: no change.
        out = self._engine([]).customize(base.nova_xml(),
                                         {'xmlhooks:raw:rngsame': 'x'})
        self.assertIn('<!-- x -->u<!-- x -->random</backend>', out)
        self.assertEqual('/dev/urandom', base.xpath(
            out, 'string(./devices/rng/backend)'))


#: Nova's SPICE console with the [spice] image_compression and
#: streaming_mode options set
_SPICE = ('<graphics type="spice" autoport="yes" listen="127.0.0.1">'
          '<image compression="auto_glz"/><streaming mode="filter"/>'
          '</graphics>')
#: Nova's USB redirection over SPICE
_REDIRDEV = '<redirdev bus="usb" type="spicevmc"/>'


class PassesWithoutCategoryTest(GuardTestCase):
    """The judgements of the hardening guide's "What passes" section.

    NOTE(xmlhooks): each of these reaches the host only through what the
    guest's own cgroup, its vCPUs or Nova's own options already give it;
    a change to one of these judgements must change the guide too.
    """

    CASES = {
        'cache': ["./devices/disk/driver/@cache=unsafe",
                  "./devices/disk/driver/@io=threads"],
        'builtin_rng': ["xpath.create=./devices/rng[2]",
                        "./devices/rng[2]/@model=virtio",
                        "./devices/rng[2]/backend/@model=builtin"],
        'cpu': ["./cpu/@mode=host-passthrough",
                "./features/pmu/@state=on"],
        'hints': ["./features/kvm/hint-dedicated/@state=on",
                  "./features/pvspinlock/@state=off"],
    }

    def test_each_passes_with_nothing_allowed(self):
        for name, edits in self.CASES.items():
            with self.subTest(name):
                specs = {'xmlhooks:xml:%02d' % i: edit
                         for i, edit in enumerate(edits)}
                out = self.engine(allow_sensitive=[]).customize(
                    base.nova_xml(), specs)
                self.assertNotEqual(base.nova_xml(), out)


class GuestSideTuningTest(GuardTestCase):
    """What tunes a device as the guest sees it reaches nothing new.

    NOTE(xmlhooks): each edit below changes a child the guard leaves out
    of a device's item (a PCI address, an alias, a boot order, a SCSI
    inquiry string, a SPICE setting): none reaches a host file, device
    or network, so none is refused, whatever is allowed.
    """

    def _customize(self, xml, specs, allowed=()):
        return self.engine(allow_sensitive=list(allowed)).customize(
            xml, {'xmlhooks:xml:' + key: value
                  for key, value in specs.items()})

    @staticmethod
    def _address(device, slot):
        return {'a-address': "xpath.create=./devices/%s/address"
                             "[@type='pci']" % device,
                'b-domain': './devices/%s/address/@domain=0x0000' % device,
                'b-bus': './devices/%s/address/@bus=0x00' % device,
                'b-slot': './devices/%s/address/@slot=%s' % (device, slot),
                'b-function': './devices/%s/address/@function=0x0' % device}

    def test_a_scsi_disks_inquiry_strings(self):
        xml = base.nova_xml().replace(
            '<target dev="vda" bus="virtio"/>',
            '<target dev="sda" bus="scsi"/>').replace(
            '<controller type="usb" index="0"/>',
            '<controller type="usb" index="0"/>'
            '<controller type="scsi" index="0" model="virtio-scsi"/>')
        out = self._customize(xml, {
            'vendor': './devices/disk/vendor=ACME',
            'product': './devices/disk/product=Disk'})
        self.assertEqual(['ACME'], base.xpath(
            out, './devices/disk/vendor/text()'))

    def test_a_disks_rotation_rate_and_removable_flag(self):
        # NOTE(xmlhooks): what the guest is told of the disk (an SSD, a
        # removable disk); the target's dev and bus stay its identity.
        out = self._customize(base.nova_xml(), {
            'rate': './devices/disk/target/@rotation_rate=1',
            'removable': './devices/disk/target/@removable=on'})
        self.assertEqual(['1'], base.xpath(
            out, './devices/disk/target/@rotation_rate'))
        for edit in ('./devices/disk/target/@dev=vdb',
                     './devices/disk/target/@bus=sata'):
            e = self.assertRaises(exception.GuardError, self._customize,
                                  base.nova_xml(), {'target': edit})
            self.assertEqual('devices_passthrough', e.category, edit)

    def test_a_disks_alias_and_serial_are_novas_names_for_it(self):
        # NOTE(xmlhooks): Nova detaches the disk whose alias names the
        # volume, and live migration gives each disk the destination's
        # connection of the volume its serial names: swapped, detaching
        # one volume would take the other from the guest, while the host
        # disconnects the first.
        xml = base.nova_xml().replace(
            '<devices>', '<devices>' + _LIMITED_VOLUME.replace(
                '<serial>', '<alias name="ua-%s"/><serial>' % VOLUME), 1)
        for specs in (
                {'alias': './devices/disk[2]/alias/@name=ua-%s' % VOLUME},
                {'alias': './devices/disk[1]/alias/@name=ua-other'},
                {'serial': './devices/disk[2]/serial=%s' % VOLUME},
                {'serial': 'xpath.delete=./devices/disk[1]/serial'}):
            e = self.assertRaises(exception.GuardError, self._customize,
                                  xml, specs)
            self.assertEqual('devices_passthrough', e.category, specs)

    def test_a_ports_link_alias_and_address(self):
        # NOTE(xmlhooks): its MTU is the host tap's (InterfaceMtuTest).
        xml = base.nova_xml().replace('<devices>', '<devices>' + _OVS_PORT)
        out = self._customize(xml, dict(
            self._address('interface', '0x09'),
            link='./devices/interface/link/@state=down',
            alias='./devices/interface/alias/@name=ua-port'))
        self.assertEqual(['down'], base.xpath(
            out, './devices/interface/link/@state'))
        self.assertEqual(['0x09'], base.xpath(
            out, './devices/interface/address/@slot'))

    def test_a_shares_alias_boot_order_and_address(self):
        xml = base.nova_xml().replace('<devices>', '<devices>' + _VIRTIOFS)
        out = self._customize(xml, dict(
            self._address('filesystem', '0x0a'),
            alias='./devices/filesystem/alias/@name=ua-share',
            boot='./devices/filesystem/boot/@order=2'))
        self.assertEqual(['2'], base.xpath(
            out, './devices/filesystem/boot/@order'))

    def test_spice_settings_and_a_redirected_devices_boot_order(self):
        xml = re.sub('<graphics .*?/>', _SPICE + _REDIRDEV,
                     base.nova_xml(), count=1)
        out = self._customize(xml, {
            'streaming': './devices/graphics/streaming/@mode=all',
            'image': './devices/graphics/image/@compression=off',
            'boot': './devices/redirdev/boot/@order=2'})
        self.assertEqual(['all'], base.xpath(
            out, './devices/graphics/streaming/@mode'))
        # What makes the same console listen elsewhere is still refused.
        e = self.assertRaises(
            exception.GuardError, self._customize, xml,
            {'listen': './devices/graphics/@listen=0.0.0.0'})
        self.assertEqual('network_exposure', e.category)

    def test_a_host_certificates_smartcards_certificates(self):
        # NOTE(xmlhooks): an emulated card reads certificates from the
        # host's NSS database (host_paths), and reaches no network.
        xml = base.nova_xml().replace('<devices>', (
            '<devices><smartcard mode="host-certificates">'
            '<certificate>cert1</certificate>'
            '<certificate>cert2</certificate>'
            '<certificate>cert3</certificate>'
            '<database>/etc/pki/nssdb/</database></smartcard>'))
        out = self._customize(xml, {
            'cert': "./devices/smartcard/certificate[1]=other",
            'db': './devices/smartcard/database=/etc/pki/other/'},
            allowed=['devices_passthrough', 'host_paths'])
        self.assertEqual(['other'], base.xpath(
            out, './devices/smartcard/certificate[1]/text()'))

    def test_an_rng_reading_a_host_device_exposes_nothing(self):
        # NOTE(xmlhooks): its path is host_paths; it is no network
        # character device.
        out = self._customize(base.nova_xml(), {
            'a-rng': 'xpath.create=./devices/rng[2]',
            'b-model': './devices/rng[2]/@model=virtio',
            'c-backend': "xpath.create=./devices/rng[2]"
                         "/backend[@model='random']",
            'd-path': './devices/rng[2]/backend=/dev/hwrng'},
            allowed=['host_paths'])
        self.assertEqual(['/dev/urandom', '/dev/hwrng'], base.xpath(
            out, './devices/rng/backend/text()'))

    def test_removing_a_share_nova_attached_passes(self):
        xml = base.nova_xml().replace('<devices>', '<devices>' + _VIRTIOFS)
        out = self._customize(xml, {'share': 'xpath.delete=./devices/'
                                             'filesystem'})
        self.assertEqual([], base.xpath(out, './devices/filesystem'))
        e = self.assertRaises(
            exception.GuardError, self._customize, base.nova_xml(),
            {'share': 'xpath.create=./devices/filesystem[@type="mount"]'})
        self.assertEqual('devices_passthrough', e.category)
        self.assertIn('attaches a new domain/devices/filesystem',
                      e.format_message())


class GuardTest(GuardTestCase):

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml('nova-two-disks')

    def test_harmless_changes_pass_on_every_fixture(self):
        specs = {
            'xmlhooks:xml:cache':
                "./devices/disk[@device='disk']/driver/@cache=writeback",
            'xmlhooks:xml:io': "./devices/disk/driver/@io=native",
            'xmlhooks:xml:tablet':
                "xpath.delete=./devices/input[@type='tablet']",
            'xmlhooks:xml:video': './devices/video/model/@type=vga',
            'xmlhooks:xml:boot': "./os/bootmenu/@enable=yes",
            'xmlhooks:hyperv:vpindex': 'on',
            'xmlhooks:hyperv:synic': 'on',
            'xmlhooks:hyperv:stimer': 'on',
            'xmlhooks:smbios:baseboard.manufacturer': 'ACME',
            'xmlhooks:timer:hpet': 'present=yes',
            'xmlhooks:timer:hypervclock': 'present=yes',
            'xmlhooks:cpu:feature.vmx': 'disable',
            'xmlhooks:kvm:hidden': 'on',
        }
        engine_ = self.engine()
        for name in ('nova-basic', 'nova-two-disks', 'nova-windows'):
            xml = base.nova_xml(name)
            out = engine_.customize(xml, specs)
            self.assertEqual(['writeback'], list(set(base.xpath(
                out, './devices/disk/driver/@cache'))))

    def test_same_names_without_a_path_pass(self):
        # NOTE(xmlhooks): <entry> and <input> hold host paths only in
        # their file and dev attributes; smbios entries and input devices
        # are not paths.
        engine_ = self.engine()
        out = engine_.customize(self.xml, {
            'xmlhooks:xml:family':
                "./sysinfo/system/entry[@name='family']=Cloud",
            'xmlhooks:xml:keyboard':
                "xpath.create=./devices/input[@type='keyboard']",
            'xmlhooks:xml:keyboard-bus':
                "./devices/input[@type='keyboard']/@bus=usb",
            'xmlhooks:xml:audio': "xpath.create=./devices/audio[@id='1']",
            'xmlhooks:xml:audio-type':
                "./devices/audio[@id='1']/@type=none"})
        self.assertEqual(['Cloud'], base.xpath(
            out, "./sysinfo/system/entry[@name='family']/text()"))
        self.assertEqual(['usb'], base.xpath(
            out, "./devices/input[@type='keyboard']/@bus"))

    def test_only_changes_count(self):
        # Nova's own paths, disks and resources are there before and after.
        engine_ = self.engine()
        out = engine_.customize(self.xml, {
            'xmlhooks:xml:vcpu': './vcpu=2',
            'xmlhooks:xml:memory': './memory=2097152',
            'xmlhooks:xml:clock': './clock/@offset=localtime'})
        self.assertEqual(['2'], base.xpath(out, './vcpu/text()'))

    def test_removing_a_disk_or_a_host_path_is_not_refused(self):
        engine_ = self.engine()
        out = engine_.customize(self.xml, {
            'xmlhooks:xml:eph': "xpath.delete=./devices/disk[2]",
            'xmlhooks:xml:serial': 'xpath.delete=./devices/serial'})
        self.assertEqual(1, len(base.xpath(out, './devices/disk')))
        self.assertEqual([], base.xpath(out, './devices/serial'))

    def test_tuning_what_nova_attached_passes(self):
        # Nova's volumes, ports, shares and watchdog are tuned, not changed.
        xml = self.xml.replace('<devices>', '<devices>' + _RBD_VOLUME.replace(
            'vdb', 'vdc') + _OVS_PORT + _VIRTIOFS + _WATCHDOG, 1)
        engine_ = self.engine()
        out = engine_.customize(xml, {
            'xmlhooks:xml:cache': './devices/disk/driver/@cache=none',
            'xmlhooks:xml:discard': './devices/disk/driver/@discard=unmap',
            'xmlhooks:xml:queues':
                './devices/interface/driver/@rx_queue_size=1024',
            'xmlhooks:xml:link': './devices/interface/link/@state=up',
            'xmlhooks:xml:keymap': './devices/graphics/@keymap=de',
            'xmlhooks:xml:video': './devices/video/model/@heads=2',
            'xmlhooks:xml:boot': './devices/disk[1]/boot/@order=1',
            'xmlhooks:xml:crash': './on_crash=restart',
            'xmlhooks:xml:watchdog':
                "./devices/watchdog[@model='i6300esb']/@action=reset"})
        self.assertEqual(['1024'], base.xpath(
            out, './devices/interface/driver/@rx_queue_size'))
        self.assertEqual(['reset'], base.xpath(
            out, './devices/watchdog/@action'))

    def test_the_record_is_not_a_change(self):
        """The record of the rules is in the document the guard judges.

        NOTE(xmlhooks): the engine writes the record into the metadata
        before the checks run; it holds the rules' values (host paths,
        QEMU arguments) as text, and declares a namespace of its own.
        """
        engine_ = self.engine(allow_sensitive=['qemu_passthrough'])
        ruleset = engine_.resolve({
            'xmlhooks:xml:kernel': './os/kernel=/boot/vmlinuz',
            'xmlhooks:xml:qemu': 'xpath.create=./qemu:commandline/qemu:arg',
            'xmlhooks:xml:listen': './devices/graphics/@listen=0.0.0.0',
            'xmlhooks:qemu:arg.0': '-S'})
        nova_root = etree.fromstring(self.xml.encode())
        root = copy.deepcopy(nova_root)
        metadata.record(root, ruleset)
        self.assertEqual(4, len(metadata.recorded(root)[1]))
        nova_items, items = guard._collect(nova_root), guard._collect(root)
        for category in guard.CATEGORIES:
            self.assertEqual(nova_items[category], items[category])
        self.assertIsNone(guard.Guard()(nova_root, root, ruleset))

    def test_backing_chain_added_to_a_disk_nova_attached(self):
        """The red team's chain: QEMU reads an NBD server's bytes.

        A complete, schema-valid backing chain on the disk Nova attached
        makes QEMU connect to the server and show its bytes as the guest's
        disk (tests/libvirt/test_guard_disks.py shows it on a real QEMU).
        It is a new disk, it exposes the host to the network, and its
        format says how the server's bytes are read.
        """
        specs = {
            'xmlhooks:xml:chain1': './devices/disk/backingStore/@type=network',
            'xmlhooks:xml:chain2':
                './devices/disk/backingStore/source/@protocol=nbd',
            'xmlhooks:xml:chain3':
                './devices/disk/backingStore/source/host/@name=192.0.2.1',
            'xmlhooks:xml:chain4':
                './devices/disk/backingStore/source/host/@port=10809',
            'xmlhooks:xml:chain5':
                './devices/disk/backingStore/format/@type=raw',
            'xmlhooks:xml:chain6':
                'xpath.create=./devices/disk/backingStore/backingStore'}
        refused = {'devices_passthrough': 'xmlhooks:xml:chain1',
                   'network_exposure': 'xmlhooks:xml:chain2',
                   'host_paths': 'xmlhooks:xml:chain5'}
        xml = base.nova_xml('nova-basic')
        e = self.assertRaises(exception.GuardError,
                              self.engine().customize, xml, specs)
        self.assertEqual(('xmlhooks:xml:chain5', 'host_paths'),
                         (e.key, e.category))
        for category, key in refused.items():
            engine_ = self.engine(allow_sensitive=[
                c for c in ALL if c != category])
            e = self.assertRaises(exception.GuardError, engine_.customize,
                                  xml, specs)
            self.assertEqual((key, category), (e.key, e.category))
        # Schema-valid: only the guard stands in the way.
        out = self.engine(allow_sensitive=list(refused)).customize(
            xml, specs)
        self.assertEqual(['nbd'], base.xpath(
            out, './devices/disk/backingStore/source/@protocol'))

    def test_format_change_on_a_raw_disk_nova_attached(self):
        specs = {'xmlhooks:xml:format': "./devices/disk/driver/@type=qcow2"}
        e = self.assertRaises(exception.GuardError,
                              self.engine().customize, self.xml, specs)
        self.assertEqual(('xmlhooks:xml:format', 'host_paths'),
                         (e.key, e.category))
        self.assertIn('adds or changes domain/devices/disk/driver/@type',
                      e.format_message())
        out = self.engine(allow_sensitive=[
            'host_paths', 'devices_passthrough']).customize(self.xml, specs)
        self.assertEqual(['qcow2', 'qcow2'], base.xpath(
            out, './devices/disk/driver/@type'))

    def test_removing_the_format_is_named_as_such(self):
        # NOTE(xmlhooks): libvirt then probes the format of the bytes the
        # guest wrote; the rule is told it removes Nova's.
        e = self.assertRaises(
            exception.GuardError, self.engine().customize, self.xml,
            {'xmlhooks:xml:format': 'xpath.delete=./devices/disk/driver'})
        self.assertEqual(('xmlhooks:xml:format', 'host_paths'),
                         (e.key, e.category))
        self.assertIn('removes domain/devices/disk/driver/@type',
                      e.format_message())

    def test_moving_a_disk_to_another_target_is_a_new_disk(self):
        engine_ = self.engine()
        e = self.assertRaises(
            exception.GuardError, engine_.customize, self.xml,
            {'xmlhooks:xml:t': "./devices/disk[2]/target/@dev=vdz"})
        self.assertEqual('devices_passthrough', e.category)

    def test_names_the_first_rule_that_makes_the_change(self):
        engine_ = self.engine(allow_sensitive=['host_paths'])
        e = self.assertRaises(exception.GuardError, engine_.customize,
                              self.xml, {
                                  'xmlhooks:smbios:system.product': 'X',
                                  'xmlhooks:xml:1': './vcpu=2',
                                  'xmlhooks:xml:2':
                                      'xpath.create=./devices/emulator',
                                  'xmlhooks:xml:2a': './devices/emulator=/x',
                                  'xmlhooks:xml:3': './vcpu=4',
                                  'xmlhooks:xml:4': './vcpu=8'})
        self.assertEqual(('xmlhooks:xml:3', 'resources'),
                         (e.key, e.category))

    def test_names_the_first_rule_even_when_a_later_one_undoes_it(self):
        # NOTE(xmlhooks): the change is the first rule's; one that
        # undoes it and one that makes it again come after.
        engine_ = self.engine()
        e = self.assertRaises(exception.GuardError, engine_.customize,
                              self.xml, {
                                  'xmlhooks:xml:1': './vcpu=4',
                                  'xmlhooks:xml:2': './vcpu=%s' % base.xpath(
                                      self.xml, 'string(./vcpu)'),
                                  'xmlhooks:xml:3': './vcpu=8'})
        self.assertEqual(('xmlhooks:xml:1', 'resources'),
                         (e.key, e.category))

    def test_names_every_rule_when_one_cannot_be_replayed(self):
        # NOTE(xmlhooks): a rule that fails alone, or of a family the
        # guard has no customiser for, may be the one that makes the
        # change: no single rule can be named, even a later one that
        # makes it on the replayed document.
        raw = _RawCustomizer(self.conf)
        rules = {rule.family: rule for rule in self.engine_with(
            {'raw': raw}, [], validate_schema=False).resolve({
                'xmlhooks:raw:nosuch': 'x', 'xmlhooks:xml:vcpu': './vcpu=4'})}
        ruleset = [rules['raw'], rules['xml']]
        nova_root = etree.fromstring(self.xml.encode())
        changed = guard._changes_in(guard.RESOURCES, nova_root)
        customizers = dict(loader.load_customizers(self.conf, ['xml']))
        self.assertEqual('xmlhooks:xml:vcpu', guard.culprit(
            customizers, changed, nova_root, ruleset[1:]))
        both = 'xmlhooks:raw:nosuch, xmlhooks:xml:vcpu'
        self.assertEqual(both, guard.culprit(customizers, changed,
                                             nova_root, ruleset))
        self.assertEqual(both, guard.culprit(dict(customizers, raw=raw),
                                             changed, nova_root, ruleset))

    def test_settled_names_the_rule_from_which_the_change_holds(self):
        # NOTE(xmlhooks): as libvirt's refusal is named (see
        # nova_xmlhooks.reboot): the first rule after which every
        # document has the change, not one a later rule undoes.
        customizers = loader.load_customizers(self.conf, ['xml'])
        engine_ = engine.Engine(customizers, {})
        nova_root = etree.fromstring(self.xml.encode())
        changed = guard._changes_in(guard.RESOURCES, nova_root)

        def named(**specs):
            ruleset = engine_.resolve({'xmlhooks:xml:' + key: value
                                       for key, value in specs.items()})
            return guard.culprit(customizers, changed, nova_root, ruleset,
                                 settled=True)
        self.assertEqual('xmlhooks:xml:b', named(
            a='./title=t', b='./vcpu=4', c='./description=d'))
        nova_vcpu = nova_root.findtext('vcpu')
        self.assertEqual('xmlhooks:xml:c', named(
            a='./vcpu=4', b='./vcpu=%s' % nova_vcpu, c='./vcpu=6'))

    def test_a_guard_without_customizers_names_every_rule(self):
        # NOTE(xmlhooks): a guard built alone cannot replay the rules,
        # but still refuses, naming them all.
        customizers = loader.load_customizers(self.conf, ['xml'])
        engine_ = engine.Engine(customizers, {}, checks=[guard.Guard()])
        error = self.assertRaises(
            exception.GuardError, engine_.customize, self.xml,
            {'xmlhooks:xml:a': './vcpu=4', 'xmlhooks:xml:b': './title=t'})
        self.assertIn("'xmlhooks:xml:a, xmlhooks:xml:b'",
                      error.format_message())
        self.assertIn(guard.RESOURCES, error.format_message())

    def test_typed_qemu_refused_by_its_customizer_and_guard(self):
        engine_ = self.engine()
        e = self.assertRaises(exception.InvalidSpec, engine_.customize,
                              self.xml, {'xmlhooks:qemu:arg.0': '-S'})
        self.assertIn('qemu_passthrough', e.format_message())
        out = self.engine(allow_sensitive=['qemu_passthrough']).customize(
            self.xml, {'xmlhooks:qemu:arg.0': '-S'})
        self.assertEqual(['-S'], base.xpath(
            out, './qemu:commandline/qemu:arg/@value'))

    def _foreign_engine(self, allowed):
        return self.engine_with(
            {'foreign': _ForeignPrefixCustomizer(self.conf)}, allowed)

    def test_qemu_namespace_under_another_prefix(self):
        specs = {'xmlhooks:foreign:element': '-S'}
        e = self.assertRaises(exception.GuardError,
                              self._foreign_engine([]).customize,
                              self.xml, specs)
        self.assertEqual(('xmlhooks:foreign:element', 'qemu_passthrough'),
                         (e.key, e.category))
        out = self._foreign_engine(['qemu_passthrough']).customize(
            self.xml, specs)
        # The proof that the namespace was declared locally as "foo".
        self.assertIn('<foo:commandline xmlns:foo="%s">'
                      % xpath_edit.QEMU_NS, out)
        self.assertEqual(['-S'], base.xpath(
            out, './qemu:commandline/qemu:arg/@value'))

    def test_qemu_namespace_declared_on_the_domain(self):
        # NOTE(xmlhooks): lxml writes a declaration made on <domain> into
        # each element's tree, so the devices' items change too; only
        # the QEMU passthrough is refused here.
        specs = {'xmlhooks:foreign:root': '-S'}
        e = self.assertRaises(
            exception.GuardError, self._foreign_engine(
                [c for c in ALL if c != 'qemu_passthrough']).customize,
            self.xml, specs)
        self.assertEqual(('xmlhooks:foreign:root', 'qemu_passthrough'),
                         (e.key, e.category))
        out = self._foreign_engine(
            [c for c in ALL if c != 'security_labels']).customize(
            self.xml, specs)
        self.assertEqual({'qemu': xpath_edit.QEMU_NS}, etree.fromstring(
            out.encode()).nsmap)

    def test_qemu_namespaced_attribute(self):
        specs = {'xmlhooks:foreign:attribute': 'x'}
        e = self.assertRaises(exception.GuardError,
                              self._foreign_engine([]).customize,
                              self.xml, specs)
        self.assertEqual('qemu_passthrough', e.category)
        self.assertIn('@qemu:x', e.format_message())

    def test_every_category_allowed_means_no_guard(self):
        self.flags(allow_sensitive=ALL)
        self.assertFalse([c for c in checks.load_checks(self.conf)
                          if isinstance(c, guard.Guard)])
        self.flags(allow_sensitive=[])
        self.assertIsInstance(checks.load_checks(self.conf)[0], guard.Guard)

    def test_from_conf_engine_has_the_guard(self):
        self.flags(customizers=['xml'])
        engine_ = engine.Engine.from_conf(self.conf)
        e = self.assertRaises(exception.GuardError, engine_.customize,
                              self.xml, {'xmlhooks:xml:s':
                                         './seclabel/@type=none'})
        self.assertEqual(('xmlhooks:xml:s', 'security_labels'),
                         (e.key, e.category))

    def test_nothing_half_applied_on_refusal(self):
        engine_ = self.engine(on_error='skip')
        out = engine_.customize(self.xml, {
            'xmlhooks:xml:clock': './clock/@offset=localtime',
            'xmlhooks:xml:vcpu': './vcpu=64'})
        self.assertIs(self.xml, out)


def _parents(node, defines, seen=frozenset()):
    """The schema's ``<element>`` nodes that a schema node is part of.

    The nearest ``<element>`` above the node; or, when a ``<define>``
    comes first, the parents of every ``<ref>`` to that definition.

    :param node: a node of the schema
    :param defines: each definition's name to the refs to it
    :returns: a list of ``<element>`` nodes
    """
    parent = node.getparent()
    while parent.tag not in (_RNG + 'element', _RNG + 'define'):
        parent = parent.getparent()
    if parent.tag == _RNG + 'element':
        return [parent]
    name = parent.get('name')
    if name in seen:
        return []
    found = []
    for ref in defines.get(name, ()):
        found += _parents(ref, defines, seen | {name})
    return found


def _owners(node, defines):
    """The names of the elements that a schema node is directly part of."""
    return {element.get('name') for element in _parents(node, defines)}


def _places(node, defines, depth):
    """The element names down to a schema node, outermost first.

    :param depth: how many elements up to go at most
    :returns: a set of tuples of names, each ending with the node's own
        element (or the node, when it is an element)
    """
    if node.tag == _RNG + 'element':
        # NOTE(xmlhooks): inactiveDomain.rng describes the same <domain>.
        own = ({'inactiveDomain': 'domain'}.get(node.get('name'),
                                                node.get('name')),)
        depth -= 1
    else:
        own = ()
    parents = _parents(node, defines) if depth > 0 else []
    if not parents:
        return {own}
    return {place + own for parent in parents
            for place in _places(parent, defines, depth)}


def _values(node, schema, seen=frozenset()):
    """The ``<value>`` choices under a schema node, following refs."""
    found = {value.text for value in node.iter(_RNG + 'value')}
    for ref in node.iter(_RNG + 'ref'):
        name = ref.get('name')
        if name not in seen:
            (define,) = schema.xpath('//rng:define[@name=$name]', name=name,
                                     namespaces={'rng': _RNG[1:-1]})
            found |= _values(define, schema, seen | {name})
    return found


def _element_names(node, schema, seen=frozenset()):
    """The names of the outermost elements a definition can hold."""
    names = set()
    for child in node:
        if child.tag == _RNG + 'element':
            names.add(child.get('name'))
        elif child.tag == _RNG + 'ref' and child.get('name') not in seen:
            (define,) = schema.xpath(
                '//rng:define[@name=$name]', name=child.get('name'),
                namespaces={'rng': _RNG[1:-1]})
            names |= _element_names(define, schema,
                                    seen | {child.get('name')})
        elif isinstance(child.tag, str):
            names |= _element_names(child, schema, seen)
    return names


def _text_refs(node):
    """The definitions an element's text may be, not its children's."""
    for child in node:
        if child.tag in (_RNG + 'attribute', _RNG + 'element'):
            continue
        if child.tag == _RNG + 'ref':
            yield child.get('name')
        elif isinstance(child.tag, str):
            yield from _text_refs(child)


def _all_defines(path, defines=None):
    """The definitions of a schema and of the schemas it includes."""
    defines = {} if defines is None else defines
    schema = etree.parse(path)
    for define in schema.iter(_RNG + 'define'):
        defines.setdefault(define.get('name'), []).append(define)
    for include in schema.iter(_RNG + 'include'):
        _all_defines(os.path.join(os.path.dirname(path),
                                  include.get('href')), defines)
    return defines


def _names_under(node, defines, seen=frozenset()):
    """The outermost element names under a node, through any file."""
    names = set()
    for child in node:
        if child.tag == _RNG + 'element':
            names.add(child.get('name'))
        elif child.tag == _RNG + 'ref' and child.get('name') not in seen:
            for define in defines.get(child.get('name'), ()):
                names |= _names_under(define, defines,
                                      seen | {child.get('name')})
        elif isinstance(child.tag, str):
            names |= _names_under(child, defines, seen)
    return names


def _watches(place, category):
    """The guard's watches in a category at a place (a tuple of names)."""
    return [watch for watch in guard.WATCHED.get('/'.join(place[-3:]), ())
            if category in watch.categories]


def _keeps(watch, step):
    """Whether a watch's item holds a child (or ``@attribute``)."""
    if step.startswith('@'):
        return watch.whole or step[1:] not in watch.skip_attrs
    return watch.keeps(step)


def _network_covered(place, attribute):
    """Whether an attribute at a place is in a network_exposure item.

    It is when an element on the way down is watched for the category
    and its item holds the next step. A ``<source>`` with a ``<host>``
    is a network source wherever it is, whose item holds its hosts.
    """
    steps = place + ('@' + attribute,)
    for index in range(len(place)):
        if (steps[index] == 'source' and steps[index + 1] == 'host' and
                guard._NETWORK_SOURCE.keeps('host')):
            return True
        for watch in _watches(place[:index + 1], guard.NETWORK_EXPOSURE):
            if _keeps(watch, steps[index + 1]):
                return True
    return False


#: devices that the guard does not watch as a whole, and why
_DEVICES_NOT_WATCHED = {
    'emulator': 'its text is a host path (host_paths)',
    'controller': 'a bus in the guest',
    'input': 'in the guest; an evdev or passthrough input is '
             'devices_passthrough, its source a host path',
    'sound': 'a sound card in the guest; its backend is <audio>',
    'audio': 'host sound backends by type (host_resources), files, '
             'devices and servers (host_paths)',
    'video': 'in the guest; 3D acceleration is host_resources',
    'hub': 'a USB hub in the guest',
    'redirfilter': 'filters USB redirection, which redirdev exposes',
    'rng': 'its backend is a host path or a character device',
    'watchdog': 'in the guest; the dump action is host_resources',
    'memballoon': 'in the guest',
    'nvram': 'a pSeries NVRAM in the guest',
    'panic': 'a notifier in the guest; what follows is on_crash',
    'iommu': 'an IOMMU in the guest',
}
#: children of <domain> that the guard does not watch as a whole, and why
_DOMAIN_CHILDREN_NOT_WATCHED = {
    'name': 'the identity check keeps it',
    'uuid': 'the identity check keeps it',
    'sysinfo': 'SMBIOS strings for the guest; the identity check keeps '
               'its system UUID; a fw_cfg entry file is host_paths',
    'genid': "the guest's VM generation ID",
    'title': 'a text for people', 'description': 'a text for people',
    'metadata': 'no rule may change it (xpath_edit)',
    'os': 'its host paths, loader, firmware choice, NVRAM template, '
          'architecture and SMBIOS mode are items',
    'features': "in the guest; TCG's tb-cache is resources and "
                "host_resources, KVM's dirty ring host_resources",
    'clock': 'timers in the guest',
    'cpu': 'the CPU the guest sees; cpu/numa is resources',
    'devices': 'each device is watched or reviewed (see above)',
    'on_crash': 'lifecycle actions are reviewed (see below)',
    'on_poweroff': 'lifecycle actions are reviewed (see below)',
    'on_reboot': 'lifecycle actions are reviewed (see below)',
    'on_lockfailure': 'lifecycle actions are reviewed (see below)',
    'seclabel': 'security_labels',
    'pm': 'suspend states in the guest',
    'perf': 'an enabled event is host_resources (the host PMU)',
    'keywrap': 's390 key wrapping in the guest',
    'idmap': 'LXC user namespaces; QEMU has none',
    'namespace': "LXC's namespace sharing; QEMU has none",
    'bootloader': 'a Xen host bootloader; the QEMU driver refuses it',
    'bootloader_args': 'a Xen host bootloader; the QEMU driver refuses it',
    'datacenterpath': 'VMware; QEMU has none',
    'capabilities': "in the QEMU namespace, qemu_passthrough; LXC's",
    'commandline': 'in the QEMU namespace: qemu_passthrough',
    'deprecation': 'in the QEMU namespace: qemu_passthrough',
    'override': 'in the QEMU namespace: qemu_passthrough',
}
#: places of network addresses outside network_exposure items, and why
_NETWORK_ELSEWHERE = {
    ('hostdev', 'ip'): 'an LXC network host device, which QEMU does not '
                       'have: devices_passthrough covers <hostdev>',
}
#: places of elements whose text is a host path, outside host_paths, and
#: why
_PATH_TEXTS_ELSEWHERE = {
    ('domain', 'resource', 'partition'): 'a cgroup partition: resources '
                                         'and host_resources cover '
                                         '<resource>',
    ('hostdev', 'source', 'block'): 'an LXC host device: '
                                    'devices_passthrough covers <hostdev>',
    ('hostdev', 'source', 'char'): 'an LXC host device: '
                                   'devices_passthrough covers <hostdev>',
}
#: lifecycle, watchdog and audio values that reach nothing on the host
_HARMLESS_ACTIONS = frozenset([
    'destroy', 'restart', 'rename-restart', 'poweroff', 'pause', 'ignore',
    'reset', 'shutdown', 'none', 'inject-nmi'])
_HARMLESS_AUDIO = frozenset(['none', 'spice', 'dbus'])


class SchemaCoverageTest(base.TestCase):
    """The guard against libvirt's schema, so that it does not go stale.

    Each test fails when libvirt's schema has something the guard does
    not know: a host path attribute, a network address or port, a
    character device, a device element, a lifecycle action or an audio
    backend. What the schema cannot type (a host path typed as a plain
    string, say) is tested by the scenarios above.
    """

    def setUp(self):
        super().setUp()
        if not os.path.exists(_SCHEMA):
            self.skipTest('libvirt schema %s is not installed' % _SCHEMA)
        self.schema = etree.parse(_SCHEMA)
        self.defines = {}
        for ref in self.schema.iter(_RNG + 'ref'):
            self.defines.setdefault(ref.get('name'), []).append(ref)

    def _typed_attributes(self, types):
        """Each schema attribute of one of these types, with its node."""
        for attribute in self.schema.iter(_RNG + 'attribute'):
            refs = {ref.get('name') for ref in attribute.iter(_RNG + 'ref')}
            if refs & types:
                yield attribute

    def _define(self, name):
        (define,) = self.schema.xpath('//rng:define[@name=$name]',
                                      name=name,
                                      namespaces={'rng': _RNG[1:-1]})
        return define

    def test_every_path_attribute_of_the_schema_is_covered(self):
        """Pair each path attribute with its element and look it up.

        NOTE(xmlhooks): only attributes typed as a path in the schema are
        found; a path typed as a plain string there (a fw_cfg <entry
        file>) is not, and the scenarios above test it on its own. An
        attribute whose element has no name in the schema (``<anyName>``)
        would be paired with ``None`` and fail.
        """
        found = set()
        for attribute in self._typed_attributes(_PATH_TYPES):
            for element in _owners(attribute, self.defines):
                found.add((element, attribute.get('name')))
        # NOTE(xmlhooks): a broken walk of the schema must not pass as
        # "nothing to cover": these are known path attributes.
        self.assertLessEqual({('source', 'file'), ('log', 'file'),
                              ('binary', 'path'), ('input', 'dev')}, found)
        missed = sorted(
            (element, name) for element, name in found
            if name not in (guard._SOURCE_PATH_ATTRS if element == 'source'
                            else guard._PATH_ATTRS.get(element, ())))
        self.assertEqual([], missed)

    def test_every_path_text_of_the_schema_is_covered(self):
        """Each element whose text the schema types as a path is a path.

        NOTE(xmlhooks): found by the element's own content (a ``<ref>`` to
        a path type outside its attributes and child elements), at every
        place the schema allows it, named by its last three elements as
        the guard names it.
        """
        found = set()
        for element in self.schema.iter(_RNG + 'element'):
            if set(_text_refs(element)) & _PATH_TYPES:
                found |= _places(element, self.defines, depth=3)
        self.assertLessEqual({('domain', 'os', 'kernel'),
                              ('devices', 'rng', 'backend')}, found)
        missed = sorted(
            place for place in found
            if '/'.join(place) not in guard._PATH_TEXTS and
            place[-2:] != ('source', 'path') and
            place not in _PATH_TEXTS_ELSEWHERE)
        self.assertEqual([], missed)

    def test_every_network_address_and_port_is_covered(self):
        """Every address or port attribute is in a network_exposure item.

        Each place the schema allows the attribute at (the element names
        down to it) must pass through an element the guard watches for
        network_exposure, whose item holds the way down.
        """
        places = set()
        for attribute in self._typed_attributes(_NETWORK_TYPES):
            for place in _places(attribute, self.defines, depth=6):
                places.add((place, attribute.get('name')))
        self.assertLessEqual({
            (('domain', 'devices', 'graphics'), 'listen'),
            (('domain', 'devices', 'interface', 'portForward', 'range'),
             'start'),
            (('domain', 'devices', 'disk', 'source', 'host'), 'name')},
            places)
        missed = sorted(place for place in places
                        if not _network_covered(*place) and
                        place[0][-2:] not in _NETWORK_ELSEWHERE)
        self.assertEqual([], missed)

    def test_every_character_device_is_watched(self):
        """Every element with a character device source is watched.

        Its type, sources and protocol are what the host connects it to.
        """
        found = set()
        for ref in self.defines['qemucdevSrcDef']:
            for element in _parents(ref, self.defines):
                found |= _places(element, self.defines, depth=3)
        self.assertIn(('devices', 'rng', 'backend'), found)
        missed = sorted(
            place for place in found
            if not [watch for watch in _watches(place,
                                                guard.NETWORK_EXPOSURE)
                    if watch.keeps('source') and watch.keeps('protocol')])
        self.assertEqual([], missed)

    def test_every_device_is_watched_or_reviewed(self):
        (element,) = self._define('devices').iterchildren(_RNG + 'element')
        devices = _element_names(element, self.schema)
        self.assertLessEqual({'disk', 'interface', 'graphics', 'shmem',
                              'vsock', 'hostdev'}, devices)
        watched = {path.split('/')[2] for path in guard.WATCHED
                   if path.startswith('domain/devices/')}
        self.assertEqual(set(), devices - watched - set(_DEVICES_NOT_WATCHED))
        # What is reviewed above is still in the schema, and not watched.
        self.assertEqual(set(), set(_DEVICES_NOT_WATCHED) - devices)
        self.assertEqual(set(), set(_DEVICES_NOT_WATCHED) & watched)

    def test_every_child_of_domain_is_watched_or_reviewed(self):
        defines = _all_defines(_SCHEMA)
        (domain,) = [element for define in defines['domain']
                     for element in define.iter(_RNG + 'element')
                     if element.get('name') == 'domain']
        children = _names_under(domain, defines)
        self.assertLessEqual({'devices', 'memory', 'defaultiothread'},
                             children)
        watched = {path.split('/')[1] for path in guard.WATCHED
                   if path.count('/') == 1 and path.startswith('domain/')}
        self.assertEqual(set(), children - watched - set(
            _DOMAIN_CHILDREN_NOT_WATCHED))
        self.assertEqual(set(), set(_DOMAIN_CHILDREN_NOT_WATCHED) -
                         children)
        self.assertEqual(set(), set(_DOMAIN_CHILDREN_NOT_WATCHED) & watched)

    def test_every_lifecycle_and_watchdog_action_is_reviewed(self):
        actions = set()
        lifecycle = set()
        for element in self.schema.iter(_RNG + 'element'):
            name = element.get('name') or ''
            if name.startswith('on_'):
                lifecycle.add('domain/' + name)
                actions |= _values(element, self.schema)
            elif name == 'watchdog':
                for attribute in element.iter(_RNG + 'attribute'):
                    if attribute.get('name') == 'action':
                        actions |= _values(attribute, self.schema)
        self.assertLessEqual({'coredump-restart', 'dump', 'destroy'},
                             actions)
        self.assertEqual(lifecycle, guard._LIFECYCLE)
        self.assertEqual(set(), actions - guard.HOST_ACTIONS -
                         _HARMLESS_ACTIONS)

    def test_every_audio_backend_is_reviewed(self):
        types = set()
        for element in self.schema.iter(_RNG + 'element'):
            if element.get('name') == 'audio':
                for attribute in element.iter(_RNG + 'attribute'):
                    if attribute.get('name') == 'type':
                        types |= _values(attribute, self.schema)
        self.assertLessEqual({'alsa', 'pulseaudio', 'none'}, types)
        self.assertEqual(set(), types - guard.HOST_AUDIO - _HARMLESS_AUDIO)
