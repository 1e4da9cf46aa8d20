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

"""Reaching the host's libvirt the way nova-compute does."""

from __future__ import annotations

from collections.abc import Sequence
import importlib
import os
import typing as ty
import urllib.parse

from nova_xmlhooks.cmd import common
from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import messages
from nova_xmlhooks import native

if ty.TYPE_CHECKING:
    import argparse
    import types

    # NOTE(xmlhooks): libvirt-python ships neither stubs nor a py.typed
    # marker, so type checkers read its classes as Any (setup.cfg sets
    # ignore_missing_imports); they are named here to say which object is
    # meant. At run time libvirt is imported by import_libvirt() only,
    # when a sub-command connects.
    from libvirt import libvirtError
    from libvirt import virConnect
    from libvirt import virDomain
    from lxml import etree
    from oslo_config import cfg

    from nova_xmlhooks.cmd import config

    #: what :func:`read_domain` reads of a domain: ``name``, ``uuid``,
    #: ``state`` and the ``persistent`` and ``live`` definitions, or None
    DomainInfo: ty.TypeAlias = dict[str, ty.Any]
    #: what :func:`_element_key` says of an element: its tag (a str, or a
    #: function of lxml's for a comment), attributes, text and children
    ElementKey: ty.TypeAlias = tuple[
        object, tuple[tuple[str, str], ...], str, tuple['ElementKey', ...]]

#: domain states as ``virsh list`` names them, by libvirt's numbers
#: (VIR_DOMAIN_NOSTATE is 0, VIR_DOMAIN_RUNNING 1 and so on)
STATE_NAMES = ('no state', 'running', 'blocked', 'paused', 'in shutdown',
               'shut off', 'crashed', 'pmsuspended')


class DomainGone(Exception):
    """The domain was undefined while we were reading it."""


def libvirt_uri(conf: cfg.ConfigOpts) -> str:
    """The libvirt URI nova-compute connects to.

    NOTE(xmlhooks): the same rule as nova's ``LibvirtDriver._uri()``;
    importing nova's driver just for it would cost seconds and pull in
    eventlet. A unit test compares the two.

    :param conf: a ``ConfigOpts`` with nova's ``[libvirt]`` options, such
        as :attr:`nova_xmlhooks.cmd.config.Configuration.nova`
    :returns: ``[libvirt] connection_uri``, or the default for
        ``[libvirt] virt_type``
    """
    virt_type = conf.libvirt.virt_type
    if virt_type == 'lxc':
        default = 'lxc:///'
    elif virt_type == 'parallels':
        default = 'parallels:///system'
    else:
        default = 'qemu:///system'
    return conf.libvirt.connection_uri or default


def import_libvirt() -> types.ModuleType:
    """Import libvirt-python.

    :returns: the ``libvirt`` module
    :raises: CommandError saying which extra to install
    """
    try:
        libvirt = importlib.import_module('libvirt')
    except ImportError:
        raise common.CommandError(
            'libvirt-python is not installed; install it with '
            '"pip install nova-xmlhooks[libvirt]" (it needs the libvirt '
            'development headers to build)')
    # NOTE(xmlhooks): libvirt-python prints every error on stderr by
    # default; the command reports each one itself, on one line.
    libvirt.registerErrorHandler(lambda _ctx, _error: None, None)
    return libvirt


def connect(uri: str) -> tuple[types.ModuleType, virConnect]:
    """Open a read-only connection to libvirt.

    :param uri: the libvirt URI
    :returns: ``(libvirt module, connection)``
    :raises: CommandError naming the URI
    """
    common.utf8_argument('the libvirt URI', uri)
    libvirt = import_libvirt()
    try:
        return libvirt, libvirt.openReadOnly(uri)
    except libvirt.libvirtError as e:
        raise common.CommandError('cannot connect to libvirt at %s: %s'
                                  % (uri, messages.one_line(
                                      e.get_error_message() or e)))


def add_connection_argument(parser: argparse.ArgumentParser) -> None:
    """Declare ``--connection`` on a sub-command that reaches libvirt.

    :param parser: the sub-command's argparse parser
    """
    parser.add_argument('--connection', metavar='URI',
                        help='the libvirt URI (default: the one '
                             'nova-compute uses, from [libvirt] in the '
                             'configuration)')


def connect_from(
        configuration: config.Configuration, args: argparse.Namespace
) -> tuple[types.ModuleType, virConnect, str]:
    """Connect to the libvirt a sub-command was pointed at.

    :param configuration: the :class:`~nova_xmlhooks.cmd.config.Configuration`
    :param args: the parsed arguments of a sub-command that declared
        ``--connection`` with :func:`add_connection_argument`
    :returns: ``(libvirt module, connection, URI)``
    :raises: CommandError naming the URI
    """
    uri = args.connection or libvirt_uri(configuration.nova)
    libvirt, connection = connect(uri)
    return libvirt, connection, uri


