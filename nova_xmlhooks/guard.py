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

"""The guard: refuse sensitive changes the operator did not allow.

Whoever controls the domain XML controls the host. After every rule has
been applied, the guard compares the customised document with Nova's and
refuses a change in any sensitive category that ``[xmlhooks]
allow_sensitive`` does not list. Only what changed counts: whatever Nova
itself generated passes untouched.

Each category is a set of *items* taken from a document; an item is a
node's path (element names without positions) and its value, read the way
libvirt reads it: an attribute by its local name whatever its namespace
(libvirt's ``xmlGetProp``; those libvirt reads with XPath, in no namespace
only, are told apart where it matters, see :func:`_keyed_values`), an
element's text as the whole of its text, CDATA and child elements' text,
without comments (libvirt's XPath ``string()``). Some items are whole
elements (a ``<hostdev>``, a ``<shmem>``), some are what makes a device
the one it is (a disk's identity: everything under it but its tuning),
some are single values (a host path). The categories compare their items
in one of two ways:

* ``any``: the items must be the same in both documents (adding, changing
  or removing is a change);
* ``added``: every item of the result must be in Nova's document (adding
  or changing is a change; removing is not).

To stay cheap on every boot, lxml picks the few elements that can hold
an item by name, in C, each name has its collectors, and items are
compared as lists first. Only when a category is violated are the rules
replayed, one by one on a copy of Nova's document, to name the first rule
that makes the change.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import functools
import re
import typing as ty

from lxml import etree
from oslo_log import log as logging

from nova_xmlhooks import check_base
from nova_xmlhooks.conf import xmlhooks as conf_opts
from nova_xmlhooks import exception
from nova_xmlhooks import metadata
from nova_xmlhooks import xpath_edit

if ty.TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Collection
    from collections.abc import Iterable
    from collections.abc import Sequence

    from oslo_config import cfg

    from nova_xmlhooks import checks
    from nova_xmlhooks.customizers import base
    from nova_xmlhooks import engine

    #: an element's attributes, or some of them, as ``(name, value)`` pairs
    Attributes: ty.TypeAlias = tuple[tuple[str, str], ...]
    #: what a watch reads of an element it does not read whole (see
    #: :func:`_content`): its attributes, its children's trees and, for
    #: a watch of formats, the formats of its ``<driver>``
    Content: ty.TypeAlias = (
        tuple[Attributes, tuple[bytes, ...]] |
        tuple[Attributes, tuple[bytes, ...], tuple[str, ...]])
    #: an item's value: a text, a tree, or what a collector reads
    Value: ty.TypeAlias = str | bytes | tuple[object, ...]
    #: an item: its key (see :func:`_key`) and its value
    Item: ty.TypeAlias = tuple[str, Value]
    #: what :func:`_collect` makes: for each name of :data:`_LISTS`, a
    #: category's items or what another list keeps (an element, a limit,
    #: a set of host CPUs, a size), by name
    Items: ty.TypeAlias = dict[str, list[ty.Any]]
    #: a collector: ``collect(node, items)`` adds a node's items
    Collector: ty.TypeAlias = Callable[[etree._Element, Items], None]
    #: ``compare(nova_items, items)``: the change it finds, or None
    Compare: ty.TypeAlias = Callable[[Items, Items], str | None]
    #: ``changed(root)``: whether a document has a change
    Changed: ty.TypeAlias = Callable[[etree._Element], bool]
    #: what an RNG reads (see :func:`_rng_source`)
    RngSource: ty.TypeAlias = tuple[Attributes, str, tuple[bytes, ...]]
    #: what holds limits (see :func:`_holders`)
    Holder: ty.TypeAlias = str | tuple[str, RngSource | None]

LOG = logging.getLogger(__name__)

QEMU_PASSTHROUGH = conf_opts.QEMU_PASSTHROUGH
SECURITY_LABELS = conf_opts.SECURITY_LABELS
HOST_PATHS = conf_opts.HOST_PATHS
DEVICES_PASSTHROUGH = conf_opts.DEVICES_PASSTHROUGH
RESOURCES = conf_opts.RESOURCES
NETWORK_EXPOSURE = conf_opts.NETWORK_EXPOSURE
HOST_RESOURCES = conf_opts.HOST_RESOURCES

# NOTE(xmlhooks): places are looked up by the last three element names of
# a node's path (see _path), which tell every place below apart; items are
# keyed by the whole path (see _key).


@dataclasses.dataclass(frozen=True)
class Watch:
    """An element whose content is one item of some categories.

    :ivar categories: the categories the item belongs to
    :ivar whole: whether the item is the whole element as written;
        otherwise it is the element's attributes and children, less those
        named in ``skip_attrs`` and ``skip`` (or only the children named
        in ``only``), and less security labels (``security_labels``)
    :ivar skip: names of children left out: they tune how the guest sees
        the device, and reach nothing on the host
    :ivar only: when set, the names of the only children in the item
    :ivar skip_attrs: names of attributes left out, likewise
    :ivar skip_child_attrs: ``(child, names)`` pairs: attributes of
        those children left out, likewise
    :ivar formats: whether the format of the element's ``<driver>`` is
        in the item (the rest of the ``<driver>`` being skipped); it is
        then also a ``host_paths`` item of its own (see :func:`_format`)
    :ivar new: whether the element is a device Nova attaches: an item
        that is not in Nova's document attaches a new one, and removing a
        device is not a change
    :ivar local: ``(attribute, value)`` pairs that connect the element
        to nothing but the host's own terminal or QEMU itself: an item
        holding only such attributes, and no child, is no item
    :ivar local_items: whole items, ``(attributes, children)`` as the
        watch reads them, that likewise reach only the host's own files
    :ivar local_bare: tags of elements that, with no attribute and no
        child, are local too
    :ivar owned: whether the item belongs to the device that holds it,
        whose name is then part of its key (see :func:`_device_key`)
    """

    categories: tuple[str, ...]
    whole: bool = False
    skip: frozenset[str] = frozenset()
    only: frozenset[str] | None = None
    skip_attrs: frozenset[str] = frozenset()
    skip_child_attrs: tuple[tuple[str, frozenset[str]], ...] = ()
    formats: bool = False
    new: bool = False
    local: frozenset[tuple[str, str]] = frozenset()
    local_items: frozenset[Content] = frozenset()
    local_bare: frozenset[str] = frozenset()
    owned: bool = False

    def add(self, node: etree._Element, items: Items) -> None:
        """Add a node's item to the lists of its categories.

        :param node: an element at a place this watch is for
        :param items: a dict of category to a list of items
        """
        if self.whole:
            value: bytes | Content = _tree(node)
        else:
            value = _content(node, self)
            if self.local and not value[1] and (
                    set(value[0]) <= self.local) and (
                    value[0] or node.tag in self.local_bare):
                return
        if value in self.local_items:
            return
        path = _device_key(node) if self.owned else _key(node)
        key = _NEW + path if self.new else path
        for category in self.categories:
            items[category].append((key, value))
        if (self.formats and
                next(node.iterchildren('source'), None) is not None):
            # NOTE(xmlhooks): the formats, last of the content of a
            # watch of formats (see _content).
            items[HOST_PATHS].append((path + '/driver/@type', value[-1]))

    def keeps(self, name: str) -> bool:
        """Whether a child element of this name is part of the item."""
        if self.whole:
            return True
        if self.only is not None:
            return name in self.only
        return name not in self.skip and name != 'seclabel'

    @functools.cached_property
    def _left_out(self) -> frozenset[str]:
        return self.skip | {'seclabel'}


#: what tunes a disk, an interface or a filesystem without changing what
#: it is: everything else under one is its identity (its source at any
#: depth, backing chain, format, target, encryption, authentication,
#: read-only flag...), including children libvirt may add one day. A
#: disk's alias and serial are Nova's names for a volume: Nova finds the
#: disk to detach by its ``ua-<volume>`` alias, and live migration gives
#: each disk the destination's connection of the volume its serial names
_DISK_TUNING = frozenset([
    'driver', 'iotune', 'boot', 'address', 'wwn', 'vendor', 'product',
    'blockio', 'geometry'])
_INTERFACE_TUNING = frozenset([
    'model', 'driver', 'mtu', 'link', 'boot', 'address', 'alias',
    'coalesce', 'tune', 'acpi', 'rom'])
#: what a disk's ``<target>`` tells the guest alone: its rotation rate
#: (an SSD to Windows) and whether a USB or SCSI disk is removable. Its
#: ``dev``, which Nova finds the disk by, its bus and its tray stay in
#: the identity.
_DISK_TARGET_TUNING = (('target', frozenset(['rotation_rate',
                                             'removable'])),)
_FILESYSTEM_TUNING = frozenset(['address', 'alias', 'boot'])
#: the guest's side of a character device; the rest (its type, sources
#: and protocol) is what the host connects it to. Its log file and a
#: smart card's certificates are host_paths.
_CHARDEV_GUEST_SIDE = frozenset([
    'target', 'address', 'alias', 'boot', 'log', 'certificate',
    'database'])
#: what a graphics device shows and how, not where it listens or who may
#: connect (its ``passwd``, which replaces qemu.conf's ``vnc_password``);
#: its GL render node is host_resources, a keymap that is not QEMU's is
#: host_paths
_GRAPHICS_SETTINGS = frozenset([
    'image', 'jpeg', 'zlib', 'playback', 'streaming', 'clipboard', 'mouse',
    'filetransfer', 'audio', 'gl'])
_GRAPHICS_SETTING_ATTRS = frozenset([
    'keymap', 'sharePolicy', 'passwdValidTo', 'connected', 'fullscreen'])

_DISK = Watch((DEVICES_PASSTHROUGH,), skip=_DISK_TUNING, formats=True,
              new=True, skip_child_attrs=_DISK_TARGET_TUNING)
# NOTE(xmlhooks): what an interface is connected to is also what the
# guest is exposed to on the network.
_INTERFACE = Watch((DEVICES_PASSTHROUGH, NETWORK_EXPOSURE),
                   skip=_INTERFACE_TUNING, new=True)
_FILESYSTEM = Watch((DEVICES_PASSTHROUGH,), skip=_FILESYSTEM_TUNING,
                    new=True)
_PASSTHROUGH = Watch((DEVICES_PASSTHROUGH,), whole=True)
#: character devices that reach nothing on the network: a pseudo-terminal
#: on the host (as Nova's serial console), a null device, and an RNG fed
#: by a host device (whose path is host_paths) or by QEMU itself
_CHARDEV_LOCAL = frozenset([('type', 'pty'), ('type', 'null'),
                            ('model', 'random'), ('model', 'builtin')])
#: a UNIX socket that libvirt makes in its own directory for a channel
#: whose source names no path, as Nova writes the guest agent's
_CHARDEV_LOCAL_ITEMS = frozenset([
    ((('type', 'unix'),), (b'<source mode="bind"/>',))])
#: a character device's attributes on the guest's side: the USB bus of a
#: redirected device, which every ``<redirdev>`` names
_CHARDEV_GUEST_ATTRS = frozenset(['bus'])
#: character devices that libvirt puts on a pseudo-terminal when no type
#: is written (virDomainChrDefParseXML)
_CHARDEV_PTY_BY_DEFAULT = frozenset(['serial', 'console', 'parallel',
                                     'channel'])
_CHARDEV = Watch((NETWORK_EXPOSURE,), skip=_CHARDEV_GUEST_SIDE,
                 skip_attrs=_CHARDEV_GUEST_ATTRS, local=_CHARDEV_LOCAL,
                 local_items=_CHARDEV_LOCAL_ITEMS,
                 local_bare=_CHARDEV_PTY_BY_DEFAULT)
_GRAPHICS = Watch((NETWORK_EXPOSURE,), skip=_GRAPHICS_SETTINGS,
                  skip_attrs=_GRAPHICS_SETTING_ATTRS)
_EXPOSED = Watch((NETWORK_EXPOSURE,), whole=True)
#: a network source (a disk's, a backing store's, a SCSI host device's,
#: an NVRAM's): its protocol, export and the hosts QEMU connects to
_NETWORK_SOURCE = Watch((NETWORK_EXPOSURE,), only=frozenset(['host']))
_HOST_RESOURCE = Watch((HOST_RESOURCES,), whole=True)
_HOST_FILE_RESOURCE = Watch((HOST_PATHS, HOST_RESOURCES), whole=True)
_RESOURCE = Watch((RESOURCES,), whole=True)
#: a limit of the device that holds it: moved to another device, it is
#: removed from its own
_DEVICE_RESOURCE = Watch((RESOURCES,), whole=True, owned=True)
#: likewise, for what the device takes of the host
_DEVICE_HOST_RESOURCE = Watch((HOST_RESOURCES,), whole=True, owned=True)
#: a host device that Nova's trackers count, by what picks it on the
#: host: its type, its mode and its source. A new one is a change,
#: removing one is not; tuning how the guest sees it (its display, ROM,
#: boot order, address, or a vGPU's ramfb) takes nothing more.
_TRACKED_HOSTDEV = Watch((RESOURCES,), only=frozenset(['source']), new=True,
                         skip_attrs=frozenset([
                             'managed', 'model', 'display', 'ramfb', 'sgio',
                             'rawio']))
#: what placement counts and what it does not, in one element
_RESOURCE_AND_HOST = Watch((RESOURCES, HOST_RESOURCES), whole=True)

#: what Nova's resource tracker and placement account for
_RESOURCES = frozenset('domain/' + name for name in (
    'vcpu', 'vcpus', 'iothreads', 'iothreadids', 'memory', 'currentMemory',
    'maxMemory', 'memoryBacking', 'memtune', 'blkiotune', 'cputune',
    'numatune', 'resource', 'cpu/numa', 'devices/memory',
    # QEMU's main thread pool: thread_pool_min threads start at once
    'defaultiothread',
    # SEV and the like: placement counts the host's encryption contexts
    'launchSecurity',
    # disks' shared I/O limits (libvirt 11.1 and later), as a disk's iotune
    'throttlegroups'))
#: character devices: every element libvirt's schema gives a character
#: device source (tests/unit/test_guard.py checks this)
_CHARDEVS = frozenset([
    'domain/devices/serial', 'domain/devices/console',
    'domain/devices/parallel', 'domain/devices/channel',
    'domain/devices/redirdev', 'domain/devices/smartcard',
    'devices/rng/backend'])
#: the elements whose content is an item, by place
WATCHED = {
    'domain/devices/disk': (_DISK,),
    'domain/devices/interface': (_INTERFACE,),
    'domain/devices/filesystem': (_FILESYSTEM,),
    # NOTE(xmlhooks): a host device Nova attaches is one its PCI tracker
    # or placement (a vGPU's mediated device) handed the instance; a new
    # one is taken from them.
    'domain/devices/hostdev': (_PASSTHROUGH, _TRACKED_HOSTDEV),
    # the host's TPM (/dev/tpm0 when no path is written) or an emulator
    # keeping state on the host; the host's smart card readers
    'domain/devices/tpm': (_PASSTHROUGH,),
    'domain/devices/smartcard': (_PASSTHROUGH, _CHARDEV),
    'domain/devices/graphics': (_GRAPHICS,),
    # a socket between the guest and the host's AF_VSOCK services
    'domain/devices/vsock': (_EXPOSED,),
    # host memory shared between guests, outside placement
    'domain/devices/shmem': (_HOST_RESOURCE,),
    # the UNIX socket of an ivshmem-doorbell device's server, which QEMU
    # connects to, as a character device's (virDomainShmemDefParseXML)
    'devices/shmem/server': (_EXPOSED,),
    # a lock manager's lease: a host file and a lockspace
    'domain/devices/lease': (_HOST_FILE_RESOURCE,),
    # the host's GPU, through QEMU's OpenGL and virglrenderer
    'devices/graphics/gl': (_HOST_RESOURCE,),
    'video/model/acceleration': (_HOST_RESOURCE,),
    # host memory for TCG's translated code: the limit Nova writes from
    # [libvirt] tb_cache_size; without it QEMU takes 1 GiB, so removing
    # it is a change as raising it is
    'features/tcg/tb-cache': (_RESOURCE,),
    # host memory for a qcow2 image's metadata cache, outside placement
    'disk/driver/metadata_cache': (_HOST_RESOURCE,),
    # the limits Nova writes from the flavor's quota:disk_* and Cinder's
    # front-end QoS, as it writes cputune from quota:cpu_* (an RNG's
    # rate, from hw_rng:rate_bytes, is read with its source: _rng_rate)
    'devices/disk/iotune': (_DEVICE_RESOURCE,),
    # and from the flavor's quota:vif_*: the host's traffic shaping of the
    # interface's tap device (it is also what the interface is: _INTERFACE)
    'devices/interface/bandwidth': (_DEVICE_RESOURCE,),
    # the MTU of the host's tap device: libvirt sets it before adding the
    # tap to its bridge, which then takes the smallest MTU of its ports
    # (a Linux bridge; Open vSwitch sets its bridge's internal port so,
    # unless its mtu_request says otherwise), every other guest's and the
    # host's own traffic on it included; without one libvirt gives the
    # tap the bridge's MTU
    'devices/interface/mtu': (_DEVICE_HOST_RESOURCE,),
    # NOTE(xmlhooks): QEMU's iommufd backend (libvirt 12.2 and later,
    # beyond 9.0's schema): libvirt opens the host's /dev/iommu, or takes
    # the descriptors of the fdgroup a client handed it, labels it for
    # the guest and hands it to QEMU (-object iommufd), through which
    # host devices are passed to the guest
    'domain/iommufd': (_PASSTHROUGH,),
    # a persistent store QEMU keeps in a host file it maps shared, of
    # any size (in libvirt's schema after 9.0)
    'domain/devices/pstore': (_HOST_FILE_RESOURCE,),
    # NOTE(xmlhooks): <resource> is also resources. Its partition is the
    # cgroup libvirt puts QEMU in: ``/system`` becomes systemd's
    # system.slice (virSystemdMakeSliceName), beside the host's own
    # services and outside whatever limits the operator gave
    # machine.slice; its Fibre Channel application ID is written to the
    # host's FC transport for the guest's cgroup.
    'domain/resource': (_RESOURCE_AND_HOST,),
    # Intel RDT: libvirt makes a resctrl group on the host for the vCPUs
    # and gives it ways of the host's shared cache, or a share of its
    # memory bandwidth, which every other guest and the host then lack
    'domain/cputune/cachetune': (_HOST_RESOURCE,),
    'domain/cputune/memorytune': (_HOST_RESOURCE,),
}
WATCHED.update((path, (_CHARDEV,)) for path in _CHARDEVS
               if path not in WATCHED)
WATCHED.update((path, (_RESOURCE,)) for path in _RESOURCES
               if path not in WATCHED)

#: host path attributes: these on any <source>, and by element name below
_SOURCE_PATH_ATTRS = ('file', 'dir', 'path', 'dev', 'socket', 'evdev',
                      'pool', 'volume',
                      # a FreeBSD nmdm character device's two ends
                      'master', 'slave')
# NOTE(xmlhooks): only the attributes named are paths: the same element
# names hold other things elsewhere (an smbios <entry> has a name and
# text, an <input type='tablet'> device has no dev), which pass.
# tests/unit/test_guard.py checks this against libvirt's schema.
_PATH_ATTRS = {
    'script': ('path',), 'downscript': ('path',), 'log': ('file',),
    'rom': ('file',), 'backend': ('tap', 'vhost', 'logFile'),
    'server': ('path',), 'listen': ('socket',),
    # a VNC socket, a D-Bus display's bus address, an SDL display's
    # X authority file and X display (QEMU's DISPLAY: ``:0`` is the host's
    # own X server's socket)
    'graphics': ('socket', 'address', 'xauth', 'display'),
    'device': ('path',),
    # fw_cfg entry: libvirt hands the file's contents to the guest
    'entry': ('file',),
    # audio: a file the sound is written to, ALSA and OSS devices, the
    # PulseAudio and JACK servers (a socket on the host), and (newer
    # libvirt) PipeWire's runtime directory, where its socket is
    'audio': ('path', 'serverName', 'runtimeDir'),
    'input': ('dev', 'serverName'),
    'output': ('dev', 'serverName'),
    # the virtiofsd program that libvirt runs for a <filesystem>
    'binary': ('path',),
    # DRM render nodes of graphics and video acceleration
    'gl': ('rendernode',), 'acceleration': ('rendernode',),
    # an RBD disk's Ceph configuration, an NBD disk's UNIX socket
    'config': ('file',), 'host': ('socket',),
    # the host terminal of a character device
    'serial': ('tty',), 'parallel': ('tty',), 'console': ('tty',),
    'channel': ('tty',),
    # QEMU maps /dev/shm/<name>
    'shmem': ('name',),
    # formats: which header of data the guest controls is read, and so
    # which host files it names (see _format): a backing store's, a
    # mirror's, and (libvirt 9.2 and later) the firmware's and NVRAM's
    'format': ('type',), 'mirror': ('file', 'format'),
    'nvram': ('template', 'format', 'templateFormat'),
    'loader': ('format',),
    # newer libvirt: the file of the UEFI variables that QEMU's uefi-vars
    # device keeps, and its template
    'varstore': ('path', 'template'),
    # an SSH disk's key file, agent socket and known hosts, which nbdkit
    # reads on the host (newer libvirt)
    'identity': ('keyfile', 'agentsock'), 'knownHosts': ('path',),
    # the TDX quote generation service's socket (newer libvirt)
    'quoteGenerationService': ('path',),
}
#: values naming a server QEMU connects to, on the host or the network
_EXPOSED_ATTRS = {
    'audio': ('serverName',), 'input': ('serverName',),
    'output': ('serverName',)}
#: elements whose text is a host path; and <path> in any <source>
_PATH_TEXTS = frozenset((
    'domain/os/kernel', 'domain/os/initrd', 'domain/os/loader',
    'domain/os/nvram', 'domain/os/dtb', 'os/acpi/table',
    # a UEFI shim for QEMU to load (QEMU 10's -shim; newer libvirt)
    'domain/os/shim',
    # a container's init program and directory, and a root device: the
    # schema types them as host paths, and QEMU guests have no use for
    # them
    'domain/os/init', 'domain/os/initdir', 'domain/os/root',
    'domain/devices/emulator', 'devices/rng/backend',
    'devices/smartcard/database', 'blkiotune/device/path'))
#: what libvirt opens when a path text is empty, by place and model: an
#: RNG of model 'random' reads /dev/random
_DEFAULT_PATHS: dict[tuple[str, str | None], str] = {
    ('devices/rng/backend', 'random'): '/dev/random'}
#: lifecycle actions and watchdog actions that write the guest's memory
#: to the host (coredump-*, dump) or keep it there (preserve)
HOST_ACTIONS = frozenset(['coredump-destroy', 'coredump-restart',
                          'preserve', 'dump'])
_LIFECYCLE = frozenset(['domain/on_crash', 'domain/on_poweroff',
                        'domain/on_reboot', 'domain/on_lockfailure'])
#: audio backends that reach the host's sound devices or servers, or
#: write the guest's sound to a host file, with or without a path or a
#: server name written (ALSA's default device, the QEMU user's PulseAudio
#: server, qemu.wav in QEMU's working directory...)
HOST_AUDIO = frozenset(['alsa', 'oss', 'pulseaudio', 'jack', 'sdl',
                        'coreaudio', 'pipewire', 'file'])
#: backends and drivers that run on the host's hardware: a crypto device
#: on the host kernel's crypto framework, and a video device rendered by
#: the vhost-user-gpu helper, to which libvirt gives the host's first DRM
#: render node
HOST_BACKENDS = (('devices/crypto/backend', 'model', frozenset(['lkcf'])),
                 ('devices/video/driver', 'name', frozenset(['vhostuser'])))
#: graphics that render on the host's GPU without a ``<gl>`` saying so:
#: libvirt gives an ``egl-headless`` display the host's first DRM render
#: node (virDomainGraphicsNeedsAutoRenderNode), as it does a ``<gl>``
HOST_GRAPHICS = frozenset(['egl-headless'])
#: SMBIOS modes that hand the guest the host's own tables (its vendor,
#: product, serial numbers...), which libvirt reads from the host
HOST_SMBIOS = frozenset(['host'])
#: an interface's queues: for a KVM guest libvirt opens
#: ``/dev/vhost-net`` once per queue (qemuInterfaceOpenVhostNet), and the
#: host kernel runs a vhost worker thread for each, beside as many tap
#: queues. Nova writes them from the flavor's vCPUs
#: (``hw_vif_multiqueue_enabled``), as it writes ``cputune``
_INTERFACE_QUEUES = 'devices/interface/driver'
_INTERFACE_QUEUES_KEY = 'domain/' + _INTERFACE_QUEUES + '/@queues'
#: items whose removal only narrows what the guest gets from the host,
#: whatever their category compares: a customiser that sets
#: ``<smbios mode='sysinfo'>`` on a document asking for the host's
#: tables takes them away; without its queues an interface has one
_NARROWED_BY_REMOVAL = frozenset(['domain/os/smbios/@mode',
                                  _INTERFACE_QUEUES_KEY])
#: what names a device in the key of what it holds (see _device_key):
#: its child element and that element's attribute
_DEVICE_NAMES = {'disk': ('target', 'dev'), 'interface': ('mac', 'address')}
_NO_NAME = ('', '')
#: not a category: what holds a limit, in a document (see _holder).
#: NOTE(xmlhooks): a limit removed with what holds it narrows what the
#: guest gets from the host, as removing the device does
_HOLDERS = 'holders'
#: not a category: the first ``<rate>`` of each RNG libvirt reads, as
#: written, or None for an RNG without one (see _rng_limit)
_RNG_LIMITS = 'rng limits'
#: not a category: the host CPUs the guest's threads may run on, or None
#: for any (see _host_cpus)
_HOST_CPUS = 'host cpus'
#: not a category: the size of TCG's translation cache, in bytes, or None
#: when libvirt would not read it (see _tb_cache_raised)
_TB_CACHE_SIZES = 'tb-cache sizes'
#: the lists :func:`_collect` makes: the categories', the holders', the
#: RNGs' limits, the host CPUs and the translation cache's size
_LISTS = conf_opts.SENSITIVE_CATEGORIES + (_HOLDERS, _RNG_LIMITS,
                                           _HOST_CPUS, _TB_CACHE_SIZES)
#: an RNG's rate limit, which Nova writes from ``hw_rng:rate_bytes``
_RNG_RATE_PATH = 'devices/rng/rate'
_RNG_PATH = 'domain/devices/rng'
_RNG_RATE_KEY = 'domain/' + _RNG_RATE_PATH
#: the devices named by :func:`_device_name` that hold limits
_NAMED_DEVICE_PATHS = frozenset(['domain/devices/disk',
                                 'domain/devices/interface'])
#: a perf event: libvirt opens it on the host for the guest's QEMU
#: process (``perf_event_open`` in virPerfEventEnable, when the guest
#: starts), on a hardware counter of the host's PMU (``cpu_cycles``,
#: ``cache_misses``...) shared with the host and every other guest, or
#: the host's cache and memory bandwidth monitoring (``cmt``, ``mbmt``,
#: ``mbml``). An enabled event is an item, a disabled one is none.
_PERF_EVENT_PATH = 'domain/perf/event'
#: KVM's dirty ring: the host kernel allocates a ring of ``size`` entries
#: of 16 bytes for each vCPU (``kvm_dirty_ring_alloc``, up to 1 MiB each)
#: with a plain ``vzalloc``, which is charged to no cgroup, outside
#: placement. A ring switched on is an item, one switched off is none.
_DIRTY_RING_PATH = 'features/kvm/dirty-ring'
#: video devices, for which QEMU allocates host memory outside placement
#: (Nova caps it with hw_video:ram_max_mb): of the sizes written, or of
#: the model's defaults (libvirt gives a QXL device 64 MiB of RAM and as
#: much VRAM when none is written). Nova writes one device, whose model
#: an image may choose (hw_video_model), so another model for it is no
#: change; each device's written sizes are an item, so other sizes and a
#: new device are. A device of model ``none`` has no memory, and no item.
_VIDEO_PATH = 'domain/devices/video'
_VIDEO_MEMORY = ('ram', 'vram', 'vram64', 'vgamem')
#: the domain's type: Nova's is kvm (or what [libvirt] virt_type says).
#: QEMU gives a guest it emulates (type ``qemu``) a translation cache of
#: 1 GiB of host memory unless ``features/tcg/tb-cache`` says otherwise,
#: and runs it without the hardware's isolation
_DOMAIN_TYPE = 'domain/@type'
#: TCG's translation cache, which libvirt hands QEMU as ``tb-size``
#: (qemuBuildAccelCommandLine): host memory outside placement, 1 GiB
#: when none is written. Nova writes it from ``[libvirt] tb_cache_size``.
_TB_CACHE = 'features/tcg/tb-cache'
_TB_CACHE_KEY = 'domain/' + _TB_CACHE
TB_CACHE_DEFAULT = 1024 ** 3
#: the firmware loader, and what decides whether QEMU may write the file
#: it maps, which every guest shares: removing ``readonly`` lets it open
#: the file read-write, as changing it does
_LOADER_PATH = 'domain/os/loader'
_LOADER_ATTRS = ('readonly', 'type')
#: what libvirt chooses host files and programs by, where nothing names
#: them, read on ``<os>``: the firmware asked for (``<os firmware='efi'>``,
#: which Nova writes for ``hw_firmware_type=uefi`` from 2026.1), the
#: features it must have (``<firmware><feature name='secure-boot'/>``)
#: and the loader's ``secure`` and ``stateless``, from which libvirt
#: picks one of the host's firmware descriptors when the guest starts
#: (qemuFirmwareFillDomain): the code file QEMU maps and the template of
#: the NVRAM file libvirt creates for the guest. Without the NVRAM's
#: ``template``, which Nova wrote before 2026.1, libvirt copies one of
#: its own choosing (qemu.conf's ``nvram`` list, or a descriptor's), as
#: it opens /dev/random for an RNG without a path; and the architecture
#: of ``<os><type>`` picks the QEMU program libvirt runs, from its
#: capabilities, when ``<emulator>`` names none (Nova never does).
_OS_PATH = 'domain/os'
_FIRMWARE_ATTR_KEY = 'domain/os/@firmware'
_FIRMWARE_FEATURES_KEY = 'domain/os/firmware'
#: children of ``<os>``, their attributes in :data:`_OS_PATH`'s note,
#: and the key of each attribute's item
_OS_CHOICES = {tag: tuple((name, '%s/%s/@%s' % (_OS_PATH, tag, name))
                          for name in names)
               for tag, names in (('loader', ('secure', 'stateless')),
                                  ('nvram', ('template',)),
                                  ('type', ('arch',)))}
_OS_CHOICE_KEYS = tuple(key for choices in _OS_CHOICES.values()
                        for _name, key in choices)
#: a channel's target, whose name names the socket of a UNIX channel:
#: libvirt makes ``<channel_target_dir>/domain-<id>-<name>/<target name>``
#: for one whose source names no path, without looking at the name, and
#: (as root) removes what is there first; ``../`` in the name reaches any
#: host file. A name without a ``/`` stays in that directory, but ``.``
#: and ``..`` are the directory and its parent.
_CHANNEL_TARGET_PATH = 'devices/channel/target'
_DIRECTORY_NAMES = frozenset(['.', '..'])
#: the graphics' keymap: QEMU reads ``-k`` as a path first (relative to
#: its working directory), and only then among its own keymaps, these
#: (QEMU's pc-bios/keymaps); any other value is a host path
_GRAPHICS_PATH = 'domain/devices/graphics'
#: the clock's time zone, which libvirt hands QEMU as ``TZ``: glibc reads
#: a zone file, relative to its zoneinfo directory or absolute, ``../``
#: followed; a zone that starts with ``/`` or holds ``..`` names any file
_TIMEZONE_PATH = 'domain/clock'
#: a fw_cfg entry (``<sysinfo type='fwcfg'>``): libvirt writes ``-fw_cfg
#: name=<name>,string=<text>`` without doubling commas, and QEMU takes the
#: last of a repeated key, so a comma in either lets the rule add
#: ``file=<any host file>``, which QEMU reads and hands to the guest
_FWCFG_ENTRY_PATH = 'domain/sysinfo/entry'
#: attributes libvirt 9.0 writes into QEMU options without doubling
#: commas: a character device's (and an RNG's EGD) ``-chardev
#: ...,host=<host>,port=<service>``, and the graphics' ``-vnc``/``-spice``
#: listen address. A comma adds options of the rule's choosing, such as
#: ``logfile=`` (a host file QEMU creates or truncates) or ``x509-dir=``;
#: a host or port never holds one
_UNESCAPED_OPTIONS = {'source': ('host', 'service'),
                      'graphics': ('listen',), 'listen': ('address',)}
QEMU_KEYMAPS = frozenset([
    'ar', 'bepo', 'cz', 'da', 'de', 'de-ch', 'en-gb', 'en-us', 'es', 'et',
    'fi', 'fo', 'fr', 'fr-be', 'fr-ca', 'fr-ch', 'hr', 'hu', 'is', 'it',
    'ja', 'lt', 'lv', 'mk', 'nl', 'no', 'pl', 'pt', 'pt-br', 'ru', 'sl',
    'sv', 'th', 'tr'])
_QEMU_PREFIX = '{%s}' % xpath_edit.QEMU_NS
_QEMU_NODES = etree.XPath(
    # NOTE(xmlhooks): matched by namespace URI, so a prefix other than
    # "qemu", declared on any element, is caught all the same.
    'descendant-or-self::*[namespace-uri()=$ns] | '
    'descendant-or-self::*/@*[namespace-uri()=$ns]', regexp=False)
#: the same, on one element without its children
_QEMU_NODE = etree.XPath(
    'self::*[namespace-uri()=$ns] | @*[namespace-uri()=$ns]', regexp=False)
#: attributes named ``xmlns``. NOTE(xmlhooks): lxml keeps one that code
#: sets as a plain attribute, and writes it out as a namespace
#: declaration: libvirt would read the element and everything below it
#: in that namespace (a ``<commandline>`` as ``<qemu:commandline>``, a
#: disk's ``<driver>`` as nothing it knows), while the checks read them
#: in none. A document parsed from text never has one.
_FAKE_DECLARATIONS = etree.XPath('descendant-or-self::*/@xmlns',
                                 regexp=False)
#: elements under ``<features>`` in a namespace other than QEMU's (whose
#: elements are qemu_passthrough). NOTE(xmlhooks): libvirt finds the
#: features with ``./features/*`` and the features of ``<kvm>``,
#: ``<hyperv>``, ``<xen>`` and ``<capabilities>`` child by child, and
#: tells them by their local name whatever their namespace
#: (virDomainFeaturesDefParse): ``<x:tcg>`` is TCG's translation cache and
#: ``<x:dirty-ring>`` KVM's dirty ring, while the checks, which find
#: elements by name and namespace, read nothing there.
_FOREIGN_FEATURES = functools.partial(etree.XPath(
    'features//*[namespace-uri() != "" and namespace-uri() != $ns]',
    regexp=False), ns=xpath_edit.QEMU_NS)


def _foreign_features(root: etree._Element) -> bool:
    """Whether a document has an element of another namespace in features."""
    return bool(_FOREIGN_FEATURES(root))


def _foreign_root(root: etree._Element) -> bool:
    """Whether a document's root is not ``<domain>`` in no namespace.

    NOTE(xmlhooks): libvirt takes the root element by its local name
    alone (virXMLParseHelper) and reads everything else from it with
    relative XPath: ``<x:domain xmlns:x="urn:x">`` is defined as
    ``<domain>``, while the checks, which know places as
    ``domain/...``, read none of them (an ``<initrd>``, a lifecycle
    action, the guest's CPU pins).
    """
    return root.tag != 'domain'


def _entity_reference(root: etree._Element) -> bool:
    """Whether a document holds an entity reference.

    NOTE(xmlhooks): lxml keeps one that code appends (``etree.Entity``) as
    a node of its own, whose text is the reference as written: the checks
    read ``coredump-&#114;estart`` where libvirt, parsing what lxml writes
    out, reads ``coredump-restart``. A document parsed from text has none
    (the parser replaces character references, and a DOCTYPE declaring
    entities is refused). One walk in C, cheaper than an XPath.
    """
    return next(root.iter(etree.Entity), None) is not None


_BY_LOCAL_NAME = 'by its local name whatever its namespace'
#: what libvirt reads otherwise than the checks, refused whatever is
#: allowed: ``(written(root), what, how libvirt reads it)``
_READ_OTHERWISE = (
    (_foreign_root, 'the domain element in another namespace',
     _BY_LOCAL_NAME),
    (_foreign_features,
     'an element in another namespace under domain/features',
     _BY_LOCAL_NAME),
    (_entity_reference, 'an entity reference',
     'as the text it stands for, where the checks read the reference'))
#: how each category compares: "any" change, or only "added" items
_MODES = {
    # NOTE(xmlhooks): removing QEMU passthrough can only narrow it.
    QEMU_PASSTHROUGH: 'added',
    SECURITY_LABELS: 'any',
    HOST_PATHS: 'added',
    DEVICES_PASSTHROUGH: 'any',
    RESOURCES: 'any',
    # NOTE(xmlhooks): exposure is per device (a listener, a character
    # device, an interface, a network source): changing one is adding
    # a new item, and removing a whole device narrows what is exposed.
    NETWORK_EXPOSURE: 'added',
    HOST_RESOURCES: 'added',
}
#: the order in which categories are checked, so errors are deterministic
CATEGORIES = conf_opts.SENSITIVE_CATEGORIES
_NEW = 'new '


def _tree(node: etree._Element) -> bytes:
    return etree.tostring(node, with_tail=False)


def _text(node: etree._Element) -> str:
    """An element's text as libvirt reads it.

    NOTE(xmlhooks): libvirt reads text with XPath's ``string()`` or
    libxml2's ``xmlNodeGetContent``: all of the element's text, CDATA and
    descendants' text, without comments and processing instructions,
    which is what lxml's ``itertext`` gives. ``.text`` alone stops at the
    first comment or child, so a path could be completed behind it.
    An element with no child at all (no element, comment, processing
    instruction or entity reference, which lxml all counts) has only its
    ``.text``, read without building the iterator: this runs on every
    boot.
    """
    if not len(node):
        return node.text or ''
    return ''.join(node.itertext())


def _attribute_values(node: etree._Element, name: str) -> tuple[str, ...]:
    """Every value libvirt may read for an attribute.

    NOTE(xmlhooks): libvirt reads attributes with libxml2's
    ``xmlGetProp``, which matches the local name whatever the namespace:
    ``{x}path`` is read as ``path``.
    """
    suffix = '}' + name
    return tuple([value for key, value in node.items()
                  if key == name or key.endswith(suffix)])


def _keyed_values(node: etree._Element, name: str) -> Attributes:
    """An attribute's values in every namespace, each with its name.

    NOTE(xmlhooks): libvirt reads some attributes with XPath rather than
    xmlGetProp (``string(./os/@firmware)``, ``./tb-cache/@unit``, the
    memory source's ``type``, a video model's ``type`` and sizes), which
    finds only the one in no namespace. Where such a value bounds or
    exempts an item, or is compared with Nova's, one written in another
    namespace is told apart from the plain one: ``<os x:firmware='efi'>``
    chooses no firmware, and is not Nova's ``<os firmware='efi'>``.
    """
    suffix = '}' + name
    return tuple([item for item in node.items()
                  if item[0] == name or item[0].endswith(suffix)])


def _plain_values(node: etree._Element,
                  name: str) -> tuple[str, ...] | None:
    """An attribute's values, or None when one is in a namespace.

    NOTE(xmlhooks): for a value that bounds an item, read as libvirt's
    XPath and xmlGetProp would both read it, or not at all (see
    :func:`_keyed_values`).
    """
    keyed = _keyed_values(node, name)
    if any(key != name for key, _value in keyed):
        return None
    return tuple(value for _key, value in keyed)


def attribute(node: etree._Element, name: str) -> str | None:
    """The value libvirt reads for an attribute, or None.

    NOTE(xmlhooks): ``xmlGetProp`` gives the first of
    :func:`_attribute_values`; this stops there, for checks that run on
    every boot.
    """
    suffix = '}' + name
    for key, value in node.items():
        if key == name or key.endswith(suffix):
            return value
    return None


def _unlabelled(node: etree._Element) -> bytes:
    """A child's tree without the security labels at any depth."""
    node = copy.deepcopy(node)
    for label in list(node.iter('seclabel')):
        label.getparent().remove(label)
    return _tree(node)


def _format(node: etree._Element) -> tuple[str, ...]:
    """The format values of an element's ``<driver>``.

    NOTE(xmlhooks): the format says how guest-controlled bytes are read:
    read as qcow2 (or probed, when no format is written), a header the
    guest wrote names backing files that libvirt opens and QEMU shows to
    the guest (OSSA-2024-001). Changing or removing it is like naming a
    host path; a disk without a source (an empty CD-ROM) reads nothing.
    """
    driver = next(node.iterchildren('driver'), None)
    return () if driver is None else _attribute_values(driver, 'type')


def _content(node: etree._Element, watch: Watch) -> Content:
    """An element's attributes and children, as a watch sees them.

    NOTE(xmlhooks): namespaced attributes and children are kept: libvirt
    reads attributes whatever their namespace. Comments and processing
    instructions directly under the element are left out: libvirt never
    reads them.
    """
    attributes = node.items()
    if watch.skip_attrs:
        attributes = [item for item in attributes
                      if item[0] not in watch.skip_attrs]
    # NOTE(xmlhooks): labels are rare; one search in C tells whether the
    # children must be copied to leave them out.
    tree = _tree if next(node.iter('seclabel'), None) is None else _unlabelled
    if watch.skip_child_attrs:
        tree = functools.partial(_tree_without, tree, watch.skip_child_attrs)
    if watch.only is None:
        left_out = watch._left_out
        children = [tree(child) for child in node
                    if child.tag not in left_out and
                    isinstance(child.tag, str)]
    else:
        children = [tree(child) for child in node if child.tag in watch.only]
    if watch.formats:
        return tuple(sorted(attributes)), tuple(children), _format(node)
    return tuple(sorted(attributes)), tuple(children)


def _tree_without(tree: Callable[[etree._Element], bytes],
                  skipped: Iterable[tuple[str, frozenset[str]]],
                  child: etree._Element) -> bytes:
    """A child's tree without the attributes a watch leaves out of it.

    :param tree: how to make a tree of the child
    :param skipped: ``(child tag, attribute names)`` pairs
    :param child: the child
    """
    for tag, names in skipped:
        if child.tag == tag and not names.isdisjoint(child.attrib):
            child = copy.deepcopy(child)
            for name in names:
                child.attrib.pop(name, None)
    return tree(child)


def _path(node: etree._Element) -> str:
    """The last three element names down to a node, without positions.

    NOTE(xmlhooks): a node's place, to look up what it can hold. Without
    positions, removing one device does not make the devices after it
    look changed; three names are enough to tell libvirt's places apart
    and cheaper than the full path. They do not tell a place libvirt
    reads from a copy of it that a rule writes deeper, where libvirt
    reads nothing (``<memballoon><devices><disk><iotune>``): items are
    keyed by :func:`_key`.
    """
    parent = node.getparent()
    if parent is None:
        return node.tag
    grandparent = parent.getparent()
    if grandparent is None:
        return '%s/%s' % (parent.tag, node.tag)
    return '%s/%s/%s' % (grandparent.tag, parent.tag, node.tag)


def _key(node: etree._Element) -> str:
    """The element names from ``<domain>`` down to a node: an item's key.

    NOTE(xmlhooks): items are compared as multisets of keys and values;
    keyed by :func:`_path`, a rule could remove a limit Nova wrote and
    write the same element where libvirt never reads it, with the same
    last three names, and the multisets would not differ.
    """
    # NOTE(xmlhooks): getparent() costs about half of iterancestors()
    # for the few levels of a domain document.
    names = [node.tag]
    parent = node.getparent()
    while parent is not None:
        names.append(parent.tag)
        parent = parent.getparent()
    names.reverse()
    return '/'.join(names)


def _device_key(node: etree._Element) -> str:
    """:func:`_key`, naming the device that holds the node.

    NOTE(xmlhooks): a disk is named by its target, which libvirt requires
    to be unique, and an interface by its MAC address, which Nova gives
    each port, so that removing another device changes nothing. A limit
    moved from one device to another is then removed from the first.
    """
    return '%s/%s' % (_device_name(node.getparent()), node.tag)


def _device_name(device: etree._Element) -> str:
    """:func:`_key` of a device, with its name (see :func:`_device_key`)."""
    child, name = _DEVICE_NAMES.get(device.tag, _NO_NAME)
    named = next(device.iterchildren(child), None) if child else None
    value = None if named is None else attribute(named, name)
    return '%s[%s]' % (_key(device), value)


def _declares_qemu(node: etree._Element) -> bool:
    """Whether the QEMU namespace is declared for an element or below it.

    NOTE(xmlhooks): only namespace declarations reach Python here; lxml
    walks the elements in C, which is cheaper than serialising the
    document to look for the URI. A walk reports the declarations made
    inside the subtree; those made above it are the element's ``nsmap``.
    """
    if xpath_edit.QEMU_NS in node.nsmap.values():
        return True
    for _event, (_prefix, uri) in etree.iterwalk(node,
                                                 events=('start-ns',)):
        if uri == xpath_edit.QEMU_NS:
            return True
    return False


def _qemu_items(shallow: Iterable[etree._Element],
                deep: Iterable[etree._Element]) -> list[Item]:
    """The QEMU items of some elements, and of some subtrees.

    :param shallow: elements read without their children
    :param deep: roots of subtrees read whole
    """
    items: list[Item] = []
    found = [match for xpath, nodes in ((_QEMU_NODE, shallow),
                                        (_QEMU_NODES, deep))
             for node in nodes for match in xpath(node,
                                                  ns=xpath_edit.QEMU_NS)]
    for node in found:
        if isinstance(node, str):
            # NOTE(xmlhooks): an attribute that XPath finds is lxml's
            # "smart string", a str that also knows its element and its
            # name; lxml publishes no types to say so.
            items.append(('%s/@%s' % (
                _key(node.getparent()),  # type: ignore[attr-defined]
                node.attrname),  # type: ignore[attr-defined]
                str(node)))
        else:
            items.append((_key(node), _tree(node)))
    return items


# Collectors: each takes (node, items) for the elements of one name and
# adds the node's items, if any. NOTE(xmlhooks): a node's path is worked
# out only when it is needed, which is rare for attributes.

def _watched(node: etree._Element, items: Items) -> None:
    for watch in WATCHED.get(_path(node), ()):
        watch.add(node, items)


def _attributes(table: Iterable[tuple[Collection[str], str]],
                node: etree._Element, items: Items) -> None:
    for key, value in node.items():
        # NOTE(xmlhooks): any namespace, as libvirt reads it.
        name = key.rpartition('}')[2] if key[0] == '{' else key
        for names, category in table:
            if name in names:
                items[category].append(('%s/@%s' % (_key(node), name),
                                        value))


def _label(node: etree._Element, items: Items) -> None:
    items[SECURITY_LABELS].append((_key(node), _tree(node)))


def _path_text(node: etree._Element, items: Items) -> None:
    path = _path(node)
    if path in _PATH_TEXTS or path.endswith('source/path'):
        # NOTE(xmlhooks): libvirt reads an empty text as none written
        # (virXPathString returns NULL for it): emptying a path removes
        # it, unless libvirt then opens a default of its own, by the
        # model it reads: the first in any namespace (see attribute()),
        # however many are written.
        text = _text(node) or _DEFAULT_PATHS.get(
            (path, attribute(node, 'model')))
        if text:
            items[HOST_PATHS].append((_key(node), text))


def _network_source(node: etree._Element, items: Items) -> None:
    """A source QEMU connects to over the network (or a UNIX socket)."""
    if (next(node.iterchildren('host'), None) is not None or
            _attribute_values(node, 'protocol')):
        _NETWORK_SOURCE.add(node, items)


def _lifecycle(node: etree._Element, items: Items) -> None:
    """A lifecycle action that writes guest memory to the host, or keeps it.

    NOTE(xmlhooks): libvirt's parser drops whitespace-only text between
    elements (``xmlKeepBlanksDefault(0)``), by its own rule: in
    ``<on_crash><y/> <z/>coredump-restart</on_crash>`` libvirt reads
    ``coredump-restart``, which ``_text`` gives with a space. An action
    with whitespace anywhere is either read without it or refused by
    libvirt, so it is read here without any.
    """
    if _path(node) in _LIFECYCLE:
        action = ''.join(_text(node).split())
        if action in HOST_ACTIONS:
            items[HOST_RESOURCES].append((_key(node), action))


def _host_values(category: str, name: str, allowed_path: str,
                 sensitive: Callable[[str], bool], node: etree._Element,
                 items: Items) -> None:
    """An attribute's values that reach the host, at one place.

    :param sensitive: ``sensitive(value)``: whether a value is an item
    """
    if _path(node) == allowed_path:
        for value in _attribute_values(node, name):
            if sensitive(value):
                items[category].append(('%s/@%s' % (_key(node), name),
                                        value))


def _video(node: etree._Element, items: Items) -> None:
    if _path(node) != _VIDEO_PATH:
        return
    model = next(node.iterchildren('model'), None)
    # NOTE(xmlhooks): libvirt reads the model's type and sizes with XPath
    # (see _keyed_values): in another namespace, they are not read.
    if model is not None and _keyed_values(model, 'type') == (
            ('type', 'none'),):
        return
    items[HOST_RESOURCES].append((_key(node), tuple(
        () if model is None else _keyed_values(model, name)
        for name in _VIDEO_MEMORY)))


def _domain_type(node: etree._Element, items: Items) -> None:
    if node.getparent() is None:
        types = _attribute_values(node, 'type')
        items[HOST_RESOURCES].append((_DOMAIN_TYPE, types))
        # NOTE(xmlhooks): as the type, the host memory QEMU gives TCG's
        # translation cache, even unwritten (see _tb_cache_raised); libvirt
        # refuses TCG's features on another type, whose change is an item
        # of its own.
        if 'qemu' not in types:
            return
        items[_TB_CACHE_SIZES].append(_tb_cache_size(node))


def _tb_cache_size(root: etree._Element) -> int | None:
    """The translation cache's size, in bytes, or None for unbounded.

    NOTE(xmlhooks): libvirt reads every ``<tcg>`` of every
    ``<features>`` (virDomainFeaturesDefParse), the first ``<tb-cache>``
    of each, and keeps the last that is not zero.
    """
    size = TB_CACHE_DEFAULT
    for tcg in root.iterfind('features/tcg'):
        cache = tcg.find('tb-cache')
        if cache is None:
            continue
        # NOTE(xmlhooks): libvirt reads the unit with XPath (see
        # _keyed_values).
        written = _scaled_bytes(_text(cache), _plain_values(cache, 'unit'))
        if written is None:
            return None
        size = written or size
    return size


def _loader(node: etree._Element, items: Items) -> None:
    """How QEMU maps the firmware file, as an item even when unwritten.

    NOTE(xmlhooks): like a disk's format (see :func:`_format`), the item
    is there whether or not the attributes are written, so that removing
    one is a change. The element is an item of its own, so that a rule
    adding a ``<loader>`` (to set ``secure``, say) is told it adds one,
    not that it changes an attribute it never wrote.
    """
    if _path(node) == _LOADER_PATH:
        key = _key(node)
        # NOTE(xmlhooks): a str, as the item of its text is.
        items[HOST_PATHS].append((key, ''))
        for name in _LOADER_ATTRS:
            items[HOST_PATHS].append(('%s/@%s' % (key, name),
                                      _attribute_values(node, name)))


def _os_choices(node: etree._Element, items: Items) -> None:
    """What libvirt chooses host files and programs by, even unwritten.

    NOTE(xmlhooks): collected on ``<os>``, so that removing the
    ``<firmware>``, the ``<loader>`` or the ``<nvram>`` that holds a
    choice changes an item, as writing one does. libvirt reads the
    ``<feature>`` elements of every ``<firmware>`` of ``<os>``
    (``./firmware/feature``), each compared here as a whole, and the
    attributes of the first ``<loader>``, ``<nvram>`` and ``<type>``:
    those of every one are compared, so that a second one written before
    Nova's is a change too.
    """
    if _path(node) != _OS_PATH:
        return
    firmware = []
    values: dict[str, list[tuple[str, str]]] = {
        key: [] for key in _OS_CHOICE_KEYS}
    # NOTE(xmlhooks): one pass over the few children of <os>, on every
    # boot whose rules touch it (the SMBIOS mode is there).
    for child in node:
        if child.tag == 'firmware':
            firmware.append(_tree(child))
        for name, key in _OS_CHOICES.get(child.tag, ()):
            values[key].extend(_keyed_values(child, name))
    paths = items[HOST_PATHS]
    # NOTE(xmlhooks): told apart by namespace: libvirt reads the firmware
    # and the architecture with XPath (see _keyed_values).
    paths.append((_FIRMWARE_ATTR_KEY, _keyed_values(node, 'firmware')))
    paths.append((_FIRMWARE_FEATURES_KEY, tuple(firmware)))
    paths.extend((key, tuple(found)) for key, found in values.items())


def _channel_target(node: etree._Element, items: Items) -> None:
    """A UNIX channel's name that leads out of libvirt's directory."""
    if _path(node) != _CHANNEL_TARGET_PATH or 'unix' not in (
            _attribute_values(node.getparent(), 'type')):
        return
    for value in _attribute_values(node, 'name'):
        if '/' in value or value in _DIRECTORY_NAMES:
            items[HOST_PATHS].append((_key(node) + '/@name', value))


def _rng_rate(node: etree._Element, items: Items) -> None:
    """An RNG's rate limit, with the source it limits.

    NOTE(xmlhooks): the limit is on what the guest reads from a source;
    with the source in the item's value (never shown), a limit moved to
    another RNG, or left on an RNG whose source changed, is removed from
    the source Nova limited.
    """
    if _path(node) != _RNG_RATE_PATH:
        return
    items[RESOURCES].append((_key(node), (_rng_source(node.getparent()),
                                          _tree(node))))


def _rng_source(rng: etree._Element) -> RngSource | None:
    """What an RNG reads: its backend's attributes, text and children."""
    backend = next(rng.iterchildren('backend'), None)
    return None if backend is None else (
        tuple(sorted(backend.items())), _text(backend),
        tuple(_tree(child) for child in backend.iterchildren(
            tag=etree.Element)))


def _may_hold(node: etree._Element, items: Items) -> None:
    """Keep a device that may hold a limit (see _holders).

    NOTE(xmlhooks): only the element is kept: what it is named by is
    worked out only when a limit was removed, which is rare.
    """
    items[_HOLDERS].append(node)


def _rng_limit(node: etree._Element, items: Items) -> None:
    """Keep the limit of an RNG libvirt reads, None when it has none.

    NOTE(xmlhooks): libvirt reads the first ``<rate>`` of an RNG and hands
    QEMU its ``bytes`` and ``period`` as the device's ``max-bytes`` and
    ``period``; an RNG without one, or whose rate is not Nova's, is not
    held to the flavor's ``hw_rng:rate_bytes`` (see
    :func:`_rng_limits_raised`).
    """
    if _path(node) == _RNG_PATH:
        rate = next(node.iterchildren('rate'), None)
        items[_RNG_LIMITS].append(None if rate is None else _tree(rate))


def _holders(nodes: Iterable[etree._Element]) -> set[Holder]:
    """What holds limits: a device by its name, an RNG by what it reads.

    :param nodes: the elements :func:`_may_hold` kept
    :returns: a set of the names :func:`_holder` gives
    """
    found: set[Holder] = set()
    for node in nodes:
        path = _path(node)
        if path in _NAMED_DEVICE_PATHS:
            found.add(_device_name(node))
        elif path == _RNG_PATH:
            found.add((_key(node), _rng_source(node)))
    return found


def _holder(item: Item) -> str | tuple[str, object]:
    """What holds a limit, as :func:`_holders` names it.

    For an item that is no limit, it gives something no holder is.
    """
    key, value = item
    parent = key.rpartition('/')[0]
    if key.endswith(_RNG_RATE_PATH):
        return parent, value[0]
    return parent


#: what takes host resources only when it is switched on, at one place
#: each: ``(path, switch, on, what)``; the item is the ``what`` attribute
#: of an element whose ``switch`` attribute is ``on``
_SWITCHED_ON = ((_PERF_EVENT_PATH, 'enabled', 'yes', 'name'),
                (_DIRTY_RING_PATH, 'state', 'on', 'size'))


def _switched_on(path: str, switch: str, on: str, what: str,
                 node: etree._Element, items: Items) -> None:
    """An element that takes host resources when it is switched on.

    A perf event libvirt opens on the host's PMU, KVM's dirty ring.
    """
    if _path(node) == path and on in _attribute_values(node, switch):
        items[HOST_RESOURCES].append((_key(node),
                                      _attribute_values(node, what)))


#: real-time policies: a SCHED_FIFO or SCHED_RR thread pre-empts every
#: other guest's threads and the host's own tasks on the host CPUs it
#: runs on, for up to 95 % of their time under the kernel's default
#: throttling; Nova writes one only for ``hw:cpu_realtime``, on the
#: guest's own dedicated CPUs
REALTIME_SCHEDULERS = frozenset(['fifo', 'rr'])
#: an interface on a device Nova's PCI tracker (and placement) hands out:
#: an SR-IOV virtual function, a vDPA device
_TRACKED_INTERFACE = Watch((RESOURCES,), skip=_INTERFACE_TUNING, new=True)
#: what an element is when one of its attributes says it reaches the
#: host: ``(path, attribute, values, watch)``; ``watch`` reads the element
#: when its ``attribute`` has one of ``values``
_WATCHED_WHEN = tuple(
    (path, attribute, frozenset(values), watch)
    for path, attribute, values, watch in (
        # the guest's threads scheduled in real time
        # (virProcessSetScheduler when the guest starts), with their
        # priority
        ('domain/cputune/vcpusched', 'scheduler', REALTIME_SCHEDULERS,
         _HOST_RESOURCE),
        ('domain/cputune/iothreadsched', 'scheduler', REALTIME_SCHEDULERS,
         _HOST_RESOURCE),
        ('domain/cputune/emulatorsched', 'scheduler', REALTIME_SCHEDULERS,
         _HOST_RESOURCE),
        ('domain/devices/interface', 'type', ('hostdev', 'vdpa'),
         _TRACKED_INTERFACE),
        # the host's keyboards and mice (QEMU's input-linux and
        # virtio-input-host read the host's evdev device, and grab it)
        ('domain/devices/input', 'type', ('evdev', 'passthrough'),
         _PASSTHROUGH),
        # a host terminal or port (QEMU's -chardev serial or parallel on
        # the host's device: ppdev gives raw access to a parallel port)
        ('domain/devices/serial', 'type', ('dev',), _PASSTHROUGH),
        ('domain/devices/parallel', 'type', ('dev',), _PASSTHROUGH),
        ('domain/devices/console', 'type', ('dev',), _PASSTHROUGH),
        ('domain/devices/channel', 'type', ('dev',), _PASSTHROUGH),
        # Intel SGX: the host's enclave page cache, small and outside
        # placement, through /dev/sgx_vepc and /dev/sgx_provision, which
        # libvirt opens to QEMU
        ('domain/devices/memory', 'model', ('sgx-epc',),
         Watch((HOST_RESOURCES, DEVICES_PASSTHROUGH), whole=True)),
        # swtpm keeps the TPM's state, which the guest writes, in host
        # files under /var/lib/libvirt/swtpm (kept after the guest is
        # undefined with persistent_state, or where a newer libvirt's
        # <source> says); the TPM's version and PCR banks are the guest's
        ('devices/tpm/backend', 'type', ('emulator',), Watch(
            (HOST_RESOURCES,), only=frozenset(['source']),
            skip_attrs=frozenset(['version']))),
    ))


def _watched_when(path: str, attribute: str, values: frozenset[str],
                  watch: Watch, node: etree._Element, items: Items) -> None:
    """An element that reaches the host when an attribute says so.

    NOTE(xmlhooks): the attribute first: most elements of the name (every
    serial port on a pseudo-terminal) are not the one, and working out
    the path costs more.
    """
    if values.isdisjoint(node.values()):
        return
    if values.intersection(_attribute_values(node, attribute)) and (
            _path(node) == path):
        watch.add(node, items)


#: where libvirt reads how guest memory is mapped, by the attribute it
#: reads there: the whole memory, a NUMA cell's, a memory device's
_MEMORY_ACCESS = {'domain/memoryBacking/access': 'mode',
                  'cpu/numa/cell': 'memAccess',
                  'domain/devices/memory': 'access'}


def _memory_file(node: etree._Element, items: Items) -> None:
    """Guest memory mapped shared from a host file.

    NOTE(xmlhooks): libvirt gives guest memory of any access mode written,
    or with a file source, QEMU's memory-backend-file in qemu.conf's
    memory_backing_dir (qemuBuildMemoryBackendProps,
    qemuGetMemoryBackingPath), unless the memory's source is memfd;
    mapped shared, the guest's writes go back to that host file.
    A file source is ``host_resources`` itself, whatever the access.
    """
    # NOTE(xmlhooks): a value first, as in _watched_when: the domain's
    # <memory> has none.
    if 'shared' not in node.values():
        return
    name = _MEMORY_ACCESS.get(_path(node))
    if (name is None or 'shared' not in _attribute_values(node, name) or
            _memfd(node)):
        return
    items[HOST_RESOURCES].append(('%s/@%s' % (_key(node), name), 'shared'))


#: parts of ``<domain>`` that decide items held elsewhere, as
#: ``(tag, child tag)``, None for any child: the memory source decides what
#: shared access in a NUMA cell or a memory device maps; the translation
#: cache is read with the domain's type, and the host CPUs of the guest's
#: threads from its vCPUs' set, I/O threads and pins together.
#: NOTE(xmlhooks): a change in one is judged on the whole documents, as
#: the items it decides lie outside the region.
_READ_FROM_ELSEWHERE = (('memoryBacking', None), ('features', 'tcg'),
                        ('vcpu', None), ('cputune', None),
                        ('iothreads', None), ('iothreadids', None))


def _reads_elsewhere(region: checks.Region) -> bool:
    """Whether a region holds a part that decides items outside it."""
    children = region.children
    return any(tag in children and (
        child is None or (inner := children[tag]) is None or child in inner)
        for tag, child in _READ_FROM_ELSEWHERE)


def _memfd(node: etree._Element) -> bool:
    """Whether the document's memory source is memfd, as libvirt reads it.

    NOTE(xmlhooks): libvirt reads the first ``memoryBacking/source``'s
    ``type`` with XPath, in no namespace (see :func:`_keyed_values`): a
    source is taken as memfd only when that one alone says so.
    """
    source = node.getroottree().getroot().find('memoryBacking/source')
    return source is not None and _keyed_values(source, 'type') == (
        ('type', 'memfd'),)


#: the pins of the guest's threads, under ``<cputune>``
_PINS = frozenset(['vcpupin', 'emulatorpin', 'iothreadpin'])
#: beyond this CPU number a set is taken as any CPU, rather than listed
MAX_HOST_CPU = 8192
#: a part of a cpuset: a CPU or a range, perhaps taken out; ASCII digits
#: only, as libvirt reads them
_CPU_RANGE = re.compile(r'(?P<not>\^?)(?P<first>[0-9]{1,6})'
                        r'(?:-(?P<last>[0-9]{1,6}))?')


def _cpuset(values: Sequence[str]) -> frozenset[int] | None:
    """A cpuset as libvirt's ``virBitmapParse`` reads it, or None for any.

    NOTE(xmlhooks): ``0-7,^3``: numbers and ranges, each ``^`` taking
    one out of those before it, from left to right (``^3,3`` is CPU 3).
    Anything else (libvirt refuses it), more than one value (as in
    another namespace), or CPUs beyond :data:`MAX_HOST_CPU`, is taken as
    any CPU, which is the most a set can give.

    :param values: the attribute's values, as :func:`_attribute_values`
        gives them
    """
    if len(values) != 1:
        return None
    cpus: set[int] = set()
    for part in values[0].replace(' ', '').split(','):
        match = _CPU_RANGE.fullmatch(part)
        if match is None:
            return None
        first = int(match['first'])
        last = int(match['last'] or first)
        if last > MAX_HOST_CPU or first > last:
            return None
        if match['not']:
            cpus.difference_update(range(first, last + 1))
        else:
            cpus.update(range(first, last + 1))
    return frozenset(cpus)


def _host_cpus(root: etree._Element, items: Items) -> None:
    """The host CPUs the guest's threads may run on, or None for any.

    NOTE(xmlhooks): libvirt runs a vCPU, the emulator or an I/O thread on
    its pin under ``<cputune>``, or else on ``<vcpu cpuset>``, or else on
    any CPU (or where numad says, with ``placement='auto'``). Nova writes
    the cpuset from ``[compute] cpu_shared_set`` and pins from the
    flavor's dedicated CPUs; the other host CPUs are the host's own (its
    services, OVS-DPDK's poll mode threads), outside placement. The union
    of every pin and of that fallback is taken.
    """
    if root.getparent() is not None:
        return
    # NOTE(xmlhooks): libvirt reads the pins of every <cputune>.
    pins = [node for node in root.iterfind('cputune/*')
            if node.tag in _PINS]
    cpus = (frozenset() if pins and _all_pinned(root, pins) else
            _fallback_cpus(root))
    if cpus is not None:
        for pin in pins:
            more = _cpuset(_attribute_values(pin, 'cpuset'))
            if more is None:
                cpus = None
                break
            cpus = cpus | more
    items[_HOST_CPUS].append(cpus)


def _fallback_cpus(root: etree._Element) -> frozenset[int] | None:
    """Where libvirt runs a thread that has no pin, or None for any."""
    vcpu = root.find('vcpu')
    if vcpu is None or not vcpu.attrib or 'auto' in _attribute_values(
            vcpu, 'placement'):
        return None
    return _cpuset(_attribute_values(vcpu, 'cpuset'))


def _all_pinned(root: etree._Element,
                pins: Iterable[etree._Element]) -> bool:
    """Whether every vCPU, the emulator and every I/O thread has a pin.

    NOTE(xmlhooks): as Nova pins a guest of dedicated CPUs; the vCPUs
    are numbered from 0, the I/O threads by ``<iothreadids>`` or from 1.
    """
    pinned: collections.defaultdict[str, set[str]] = (
        collections.defaultdict(set))
    for pin in pins:
        pinned[pin.tag].update(_attribute_values(pin, 'vcpu') +
                               _attribute_values(pin, 'iothread'))
    vcpus = _count(root.find('vcpu'))
    return (vcpus is not None and 'emulatorpin' in pinned and
            {str(n) for n in range(vcpus)} <= pinned['vcpupin'] and
            _iothreads(root) <= pinned['iothreadpin'])


def _iothreads(root: etree._Element) -> set[str | None]:
    """The I/O threads' numbers, as their pins name them.

    NOTE(xmlhooks): as libvirt's ``virDomainIOThreadIDDefArrayInit``,
    there are as many as ``<iothreads>`` says or ``<iothreadids>`` lists,
    whichever is more; those not listed take the lowest free numbers.
    """
    numbers: set[str | None] = {
        value for node in root.iterfind('iothreadids/iothread')
        for value in _attribute_values(node, 'id')}
    written = root.find('iothreads')
    count, number = 0 if written is None else _count(written), 1
    if count is None or count > MAX_HOST_CPU:
        # NOTE(xmlhooks): a count not read, or more threads than a set of
        # pins could list, are not all pinned; a number no pin names says
        # so without counting.
        return numbers | {None}
    while len(numbers) < count:
        numbers.add(str(number))
        number += 1
    return numbers


def _count(node: etree._Element | None) -> int | None:
    """An element's text as a count, as libvirt reads it, or None.

    NOTE(xmlhooks): libvirt reads counts with strtoul (virStrToLong_uip):
    leading spaces, a ``+`` and leading zeros are read too, so
    ``0000002`` is two. None for anything else, or a count too large to
    list.
    """
    text = '' if node is None else _text(node)
    match = re.fullmatch(r'\s*\+?0*([0-9]{1,7})\s*', text)
    return int(match[1]) if match else None


def _any_value(value: str) -> bool:
    """Whether a value is an item: any is."""
    return True


def _not_qemu_keymap(value: str) -> bool:
    """Whether a keymap is not one of QEMU's, and so names a host file."""
    return value not in QEMU_KEYMAPS


def _zone_file(value: str) -> bool:
    """Whether a time zone names a host file outside zoneinfo."""
    name = value.lstrip(':')
    return name.startswith('/') or '..' in name


def _fwcfg_entry(node: etree._Element, items: Items) -> None:
    """A fw_cfg entry whose name or text can add options of its own."""
    if _path(node) != _FWCFG_ENTRY_PATH:
        return
    names = _attribute_values(node, 'name')
    text = _text(node)
    if ',' in text or any(',' in name for name in names):
        items[HOST_PATHS].append((_key(node), (names, text)))


def _option_commas(names: Iterable[str], node: etree._Element,
                   items: Items) -> None:
    """Values that libvirt hands QEMU unescaped, when they hold a comma."""
    for name in names:
        for value in _attribute_values(node, name):
            if ',' in value:
                items[HOST_PATHS].append(('%s/@%s' % (_key(node), name),
                                          value))


#: attribute values that reach the host at one place each: ``(category,
#: path, attribute, sensitive)``, where ``sensitive(value)`` says whether a
#: value is an item
_HOST_VALUES = (
    (HOST_RESOURCES, 'domain/devices/watchdog', 'action',
     HOST_ACTIONS.__contains__),
    (HOST_RESOURCES, 'domain/devices/audio', 'type',
     HOST_AUDIO.__contains__),
    (DEVICES_PASSTHROUGH, 'domain/os/smbios', 'mode',
     HOST_SMBIOS.__contains__),
    (HOST_PATHS, _GRAPHICS_PATH, 'keymap', _not_qemu_keymap),
    (HOST_RESOURCES, _GRAPHICS_PATH, 'type', HOST_GRAPHICS.__contains__),
    (HOST_PATHS, _TIMEZONE_PATH, 'timezone', _zone_file),
    (RESOURCES, _INTERFACE_QUEUES, 'queues', _any_value),
    (HOST_RESOURCES, 'domain/memoryBacking/source', 'type',
     frozenset(['file']).__contains__),
    # NOTE(xmlhooks): libvirt hands it to QEMU as -machine
    # dump-guest-core, over qemu.conf's dump_guest_core: a crash then
    # writes the guest's whole memory to the host's disk, as
    # on_crash='coredump-destroy' does.
    (HOST_RESOURCES, 'domain/memory', 'dumpCore',
     frozenset(['on']).__contains__),
) + tuple((HOST_RESOURCES, path, name, values.__contains__)
          for path, name, values in HOST_BACKENDS)


def _attribute_collectors() -> dict[str, Collector]:
    """One collector per element name of the attributes read by name."""
    attributes: collections.defaultdict[
        str, list[tuple[Collection[str], str]]] = collections.defaultdict(list)
    attributes['source'].append((_SOURCE_PATH_ATTRS, HOST_PATHS))
    for tag, names in _PATH_ATTRS.items():
        attributes[tag].append((names, HOST_PATHS))
    for tag, names in _EXPOSED_ATTRS.items():
        attributes[tag].append((names, NETWORK_EXPOSURE))
    return {tag: functools.partial(_attributes, tuple(found))
            for tag, found in attributes.items()}


def _placed_collectors() -> list[tuple[str, Collector]]:
    """``(tag, collector)`` for the collectors that check their place."""
    by_place: tuple[tuple[Collection[str], Collector], ...] = (
        (_LIFECYCLE, _lifecycle), (_MEMORY_ACCESS, _memory_file))
    return [(path.rsplit('/', 1)[-1], collect)
            for paths, collect in by_place for path in paths] + [
        (when[0].rsplit('/', 1)[-1], functools.partial(_watched_when, *when))
        for when in _WATCHED_WHEN]


def _build_collectors() -> dict[str, tuple[Collector, ...]]:
    """Map each element name to the collectors for that name."""
    table: collections.defaultdict[str, list[Collector]] = (
        collections.defaultdict(list))
    for path in WATCHED:
        table[path.rsplit('/', 1)[-1]].append(_watched)
    for tag, collect in _attribute_collectors().items():
        table[tag].append(collect)
    table['source'].append(_network_source)
    for path in _PATH_TEXTS | {'source/path'}:
        table[path.rsplit('/', 1)[-1]].append(_path_text)
    for tag, collect in _placed_collectors():
        table[tag].append(collect)
    table['seclabel'].append(_label)
    for category, path, name, sensitive in _HOST_VALUES:
        table[path.rsplit('/', 1)[-1]].append(functools.partial(
            _host_values, category, name, path, sensitive))
    table['video'].append(_video)
    table['domain'].extend((_domain_type, _host_cpus))
    table['loader'].append(_loader)
    table['os'].append(_os_choices)
    table['target'].append(_channel_target)
    table['entry'].append(_fwcfg_entry)
    for path, switch, on, what in _SWITCHED_ON:
        table[path.rsplit('/', 1)[-1]].append(functools.partial(
            _switched_on, path, switch, on, what))
    table['rate'].append(_rng_rate)
    for tag in ('disk', 'interface', 'rng'):
        table[tag].append(_may_hold)
    table['rng'].append(_rng_limit)
    for tag, names in _UNESCAPED_OPTIONS.items():
        table[tag].append(functools.partial(_option_commas, names))
    return {tag: tuple(dict.fromkeys(found)) for tag, found in table.items()}


_COLLECTORS = _build_collectors()
#: a subtree with more children than this is walked by lxml's matcher
_SMALL_SUBTREE = 64
#: every element name that can be, or hold, an item of a category other
#: than qemu_passthrough, so lxml can skip the others without Python code
_TAGS = tuple(sorted(_COLLECTORS))


def _collect(root: etree._Element, qemu: bool = True,
             region: checks.Region | None = None) -> Items:
    """The sensitive items of a document, or of a region of it.

    :param root: the ``<domain>`` element
    :param qemu: whether to collect ``qemu_passthrough`` items
    :param region: a :class:`~nova_xmlhooks.checks.Region`: only the
        items of the elements it covers; None for the whole document
    :returns: a dict of category to a list of ``(path, value)`` items, in
        document order (for a region, in the order of its parts)
    """
    items: Items = {name: [] for name in _LISTS}
    if region is None:
        # NOTE(xmlhooks): any element or attribute in the namespace needs
        # its URI declared, so a document that declares it nowhere has
        # none; that test is much cheaper than the XPath.
        if qemu and _declares_qemu(root):
            items[QEMU_PASSTHROUGH] = _qemu_items((), (root,))
        _collect_nodes(root.iter(*_TAGS), items)
        return items
    shallow, deep = region.nodes(root)
    if qemu:
        items[QEMU_PASSTHROUGH] = _qemu_items(shallow, deep)
    _collect_nodes([node for node in shallow if node.tag in _COLLECTORS],
                   items)
    for subtree in deep:
        _collect_nodes(_watched_nodes(subtree), items)
    return items


def _collect_nodes(nodes: Iterable[etree._Element], items: Items) -> None:
    """Add the items of elements whose tag has collectors."""
    for node in nodes:
        for collect in _COLLECTORS[node.tag]:
            collect(node, items)


def _watched_nodes(subtree: etree._Element) -> Iterable[etree._Element]:
    """The elements of a subtree that can hold an item.

    NOTE(xmlhooks): lxml sets up a matcher for the tags on every call,
    which costs more than looking each element of a small subtree up
    here: a region is many small subtrees (a disk, a graphics device).
    """
    if len(subtree) > _SMALL_SUBTREE:
        return subtree.iter(*_TAGS)
    return [node for node in subtree.iter() if node.tag in _COLLECTORS]


def _violation(category: str, nova_items: Items, items: Items) -> str | None:
    """Describe the first change in a category, or return ``None``.

    :returns: what changed, naming a node's path but never its value:
        values may be host paths, which users must not see
    """
    if items[category] == nova_items[category]:
        return None
    nova_counts = collections.Counter(nova_items[category])
    counts = collections.Counter(items[category])
    added = counts - nova_counts
    if added:
        path, value = min(added, key=_item_path)
        if path.startswith(_NEW):
            return 'attaches a new %s' % _shown(path[len(_NEW):])
        if value == () and _written(nova_counts, path):
            return 'removes %s' % _shown(path)
        return 'adds or changes %s' % _shown(path)
    if _MODES[category] == 'any':
        # NOTE(xmlhooks): removing a disk or an interface that Nova
        # attached reaches nothing new, so it is not refused.
        removed = [item for item in nova_counts - counts
                   if not item[0].startswith(_NEW) and
                   item[0] not in _NARROWED_BY_REMOVAL]
        if removed:
            gone = _gone_holders(nova_items, items)
            removed = [item for item in removed if _holder(item) not in gone]
        if removed:
            return 'removes %s' % _shown(min(removed, key=_item_path)[0])
    return None


def _written(nova_counts: Iterable[Item], path: str) -> bool:
    """Whether Nova's document gives a value for an item's path.

    NOTE(xmlhooks): items that exist even when unwritten (a format, the
    firmware choices) hold no value, ``()``, once a rule deletes what
    held one: the rule removes it, and is told so, rather than that it
    adds or changes something.
    """
    return any(value for item_path, value in nova_counts
               if item_path == path)


def _item_path(item: Item) -> str:
    """An item's path, by which the first change is named.

    NOTE(xmlhooks): values of one path may differ in kind (a path
    attribute's value, and the values :func:`_os_choices` reads of every
    element with that attribute), and need no order.
    """
    return item[0]


def _gone_holders(nova_items: Items, items: Items) -> set[Holder]:
    """What held limits in Nova's document and is gone from the result.

    NOTE(xmlhooks): a disk's or an interface's limits go with it, and an
    RNG's rate with the last RNG that reads its source: the host no
    longer serves them. A limit removed from a device that stays is a
    change. Worked out once, and only when something was removed.
    """
    return _holders(nova_items[_HOLDERS]) - _holders(items[_HOLDERS])


def _changes_in(category: str, nova_root: etree._Element) -> Changed:
    """Whether a document changes a category of Nova's, as a function.

    :param category: the category
    :param nova_root: Nova's whole document
    :returns: ``changed(root)``, for :func:`culprit`
    """
    return _changed_by(functools.partial(_violation, category), nova_root)


def _changed_by(compare: Compare, nova_root: etree._Element) -> Changed:
    """Whether a comparison finds a document changed from Nova's.

    :param compare: ``compare(nova_items, items)``, giving the change or
        None
    :param nova_root: Nova's whole document
    :returns: ``changed(root)``, for :func:`culprit`
    """
    nova_items = _collect(nova_root)
    return lambda root: compare(nova_items, _collect(root)) is not None


def _rng_limits_raised(nova_items: Items, items: Items) -> str | None:
    """Describe an RNG the guest gets beyond Nova's limits, or ``None``.

    NOTE(xmlhooks): a limit is a device's, and the rate item of each
    (see :func:`_rng_rate`) goes with its device. But when Nova limits
    the guest's RNG, an RNG added beside it, or Nova's own made to read
    another source without its rate, gives the guest more of the host's
    randomness (and of QEMU's and the host kernel's time) than the
    flavor's ``hw_rng:rate_bytes`` allows: every RNG of the result must
    then carry one of Nova's limits, one for one. When Nova limits none,
    the guest's RNG is unlimited already, and another is no change.

    :returns: what changed, or None
    """
    nova = collections.Counter(nova_items[_RNG_LIMITS])
    if not any(limit is not None for limit in nova):
        return None
    if collections.Counter(items[_RNG_LIMITS]) - nova:
        return ('gives the guest an RNG without the rate Nova limits its '
                'RNG to (%s)' % _RNG_RATE_KEY)
    return None


#: libvirt's unit prefixes (virScaleInteger), by their powers
_UNIT_POWERS = {'k': 1, 'm': 2, 'g': 3, 't': 4, 'p': 5, 'e': 6}


def _scaled_bytes(text: str, units: Sequence[str] | None,
                  default: int = 1024) -> int | None:
    """A size as libvirt's ``virScaleInteger`` reads it, in bytes.

    :param text: the number, in decimal digits
    :param units: the ``unit`` attribute's values: none for ``default``,
        ``b`` or ``bytes``, or a prefix alone or followed by ``iB`` (powers
        of 1024) or ``B`` (powers of 1000), in any case; or None when
        libvirt would read another unit
    :returns: the size, or None when libvirt would not read it so
    """
    text = text.strip()
    if (units is None or not re.fullmatch('[0-9]{1,20}', text) or
            len(units) > 1):
        return None
    unit = units[0].lower() if units else ''
    if not unit:
        return int(text) * default
    if unit in ('b', 'byte', 'bytes'):
        return int(text)
    power, rest = _UNIT_POWERS.get(unit[0]), unit[1:]
    if power is None or rest not in ('', 'ib', 'b'):
        return None
    return int(text) * (1000 if rest == 'b' else 1024) ** power


def _exceeds(name: str, nova_items: Items, items: Items) -> bool:
    """Whether the result's value of a list goes beyond Nova's.

    :param name: a list with one value per whole document (none for a
        region): a size or a set, ``<=`` Nova's when within it, or None
        for no bound
    """
    if not nova_items[name] or not items[name]:
        return False
    nova, result = nova_items[name][0], items[name][0]
    return nova is not None and (result is None or not result <= nova)


def _tb_cache_raised(nova_items: Items, items: Items) -> str | None:
    """Describe a translation cache larger than Nova's, or None."""
    if _exceeds(_TB_CACHE_SIZES, nova_items, items):
        return 'raises %s (1 GiB when none is written)' % _TB_CACHE_KEY
    return None


def _host_cpus_widened(nova_items: Items, items: Items) -> str | None:
    """Describe host CPUs the guest may run on beyond Nova's, or None."""
    if _exceeds(_HOST_CPUS, nova_items, items):
        return ('runs the guest on host CPUs beyond those Nova gave it '
                '(domain/vcpu/@cpuset, domain/cputune)')
    return None


#: comparisons a category makes besides its items' (see _violation), in
#: order, each ``compare(nova_items, items)`` giving the change or None
_ALSO_COMPARED = {RESOURCES: (_rng_limits_raised,),
                  HOST_RESOURCES: (_host_cpus_widened, _tb_cache_raised)}


def _found(category: str, nova_items: Items,
           items: Items) -> tuple[str, Compare] | None:
    """The first change in a category, and the comparison that found it.

    NOTE(xmlhooks): the items' own comparison comes first, so that the
    rule it names is the one it always named.

    :returns: ``(change, compare)``, where ``compare(nova_items, items)``
        finds the change again (for :func:`_changed_by`); or None
    """
    for compare in ((functools.partial(_violation, category),) +
                    _ALSO_COMPARED.get(category, ())):
        change = compare(nova_items, items)
        if change is not None:
            return change, compare
    return None


def _shown(path: str) -> str:
    return path.replace(_QEMU_PREFIX, 'qemu:')


#: the domain types of libvirt's QEMU driver, from whose handling of a
#: document the categories are reasoned (Nova writes ``[libvirt]
#: virt_type``: kvm or qemu, or lxc or parallels)
QEMU_TYPES = frozenset(['kvm', 'qemu'])


def _refuse_other_drivers(root: etree._Element,
                          ruleset: engine.RuleSet) -> None:
    """Refuse every rule on a domain that another libvirt driver runs.

    NOTE(xmlhooks): every category says what libvirt's QEMU driver and
    QEMU do with an element. libvirt's LXC driver reads the same document
    otherwise: it drops a container's capabilities as
    ``<features><capabilities>`` says, gives it a user namespace only
    from ``<idmap>``, and a network namespace of its own only when it has
    an interface (or ``<privnet/>``), so that a rule removing Nova's
    ``uid_maps`` or its interfaces runs the container as the host's root
    or on the host's network. What the guard does not know it cannot
    allow: a rule applies to such a domain only when every category is
    allowed, when there is no guard.

    :param root: a ``<domain>`` element whose type is Nova's
    :param ruleset: the rules that were applied
    :raises: nova_xmlhooks.exception.RuleError naming the first rule
    """
    kind = attribute(root, 'type')
    if kind not in QEMU_TYPES:
        raise exception.RuleError(ruleset[0].key, (
            "it applies to a domain of type '%s': the guard knows what "
            "libvirt's QEMU driver does with a domain (types %s), not "
            "what another driver does (an LXC container's user and "
            "network namespaces, its capabilities), so rules apply to "
            "one only when [xmlhooks] allow_sensitive allows every "
            "category" % (kind, ' and '.join(sorted(QEMU_TYPES)))))


class Guard:
    """A check that refuses changes in sensitive categories.

    It is a callable ``guard(nova_root, result_root, ruleset)``, for the
    engine's ``checks``. It holds no per-call state and is thread-safe.
    """

    def __init__(self, allowed: Collection[str] = (),
                 customizers: base.Customizers | None = None) -> None:
        """Build the guard.

        :param allowed: the categories the operator allows
        :param customizers: the engine's customisers, an ordered dict of
            family to customiser; used only to replay rules when a change
            must be attributed to one of them
        """
        self.refused = tuple(c for c in CATEGORIES if c not in allowed)
        self._qemu = QEMU_PASSTHROUGH in self.refused
        self.customizers = customizers or {}

    def __call__(self, nova_root: etree._Element, result_root: etree._Element,
                 ruleset: engine.RuleSet) -> None:
        """Refuse the document if it changes a refused category.

        :param nova_root: the ``<domain>`` that Nova generated
        :param result_root: the customised ``<domain>``
        :param ruleset: the rules that were applied
        :raises: nova_xmlhooks.exception.GuardError naming the first rule
            that makes the change and its category
        """
        _refuse_other_drivers(nova_root, ruleset)
        self._refuse_declarations(result_root, lambda: nova_root, ruleset)
        items = _collect(result_root, self._qemu)
        # NOTE(xmlhooks): only added QEMU items count, so Nova's need not
        # be looked for when the result has none.
        nova_items = _collect(nova_root, bool(items[QEMU_PASSTHROUGH]))
        self._judge(nova_items, items, lambda: nova_root, ruleset)

    def check_change(self, change: checks.Change,
                     ruleset: engine.RuleSet) -> None:
        """Refuse a change in a refused category, reading what changed.

        NOTE(xmlhooks): outside the change's region the two documents
        hold the same elements, which give both the same items, so
        comparing the items of the region finds exactly the changes that
        comparing the whole documents finds, and names them the same way.

        :param change: a :class:`~nova_xmlhooks.checks.Change`
        :param ruleset: the rules that were applied
        :raises: nova_xmlhooks.exception.GuardError as :meth:`__call__`
        """
        region = change.region
        if region is None or _reads_elsewhere(region):
            self(change.nova_root, change.result, ruleset)
            return
        # NOTE(xmlhooks): a change with a region leaves the attributes of
        # <domain> as Nova wrote them (see checks.Snapshot).
        _refuse_other_drivers(change.result, ruleset)
        self._refuse_declarations(change.result, lambda: change.nova_root,
                                  ruleset)
        # NOTE(xmlhooks): a document whose text does not name the QEMU
        # namespace has nothing in it; the text is at hand.
        items = _collect(change.result,
                         self._qemu and xpath_edit.QEMU_NS in change.text,
                         region)
        nova_items = _collect(change.before, bool(items[QEMU_PASSTHROUGH]),
                              region)
        self._judge(nova_items, items, lambda: change.nova_root, ruleset)

    def _refuse_declarations(self, root: etree._Element,
                             nova_root: Callable[[], etree._Element],
                             ruleset: engine.RuleSet) -> None:
        """Refuse a document that libvirt would read otherwise than the checks.

        :param root: the customised ``<domain>``
        :param nova_root: a callable returning Nova's document
        :param ruleset: the rules that were applied
        :raises: nova_xmlhooks.exception.RuleError naming the first rule
            that writes an attribute named ``xmlns``, ``<domain>`` in a
            namespace, an element in another namespace under
            ``<features>``, or an entity reference
        """
        found = _FAKE_DECLARATIONS(root)
        if found:
            key = culprit(self.customizers,
                          lambda r: bool(_FAKE_DECLARATIONS(r)),
                          nova_root(), ruleset)
            raise exception.RuleError(key, (
                'it writes an attribute named xmlns on %s, which libvirt '
                'reads as a namespace declaration'
                % _key(found[0].getparent())))
        for written, what, how in _READ_OTHERWISE:
            if written(root):
                key = culprit(self.customizers, written, nova_root(),
                              ruleset)
                raise exception.RuleError(key, (
                    'it writes %s, which libvirt reads %s' % (what, how)))

    def _judge(self, nova_items: Items, items: Items,
               nova_root: Callable[[], etree._Element],
               ruleset: engine.RuleSet) -> None:
        """Raise for the first refused category that changed.

        :param nova_root: a callable returning Nova's whole document, to
            replay the rules on when one must be named
        """
        for category in self.refused:
            found = _found(category, nova_items, items)
            if found is not None:
                change, compare = found
                key = culprit(self.customizers,
                              _changed_by(compare, nova_root()),
                              nova_root(), ruleset)
                raise exception.GuardError(key, category, change)


#: what Nova and libvirt find a guest by, by the child of ``<domain>``
#: that holds it. NOTE(xmlhooks): Nova looks a guest up by its UUID
#: (and libvirt by name or UUID); a guest defined under another one
#: runs outside Nova, which can then neither account for it nor stop it,
#: and under another guest's name or UUID replaces that guest's
#: definition. libvirt takes the SMBIOS system UUID as the domain's when
#: ``<uuid>`` is missing, and refuses a domain where they differ.
IDENTITY = {
    'name': "the domain's <name>, by which libvirt finds the guest",
    'uuid': "the domain's <uuid>, by which Nova finds the guest",
    'sysinfo': "the SMBIOS system UUID, which libvirt takes for the "
               "domain's"}


def _uuid(text: str) -> str:
    """A UUID as libvirt's ``virUUIDParse`` reads it.

    NOTE(xmlhooks): it skips dashes and spaces between the digits, and
    reads them in either case.
    """
    return ''.join(text.split()).replace('-', '').lower()


#: the elements that name the guest: ``<name>``, ``<uuid>``, and SMBIOS
#: system UUID entries (``name`` read by its local name, as libvirt does)
_IDENTITY_NODES = etree.XPath(
    "name | uuid | sysinfo/system/entry[@*[local-name()='name' and "
    ".='uuid']]")


def _identity(root: etree._Element,
              tags: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """What a document names the guest by, as libvirt reads it.

    NOTE(xmlhooks): an empty SMBIOS UUID entry is none (libvirt's
    ``virXPathString`` gives nothing for it). One XPath, walked in C,
    finds every element; this runs twice on every boot.

    :param root: a ``<domain>`` element
    :param tags: the children of ``<domain>`` to read, among
        :data:`IDENTITY`
    :returns: a dict of tag to a tuple of texts
    """
    found: dict[str, list[str]] = {tag: [] for tag in tags}
    for node in _IDENTITY_NODES(root):
        tag = 'sysinfo' if node.tag == 'entry' else node.tag
        if tag in found:
            found[tag].append(_text(node))
    return {tag: (tuple(texts) if tag == 'name' else
                  tuple(_uuid(text) for text in texts if text))
            for tag, texts in found.items()}


class IdentityCheck(check_base.RuleCheck):
    """A check that refuses any change to what Nova finds the guest by.

    It runs whatever ``[xmlhooks] allow_sensitive`` allows: no category
    makes a guest Nova cannot find safe.
    """

    def __call__(self, nova_root: etree._Element, result_root: etree._Element,
                 ruleset: engine.RuleSet) -> None:
        """Refuse a document that names the guest otherwise than Nova.

        :param nova_root: the ``<domain>`` that Nova generated
        :param result_root: the customised ``<domain>``
        :param ruleset: the rules that were applied
        :raises: nova_xmlhooks.exception.RuleError naming the first rule
            that makes the change
        """
        self._judge(nova_root, result_root, tuple(IDENTITY),
                    lambda: nova_root, ruleset)

    def check_region(self, change: checks.Change,
                     ruleset: engine.RuleSet) -> None:
        """Refuse the same, reading only the part the rules changed.

        :param change: a :class:`~nova_xmlhooks.checks.Change`
        :param ruleset: the rules that were applied
        """
        region = change.region
        if region is None:
            # NOTE(xmlhooks): as check_change does with such a change.
            self(change.nova_root, change.result, ruleset)
            return
        tags = [tag for tag in IDENTITY if tag in region.tags]
        if tags:
            self._judge(change.before, change.result, tags,
                        lambda: change.nova_root, ruleset)

    def _judge(self, before: etree._Element, result: etree._Element,
               tags: Sequence[str], nova_root: Callable[[], etree._Element],
               ruleset: engine.RuleSet) -> None:
        nova = _identity(before, tags)
        if _identity(result, tags) == nova:
            return
        for tag in tags:
            if _renames(tag, nova[tag], result):
                key = culprit(self.customizers, functools.partial(
                    _renames, tag, nova[tag]), nova_root(), ruleset)
                raise exception.RuleError(key, (
                    'it changes %s; no rule may change it' % IDENTITY[tag]))


def _renames(tag: str, nova_values: tuple[str, ...],
             root: etree._Element) -> bool:
    """Whether a document names the guest otherwise than Nova did.

    NOTE(xmlhooks): an SMBIOS system UUID may be removed (libvirt then
    takes the domain's) or be the domain's own; any other is a change.

    :param tag: a key of :data:`IDENTITY`
    :param nova_values: what Nova's document holds there
    :param root: the ``<domain>`` to judge
    """
    values = _identity(root, [tag])[tag]
    if tag != 'sysinfo':
        return values != nova_values
    allowed = set(nova_values).union(_identity(root, ['uuid'])['uuid'])
    return not allowed.issuperset(values)


def culprit(customizers: base.Customizers, changed: Changed,
            nova_root: etree._Element, ruleset: engine.RuleSet,
            settled: bool = False) -> str:
    """Find the first rule whose application makes a change.

    NOTE(xmlhooks): this runs only when a change was found, so the normal
    path pays nothing for naming the rule.

    :param customizers: an ordered dict of family to customiser
    :param changed: ``changed(root)``: whether a document has the change
    :param nova_root: Nova's document
    :param ruleset: the rules that were applied
    :param settled: name the first rule from which every document has
        the change, for a change a later rule can undo (libvirt refusing
        a topology set one attribute at a time); every rule is replayed
    :returns: the key of the rule, or the keys of all
    """
    root = copy.deepcopy(nova_root)
    context = metadata.domain_context(root)
    found = None
    for rule in ruleset:
        customizer = customizers.get(rule.family)
        if customizer is None:
            found = None
            break
        try:
            customizer.apply(root, [rule], context)
        except Exception:
            # NOTE(xmlhooks): a rule may depend on the others of its
            # family; the change is then the family's together.
            LOG.debug('Replaying rule %s alone failed', rule.key)
            found = None
            break
        if not changed(root):
            found = None
        elif not settled:
            return rule.key
        elif found is None:
            found = rule.key
    if found is not None:
        return found
    keys = [rule.key for rule in ruleset]
    return keys[0] if len(keys) == 1 else ', '.join(keys)


def from_conf(conf: cfg.ConfigOpts,
              customizers: base.Customizers | None = None) -> Guard | None:
    """Build the guard from ``[xmlhooks] allow_sensitive``.

    :param conf: the service's ``oslo_config.cfg.ConfigOpts``
    :param customizers: the engine's customisers, to name rules
    :returns: a :class:`Guard`, or ``None`` when every category is allowed
    """
    guard = Guard(conf.xmlhooks.allow_sensitive, customizers)
    return guard if guard.refused else None
