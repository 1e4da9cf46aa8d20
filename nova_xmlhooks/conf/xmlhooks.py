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

"""The ``[xmlhooks]`` options of the compute driver and the command."""

from __future__ import annotations

from oslo_config import cfg

# The sensitive categories of change, in the order the guard checks them
# (so that its errors are deterministic); see nova_xmlhooks.guard.
QEMU_PASSTHROUGH = 'qemu_passthrough'
SECURITY_LABELS = 'security_labels'
HOST_PATHS = 'host_paths'
DEVICES_PASSTHROUGH = 'devices_passthrough'
RESOURCES = 'resources'
NETWORK_EXPOSURE = 'network_exposure'
HOST_RESOURCES = 'host_resources'
SENSITIVE_CATEGORIES = (QEMU_PASSTHROUGH, SECURITY_LABELS, HOST_PATHS,
                        DEVICES_PASSTHROUGH, RESOURCES, NETWORK_EXPOSURE,
                        HOST_RESOURCES)

DEFAULT_SCHEMA_PATH = '/usr/share/libvirt/schemas/domain.rng'

GROUP_NAME = 'xmlhooks'
GROUP_TITLE = 'nova-xmlhooks options'
GROUP_HELP = """
Options of the nova-xmlhooks compute driver, which applies the ``xmlhooks:``
flavor extra specs and operator profiles to the libvirt domain XML every
time Nova generates it. Enable the driver with
``[DEFAULT] compute_driver = xmlhooks.LibvirtDriver``.
"""

xmlhooks_group = cfg.OptGroup(GROUP_NAME, title=GROUP_TITLE, help=GROUP_HELP)

