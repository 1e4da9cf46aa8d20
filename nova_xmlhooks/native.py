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

"""Ask libvirt whether it would define a domain XML, without defining it.

NOTE(xmlhooks): the engine's checks know libvirt's grammar, not its rules:
a CPU topology that does not add up to the vCPUs, an I/O APIC that a
vIOMMU's interrupt remapping cannot use, are refused only when the domain
is defined. For a hard reboot that is after Nova has destroyed and
undefined the guest. libvirt's QEMU driver parses, checks and turns a
definition into QEMU's command line without defining anything
(``virConnectDomainXMLToNative``). What it refuses there, libvirt refuses
when the domain is defined or started (checked on libvirt 9.0 for a CPU
topology, a vIOMMU's I/O APIC, duplicate PCI addresses, two primary video
devices, an undefined I/O thread; huge pages without hugetlbfs and a
missing NUMA node are refused there and at start, not at definition).
It defines nothing and creates no file, but it looks up the secrets a
disk names and, for every network interface, whatever its type, opens a
tap device on the host (``vnetN``), runs ``tc`` on it and closes it
(seen with strace on libvirt 9.0; about 25 to 35 ms an interface). So the
interfaces are left out of what libvirt is asked about: a rule's effect
on an interface is not checked by libvirt, which the guard judges (what
an interface is connected to, and its queues) and the schema check
parses. A guest is then about 1.5 to 6 ms to ask about on a test host.
A passthrough TPM is left out too: libvirt opens the host's TPM device
read-write to hand it to QEMU (seen with strace on libvirt 9.0), a device
the kernel lets one process open at a time, and which the guest being
rebooted holds while it runs.

Only a refusal of the customised XML where Nova's own (or the
current definition) passes counts: a libvirt driver without the call, or a
host that cannot describe the guest (a device that is not there, say),
refuses both, and that is not the rules' doing. And only an error libvirt
reports for a definition (:data:`REFUSAL_CODES`) is a refusal: a
connection that failed or is read-only, a driver without the call, an
error of the host's operating system are no answer (:class:`NotAnswered`),
and must neither take a guest's customisation away nor refuse its reboot.
"""

from __future__ import annotations

from collections.abc import Iterable
import types
import typing as ty

from lxml import etree

from nova_xmlhooks import engine
from nova_xmlhooks import messages

if ty.TYPE_CHECKING:
    from libvirt import libvirtError
    from libvirt import virConnect


#: what libvirt reports when it refuses a definition: its parser's and
#: validators' errors (on libvirt 9.0, a CPU topology, a vIOMMU's I/O APIC
#: and two primary video devices are VIR_ERR_CONFIG_UNSUPPORTED, a PCI
#: address used twice VIR_ERR_XML_ERROR, huge pages without hugetlbfs
#: VIR_ERR_INTERNAL_ERROR), and a secret, storage pool or volume it names
#: that the host does not have, which starting the domain refuses as well
REFUSAL_CODES = ('VIR_ERR_XML_ERROR', 'VIR_ERR_XML_DETAIL',
                 'VIR_ERR_CONFIG_UNSUPPORTED', 'VIR_ERR_OPERATION_UNSUPPORTED',
                 'VIR_ERR_INTERNAL_ERROR', 'VIR_ERR_INVALID_ARG',
                 'VIR_ERR_NO_SECRET', 'VIR_ERR_NO_STORAGE_POOL',
                 'VIR_ERR_NO_STORAGE_VOL')
#: the error domains of the connection itself: libvirt's RPC client reports
#: a closed socket or a keepalive timeout as VIR_ERR_INTERNAL_ERROR there
TRANSPORT_DOMAINS = ('VIR_FROM_REMOTE', 'VIR_FROM_RPC')
#: the elements libvirt is not asked about (see the module's note)
_UNASKED = etree.XPath(
    "devices/interface | devices/tpm[backend/@type='passthrough']")


class NotAnswered(Exception):
    """libvirt did not say whether it takes a definition.

    Its one-line message is the exception's argument.
    """


def _codes(libvirt: types.ModuleType, names: Iterable[str]) -> set[int]:
    # NOTE(xmlhooks): by name, as a libvirt-python (or nova's fake) that
    # lacks one has no such error to report.
    return {getattr(libvirt, name) for name in names
            if hasattr(libvirt, name)}


def is_refusal(libvirt: types.ModuleType, error: libvirtError) -> bool:
    """Whether a libvirt error refuses the definition itself.

    :param libvirt: the ``libvirt`` module
    :param error: a ``libvirt.libvirtError``
    :returns: True for an error of :data:`REFUSAL_CODES` outside
        :data:`TRANSPORT_DOMAINS`
    """
    return (error.get_error_code() in _codes(libvirt, REFUSAL_CODES) and
            error.get_error_domain() not in _codes(libvirt,
                                                   TRANSPORT_DOMAINS))


def drop_unasked(root: etree._Element) -> None:
    """Remove what libvirt is not asked about from a domain.

    :param root: a ``<domain>`` element, changed in place
    """
    for element in _UNASKED(root):
        element.getparent().remove(element)


def without_unasked(xml: str) -> str:
    """A domain XML without what libvirt is not asked about.

    NOTE(xmlhooks): an element is written with its name after ``<``, so a
    text without ``<interface`` or ``<tpm`` has none, and is not parsed
    again (the audit hands over documents it has already taken them out
    of).

    :param xml: the domain XML, as a str
    :returns: the same without its interfaces and passthrough TPMs
    """
    if '<interface' not in xml and '<tpm' not in xml:
        return xml
    root = engine.parse_domain(xml)
    drop_unasked(root)
    return engine.serialize(root)


def refused(connection: virConnect, libvirt: types.ModuleType,
            xml: str) -> str | None:
    """libvirt's reason for refusing a domain XML, or None.

    :param connection: a read-write ``virConnect``
    :param libvirt: the ``libvirt`` module
    :param xml: the domain XML; see :func:`drop_unasked` for what is not
        asked about
    :returns: libvirt's message, on one line; None when it would take it
    :raises: NotAnswered when libvirt says nothing of the definition
    """
    try:
        connection.domainXMLToNative('qemu-argv', without_unasked(xml), 0)
    except libvirt.libvirtError as e:
        message = messages.one_line(e.get_error_message() or str(e))
        if not is_refusal(libvirt, e):
            raise NotAnswered(message)
        return message
    return None


def refuses(connection: virConnect, libvirt: types.ModuleType,
            xml: str) -> bool:
    """Whether libvirt refuses a domain XML; no answer is not a refusal.

    :param connection: a read-write ``virConnect``
    :param libvirt: the ``libvirt`` module
    :param xml: the domain XML
    :returns: a bool
    """
    try:
        return refused(connection, libvirt, xml) is not None
    except NotAnswered:
        return False


def refusal(connection: virConnect, libvirt: types.ModuleType, current: str,
            new: str) -> str | None:
    """libvirt's reason for refusing ``new`` where ``current`` passes.

    :param connection: a read-write ``virConnect``
    :param libvirt: the ``libvirt`` module
    :param current: the XML the change starts from (Nova's own, or the
        current definition)
    :param new: the customised XML
    :returns: libvirt's message on one line, or None; ``current`` is
        asked about only when ``new`` is refused
    :raises: NotAnswered when libvirt says nothing of either
    """
    message = refused(connection, libvirt, new)
    if message is None or refused(connection, libvirt,
                                  current) is not None:
        return None
    return message