def is_gone(libvirt: types.ModuleType, error: libvirtError) -> bool:
    """Whether a libvirt error means the domain no longer exists.

    :param libvirt: the ``libvirt`` module
    :param error: a ``libvirt.libvirtError``
    :returns: a bool
    """
    return error.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN


class NativeRefusal:
    """What libvirt says against the definition a hard reboot would make.

    See :mod:`nova_xmlhooks.native`. libvirt takes the call only on a
    read-write connection, which is opened for it alone, the first time
    it is needed; when it cannot be, a note says so once and nothing is
    refused.

    It is a callable ``refusal(current, new)``, returning libvirt's
    message, on one line, when libvirt refuses the XML ``new`` but not
    ``current``, and None otherwise; when libvirt gives no answer (see
    :class:`nova_xmlhooks.native.NotAnswered`), a note says so once.
    """

    def __init__(self, libvirt: types.ModuleType, uri: str) -> None:
        """Prepare to ask; nothing is opened yet.

        :param libvirt: the ``libvirt`` module
        :param uri: the libvirt URI
        """
        self.libvirt = libvirt
        self.uri = uri
        self._connection: virConnect | None = None
        self._tried = False
        self._unanswered = False

    def _connect(self) -> virConnect | None:
        if not self._tried:
            self._tried = True
            try:
                self._connection = self.libvirt.open(self.uri)
            except self.libvirt.libvirtError as e:
                common.err('note: libvirt at %s was not asked whether it '
                           'accepts the definitions the next hard reboots '
                           'would make: %s' % (self.uri, messages.one_line(
                               e.get_error_message() or e)))
        return self._connection

    def __call__(self, current: str, new: str) -> str | None:
        connection = self._connect()
        if connection is None:
            return None
        current, new = without_assigned_addresses(current, new)
        try:
            return native.refusal(connection, self.libvirt, current, new)
        except native.NotAnswered as e:
            if not self._unanswered:
                self._unanswered = True
                common.err('note: libvirt at %s did not say whether it '
                           'accepts a definition the next hard reboot '
                           'would make: %s' % (self.uri, e))
            return None


def _address_key(address: etree._Element) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(address.attrib.items()))


#: the controllers Nova writes: ``(type, model)``, None for any model.
#: NOTE(xmlhooks): nova 2024.1 to 2026.1 also write a ``virtio-serial``
#: controller (``_add_virtio_serial_controller``); nova 2026.2 no longer
#: does.
NOVA_CONTROLLERS = frozenset({('usb', None), ('scsi', None),
                              ('virtio-serial', None),
                              ('pci', 'pcie-root'), ('pci', 'pcie-root-port')})


def _element_key(element: etree._Element) -> ElementKey:
    return (element.tag, tuple(sorted(element.attrib.items())),
            (element.text or '').strip(),
            tuple(_element_key(child) for child in element))


def _written_by_nova(controller: etree._Element) -> bool:
    kind = controller.get('type')
    return ((kind, None) in NOVA_CONTROLLERS or
            (kind, controller.get('model')) in NOVA_CONTROLLERS)


def _drop_added_controllers(roots: Sequence[etree._Element]) -> None:
    """Drop the controllers libvirt added, unchanged, from both documents.

    NOTE(xmlhooks): libvirt writes into a persistent definition the
    controllers it adds for the machine type (an i440fx guest's
    ``pci-root`` and IDE controller, bridges for more slots). Nova never
    writes those, so the next hard reboot's definition has none, and
    libvirt adds the ones the machine type then needs. Kept, a rule that
    makes the guest q35 is refused for the i440fx root controller ("must
    be model='pcie-root'"), a definition the reboot never makes. A
    controller a rule changed differs between the two documents and is
    kept, and checked; the kinds Nova writes (:data:`NOVA_CONTROLLERS`)
    are kept as they are.

    :param roots: ``[current, new]`` ``<domain>`` elements, without the
        addresses ``current`` has; changed in place
    """
    added = {_element_key(controller)
             for controller in roots[0].iterfind('devices/controller')
             if not _written_by_nova(controller)}
    for root in roots:
        for controller in root.findall('devices/controller'):
            if (not _written_by_nova(controller) and
                    _element_key(controller) in added):
                controller.getparent().remove(controller)


