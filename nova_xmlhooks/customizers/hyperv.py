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

"""Hyper-V enlightenments: ``xmlhooks:hyperv:...``.

Nova only enables a fixed set of enlightenments, and only for guests with
``os_type=windows``. These keys switch every feature libvirt knows under
``<features><hyperv>`` on or off, merging with what Nova generated: an
element Nova wrote is changed in place, never duplicated.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
import dataclasses
import re
import typing as ty

from nova_xmlhooks.customizers import base
from nova_xmlhooks.customizers import elements
from nova_xmlhooks import exception

if ty.TYPE_CHECKING:
    from lxml import etree

#: Features that are plain ``state='on|off'`` switches. ``stimer.direct``
#: is the ``<direct>`` child of ``<stimer>``. ``emsr_bitmap`` and
#: ``xmm_input`` need libvirt 10 or later.
SWITCHES = (
    'relaxed', 'vapic', 'vpindex', 'runtime', 'synic', 'stimer',
    'stimer.direct', 'reset', 'frequencies', 'reenlightenment', 'tlbflush',
    'ipi', 'evmcs', 'avic', 'emsr_bitmap', 'xmm_input',
)
#: QEMU refuses fewer retries than this; it is also what Nova writes.
MIN_SPINLOCK_RETRIES = 4095
_MAX_SPINLOCK_RETRIES = 0xffffffff
#: libvirt's schema allows at most 12 characters and no comma.
_VENDOR_ID_RE = re.compile(r'[\x20-\x2b\x2d-\x7e]{1,12}')
_STATE = ('on', 'off')


class HypervCustomizer(base.Customizer):
    """Sets ``<features><hyperv>`` enlightenments."""

    family = 'hyperv'

    def declarations(self) -> list[base.KeyValidator]:
        return [
            base.KeyValidator(
                name='xmlhooks:hyperv:{feature}',
                description=(
                    'Switch a Hyper-V enlightenment on or off in '
                    '``<features><hyperv>``, whatever Nova set for it. '
                    '``stimer.direct`` is the direct mode of ``stimer`` '
                    '(switching it on also switches ``stimer`` on; off, '
                    'it leaves no ``<direct>``, as libvirt writes it). '
                    '``emsr_bitmap`` and ``xmm_input`` need libvirt 10 or '
                    'later on the compute host. QEMU starts a KVM guest '
                    'only with these together: ``synic``, ``tlbflush`` and '
                    '``ipi`` need ``vpindex``; ``stimer`` needs ``synic`` '
                    'and the ``hypervclock`` timer; ``evmcs`` needs '
                    '``vapic``. Nova enables them for Windows images; on '
                    'other guests set what they need too, or the rule is '
                    'refused.'),
                value={'type': str, 'enum': list(_STATE),
                       'description': '``on`` or ``off``.'},
                parameters=[{
                    'name': 'feature',
                    'pattern': '|'.join(re.escape(f) for f in SWITCHES),
                    'description': 'One of: %s.' % ', '.join(SWITCHES),
                }],
            ),
            base.KeyValidator(
                name='xmlhooks:hyperv:spinlocks',
                description=(
                    'The Hyper-V spinlock enlightenment. A number switches '
                    'it on with that many retries (at least %d); ``on`` '
                    "keeps Nova's retry count, or uses %d; ``off`` switches "
                    'it off.' % (MIN_SPINLOCK_RETRIES, MIN_SPINLOCK_RETRIES)),
                value={'type': str, 'pattern': r'on|off|[0-9]{1,10}',
                       'description': '``on``, ``off`` or a retry count '
                                      'such as ``8191``.'},
            ),
            base.KeyValidator(
                name='xmlhooks:hyperv:vendor_id',
                description=(
                    'The Hyper-V vendor id the guest sees. A string of 1 to '
                    '12 printable ASCII characters, without commas, '
                    "switches it on with that id; ``on`` keeps Nova's id; "
                    '``off`` switches it off.'),
                value={'type': str,
                       'description': 'A vendor id such as ``KVMKVMKVM``, '
                                      'or ``on`` or ``off``.'},
            ),
            base.KeyValidator(
                name='xmlhooks:hyperv:mode',
                description=(
                    'The Hyper-V mode. ``custom`` enables only the listed '
                    'enlightenments; ``passthrough`` lets the hypervisor '
                    'enable all it supports, drops the listed ones (libvirt '
                    "9's schema allows none with it), the vendor id Nova "
                    'writes for ``hw:hide_hypervisor_id`` included, and '
                    'cannot be combined with other ``xmlhooks:hyperv:`` '
                    'keys.'),
                value={'type': str, 'enum': ['custom', 'passthrough'],
                       'description': '``custom`` or ``passthrough``.'},
            ),
        ]

    def parse(self, key: str, value: str) -> Feature:
        name = key.split(':', 2)[2]
        parser = _PARSERS.get(name, _parse_switch)
        return parser(name, value)

    def apply(self, root: etree._Element, rules: Sequence[base.Rule],
              context: base.DomainContext) -> None:
        _check_passthrough(rules)
        hyperv = elements.feature(root, 'hyperv')
        for rule in rules:
            rule.payload.apply(hyperv, rule.key)

    def touches(self, rules: Sequence[base.Rule]) -> list[base.Place]:
        return [('features', 'hyperv')]


@dataclasses.dataclass(frozen=True)
class Mode:
    """``xmlhooks:hyperv:mode``: ``<hyperv mode=...>``."""

    mode: str

    def apply(self, hyperv: etree._Element, key: str) -> None:
        hyperv.set('mode', self.mode)
        if self.mode == 'passthrough':
            for child in list(hyperv):
                hyperv.remove(child)


@dataclasses.dataclass(frozen=True)
class Switch:
    """A plain ``state='on|off'`` enlightenment."""

    feature: str
    state: str

    def apply(self, hyperv: etree._Element, key: str) -> None:
        if self.feature == 'stimer.direct':
            self._apply_direct(hyperv)
            return
        node = elements.child(hyperv, self.feature)
        node.set('state', self.state)
        if self.feature == 'stimer' and self.state == 'off':
            _drop_direct(node)

    def _apply_direct(self, hyperv: etree._Element) -> None:
        stimer = elements.child(hyperv, 'stimer')
        # NOTE(xmlhooks): QEMU's hv-stimer-direct needs hv-stimer; and
        # libvirt refuses a <stimer> without a state, so one created to
        # switch direct mode off is off, as a missing one is.
        if self.state == 'on' or stimer.get('state') is None:
            stimer.set('state', self.state)
        if self.state == 'on':
            elements.child(stimer, 'direct').set('state', 'on')
        else:
            _drop_direct(stimer)


def _drop_direct(stimer: etree._Element) -> None:
    """Switch direct mode off the way libvirt writes it: no ``<direct>``.

    NOTE(xmlhooks): libvirt 9.0 reads ``<direct>`` only under a
    ``<stimer>`` that is on (domain_conf.c 16096-16115) and writes it
    back only when it is on too (26879-26892); a ``<direct state='off'>``
    or one under a ``<stimer>`` that is off would be added again at
    every check, and the audit would report drift forever.

    :param stimer: the ``<stimer>`` element
    """
    for direct in stimer.findall('direct'):
        stimer.remove(direct)


@dataclasses.dataclass(frozen=True)
class Spinlocks:
    """``xmlhooks:hyperv:spinlocks``; ``retries`` None keeps Nova's."""

    state: str
    retries: int | None = None

    def apply(self, hyperv: etree._Element, key: str) -> None:
        node = elements.child(hyperv, 'spinlocks')
        node.set('state', self.state)
        if self.state == 'off':
            node.attrib.pop('retries', None)
            return
        # NOTE(xmlhooks): libvirt refuses spinlocks on without retries.
        retries = (self.retries or node.get('retries')
                   or MIN_SPINLOCK_RETRIES)
        node.set('retries', str(retries))


