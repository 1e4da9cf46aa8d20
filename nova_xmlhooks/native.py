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
Only a refusal of the customised XML where Nova's own (or the
current definition) passes counts: a libvirt driver without the call, or a
host that cannot describe the guest (a device that is not there, say),
refuses both, and that is not the rules' doing.
"""

from nova_xmlhooks import engine
from nova_xmlhooks import messages


def drop_interfaces(root):
    """Remove a domain's network interfaces.

    :param root: a ``<domain>`` element, changed in place
    """
    for interface in root.findall('devices/interface'):
        interface.getparent().remove(interface)


def without_interfaces(xml):
    """A domain XML without its network interfaces.

    NOTE(xmlhooks): an element is written with its name after ``<``, so a
    text without ``<interface`` has none, and is not parsed again (the
    audit hands over documents it has already taken them out of).

    :param xml: the domain XML, as a str
    :returns: the same without its ``<devices><interface>`` elements
    """
    if '<interface' not in xml:
        return xml
    root = engine.parse_domain(xml)
    drop_interfaces(root)
    return engine.serialize(root)


def refused(connection, error_class, xml):
    """libvirt's reason for refusing a domain XML, or None.

    :param connection: a read-write ``virConnect``
    :param error_class: ``libvirt.libvirtError``
    :param xml: the domain XML; its interfaces are not asked about
    :returns: libvirt's message, on one line; None when it would take it
    """
    try:
        connection.domainXMLToNative('qemu-argv', without_interfaces(xml),
                                     0)
    except error_class as e:
        return messages.one_line(e.get_error_message() or str(e))
    return None


def refusal(connection, error_class, current, new):
    """libvirt's reason for refusing ``new`` where ``current`` passes.

    :param connection: a read-write ``virConnect``
    :param error_class: ``libvirt.libvirtError``
    :param current: the XML the change starts from (Nova's own, or the
        current definition)
    :param new: the customised XML
    :returns: libvirt's message on one line, or None; ``current`` is
        asked about only when ``new`` is refused
    """
    message = refused(connection, error_class, new)
    if message is None or refused(connection, error_class,
                                  current) is not None:
        return None
    return message