def without_assigned_addresses(current: str, new: str) -> tuple[str, ...]:
    """Drop what libvirt gave a definition from it and its successor.

    NOTE(xmlhooks): a persistent definition holds the address libvirt
    gave each device when it was defined; the next hard reboot defines
    Nova's new XML, which has none, and libvirt places the devices again.
    Kept, an address no longer fits a device that a rule moved to another
    bus (a USB tablet made virtio, say), and libvirt would refuse a
    definition the reboot never makes. Addresses that only the new
    document has (set by a rule) are kept, and checked. The controllers
    libvirt added go the same way (see :func:`_drop_added_controllers`).

    What libvirt is not asked about is taken out at the same time (see
    :func:`nova_xmlhooks.native.drop_unasked`), so that the documents are
    parsed once.

    :param current: the current definition, as a str
    :param new: the same with the current rules applied, as a str
    :returns: ``(current, new)`` without the addresses and controllers
        ``current`` has from libvirt and without what libvirt is not asked
        about
    """
    roots = [engine_mod.parse_domain(xml) for xml in (current, new)]
    assigned = {_address_key(address)
                for address in roots[0].iterfind('devices/*/address')}
    for root in roots:
        native.drop_unasked(root)
        for address in root.findall('devices/*/address'):
            if _address_key(address) in assigned:
                address.getparent().remove(address)
    _drop_added_controllers(roots)
    return tuple(engine_mod.serialize(root) for root in roots)


def read_domain(libvirt: types.ModuleType, domain: virDomain) -> DomainInfo:
    """Read what the sub-commands need from one domain.

    :param libvirt: the ``libvirt`` module
    :param domain: a ``virDomain``
    :returns: a dict with ``name``, ``uuid``, ``state`` (a name from
        :data:`STATE_NAMES`), ``persistent`` (the inactive definition or
        ``None`` for a transient domain) and ``live`` (the running
        definition or ``None`` when the domain is not running)
    :raises: DomainGone if the domain vanished meanwhile
    """
    # NOTE(xmlhooks): the name and UUID are kept by the client object, so
    # they can be read even after the domain vanished.
    name = domain.name()
    try:
        state = domain.state()[0]
        persistent = None
        if domain.isPersistent():
            persistent = domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        live = domain.XMLDesc(0) if domain.isActive() else None
        return {
            'name': name,
            'uuid': domain.UUIDString(),
            'state': (STATE_NAMES[state] if 0 <= state < len(STATE_NAMES)
                      else 'unknown'),
            'persistent': persistent,
            'live': live,
        }
    except libvirt.libvirtError as e:
        if is_gone(libvirt, e):
            raise DomainGone(name)
        raise common.CommandError('cannot read a domain: %s'
                                  % messages.one_line(
                                      e.get_error_message() or e))


#: where libvirt's QEMU and LXC drivers keep persistent definitions, for
#: local system URIs, as libvirt's packages install it (SYSCONFDIR=/etc)
SYSTEM_CONFIG_DIRS = {'qemu': '/etc/libvirt/qemu', 'lxc': '/etc/libvirt/lxc'}


def _config_dir(uri: str) -> str | None:
    parts = urllib.parse.urlsplit(uri)
    driver, _sep, transport = parts.scheme.partition('+')
    if parts.netloc or transport not in ('', 'unix'):
        return None
    if parts.path == '/system' or (driver == 'lxc' and parts.path == '/'):
        return SYSTEM_CONFIG_DIRS.get(driver)
    if driver == 'qemu' and parts.path == '/session':
        base = os.environ.get('XDG_CONFIG_HOME') or os.path.join(
            os.path.expanduser('~'), '.config')
        return os.path.join(base, 'libvirt', 'qemu')
    return None


def persistent_location(uri: str, name: str) -> tuple[str | None, str]:
    """Say where libvirt keeps a domain's persistent definition.

    NOTE(xmlhooks): the file is derived from the URI, as libvirt lays its
    drivers out, and named only if it is there; libvirt built with another
    configuration directory, a remote URI or another driver get a sentence
    saying that libvirt keeps it, and how to read it.

    :param uri: the libvirt URI
    :param name: the domain name
    :returns: ``(path, note)``; ``path`` is ``None`` when not known
    """
    command = 'virsh -c %s dumpxml --inactive %s' % (uri, name)
    edit = 'change it with "virsh -c %s edit %s", not in the file' % (
        uri, name)
    directory = _config_dir(uri)
    if directory is None:
        return None, 'kept by libvirt at %s; read it with "%s"' % (uri,
                                                                   command)
    path = os.path.join(directory, name + '.xml')
    if os.path.isfile(path):
        return path, "libvirt's own file; %s" % edit
    return None, ('kept by libvirt at %s (not found at %s, where '
                  'libvirt\'s packages keep it); read it with "%s"'
                  % (uri, path, command))