@dataclasses.dataclass(frozen=True)
class VendorId:
    """``xmlhooks:hyperv:vendor_id``; ``value`` None keeps Nova's."""

    state: str
    value: str | None = None

    def apply(self, hyperv: etree._Element, key: str) -> None:
        node = elements.child(hyperv, 'vendor_id')
        node.set('state', self.state)
        if self.state == 'off':
            node.attrib.pop('value', None)
            return
        value = self.value or node.get('value')
        if not value:
            raise exception.RuleError(
                key, "'on' needs a vendor id that Nova set; give the id "
                "itself instead")
        node.set('value', value)


def _parse_mode(name: str, value: str) -> Mode:
    if value not in ('custom', 'passthrough'):
        raise ValueError("must be 'custom' or 'passthrough'")
    return Mode(value)


def _parse_spinlocks(name: str, value: str) -> Spinlocks:
    if value in _STATE:
        return Spinlocks(value)
    if not value.isascii() or not value.isdigit():
        raise ValueError("must be 'on', 'off' or a retry count")
    retries = int(value)
    if not MIN_SPINLOCK_RETRIES <= retries <= _MAX_SPINLOCK_RETRIES:
        raise ValueError('retries must be between %d and %d'
                         % (MIN_SPINLOCK_RETRIES, _MAX_SPINLOCK_RETRIES))
    return Spinlocks('on', retries)


def _parse_vendor_id(name: str, value: str) -> VendorId:
    if value in _STATE:
        return VendorId(value)
    if not _VENDOR_ID_RE.fullmatch(value):
        raise ValueError("must be 'on', 'off' or 1 to 12 printable ASCII "
                         "characters without a comma")
    return VendorId('on', value)


def _parse_switch(name: str, value: str) -> Switch:
    if name not in SWITCHES:
        raise ValueError('unknown Hyper-V feature')
    if value not in _STATE:
        raise ValueError("must be 'on' or 'off'")
    return Switch(name, value)


_PARSERS: dict[str, Callable[[str, str], Feature]] = {
    'mode': _parse_mode,
    'spinlocks': _parse_spinlocks,
    'vendor_id': _parse_vendor_id,
}


def _check_passthrough(rules: Sequence[base.Rule]) -> None:
    # NOTE(xmlhooks): libvirt's schema (9.0) allows no feature element
    # next to mode='passthrough'; refuse rather than silently dropping
    # what the operator asked for.
    passthrough = [r.key for r in rules if r.payload == Mode('passthrough')]
    others = sorted(r.key for r in rules if not isinstance(r.payload, Mode))
    if passthrough and others:
        raise exception.RuleError(
            passthrough[0], 'mode=passthrough cannot be combined with %s'
            % ', '.join(others))


if ty.TYPE_CHECKING:
    #: the payload of a rule of this family
    Feature: ty.TypeAlias = Mode | Switch | Spinlocks | VendorId