ALL_OPTS = [
    cfg.ListOpt(
        'profile_dirs',
        default=['/etc/nova/xmlhooks.d'],
        help="""
Directories that hold profile files.

Every ``*.yaml`` and ``*.yml`` file in these directories, except hidden ones
(names starting with ``.``), is read when nova-compute starts, in directory
order and then file name order. A profile name may be defined only once
across all files. A file that cannot be read or parsed stops the service
from starting, with an error naming the file, the profile and the entry.

Possible values:

* A list of absolute directory paths. A directory that does not exist is
  skipped with a warning; an empty list disables profiles.

Related options:

* ``default_profiles``: profiles applied to every instance on this host.
"""),
    cfg.ListOpt(
        'default_profiles',
        default=[],
        help="""
Profiles applied to every instance built on this host.

They are applied before the profiles a flavor names in ``xmlhooks:profile``,
so a flavor can override what they set.

Possible values:

* A list of profile names defined in ``profile_dirs``.

Related options:

* ``profile_dirs``
"""),
    cfg.ListOpt(
        'customizers',
        default=['xml', 'hyperv', 'smbios', 'cpu', 'kvm', 'timer', 'qemu'],
        help="""
Customisers to load, in the order in which they are applied.

Each name is an entry point in the ``nova_xmlhooks.customizers`` namespace.
A customiser that is missing or fails to load stops the service from
starting. Spec keys of a family whose customiser is not listed here are
rejected.

Possible values:

* A list of customiser names from the ``nova_xmlhooks.customizers``
  namespace: the built-in ``xml``, ``hyperv``, ``smbios``, ``cpu``, ``kvm``,
  ``timer`` and ``qemu``, or a customiser from another package.
"""),
    cfg.StrOpt(
        'on_error',
        default='fail',
        choices=[
            ('fail', 'Abort the operation with an error that names the '
                     'key and the reason. A build is not rescheduled.'),
            ('skip', 'Log a warning naming the key and the reason, and use '
                     "Nova's XML unmodified; when only the profiles an "
                     "image selects are at fault, apply the rest without "
                     "them."),
        ],
        help="""
What to do when a customisation cannot be resolved or applied.

Customisations are all-or-nothing: on an error no rule is applied.

Related options:

* ``default_profiles``, ``profile_dirs``
"""),
    cfg.ListOpt(
        'allow_sensitive',
        default=[],
        item_type=cfg.types.String(choices=SENSITIVE_CATEGORIES),
        help="""
Sensitive categories of change that customisations may make.

Whoever controls the domain XML controls the host, so a rule that adds or
changes something in one of these categories is refused (an error under
``on_error``) unless its category is listed here:

* ``qemu_passthrough``: the QEMU namespace (``<qemu:commandline>`` and the
  like), which bypasses libvirt's security drivers.
* ``security_labels``: ``<seclabel>``.
* ``host_paths``: values naming a host file, device, socket or program (disk,
  backing store, filesystem, serial and console sources at any depth,
  kernel, initrd, loader, nvram, emulator, interface scripts, fw_cfg entry
  files, audio files, devices and servers, the virtiofsd binary, DRM render
  nodes, D-Bus display addresses, shared memory names, keymaps that are not
  QEMU's, UNIX channel names with a ``/``, time zone files), commas in
  values libvirt hands QEMU unescaped (fw_cfg entries, hosts, ports and
  listen addresses), disk formats, which decide whether a header the guest
  wrote names host files, whether QEMU may write the shared firmware
  file (the loader's ``readonly`` and ``type``), and what libvirt chooses
  host files and programs by (``<os firmware>``, its ``<firmware>``
  features, the loader's ``secure`` and ``stateless``, the NVRAM's
  ``template``, the architecture).
* ``devices_passthrough``: ``<hostdev>``, ``<tpm>``, ``<smartcard>``,
  ``<iommufd>``, the host's own SMBIOS tables (``<smbios mode='host'>``),
  and new disks, interfaces or filesystems: changing what one that Nova
  attached is (its source at any depth, backing chain, format, target,
  read-only flag, a disk's alias and serial, by which Nova knows a
  volume...) attaches a new one.
* ``resources``: ``<vcpu>``, ``<memory>``, ``<currentMemory>``,
  ``<cputune>``, ``<numatune>``, ``<memoryBacking>``, memory devices and
  ``<launchSecurity>``, which Nova's resource tracker and placement account
  for, QEMU's ``<defaultiothread>``, and the limits Nova writes (a disk's
  ``<iotune>`` and ``<throttlegroups>``, an interface's ``<bandwidth>``,
  an RNG's ``<rate>``, an interface's queues, TCG's translation cache).
* ``network_exposure``: what the host listens on or connects to for the
  guest: graphics listeners (VNC, SPICE, RDP, D-Bus) and their passwords,
  how character devices (serial, console, parallel, channel, redirdev,
  smartcard, rng) are connected (TCP, UDP, UNIX...), what interfaces are
  connected to, network disk and backing store servers, ``<vsock>``, audio
  servers.
* ``host_resources``: host resources outside placement: ``<shmem>`` (host
  memory shared between guests), crash and watchdog actions that dump the
  guest's memory on the host (``coredump-destroy``, ``coredump-restart``,
  ``dump``) or keep it there (``preserve``), lock manager leases, audio
  backends that use the host's sound devices or servers or write to a
  host file, the host's GPU (graphics ``<gl>``, an ``egl-headless``
  display, video 3D acceleration, a ``vhostuser`` video driver), an
  interface's MTU (which the host's bridge takes), enabled perf events,
  the host kernel's crypto backend (``lkcf``), ``<pstore>``, the domain's
  ``type``, host memory that QEMU allocates outside placement (video
  memory sizes and further video devices, a qcow2 metadata cache), and
  KVM's dirty ring, which the host kernel allocates for each vCPU.

Values are read the way libvirt reads them (an attribute whatever its
namespace, the whole text of an element), whether ``validate_schema`` is on
or not. A change can fall in several categories and then needs them all.
The categories say what libvirt's QEMU driver does with a domain (types
``kvm`` and ``qemu``); on a domain of another type (``[libvirt] virt_type
= lxc`` or ``parallels``) every rule is refused unless all of them are
listed.

Possible values:

* A list of the category names above; empty (the default) allows none.
  The hardening guide in the documentation says exactly what each
  category covers and what allowing it exposes.

Related options:

* ``on_error``
"""),
    cfg.BoolOpt(
        'validate_schema',
        default=None,
        help="""
Validate every customised XML against libvirt's RelaxNG schema.

The schema is compiled once when the service starts. A customised XML that
the schema refuses is an error under ``on_error`` naming the rules that
were applied. Schema validation checks structure only; it is not a
security filter (see ``allow_sensitive``).

Possible values:

* Unset (default): validate when ``schema_path`` exists.
* ``true``: validate; a missing schema stops the service from starting.
* ``false``: do not validate.

Related options:

* ``schema_path``
"""),
    cfg.BoolOpt(
        'preflight_asks_libvirt',
        default=False,
        help="""
Before a hard reboot, ask libvirt whether it accepts the customised XML.

The engine's checks know libvirt's grammar but not its rules: a CPU
topology that does not add up to the guest's vCPUs, or an I/O APIC that a
vIOMMU's interrupt remapping cannot use, is refused by libvirt only when
the domain is defined. A hard reboot (and so power on) defines it after
Nova has destroyed and undefined the guest. With this option, the
preflight that runs before the destroy also hands the customised XML to
libvirt (``virConnectDomainXMLToNative``, which checks a definition as
defining or starting it would, and defines nothing); when libvirt
refuses it but takes Nova's own XML, the reboot is refused under
``on_error = fail`` (the guest keeps running, and the instance fault
names the rule from which libvirt refuses it; libvirt's reason, which
may name host paths, goes to the compute log), or made with Nova's own
XML under ``skip``.

The guest's network interfaces are left out of what libvirt is asked:
libvirt opens a tap device on the host for each interface of a document
it is asked about, and so is a passthrough TPM, whose host device libvirt
opens. Only an error libvirt reports for the definition refuses it; a
lost connection or a driver without the call is logged and refuses
nothing. It costs one call to libvirtd per hard reboot, 1.5 to
6 ms on a test host: small beside the reboot's destroy and start, but as
much as Nova's own XML generation (about 4 ms there), which is why it is
off by default; ``nova-xmlhooks audit`` asks libvirt the same question
for every guest whose customisation changed, without it.

Related options:

* ``on_error``
"""),
    cfg.StrOpt(
        'schema_path',
        default=DEFAULT_SCHEMA_PATH,
        help="""
Path of libvirt's domain RelaxNG schema on the compute host.

Possible values:

* An absolute path; distributions install it with libvirt as
  ``/usr/share/libvirt/schemas/domain.rng``.

Related options:

* ``validate_schema``
"""),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register the ``[xmlhooks]`` options.

    :param conf: an ``oslo_config.cfg.ConfigOpts`` object
    """
    # NOTE(xmlhooks): oslo.config keeps set_override() values on the
    # OptGroup object, so a group shared between ConfigOpts instances
    # would carry one configuration's overrides into another (the
    # validate command and the tests build several).
    group = cfg.OptGroup(GROUP_NAME, title=GROUP_TITLE, help=GROUP_HELP)
    conf.register_group(group)
    conf.register_opts(ALL_OPTS, group=group)


def list_opts() -> dict[cfg.OptGroup, list[cfg.Opt]]:
    """List the ``[xmlhooks]`` options.

    :returns: a dict mapping the group to its options
    """
    return {xmlhooks_group: ALL_OPTS}
