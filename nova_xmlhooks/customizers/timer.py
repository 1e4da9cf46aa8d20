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

"""Guest timers: ``xmlhooks:timer:{name}`` under ``<clock>``.

Nova writes ``pit`` (tickpolicy delay), ``rtc`` (tickpolicy catchup) and
``hpet`` (present no) timers for KVM guests, and ``hypervclock`` for
Windows guests. These keys change those ``<timer>`` elements in place and
add the others.

The value is a comma-separated list of ``present=yes|no`` and
``tickpolicy=POLICY``, each at most once, e.g. ``present=no`` or
``tickpolicy=catchup``; each timer takes only the attributes that
libvirt's QEMU driver reads for it (:data:`QEMU_ATTRIBUTES`).
"""

from __future__ import annotations

from collections.abc import Sequence
import dataclasses

from lxml import etree

from nova_xmlhooks.customizers import base
from nova_xmlhooks.customizers import elements

#: The attributes that libvirt's QEMU driver reads of each timer.
#: NOTE(xmlhooks): libvirt 9.0 keeps ``present`` on every timer but reads
#: it only for hpet (-machine hpet=, qemu_command.c 6867-6874), kvmclock
#: and hypervclock (-cpu kvmclock=, hv-time, qemu_command.c 6249-6259);
#: of rtc it reads only track and tickpolicy (qemuBuildClockArgStr,
#: qemu_command.c 5781-5817), of pit only tickpolicy (qemu_command.c
#: 5865-5890). A rule libvirt ignores would be recorded as applied and
#: change nothing, so nova-api refuses it. tsc is not a key at all: of it
#: libvirt reads only frequency (qemu_command.c 6260-6262), which these
#: keys do not set.
QEMU_ATTRIBUTES = {
    'rtc': ('tickpolicy',),
    'pit': ('tickpolicy',),
    'hpet': ('present',),
    'kvmclock': ('present',),
    'hypervclock': ('present',),
}
TIMERS = tuple(QEMU_ATTRIBUTES)
#: timers of which these keys set nothing libvirt reads: taken from the
#: flavors of servers built before nova-api refused them, and refused
#: for new flavors (see :meth:`TimerCustomizer.parse_new`)
IGNORED_TIMERS = ('tsc',)
#: libvirt's tick policies.
TICKPOLICIES = ('delay', 'catchup', 'merge', 'discard')
#: What libvirt's QEMU driver accepts per timer; it refuses the other
#: policies for rtc and pit and ignores or refuses them for the rest.
QEMU_TICKPOLICIES = {
    'rtc': ('delay', 'catchup'),
    'pit': ('delay', 'catchup', 'discard'),
}
_ATTRIBUTES = ('present', 'tickpolicy')


class TimerCustomizer(base.Customizer):
    """Sets ``<clock><timer>`` attributes."""

    family = 'timer'

    def declarations(self) -> list[base.KeyValidator]:
        supported = '; '.join('%s: %s' % (t, ', '.join(p))
                              for t, p in QEMU_TICKPOLICIES.items())
        present = ', '.join(t for t, attrs in QEMU_ATTRIBUTES.items()
                            if 'present' in attrs)
        return [base.KeyValidator(
            name='xmlhooks:timer:{name}',
            description=(
                "A guest timer, changing the one Nova wrote. The value "
                "sets what libvirt's QEMU driver reads of the timer: "
                "``present`` (``yes`` or ``no``) for %s; ``tickpolicy`` "
                "for rtc and pit (%s). Attributes not given keep Nova's "
                "value. nova-api refuses what libvirt ignores (``present`` "
                "on rtc and pit, the tsc timer); the compute still applies "
                "it from the flavors of servers built before." % (
                    present, supported)),
            value={'type': str,
                   'pattern': r'[a-z]+=[a-z]+(,[a-z]+=[a-z]+)?',
                   'description': 'Comma-separated ``present=yes|no`` and '
                                  '``tickpolicy=POLICY``, e.g. '
                                  '``tickpolicy=catchup``.'},
            parameters=[{
                'name': 'name', 'pattern': '|'.join(TIMERS + IGNORED_TIMERS),
                'description': 'One of: %s.' % ', '.join(TIMERS),
            }],
        )]

    def parse(self, key: str, value: str) -> Timer:
        return self._parse(key, value, strict=False)

    def parse_new(self, key: str, value: str) -> None:
        self._parse(key, value, strict=True)

    def _parse(self, key: str, value: str, strict: bool) -> Timer:
        """Parse a timer's value.

        :param strict: whether to refuse what libvirt ignores; it is
            taken, and ignored, from servers built before it was refused
        """
        name = key.split(':', 2)[2]
        if name not in (TIMERS if strict else TIMERS + IGNORED_TIMERS):
            raise ValueError('unknown timer; known: %s' % ', '.join(TIMERS))
        attrs: dict[str, str] = {}
        for item in value.split(','):
            attr, sep, setting = item.partition('=')
            if not sep or attr not in _CHECKS:
                raise ValueError("must be a comma-separated list of "
                                 "present=yes|no and tickpolicy=POLICY")
            if attr in attrs:
                raise ValueError('sets %s twice' % attr)
            _CHECKS[attr](name, setting)
            if strict:
                _check_takes(name, attr)
            attrs[attr] = setting
        return Timer(name, **attrs)

    def apply(self, root: etree._Element, rules: Sequence[base.Rule],
              context: base.DomainContext) -> None:
        clock = root.find('clock')
        if clock is None:
            clock = elements.insert_before(
                root, etree.Element('clock', offset='utc'), 'devices')
        for rule in rules:
            rule.payload.apply(clock)

    def touches(self, rules: Sequence[base.Rule]) -> list[base.Place]:
        return [('clock', 'timer')]


@dataclasses.dataclass(frozen=True)
class Timer:
    """``xmlhooks:timer:{name}``; an attribute left None keeps Nova's."""

    name: str
    present: str | None = None
    tickpolicy: str | None = None

    def apply(self, clock: etree._Element) -> None:
        timer = elements.named_child(clock, 'timer', self.name)
        for attr in _ATTRIBUTES:
            setting = getattr(self, attr)
            if setting is not None:
                timer.set(attr, setting)
        if self.tickpolicy not in (None, 'catchup'):
            # NOTE(xmlhooks): libvirt's schema allows <catchup> only with
            # tickpolicy='catchup' (domaincommon.rng 1403-1439) and its
            # parser refuses its settings with any other policy
            # (domain_postparse.c 169-175); they mean nothing without it.
            for catchup in timer.findall('catchup'):
                timer.remove(catchup)


def _check_takes(name: str, attr: str) -> None:
    takes = QEMU_ATTRIBUTES[name]
    if attr not in takes:
        raise ValueError('the %s timer does not take %s with QEMU: libvirt '
                         'ignores it (takes: %s)'
                         % (name, attr, ', '.join(takes)))


def _check_present(name: str, setting: str) -> None:
    if setting not in ('yes', 'no'):
        raise ValueError("present must be 'yes' or 'no'")


def _check_tickpolicy(name: str, setting: str) -> None:
    if setting not in TICKPOLICIES:
        raise ValueError('tickpolicy must be one of: %s'
                         % ', '.join(TICKPOLICIES))
    allowed = QEMU_TICKPOLICIES.get(name, ())
    if setting not in allowed:
        raise ValueError('the %s timer does not take tickpolicy=%s with QEMU '
                         '(allowed: %s)' % (name, setting,
                                            ', '.join(allowed) or 'none'))


_CHECKS = {'present': _check_present, 'tickpolicy': _check_tickpolicy}
