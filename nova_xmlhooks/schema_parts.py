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

"""Which parts of libvirt's domain schema judge which elements.

libvirt's ``domaincommon.rng`` makes the content of ``<domain>`` an
interleave of parts (``<ref name="os"/>``, ``<ref name="devices"/>``...),
and ``<devices>`` an interleave of its own. RelaxNG does not let two parts
of an interleave hold elements of the same name, so each element name
belongs to one part, and libxml2 validates each part on the elements of
its names alone. A document whose unchanged parts were valid is therefore
valid when its changed parts are: :class:`SchemaParts` reads the host's
schema to say which elements make up the parts a change touches, and
writes a grammar for ``<domain>`` in which every part is optional, so
that those elements can be validated without the rest.

NOTE(xmlhooks): this reads the grammar's structure only: names, refs and
the patterns that combine them. Anything it does not follow (an
``externalRef``, a nested ``<grammar>``, a ``parentRef``) makes it give
up, and the whole document is validated as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
import dataclasses
import os

from lxml import etree

RNG_NS = 'http://relaxng.org/ns/structure/1.0'
_R = '{%s}' % RNG_NS
#: patterns that combine patterns, followed when looking for elements
_COMBINE = frozenset(_R + name for name in (
    'optional', 'zeroOrMore', 'oneOrMore', 'choice', 'group',
    'interleave', 'mixed'))
#: patterns that hold no element
_NO_ELEMENTS = frozenset(_R + name for name in (
    'attribute', 'text', 'data', 'value', 'empty', 'notAllowed', 'list'))
#: patterns that judge elements by their order, or in groups
_STRUCTURE = frozenset(_R + name for name in ('group', 'interleave'))
#: a repetition any number of whose elements, none included, is valid
_REPEAT = frozenset([_R + 'zeroOrMore'])
#: what a part may be made of to be copied into the region grammar: no
#: name, datatype or namespace that it could inherit from where it stands
_COPYABLE = frozenset(_R + name for name in (
    'ref', 'optional', 'zeroOrMore', 'oneOrMore', 'choice', 'group',
    'interleave', 'empty'))
#: how deep includes may nest
_MAX_INCLUDES = 20


class Unsupported(Exception):
    """The grammar uses something this module does not follow."""


@dataclasses.dataclass(frozen=True)
class Branch:
    """One part of an interleave.

    :ivar names: the names of the elements it holds at its level, or None
        when it takes any name
    :ivar per_element: whether it is a ``zeroOrMore`` of single
        elements, so that it is valid when each of its elements is, and
        with none
    :ivar ordered: whether it groups elements outside an element (a
        ``<group>`` or an inner ``<interleave>``), which libxml2 judges
        by where the elements sit among the others
    :ivar pattern: the schema node of the part
    :ivar anything: whether any elements, with any content, are valid in
        it (the children of ``<metadata>``)
    """

    names: frozenset | None
    per_element: bool
    ordered: bool
    pattern: etree._Element = dataclasses.field(compare=False, repr=False)
    #: whether it takes any elements at all, with any content (the
    #: ``<metadata>`` of a domain): nothing in it can be invalid
    anything: bool = False


@dataclasses.dataclass(frozen=True)
class Level:
    """The content of one element of the schema.

    :ivar branches: the parts of its interleave; one part when its content
        is not an interleave
    :ivar others: the patterns next to the interleave (attributes)
    """

    branches: tuple[Branch, ...]
    others: tuple[etree._Element, ...] = dataclasses.field(
        default=(), compare=False, repr=False)

    @property
    def ordered(self) -> bool:
        """Whether the place of an element among the others may matter."""
        return any(branch.ordered for branch in self.branches)


def _qname(node: etree._Element, name: str) -> str:
    """The Clark name of an element name as written at ``node``."""
    prefix, _, local = name.rpartition(':')
    if prefix:
        uri = node.nsmap.get(prefix)
        if uri is None:
            raise Unsupported('undeclared prefix %s' % prefix)
    else:
        # NOTE(xmlhooks): RelaxNG's ns attribute is inherited from the
        # nearest element that has one.
        uri = ''
        for holder in (node, *node.iterancestors()):
            if 'ns' in holder.attrib:
                uri = holder.get('ns')
                break
    return '{%s}%s' % (uri, local) if uri else local


def element_name(node: etree._Element) -> str | None:
    """The name of an ``<element>`` pattern, or None for a name class.

    :param node: an ``<element>`` of the grammar
    :returns: a string or None
    """
    name = node.get('name')
    if name is not None:
        return _qname(node, name.strip())
    first = next(node.iterchildren(tag=etree.Element), None)
    if first is not None and first.tag == _R + 'name':
        return _qname(first, (first.text or '').strip())
    return None


def _any_name(node: etree._Element) -> bool:
    """Whether a name class is ``<anyName/>``, without exceptions."""
    return node.tag == _R + 'anyName' and len(node) == 0


def _content(node: etree._Element) -> list[etree._Element]:
    """The pattern children of an element, without its name class."""
    children = [child for child in node if isinstance(child.tag, str)]
    return children if node.get('name') is not None else children[1:]


class SchemaParts:
    """What a RelaxNG grammar for ``<domain>`` is made of.

    :ivar domain: the :class:`Level` of ``<domain>``
    :ivar root_name: the name of the root element
    """

    def __init__(self, path: str) -> None:
        """Read a grammar and the files it includes.

        :param path: the path of ``domain.rng``
        :raises: Unsupported, OSError or lxml.etree.XMLSyntaxError
        """
        self.path = os.path.abspath(path)
        self._defines: dict[str, list[etree._Element]] = {}
        self._starts: list[etree._Element] = []
        self._loaded: set[str] = set()
        self._load(self.path, frozenset(), 0)
        roots = [node for start in self._starts
                 for child in start for node in self._elements(child)]
        if len(roots) != 1:
            raise Unsupported('%d root elements' % len(roots))
        root_name = element_name(roots[0])
        if root_name is None:
            raise Unsupported('a root element without a name')
        self.root_name = root_name
        self.domain = self.level(roots[0])
        self._levels: dict[str, Level | None] = {}

    # Reading the files

    def _load(self, path: str, overridden: frozenset[str], depth: int) -> None:
        if depth > _MAX_INCLUDES:
            raise Unsupported('includes nest too deep')
        if path in self._loaded:
            return
        self._loaded.add(path)
        parser = etree.XMLParser(no_network=True, resolve_entities=False,
                                 remove_comments=True)
        root = etree.parse(path, parser).getroot()
        if root.tag != _R + 'grammar':
            raise Unsupported('%s is not a grammar' % path)
        self._scan(root, path, overridden, depth)

    def _scan(self, node: etree._Element, path: str,
              overridden: frozenset[str], depth: int) -> None:
        for child in node.iterchildren(tag=etree.Element):
            tag = child.tag
            if tag == _R + 'define':
                if child.get('name') not in overridden:
                    self._defines.setdefault(child.get('name'),
                                             []).append(child)
            elif tag == _R + 'start':
                if '' not in overridden:
                    self._starts.append(child)
            elif tag == _R + 'div':
                self._scan(child, path, overridden, depth)
            elif tag == _R + 'include':
                self._include(child, path, overridden, depth)

    def _include(self, node: etree._Element, path: str,
                 overridden: frozenset[str], depth: int) -> None:
        href = node.get('href', '')
        if '://' in href or href.startswith('file:'):
            raise Unsupported('include of a URL')
        inner = {child.get('name') for child in node.iter(_R + 'define')}
        if next(node.iter(_R + 'start'), None) is not None:
            inner.add('')
        self._load(os.path.join(os.path.dirname(path), href),
                   overridden | inner, depth + 1)
        self._scan(node, path, overridden, depth)

    def _parts(self, name: str) -> list[etree._Element]:
        parts = self._defines.get(name)
        if not parts:
            raise Unsupported('undefined %s' % name)
        return parts

    # Walking patterns

    def _elements(
            self, node: etree._Element,
            seen: frozenset[str] = frozenset()) -> Iterator[etree._Element]:
        """The element patterns at the level of ``node``, refs followed."""
        tag = node.tag
        if tag == _R + 'element':
            yield node
        elif tag == _R + 'ref':
            name = node.get('name')
            if name not in seen:
                for part in self._parts(name):
                    for child in part:
                        yield from self._elements(child, seen | {name})
        elif tag in _COMBINE:
            for child in node:
                yield from self._elements(child, seen)
        elif isinstance(tag, str) and tag not in _NO_ELEMENTS:
            raise Unsupported(tag)

    def _holds_elements(self, node: etree._Element) -> bool:
        return next(self._elements(node), None) is not None

    def _single(self, node: etree._Element) -> etree._Element:
        """A ref to a one-pattern define, followed to that pattern."""
        while node.tag == _R + 'ref':
            parts = self._parts(node.get('name'))
            if len(parts) != 1 or len(parts[0]) != 1:
                return node
            node = parts[0][0]
        return node

    def _flatten(self,
                 nodes: Iterable[etree._Element]) -> Iterator[etree._Element]:
        """The items of a content: element-holding refs and groups opened."""
        for node in nodes:
            if node.tag == _R + 'group' and self._holds_elements(node):
                yield from self._flatten(list(node))
            elif node.tag == _R + 'ref' and self._holds_elements(node):
                parts = self._parts(node.get('name'))
                if len(parts) != 1:
                    raise Unsupported('combined %s' % node.get('name'))
                yield from self._flatten(list(parts[0]))
            else:
                yield node

    def _grouped(self, children: Iterable[etree._Element]) -> bool:
        """Whether more than one of ``children`` holds elements."""
        return sum(1 for child in children if self._holds_elements(child)) > 1

    def _ordered(self, node: etree._Element,
                 seen: frozenset[str] = frozenset()) -> bool:
        """Whether elements are grouped outside an element below node.

        NOTE(xmlhooks): a define of several patterns is a group of them,
        and several defines of one name are taken as one group, which may
        only say "ordered" where a choice would not.
        """
        tag = node.tag
        if tag == _R + 'ref':
            name = node.get('name')
            if name in seen:
                return False
            children = [child for part in self._parts(name)
                        for child in part]
            return self._grouped(children) or any(
                self._ordered(child, seen | {name}) for child in children)
        if tag in _COMBINE:
            return (tag in _STRUCTURE and self._grouped(list(node))) or any(
                self._ordered(child, seen) for child in node)
        return False

    def _per_element(self, node: etree._Element) -> bool:
        node = self._single(node)
        if node.tag not in _REPEAT or len(node) != 1:
            return False
        inner = self._single(node[0])
        options = list(inner) if inner.tag == _R + 'choice' else [inner]
        return all(self._single(option).tag == _R + 'element'
                   for option in options)

    def _branch(self, node: etree._Element) -> Branch:
        elements = list(self._elements(node))
        names = {element_name(element) for element in elements}
        per_element = self._per_element(node)
        return Branch(
            names=None if None in names else frozenset(names),
            per_element=per_element, ordered=self._ordered(node),
            pattern=node, anything=per_element and all(
                self._anything(element) for element in elements))

    def _anything(self, element: etree._Element) -> bool:
        """Whether an element pattern takes any element and content.

        It is RelaxNG's usual way of saying so: an element of any name
        holding any attributes, text and such elements, and nothing
        else::

            <define name="any">
              <element><anyName/>
                <zeroOrMore><choice>
                  <attribute><anyName/></attribute>
                  <text/>
                  <ref name="any"/>
                </choice></zeroOrMore>
              </element>
            </define>
        """
        children = [child for child in element
                    if isinstance(child.tag, str)]
        if (element.get('name') is not None or len(children) != 2 or
                not _any_name(children[0]) or
                children[1].tag != _R + 'zeroOrMore' or
                len(children[1]) != 1 or
                children[1][0].tag != _R + 'choice'):
            return False
        return all(self._any_content(option, element)
                   for option in children[1][0])

    def _any_content(self, option: etree._Element,
                     element: etree._Element) -> bool:
        tag = option.tag
        if tag == _R + 'text':
            return True
        if tag == _R + 'attribute':
            inner = [child for child in option if isinstance(child.tag, str)]
            return (option.get('name') is None and len(inner) in (1, 2) and
                    _any_name(inner[0]) and
                    all(child.tag == _R + 'text' for child in inner[1:]))
        if tag == _R + 'ref':
            parts = self._parts(option.get('name'))
            return (len(parts) == 1 and len(parts[0]) == 1 and
                    parts[0][0] is element)
        return False

    def level(self, element: etree._Element) -> Level:
        """The :class:`Level` of an element pattern's content.

        :param element: an ``<element>`` node of the schema
        :raises: Unsupported
        """
        items = list(self._flatten(_content(element)))
        interleaves = [item for item in items
                       if item.tag == _R + 'interleave']
        others = tuple(item for item in items
                       if item.tag != _R + 'interleave')
        holding = [item for item in others if self._holds_elements(item)]
        if len(interleaves) > 1 or interleaves and holding:
            raise Unsupported('elements outside the interleave')
        if interleaves:
            branches = tuple(self._branch(child) for child in interleaves[0]
                             if isinstance(child.tag, str))
            return Level(branches, others)
        if len(holding) > 1:
            raise Unsupported('a sequence of elements')
        return Level(tuple(self._branch(item) for item in holding), others)

    def child_level(self, tag: str) -> Level | None:
        """The :class:`Level` of a child of the root, or None.

        :param tag: the child's tag
        :returns: None when the schema has no single element for it
        """
        if tag not in self._levels:
            self._levels[tag] = self._child_level(tag)
        return self._levels[tag]

    def _child_level(self, tag: str) -> Level | None:
        owners = [b for b in self.domain.branches
                  if b.names is not None and tag in b.names]
        if len(owners) != 1:
            return None
        found = [node for node in self._elements(owners[0].pattern)
                 if element_name(node) == tag]
        if len(found) != 1:
            return None
        try:
            return self.level(found[0])
        except Unsupported:
            return None

    # The region grammar

    def region_grammar(self) -> etree._ElementTree:
        """A grammar for a ``<domain>`` of some of its parts.

        Every part of the root's content, and every pattern next to it, is
        made optional; the parts themselves are the host's own.

        :returns: the grammar, as an ``lxml`` tree
        :raises: Unsupported if a part cannot be copied as it is written
        """
        parts = [branch.pattern for branch in self.domain.branches]
        for node in list(self.domain.others) + parts:
            for inner in node.iter(tag=etree.Element):
                if inner.tag not in _COPYABLE:
                    raise Unsupported('a part written inline')
        local = self.root_name.rpartition('}')[2]
        uri = self.root_name[1:].partition('}')[0] if (
            self.root_name[0] == '{') else ''
        grammar = etree.Element(_R + 'grammar', nsmap={None: RNG_NS})
        include = etree.SubElement(grammar, _R + 'include', href=self.path)
        element = etree.SubElement(etree.SubElement(include, _R + 'start'),
                                   _R + 'element', name=local, ns=uri)
        for node in self.domain.others:
            etree.SubElement(element, _R + 'optional').append(_copy(node))
        interleave = etree.SubElement(element, _R + 'interleave')
        for node in parts:
            etree.SubElement(interleave, _R + 'optional').append(_copy(node))
        return etree.ElementTree(grammar)


def _copy(node: etree._Element) -> etree._Element:
    copied = etree.fromstring(etree.tostring(node, with_tail=False))
    copied.tail = None
    return copied
