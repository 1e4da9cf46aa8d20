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

"""The Hyper-V enlightenments QEMU needs together under KVM.

QEMU refuses to start a KVM guest in which an enlightenment is on without
one it depends on ("Hyper-V synthetic timers (hv-stimer) requires Hyper-V
synthetic interrupt controller (hv-synic)"). Neither libvirt's schema,
its parser nor ``virConnectDomainXMLToNative`` sees it: only the start
does, which for a hard reboot comes after the destroy. So a rule that
leaves such a pair behind would take a running guest down at its next
hard reboot, and fail a build after scheduling.

This check refuses what QEMU refuses, where QEMU refuses it: for
``<domain type='kvm'>`` (under TCG, QEMU checks nothing and starts the
guest), not with ``<hyperv mode='passthrough'>`` (QEMU then enables what
the host supports and checks no pair), and only a pair the rules left
behind: a pair already in Nova's document is not the rules' doing.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
import dataclasses
import functools
import typing as ty

from lxml import etree

from nova_xmlhooks import check_base
from nova_xmlhooks import exception
from nova_xmlhooks import guard

if ty.TYPE_CHECKING:
    from nova_xmlhooks import checks
    from nova_xmlhooks import engine

#: what libvirt writes ``hv-time`` for
TIME = 'the hypervclock timer'

#: an enlightenment and what it needs, named as in libvirt's domain XML.
#: NOTE(xmlhooks): QEMU's ``kvm_hyperv_properties[].dependencies``
#: (target/i386/kvm/kvm.c), and synic's need of vpindex that QEMU checks
#: after the table (for the machine types of QEMU 3.1 and later; older
#: ones, which no supported Nova writes, run synic without it). A nested
#: name is a child that libvirt reads only when its parent is on; that is
#: also how hv-stimer-direct gets the hv-stimer, and hv-tlbflush-ext the
#: hv-tlbflush, that QEMU needs for them, so they need nothing here.
NEEDS = {
    'synic': ('vpindex',),
    'stimer': ('synic', TIME),
    'tlbflush': ('vpindex',),
    'tlbflush/direct': ('vapic',),
    'ipi': ('vpindex',),
    'evmcs': ('vapic',),
}
#: the children that need more than their parent, which libvirt reads
#: only under their parent on
_NESTED = {'tlbflush': ('direct',)}
#: the elements that decide what QEMU is given: children of ``<domain>``
#: and their children
READS = (('features', 'hyperv'), ('clock', 'timer'))
#: the ``<hyperv>`` children that need or are needed; the others (and
#: there are more of them) are not read
_HYPERV_READ = frozenset(name.partition('/')[0] for name in NEEDS).union(
    *NEEDS.values()) - {TIME}


@dataclasses.dataclass(frozen=True, order=True)
class Gap:
    """An enlightenment on without one it needs.

    :ivar feature: the enlightenment, as in :data:`NEEDS`
    :ivar needed: what it lacks
    """

    feature: str
    needed: str


def _local(name: str) -> str:
    return name[name.rfind('}') + 1:]


def _named(root: etree._Element, parent: str,
           child: str) -> list[etree._Element]:
    """The ``child`` elements of ``root``'s ``parent`` elements.

    NOTE(xmlhooks): both by local name, as libvirt finds them; lxml's
    ``{*}`` matches a name in any namespace or none, in C.
    """
    return [node for element in root.iterchildren('{*}' + parent)
            for node in element.iterchildren('{*}' + child)]


def _switched_on(hypervs: Iterable[etree._Element]) -> set[str] | None:
    """The enlightenments some ``<hyperv>`` elements switch on.

    NOTE(xmlhooks): libvirt reads every ``<hyperv>`` child by its local
    name, a later one overriding an earlier one of the same name, and
    reads ``<tlbflush><direct>`` only under a tlbflush that is on. None
    means passthrough mode.
    """
    states: dict[str, bool] = {}
    for hyperv in hypervs:
        if guard.attribute(hyperv, 'mode') == 'passthrough':
            return None
        for node in hyperv.iterchildren(etree.Element):
            name = _local(node.tag)
            if name not in _HYPERV_READ:
                continue
            on = states[name] = guard.attribute(node, 'state') == 'on'
            for nested in _NESTED.get(name, ()):
                for child in node.iterchildren('{*}' + nested):
                    states['%s/%s' % (name, nested)] = on and (
                        guard.attribute(child, 'state') == 'on')
    return {name for name, on in states.items() if on}


def gaps(root: etree._Element, features_from: etree._Element | None = None,
         clock_from: etree._Element | None = None) -> frozenset[Gap]:
    """What a document would have QEMU refuse, under KVM.

    :param root: a ``<domain>`` element
    :param features_from: the element whose ``<features>`` to read,
        ``root`` by default
    :param clock_from: likewise for ``<clock>``
    :returns: a frozenset of :class:`Gap`
    """
    if guard.attribute(root, 'type') != 'kvm':
        return frozenset()
    features_from = root if features_from is None else features_from
    clock_from = root if clock_from is None else clock_from
    on = _switched_on(_named(features_from, 'features', 'hyperv'))
    if not on:
        return frozenset()
    if any(guard.attribute(timer, 'name') == 'hypervclock' and
           guard.attribute(timer, 'present') == 'yes'
           for timer in _named(clock_from, 'clock', 'timer')):
        on.add(TIME)
    return frozenset(Gap(feature, needed)
                     for feature in on for needed in NEEDS.get(feature, ())
                     if needed not in on)


class HypervDependencyCheck(check_base.RuleCheck):
    """A check that refuses Hyper-V enlightenments QEMU cannot start."""

    def __call__(self, nova_root: etree._Element, result_root: etree._Element,
                 ruleset: engine.RuleSet) -> None:
        """Refuse a document that leaves a pair QEMU refuses.

        :param nova_root: the ``<domain>`` that Nova generated
        :param result_root: the customised ``<domain>``
        :param ruleset: the rules that were applied
        :raises: nova_xmlhooks.exception.RuleError naming the rule after
            which the document keeps the pair
        """
        self._judge(gaps(nova_root), gaps(result_root),
                    lambda: nova_root, ruleset)

    def check_region(self, change: checks.Change,
                     ruleset: engine.RuleSet) -> None:
        """Refuse the same, reading only the part the rules changed.

        NOTE(xmlhooks): a region holds ``<domain>``'s attributes as Nova
        wrote them; what it does not hold is Nova's in the result.

        :param change: a :class:`~nova_xmlhooks.checks.Change`
        :param ruleset: the rules that were applied
        """
        region = change.region
        if region is None:
            # NOTE(xmlhooks): as check_change does with such a change.
            self(change.nova_root, change.result, ruleset)
            return
        if not any(_covers(region.children, tag, child)
                   for tag, child in READS):
            return
        result = gaps(change.result)
        if not result:
            return
        tags = region.tags
        nova = gaps(change.result,
                    change.before if 'features' in tags else None,
                    change.before if 'clock' in tags else None)
        self._judge(nova, result, lambda: change.nova_root, ruleset)

    def _judge(self, nova: frozenset[Gap], result: frozenset[Gap],
               nova_root: Callable[[], etree._Element],
               ruleset: engine.RuleSet) -> None:
        added = result - nova
        if not added:
            return
        gap = min(added)
        key = guard.culprit(self.customizers,
                            functools.partial(_has, gap),
                            nova_root(), ruleset, settled=True)
        needed = ' and '.join(sorted(
            other.needed for other in added if other.feature == gap.feature))
        raise exception.RuleError(key, (
            'it leaves Hyper-V %s on without %s, which QEMU needs for it: '
            'a KVM guest would not start' % (gap.feature, needed)))


def _covers(children: Mapping[str, frozenset[str] | None], tag: str,
            child: str) -> bool:
    """Whether a region's ``children`` cover ``child`` of ``tag``."""
    if tag not in children:
        return False
    inner = children[tag]
    return inner is None or child in inner


def _has(gap: Gap, root: etree._Element) -> bool:
    return gap in gaps(root)
