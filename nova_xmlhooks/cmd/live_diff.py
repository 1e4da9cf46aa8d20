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

"""The live definition against the persistent one, without runtime noise.

libvirt writes into the live definition of a running domain what it
chose when it started it and never stores in the persistent one: the
domain id, device aliases, the pty a serial console got, the VNC port of
``autoport``, the labels of a dynamic security label, the backing chain it
detected, the addresses it gave devices that had none, the cgroup
partition, and the CPU model as it expanded it. Those differences are
dropped from the live document before the comparison, and counted, so
that what is left is what really differs: an edit of the persistent
definition that the running guest does not have yet, or the reverse.
"""

from __future__ import annotations

import collections

from lxml import etree

from nova_xmlhooks import engine as engine_mod

_PTY_DEVICES = ('serial', 'console', 'parallel', 'channel')
_AUTOPORT_ATTRIBUTES = ('port', 'websocket', 'tlsPort')


class _Hidden:
    """Counts what was dropped, by kind."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()

    def drop_element(self, node: etree._Element, kind: str) -> None:
        node.getparent().remove(node)
        self.counts[kind] += 1

    def drop_attribute(self, node: etree._Element, name: str,
                       kind: str) -> None:
        if name in node.attrib:
            del node.attrib[name]
            self.counts[kind] += 1

    def restore_attribute(self, node: etree._Element, name: str, kind: str,
                          model: etree._Element | None) -> None:
        """Give ``node`` the attribute ``name`` as ``model`` has it."""
        value = None if model is None else model.get(name)
        if node.get(name) == value:
            return
        if value is None:
            del node.attrib[name]
        else:
            node.set(name, value)
        self.counts[kind] += 1


def _device_pairs(
        persistent: etree._Element, live: etree._Element
) -> list[tuple[etree._Element | None, etree._Element]]:
    """Pair the devices of both definitions: same tag, same position."""
    pairs: list[tuple[etree._Element | None, etree._Element]] = []
    p_devices, l_devices = persistent.find('devices'), live.find('devices')
    if p_devices is None or l_devices is None:
        return pairs
    seen: collections.Counter[str] = collections.Counter()
    for device in l_devices:
        if not isinstance(device.tag, str):
            continue
        others = p_devices.findall(device.tag)
        index = seen[device.tag]
        seen[device.tag] += 1
        pairs.append((others[index] if index < len(others) else None,
                      device))
    return pairs


def _drop_domain_runtime(persistent: etree._Element, live: etree._Element,
                         hidden: _Hidden) -> None:
    hidden.drop_attribute(live, 'id', 'domain id')
    if persistent.find('resource') is None:
        for node in live.findall('resource'):
            hidden.drop_element(node, 'cgroup partition')
    for node in list(live.iter('alias')):
        hidden.drop_element(node, 'device aliases')


def _drop_seclabels(persistent: etree._Element, live: etree._Element,
                    hidden: _Hidden) -> None:
    models = {node.get('model') for node in persistent.findall('seclabel')}
    for node in live.findall('seclabel'):
        if node.get('model') not in models:
            hidden.drop_element(node, 'security labels')
            continue
        if node.get('type') == 'dynamic':
            for child in node.findall('label') + node.findall('imagelabel'):
                hidden.drop_element(child, 'security labels')


def _drop_cpu_expansion(persistent: etree._Element, live: etree._Element,
                        hidden: _Hidden) -> None:
    # NOTE(xmlhooks): libvirt expands host-model, and a CPU whose check it
    # raised, into the model and features the guest got; what the
    # persistent definition does not say is dropped, what it says stays.
    kind = 'CPU model as libvirt expanded it'
    p_cpu, l_cpu = persistent.find('cpu'), live.find('cpu')
    if p_cpu is None or l_cpu is None or (
            p_cpu.get('mode') != 'host-model' and
            p_cpu.get('check') == l_cpu.get('check')):
        return
    for name in ('mode', 'match', 'check'):
        hidden.restore_attribute(l_cpu, name, kind, p_cpu)
    kept = {_text(child) for child in p_cpu}
    for child in list(l_cpu):
        if child.tag in ('model', 'vendor', 'feature') and (
                _text(child) not in kept):
            hidden.drop_element(child, kind)


def _text(node: etree._Element) -> bytes:
    return etree.tostring(node, with_tail=False)


def _drop_disk_runtime(p_device: etree._Element | None,
                       device: etree._Element, hidden: _Hidden) -> None:
    source = device.find('source')
    if source is not None:
        hidden.drop_attribute(source, 'index', 'detected backing chains')
    has_chain = p_device is not None and p_device.find(
        'backingStore') is not None
    if not has_chain:
        for node in device.findall('backingStore'):
            hidden.drop_element(node, 'detected backing chains')


def _drop_pty(device: etree._Element, hidden: _Hidden) -> None:
    if device.get('type') != 'pty':
        return
    hidden.drop_attribute(device, 'tty', 'pty paths')
    for source in device.findall('source'):
        hidden.drop_attribute(source, 'path', 'pty paths')
        if not len(source) and not source.attrib:
            source.getparent().remove(source)


def _drop_device_runtime(p_device: etree._Element | None,
                         device: etree._Element, hidden: _Hidden) -> None:
    if device.tag == 'disk':
        _drop_disk_runtime(p_device, device, hidden)
    elif device.tag in _PTY_DEVICES:
        _drop_pty(device, hidden)
    elif device.tag == 'graphics' and device.get('autoport') == 'yes':
        for name in _AUTOPORT_ATTRIBUTES:
            hidden.restore_attribute(device, name, 'autoport ports',
                                     p_device)
    elif device.tag == 'interface':
        target = device.find('target')
        if target is not None and (p_device is None or
                                   p_device.find('target') is None):
            hidden.drop_element(target, 'interface names')
    if p_device is not None and p_device.find('address') is None:
        for node in device.findall('address'):
            hidden.drop_element(node, 'addresses libvirt assigned')


def runtime_filtered(persistent_xml: str,
                     live_xml: str) -> tuple[str, str, dict[str, int]]:
    """Both definitions, normalised, without the live one's runtime noise.

    :param persistent_xml: the persistent (inactive) definition
    :param live_xml: the live definition
    :returns: ``(persistent, live, hidden)``: the two documents as the
        engine writes them, and a dict of what was dropped, by kind, with
        how many of each
    """
    persistent = engine_mod.parse_domain(persistent_xml)
    live = engine_mod.parse_domain(live_xml)
    hidden = _Hidden()
    _drop_domain_runtime(persistent, live, hidden)
    _drop_seclabels(persistent, live, hidden)
    _drop_cpu_expansion(persistent, live, hidden)
    for p_device, device in _device_pairs(persistent, live):
        _drop_device_runtime(p_device, device, hidden)
    return (engine_mod.serialize(persistent), engine_mod.serialize(live),
            {kind: count for kind, count in hidden.counts.items() if count})
