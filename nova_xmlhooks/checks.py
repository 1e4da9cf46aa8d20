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

"""The checks run on every customised document, and what they look at.

Every document that leaves the engine is checked. What the checks read
follows what the rules may change: each customiser declares the children
of ``<domain>`` its rules may change (see
:meth:`~nova_xmlhooks.customizers.base.Customizer.touches`), as a
:class:`Region`. Before the rules run, the engine copies Nova's children
in that region (:class:`Snapshot`); after, it makes sure nothing outside
the region moved (:meth:`Snapshot.change`), and hands the checks a
:class:`Change`: the guard compares the region of both documents, the
schema check validates the region's elements. Whatever cannot be
attributed (a customiser that declares nothing, a rule that adds or
removes a child of ``<domain>`` outside its region, an attribute of
``<domain>``) makes the region ``None``, and the checks read the whole
documents, as they always did.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Sequence
import copy
import dataclasses
import enum
import functools
import typing as ty

from lxml import etree

from nova_xmlhooks import guard as guard_mod
from nova_xmlhooks import hyperv_deps
from nova_xmlhooks import schema as schema_mod

if ty.TYPE_CHECKING:
    from oslo_config import cfg

    from nova_xmlhooks.customizers import base
    from nova_xmlhooks import engine

    #: a check: ``check(nova_root, result_root, ruleset)`` raises to refuse
    #: a customised document
    Check: ty.TypeAlias = Callable[
        [etree._Element, etree._Element, engine.RuleSet], None]
    #: what :func:`_sequence` says of one child: its tag (a str, or a
    #: function of lxml's for a comment or a processing instruction), its
    #: tail, and the text of a comment or a processing instruction
    Item: ty.TypeAlias = tuple[object, str | None, str | None]
    #: elements of a document, in document order
    Elements: ty.TypeAlias = list[etree._Element]

#: a snapshot copies Nova's whole document rather than this many more of
#: its top-level children: lxml copies one tree faster than several
#: subtrees of the same size
MAX_PART_COPIES = 3


class _Absent(enum.Enum):
    """What a region holds for a tag it does not cover.

    NOTE(xmlhooks): an enum's one member rather than a bare object, so
    that type checkers tell it apart from a region's values.
    """

    ABSENT = 0


_ABSENT: ty.Final = _Absent.ABSENT


def load_checks(conf: cfg.ConfigOpts,
                customizers: base.Customizers | None = None) -> list[Check]:
    """Build the checks the configuration asks for.

    :param conf: the service's ``oslo_config.cfg.ConfigOpts``
    :param customizers: the engine's customisers, which the guard uses to
        name the rule behind a refused change
    :returns: a list of callables ``check(nova_root, result_root, ruleset)``;
        those that also have ``check_change(change, ruleset)`` read only
        what changed (see :func:`run`)
    """
    checks: list[Check] = []
    # NOTE(xmlhooks): the guard runs first: a refused change is reported
    # as such, not as whatever schema error it may also cause.
    guard = guard_mod.from_conf(conf, customizers)
    if guard is not None:
        checks.append(guard)
    checks.append(guard_mod.IdentityCheck(customizers))
    schema = schema_mod.from_conf(conf)
    if schema is not None:
        checks.append(schema)
    # NOTE(xmlhooks): after the schema check: a document libvirt cannot
    # read is reported as such before what QEMU would make of it.
    checks.append(hyperv_deps.HypervDependencyCheck(customizers))
    return checks


def run(check: Check, change: Change, ruleset: engine.RuleSet) -> None:
    """Run one check on a change.

    :param check: a callable ``check(nova_root, result_root, ruleset)``,
        with ``check_change(change, ruleset)`` when it can read a region
    :param change: a :class:`Change`
    :param ruleset: the applied rules
    :raises: nova_xmlhooks.exception.XmlHooksError to refuse the document
    """
    check_change = getattr(check, 'check_change', None)
    if check_change is not None:
        check_change(change, ruleset)
    else:
        check(change.nova_root, change.result, ruleset)


def _parts(items: Iterable[base.Place]) -> dict[str, frozenset[str] | None]:
    parts: dict[str, frozenset[str] | None] = {}
    for item in items:
        tag, child = (item, None) if isinstance(item, str) else (
            item[0], item[1] if len(item) > 1 else None)
        if child is None:
            parts[tag] = None
        elif tag not in parts or parts[tag] is not None:
            parts[tag] = (parts.get(tag) or frozenset()) | {child}
    return parts


@dataclasses.dataclass(frozen=True)
class Region:
    """The children of ``<domain>`` that rules may change.

    :ivar parts: a tuple of ``(tag, children)`` pairs, one per tag of a
        child of ``<domain>``, sorted: ``children`` is None when anything
        in those children may change, or a frozenset of the tags of their
        own children that may change (nothing else in them may)
    """

    parts: tuple[tuple[str, frozenset[str] | None], ...] = ()

    @classmethod
    def of(cls, items: Iterable[base.Place]) -> Region:
        """Build a region from what customisers declare.

        :param items: tags of children of ``<domain>``, or ``(tag,
            child tag)`` pairs
        :returns: a :class:`Region`
        """
        return cls(tuple(sorted(_parts(items).items())))

    @ty.overload
    def union(self, other: Region) -> Region:
        ...

    @ty.overload
    def union(self, other: None) -> None:
        ...

    def union(self, other: Region | None) -> Region | None:
        """The region of this one and ``other``, or None if either is.

        :param other: a :class:`Region`, or None for the whole domain
        :returns: a :class:`Region`, or None
        """
        if other is None:
            return None
        merged = dict(self.parts)
        for tag, children in other.parts:
            if tag not in merged:
                merged[tag] = children
                continue
            mine = merged[tag]
            if mine is not None:
                merged[tag] = None if children is None else mine | children
        return Region(tuple(sorted(merged.items())))

    def widened(self, tags: Collection[str]) -> Region:
        """This region with the children of ``tags`` changed as a whole.

        :param tags: tags of children of ``<domain>``
        :returns: a :class:`Region`
        """
        if not tags:
            return self
        # NOTE(xmlhooks): a rule set widens the same way on every boot;
        # the checks keep what they work out per region.
        key = frozenset(tags)
        region = self._widened.get(key)
        if region is None:
            region = self._widened[key] = Region(tuple(
                (tag, None if tag in key else children)
                for tag, children in self.parts))
        return region

    @functools.cached_property
    def _widened(self) -> dict[frozenset[str], Region]:
        return {}

    @functools.cached_property
    def tags(self) -> frozenset[str]:
        """The tags of the children of ``<domain>`` in the region."""
        return frozenset(tag for tag, _children in self.parts)

    @functools.cached_property
    def children(self) -> dict[str, frozenset[str] | None]:
        """``{tag: children}``, as in :attr:`parts`."""
        return dict(self.parts)

    def nodes(self, root: etree._Element) -> tuple[Elements, Elements]:
        """The elements of a document that the region covers.

        :param root: a ``<domain>`` element
        :returns: ``(shallow, deep)``: the children of ``root`` of which
            only some children may change, and the roots of the subtrees
            that may change as a whole, in document order
        """
        shallow: list[etree._Element] = []
        deep: list[etree._Element] = []
        children = self.children
        # NOTE(xmlhooks): lxml sets up a matcher for the tags given to
        # iterchildren() on every call, which costs more than reading the
        # few children of <domain> and of each shallow part here. A
        # comment's tag is no str, and is in no region.
        for child in root:
            inner = children.get(child.tag, _ABSENT)
            if inner is _ABSENT:
                continue
            if inner is None:
                deep.append(child)
            else:
                shallow.append(child)
                deep.extend([node for node in child if node.tag in inner])
        return shallow, deep


def _sequence(parent: etree._Element) -> list[Item]:
    """What a parent's children are, without their content.

    NOTE(xmlhooks): a comment's or a processing instruction's text is
    part of it: nothing but its parent holds it.
    """
    return [(child.tag, child.tail, None if isinstance(child.tag, str)
             else child.text) for child in parent]


def _same_except(before: Sequence[Item], after: Sequence[Item],
                 tags: Collection[object]) -> bool:
    return ([item for item in before if item[0] not in tags] ==
            [item for item in after if item[0] not in tags])


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """Nova's document as it was, in the part the rules may change.

    :ivar region: the :class:`Region` the rules declared, or None
    :ivar before: a ``<domain>`` holding copies of Nova's children in the
        region, in their order; Nova's whole document when ``whole``
    :ivar whole: whether ``before`` is a copy of Nova's whole document
    :ivar attrib: the attributes of Nova's ``<domain>``
    :ivar text: the text of Nova's ``<domain>``
    :ivar sequence: what the children of Nova's ``<domain>`` were
    """

    region: Region | None
    before: etree._Element
    whole: bool
    attrib: tuple[tuple[str, str], ...]
    text: str | None
    sequence: tuple[Item, ...]

    @classmethod
    def take(cls, root: etree._Element, region: Region | None) -> Snapshot:
        """Copy what the checks will compare, before the rules run.

        :param root: Nova's ``<domain>``, about to be changed
        :param region: a :class:`Region`, or None for all of it
        :returns: a :class:`Snapshot`
        """
        sequence = tuple(_sequence(root))
        tags = () if region is None else region.tags
        wanted = [child for child in root if child.tag in tags]
        if region is None or len(wanted) > MAX_PART_COPIES:
            return cls(region, copy.deepcopy(root), True,
                       tuple(root.items()), root.text, sequence)
        before = etree.Element(root.tag, nsmap=root.nsmap)
        for child in wanted:
            before.append(copy.deepcopy(child))
        return cls(region, before, False, tuple(root.items()), root.text,
                   sequence)

    def change(self, root: etree._Element, text: str,
               nova_root: Callable[[], etree._Element],
               tidied: bool = False) -> Change:
        """What the rules changed, for the checks.

        :param root: the customised ``<domain>``
        :param text: the customised document, serialised
        :param nova_root: a callable returning Nova's whole document, parsed
            again (used only where a check needs all of it)
        :param tidied: whether whitespace was dropped anywhere when the
            document was serialised
        :returns: a :class:`Change`
        """
        nova = (lambda: self.before) if self.whole else nova_root
        sequence = tuple(_sequence(root))
        region = self._held(root, sequence, tidied)
        return Change(result=root, text=text, region=region,
                      before=self.before,
                      tags=tuple(item[0] for item in sequence),
                      nova_tags=tuple(item[0] for item in self.sequence),
                      nova=nova)

    def _held(self, root: etree._Element, sequence: tuple[Item, ...],
              tidied: bool) -> Region | None:
        """The region that holds every change, or None.

        NOTE(xmlhooks): a customiser that declares ``(tag, child tag)``
        may also create the ``tag`` element, and emptying its last child
        may remove it; such an element is then compared as a whole.
        """
        region = self.region
        if region is None or tidied or root.text != self.text or (
                tuple(root.items()) != self.attrib):
            return None
        if sequence == self.sequence:
            return region
        if not _same_except(self.sequence, sequence, region.tags):
            return None
        before = [item[0] for item in self.sequence]
        after = [item[0] for item in sequence]
        return region.widened([tag for tag, inner in region.parts
                               if inner is not None and
                               before.count(tag) != after.count(tag)])


@dataclasses.dataclass(frozen=True)
class Change:
    """A customised document and what the rules changed in it.

    :ivar result: the customised ``<domain>``
    :ivar region: the :class:`Region` outside which the result is Nova's
        document, or None when the checks must read the whole documents
    :ivar text: the customised document, as it leaves the engine
    :ivar before: a ``<domain>`` holding Nova's children in the region
        (the whole document when ``region`` is None)
    :ivar tags: the tags of the children of the customised ``<domain>``
    :ivar nova_tags: the tags of the children of Nova's ``<domain>``
    """

    result: etree._Element
    text: str
    region: Region | None
    before: etree._Element
    tags: tuple[object, ...]
    nova_tags: tuple[object, ...]
    nova: Callable[[], etree._Element] = dataclasses.field(repr=False,
                                                           compare=False)

    @functools.cached_property
    def nova_root(self) -> etree._Element:
        """Nova's whole document, parsed again when it was not copied."""
        return self.nova()
