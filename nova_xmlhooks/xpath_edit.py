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

"""XPath edits in the grammar of ``virt-xml --xml``.

An edit is one of::

    XPATH=VALUE                 same as xpath.set=XPATH=VALUE
    xpath.set=XPATH=VALUE       set an attribute (XPATH ends in /@name) or
                                the text of an element, creating missing
                                elements on the way, but not a new device
    xpath.set=XPATH=            no value: remove the attribute or the text;
                                the element stays
    xpath.create=XPATH          make sure the element exists
    xpath.delete=XPATH          remove every matched element

The semantics follow virt-manager's ``virtinst.xmlapi`` so that an edit
gives what ``virt-xml --edit --xml`` gives, with four deliberate
differences: set and delete act on every node the XPath matches (virt-xml
only touches the first); VALUE is everything after the first ``=``
outside brackets and quotes, so a value may itself contain ``=``; a set
that matches nothing never adds a new child of ``<devices>`` (only
``xpath.create`` does), because a set that misses the device it meant to
tune would otherwise add a bare, different one; and an unset removes the
attribute or the text only, never an element (virt-xml also removes the
elements it leaves empty), because to libvirt an empty ``<acpi/>``,
``<apic/>`` or ``<vmcoreinfo/>`` means "on": ``xpath.delete`` removes
elements.

Every XPath is parsed by elementpath's XPath 1.0 parser, and its syntax
tree is checked against what edits may use (see :class:`_Checker`);
lxml compiles and evaluates it.

NOTE(xmlhooks): edits are parsed and their XPath compiled once; applying
one never formats a user value into an XPath expression or parses it as
XML. Values are set as text or attribute values, which lxml escapes.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
import dataclasses
import functools
import re
import typing as ty

import elementpath
from lxml import etree

from nova_xmlhooks import messages

if ty.TYPE_CHECKING:
    #: a node of elementpath's syntax tree of an XPath
    Token: ty.TypeAlias = elementpath.XPathToken

QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0'
NAMESPACES = {'qemu': QEMU_NS}

SET = 'set'
CREATE = 'create'
DELETE = 'delete'

# The last step of an XPath that sets an attribute. The name is loose on
# purpose: parse() asks lxml whether it is a name it will set.
_ATTR_RE = re.compile(r"""^@(?:(?P<prefix>[^\s\[\]()/|=*:@'"$,<>!+]+):)?
                          (?P<name>[^\s\[\]()/|=*:@'"$,<>!+]+)$""",
                      re.VERBOSE)
# NOTE(xmlhooks): the names of the elements and condition attributes that
# a set creates are ASCII: lxml refuses to create some names that XPath
# accepts (``x\u00b2``), which would otherwise fail only when applied.
_CREATABLE_NAME_RE = re.compile(r'[A-Za-z_][\w.-]*\Z', re.ASCII)

# What the syntax tree of an edit's XPath may hold, by token symbol.
# Literals, name tests and '.' have nothing below them.
_LEAVES = frozenset(('(string)', '(integer)', '(decimal)', '(float)',
                     '(name)', '.'))
# Operators and node-type tests: checked through. '*' is both the name
# test and the multiplication, '@' the abbreviated attribute axis, '(' a
# parenthesised expression.
_THROUGH = frozenset(('and', 'or', '=', '!=', '<', '<=', '>', '>=', '+',
                      '-', 'div', 'mod', '|', '*', '@', '(', 'node',
                      'text', 'comment', 'processing-instruction'))
# XPath 1.0's own functions; lxml's extensions (EXSLT and friends) need a
# prefix that NAMESPACES does not define.
_FUNCTIONS = frozenset((
    'last', 'position', 'count', 'id', 'local-name', 'namespace-uri',
    'name', 'string', 'concat', 'starts-with', 'contains',
    'substring-before', 'substring-after', 'substring', 'string-length',
    'normalize-space', 'translate', 'boolean', 'not', 'true', 'false',
    'lang', 'number', 'sum', 'floor', 'ceiling', 'round'))
# NOTE(xmlhooks): libxml2 searches a string naively, and looks each
# character up in translate()'s lists: the cost is the product of the
# lengths. With the pattern a literal, it is at most 255 times the
# string searched.
_LITERAL_ARGUMENTS = {'contains': (1,), 'substring-before': (1,),
                      'substring-after': (1,), 'translate': (1, 2)}
# NOTE(xmlhooks): libxml2 copies the result so far for each argument of
# concat(); nest calls for more.
_MAX_CONCAT_ARGUMENTS = 3
# Axes that stay on the node a step starts from: allowed everywhere.
_LOCAL_AXES = frozenset(('child', 'attribute', 'self', 'namespace'))
# Axes that walk the whole subtree: once, outside predicates.
_DESCENDANT_AXES = frozenset(('descendant', 'descendant-or-self'))
# Everything else (parent, ancestor, preceding, following, the sibling
# axes) is refused: see _Checker.
_MAX_PREDICATE_DEPTH = 2
# NOTE(xmlhooks): W3C error codes that elementpath gives its errors; the
# token it attaches names the prefix or function. No message is parsed.
_UNDECLARED_PREFIX = 'XPST0081'
_UNKNOWN_FUNCTION = 'XPST0017'


class EditError(ValueError):
    """An edit is malformed or cannot be applied; the message says why.

    :ivar public: for an edit that cannot be applied, the message without
        the XPath, for users (see :class:`~nova_xmlhooks.exception.
        RuleError`); None when the message may be shown as it is
    :ivar unmatched: whether the edit failed only because its XPath
        matches nothing in the document
    """

    #: the longest message kept whole; a longer one (it quotes an XPath
    #: from a profile, which may be long) keeps its start and its end
    LONGEST = 1024

    def __init__(self, message: str, public: str | None = None,
                 unmatched: bool = False) -> None:
        if len(message) > self.LONGEST:
            message = '%s ... %s' % (message[:self.LONGEST // 2],
                                     message[-self.LONGEST // 4:])
        super().__init__(messages.printable(message))
        self.public = public
        self.unmatched = unmatched


@dataclasses.dataclass(frozen=True)
class _Step:
    prefix: str | None
    name: str
    position: int | None
    cond_attr: str | None
    cond_value: str | None
    text: str
    compiled: etree.XPath = dataclasses.field(repr=False, compare=False)

    def qname(self) -> str:
        if self.prefix is None:
            return self.name
        return '{%s}%s' % (NAMESPACES[self.prefix], self.name)

    def tag(self) -> str:
        """The element's name as the XPath writes it."""
        if self.prefix is None:
            return self.name
        return '%s:%s' % (self.prefix, self.name)

    def make(self, parent: etree._Element) -> etree._Element:
        """Add the element this step names to ``parent``.

        :param parent: the element to add it to
        :returns: the new element
        """
        child = etree.SubElement(
            parent, self.qname(),
            nsmap=({self.prefix: NAMESPACES[self.prefix]}
                   if self.prefix else None))
        if self.cond_attr is not None:
            child.set(self.cond_attr, self.cond_value)
        return child


@dataclasses.dataclass(frozen=True)
class Edit:
    """A parsed and compiled edit.

    :ivar action: ``set``, ``create`` or ``delete``
    :ivar xpath: the XPath as written, ending in ``/@attr`` for attributes
    :ivar value: the value to set; ``None`` unsets
    """

    action: str
    xpath: str
    value: str | None
    element_xpath: str
    attribute: str | None
    steps: tuple[_Step, ...] | None
    _compiled: etree.XPath = dataclasses.field(repr=False, compare=False)

    def apply(self, root: etree._Element) -> None:
        """Apply the edit to a domain document.

        :param root: the ``<domain>`` element, changed in place
        :raises: EditError if the XPath selects something other than
            elements, or matches nothing and may not or cannot be created
        """
        nodes = self._matches(root)
        if self.action == DELETE:
            for node in nodes:
                _remove(node)
        elif self.action == SET and self.value is None:
            self._unset(nodes)
        elif not nodes:
            self._set(self._make_stub(root))
        else:
            for node in nodes:
                self._set(node)

    def writes_qemu(self) -> bool:
        """Whether applying the edit always writes QEMU passthrough.

        A set or a create whose path has a ``qemu:`` step creates or
        changes elements in QEMU's namespace, whatever the document. An
        XPath that is not a plain path may or may not; it is not said.
        """
        if self.steps is None or self.action == DELETE or (
                self.action == SET and self.value is None):
            return False
        return any(step.prefix is not None for step in self.steps)

    @functools.cached_property
    def touches(self) -> tuple[str, ...] | None:
        """The part of the domain the edit may change, or None.

        The first one or two steps of the XPath, when they are child
        steps by name (with predicates, which only read): ``(tag,)`` or
        ``(tag, child tag)``. The edit changes nothing outside the
        elements those steps reach, but may create them, and a delete may
        remove them (an unset removes no element). None when the XPath
        does not start so (``.//x``, ``./*/x``, ``./@x``): it may change
        anything.

        :returns: a tuple of one or two Clark names, or None
        """
        return _compile(self.element_xpath).touches

    def _set(self, node: etree._Element) -> None:
        if self.action == CREATE:
            return
        if self.attribute is None:
            node.text = self.value
        else:
            node.set(self.attribute, self.value)

    def _unset(self, nodes: Iterable[etree._Element]) -> None:
        # NOTE(xmlhooks): the element stays, even with nothing left in it:
        # to libvirt <acpi/>, <apic/>, <vmcoreinfo/>, <pae/> mean "on" by
        # being there, and an unset asks for the attribute's default, not
        # for the feature to go (xpath.delete is for that). An unset
        # creates nothing, so it leaves no element of its own to clean up.
        for node in nodes:
            if self.attribute is None:
                node.text = None
            else:
                node.attrib.pop(self.attribute, None)

    def _matches(self, root: etree._Element) -> list[etree._Element]:
        try:
            result = self._compiled(root)
        except etree.XPathError as e:
            raise EditError("XPath '%s' cannot be evaluated: %s"
                            % (self.element_xpath, e),
                            public='its XPath cannot be evaluated')
        if not isinstance(result, list):
            raise EditError("XPath '%s' returns a %s, not elements"
                            % (self.element_xpath, type(result).__name__),
                            public='its XPath returns a %s, not elements'
                            % type(result).__name__)
        for node in result:
            if not isinstance(node, etree._Element) or not isinstance(
                    node.tag, str):
                raise EditError("XPath '%s' selects something other than "
                                "elements" % self.element_xpath,
                                public='its XPath selects something other '
                                'than elements')
        if self.touches is None:
            # NOTE(xmlhooks): an XPath whose first step is not a name
            # (.//x, ./*[...]) is refused at parse time only when it
            # starts at <metadata>; where it matched is known now.
            _check_outside_metadata(result, root, self.element_xpath)
        return result

    def _make_stub(self, root: etree._Element) -> etree._Element:
        """Create the missing elements on the path, as virt-xml does.

        NOTE(xmlhooks): except a new child of ``<devices>`` for a set:
        ``./devices/interface/model/@type=virtio`` on a guest without an
        interface means to tune interfaces, not to add a bare one.
        Nothing is created unless all of the path can be.
        """
        if self.steps is None:
            raise EditError("XPath '%s' matches nothing and is too complex "
                            "to create" % self.element_xpath,
                            public='its XPath matches nothing and is too '
                            'complex to create', unmatched=True)
        parent, first = self._deepest_existing(root, self.steps)
        device = _first_device(self.steps, parent, first, root)
        if self.action == SET and device is not None:
            raise EditError(
                "XPath '%s' matches nothing, and a set does not add <%s> to "
                "<devices>: add it with xpath.create=%s first"
                % (self.element_xpath, self.steps[device].tag(),
                   _join(self.steps[:device + 1])),
                public='its XPath matches nothing, and a set does not add '
                'a device', unmatched=True)
        for step in self.steps[first:]:
            parent = step.make(parent)
        return parent

    def _deepest_existing(
            self, root: etree._Element,
            steps: Sequence[_Step]) -> tuple[etree._Element, int]:
        """The deepest element on the path, and the first step missing."""
        parent = root
        for number, step in enumerate(steps):
            found = step.compiled(parent)
            if not found:
                return parent, number
            parent = found[0]
        return parent, len(steps)


#: NOTE(xmlhooks): Nova's <nova:instance> is read by Nova, by Ceilometer
#: (flavor, owner, project), by ``nova-xmlhooks audit``, ``render`` and
#: ``show`` (the flavor's extra specs) and by the rules' own placeholders
#: ({instance_name}...); the record is the engine's. An edit there would
#: make a guest's document say another flavor or owner, and the rules no
#: longer apply to their own output the same way.
_METADATA_IS_KEPT = ("<metadata>, which holds Nova's record of the "
                     "instance and nova-xmlhooks's: no rule may change it")
#: children of ``<domain>`` that no edit may select, and why. NOTE(xmlhooks):
#: Nova finds the guest by its UUID, libvirt by name or UUID; see
#: nova_xmlhooks.guard.IDENTITY, which refuses a change to either however
#: it is made. Refusing the plain XPaths here lets nova-api refuse them.
_KEPT = {
    'metadata': _METADATA_IS_KEPT,
    'name': "<name>, by which libvirt finds the guest: no rule may change "
            "it",
    'uuid': "<uuid>, by which Nova finds the guest: no rule may change it",
}


def _check_outside_metadata(nodes: Iterable[etree._Element],
                            root: etree._Element, xpath: str) -> None:
    """Refuse an edit of what lies in ``<metadata>``, or of it.

    :param nodes: the elements an XPath selected
    :param root: the ``<domain>`` element
    :param xpath: the XPath, for the message
    :raises: EditError
    """
    for node in nodes:
        top, parent = node, node.getparent()
        while parent is not None and parent is not root:
            top, parent = parent, parent.getparent()
        if parent is root and top.tag == 'metadata':
            raise EditError("XPath '%s' reaches into %s"
                            % (xpath, _METADATA_IS_KEPT),
                            public='its XPath reaches into %s'
                            % _METADATA_IS_KEPT)


def _first_device(steps: Sequence[_Step], parent: etree._Element, first: int,
                  root: etree._Element) -> int | None:
    """The index of the step that would add a child to ``<devices>``.

    :param steps: the steps of an XPath
    :param parent: the deepest element of the path that exists
    :param first: the index of the first step that does not
    :param root: the ``<domain>`` element
    :returns: an index into ``steps``, or None
    """
    if first < len(steps) and _is_devices(parent, root):
        return first
    if (parent is root and first + 1 < len(steps) and
            steps[first].qname() == 'devices'):
        return first + 1
    return None


def _is_devices(node: etree._Element, root: etree._Element) -> bool:
    return node.tag == 'devices' and node.getparent() is root


def _join(steps: Iterable[_Step]) -> str:
    return '/'.join(['.'] + [step.text for step in steps])


def _remove(node: etree._Element) -> None:
    parent = node.getparent()
    if parent is None:
        raise EditError('the root element cannot be deleted')
    parent.remove(node)


def _split_set(body: str) -> tuple[str, str]:
    """Split ``XPATH=VALUE`` at the first ``=`` outside brackets/quotes."""
    depth = 0
    quote = None
    for i, char in enumerate(body):
        if quote:
            if char == quote:
                quote = None
        elif char in '\'"':
            quote = char
        elif char == '[':
            depth += 1
        elif char == ']':
            depth -= 1
        elif char == '=' and depth == 0:
            return body[:i], body[i + 1:]
    raise EditError("'%s' is not of the form XPATH=VALUE" % body)


def _not_allowed(xpath: str, what: str) -> EditError:
    return EditError("XPath '%s' uses %s, which is not allowed"
                     % (xpath, what))


def _inside(depth: int) -> str:
    return ' inside a predicate' if depth else ''


@dataclasses.dataclass(frozen=True)
class _Checker:
    """Allow what an edit's XPath may use, on elementpath's syntax tree.

    The rules bound the work of applying an edit (see the hardening
    guide). Every step walks down from the node it starts from, with the
    child, attribute, self or namespace axis; the whole XPath may take
    one descendant step (``//``, ``descendant::``,
    ``descendant-or-self::``), outside predicates. Predicates, which run
    once per candidate node, nest at most _MAX_PREDICATE_DEPTH deep.
    ``..``, absolute paths, variables and the parent, ancestor,
    preceding, following and sibling axes are refused everywhere; only
    XPath 1.0 functions may be called, search patterns are literals and
    concat() takes at most _MAX_CONCAT_ARGUMENTS arguments.

    :ivar xpath: the XPath, for messages
    """

    xpath: str

    def check(self, tree: Token) -> None:
        """Check a whole XPath.

        :param tree: the root token of its syntax tree
        :raises: EditError naming the first thing that is not allowed
        """
        if self.walk(tree) > 1:
            raise _not_allowed(self.xpath, "more than one '//' or "
                               "descendant step")

    def walk(self, token: Token, depth: int = 0) -> int:
        """Check a token and everything below it.

        :param token: an elementpath token
        :param depth: how many predicates the token is inside
        :returns: the number of descendant steps in ``token``
        :raises: EditError naming the first thing that is not allowed
        """
        symbol = token.symbol
        if symbol in _LEAVES:
            return 0
        if symbol in _THROUGH:
            return self._below(token, depth)
        check = _CHECKS.get(symbol)
        if check is not None:
            return check(self, token, depth)
        raise _not_allowed(self.xpath, "'%s'%s" % (symbol, _inside(depth)))

    def _below(self, token: Token, depth: int) -> int:
        return sum(self.walk(child, depth) for child in token)

    def path(self, token: Token, depth: int) -> int:
        """``a/b`` and ``a//b``; alone, ``/`` and ``//`` are absolute."""
        descending = token.symbol == '//'
        if descending and depth:
            raise _not_allowed(self.xpath, "'//' inside a predicate")
        if len(token) < 2:
            raise _not_allowed(self.xpath,
                               'an absolute path' + _inside(depth))
        return self._below(token, depth) + descending

    def axis(self, token: Token, depth: int) -> int:
        name = token.symbol
        if name in _DESCENDANT_AXES and not depth:
            return 1 + self._below(token, depth)
        if name not in _LOCAL_AXES:
            raise _not_allowed(self.xpath, "the axis '%s::'%s"
                               % (name, _inside(depth)))
        return self._below(token, depth)

    def predicate(self, token: Token, depth: int) -> int:
        if depth >= _MAX_PREDICATE_DEPTH:
            raise _not_allowed(self.xpath, 'predicates nested more than %d '
                               'deep' % _MAX_PREDICATE_DEPTH)
        self.walk(token[1], depth + 1)
        return self.walk(token[0], depth)

    def function(self, token: Token, depth: int) -> int:
        name = token.symbol
        for index in _LITERAL_ARGUMENTS.get(name, ()):
            if index < len(token) and token[index].symbol != '(string)':
                raise _not_allowed(self.xpath, "a pattern of %s() that is "
                                   "not a string literal" % name)
        if name == 'concat' and len(token) > _MAX_CONCAT_ARGUMENTS:
            raise _not_allowed(self.xpath, 'concat() of more than %d '
                               'arguments' % _MAX_CONCAT_ARGUMENTS)
        return self._below(token, depth)

    def prefixed(self, token: Token, depth: int) -> int:
        # NOTE(xmlhooks): elementpath refuses undeclared prefixes already;
        # this keeps the promise whatever its defaults.
        prefix = token[0].value
        if prefix not in NAMESPACES and prefix != 'xml':
            raise _unknown_prefix(self.xpath, prefix)
        return self.walk(token[1], depth)

    def parent(self, token: Token, depth: int) -> ty.NoReturn:
        raise _not_allowed(self.xpath, "'..'" + _inside(depth))

    def variable(self, token: Token, depth: int) -> ty.NoReturn:
        # NOTE(xmlhooks): no variables are defined, and lxml reports one
        # only when the predicate that uses it is evaluated.
        raise _not_allowed(self.xpath, 'a variable')


_CHECKS = {
    '/': _Checker.path, '//': _Checker.path, '[': _Checker.predicate,
    ':': _Checker.prefixed, '..': _Checker.parent, '$': _Checker.variable,
}
_CHECKS.update((axis, _Checker.axis) for axis in (
    'child', 'attribute', 'self', 'namespace', 'descendant',
    'descendant-or-self', 'parent', 'ancestor', 'ancestor-or-self',
    'preceding', 'preceding-sibling', 'following', 'following-sibling'))
_CHECKS.update((name, _Checker.function) for name in _FUNCTIONS)


def _unknown_prefix(xpath: str, prefix: object) -> EditError:
    return EditError("XPath '%s' uses the unknown namespace prefix '%s'"
                     % (xpath, prefix))


def _grammar_error(xpath: str,
                   error: elementpath.ElementPathError) -> EditError:
    """Turn an elementpath error into an EditError."""
    code, token = str(error.code or ''), error.token
    if code.endswith(_UNDECLARED_PREFIX) and token is not None and len(
            token):
        return _unknown_prefix(xpath, token[0].value)
    if code.endswith(_UNKNOWN_FUNCTION) and token is not None and (
            token.symbol == '(name)'):
        return EditError("XPath '%s' calls '%s()', which is not an XPath "
                         "1.0 function" % (xpath, token.value))
    where = getattr(token, 'position', None)
    if where:
        return EditError("XPath '%s' is invalid at character %d: %s"
                         % (xpath, where[-1], error.message))
    return EditError("XPath '%s' is invalid: %s" % (xpath, error.message))


def _syntax_tree(xpath: str) -> Token:
    """Parse an XPath with elementpath's XPath 1.0 parser.

    :param xpath: the XPath
    :returns: the root token of its syntax tree
    :raises: EditError if it is not XPath 1.0
    """
    # NOTE(xmlhooks): a parser keeps the state of the parse it runs, so
    # each parse has its own; making one costs a few microseconds.
    parser = elementpath.XPath1Parser(namespaces=NAMESPACES)
    try:
        return parser.parse(xpath)
    except elementpath.ElementPathError as e:
        raise _grammar_error(xpath, e)


def _check(xpath: str) -> Token:
    """Refuse what is not allowed, or would fail only when applied.

    :param xpath: the XPath of an edit, without a final ``/@attr``
    :returns: the root token of its syntax tree
    :raises: EditError naming the first thing that is not allowed
    """
    try:
        tree = _syntax_tree(xpath)
        _Checker(xpath).check(tree)
    except RecursionError:
        # NOTE(xmlhooks): only a profile can hold an XPath this long;
        # flavor values stop at 255 characters.
        raise EditError("XPath '%s' is nested too deeply" % xpath)
    return tree


def _quote(value: str) -> str:
    return "'%s'" % value if "'" not in value else '"%s"' % value


def _text(token: Token) -> str | None:
    """The text of a name or a string literal; None for another value."""
    value = token.value
    return value if isinstance(value, str) else None


def _name_test(token: Token) -> tuple[str | None, str] | None:
    """``(prefix, name)`` of a creatable name test, or None."""
    if token.symbol == '(name)':
        prefix, name = None, _text(token)
    elif token.symbol == ':' and token[1].symbol == '(name)':
        prefix, name = _text(token[0]), _text(token[1])
        if prefix is None:
            return None
    else:
        return None
    if name is None or prefix not in (None, *NAMESPACES) or (
            not _CREATABLE_NAME_RE.match(name)):
        return None
    return prefix, name


def _condition(
        token: Token) -> tuple[int | None, str | None, str | None] | None:
    """``(position, attribute, value)`` of a creatable predicate, or None.

    A creatable predicate is ``[N]`` or ``[@attr='value']``.
    """
    if token.symbol == '(integer)':
        position = token.value
        return (position, None, None) if isinstance(position, int) and (
            position > 0) else None
    if token.symbol != '=' or token[1].symbol != '(string)':
        return None
    attr = token[0]
    if attr.symbol != '@' or attr[0].symbol != '(name)':
        return None
    name, value = _text(attr[0]), _text(token[1])
    if name is None or value is None or not _CREATABLE_NAME_RE.match(name):
        return None
    _check_settable(name)
    return None, name, value


def _check_settable(attribute: str) -> None:
    """Refuse an attribute name that XML reserves.

    NOTE(xmlhooks): lxml sets an attribute named ``xmlns`` like any
    other, and writes it out as a namespace declaration: the checks would
    judge ``<commandline>`` in no namespace while libvirt reads the text
    and finds ``<qemu:commandline>``. XML 1.0 reserves every name that
    starts with "xml", in any case, and libvirt reads none, so none is
    set, and none created by a predicate.

    :param attribute: the attribute's name, without a prefix
    :raises: EditError
    """
    if attribute[:3].lower() == 'xml':
        raise EditError("attribute name '%s' is reserved by XML (written "
                        "out, xmlns declares a namespace)" % attribute)


def _step(token: Token) -> _Step | None:
    """The :class:`_Step` of one creatable location step, or None."""
    condition: tuple[int | None, str | None, str | None] = (None, None, None)
    if token.symbol == '[':
        token, found = token[0], _condition(token[1])
        if found is None:
            return None
        condition = found
    name = _name_test(token)
    if name is None:
        return None
    prefix, local = name
    position, cond_attr, cond_value = condition
    text = local if prefix is None else '%s:%s' % (prefix, local)
    if position is not None:
        text += '[%d]' % position
    elif cond_attr is not None and cond_value is not None:
        text += '[@%s=%s]' % (cond_attr, _quote(cond_value))
    return _Step(prefix=prefix, name=local, position=position,
                 cond_attr=cond_attr, cond_value=cond_value, text=text,
                 # NOTE(xmlhooks): compiled here, once, like the edit.
                 compiled=etree.XPath('./' + text, namespaces=NAMESPACES,
                                      regexp=False, smart_strings=False))


def _child_name(token: Token) -> str | None:
    """The Clark name a child step tests, or None."""
    if token.symbol == '[':
        token = token[0]
    name = _name_test(token)
    if name is None:
        return None
    prefix, local = name
    if prefix is None:
        return local
    return '{%s}%s' % (NAMESPACES[prefix], local)


def _touched(tree: Token) -> tuple[str, ...] | None:
    """The names of the first (at most two) child steps from ``.``.

    :param tree: the root token of an XPath's syntax tree
    :returns: a tuple of one or two names, or None
    """
    chain: list[Token] = []
    while tree.symbol in ('/', '//') and len(tree) == 2:
        chain.append(tree)
        tree = tree[0]
    if tree.symbol != '.':
        return None
    names: list[str] = []
    for token in reversed(chain[-2:]):
        name = _child_name(token[1]) if token.symbol == '/' else None
        if name is None:
            break
        names.append(name)
    return tuple(names) or None


def _creatable_steps(tree: Token) -> tuple[_Step, ...] | None:
    """The steps of ``./a/b[@c='d']/e[2]``, or None if not creatable.

    :param tree: the root token of the XPath's syntax tree
    """
    steps: list[_Step] = []
    while tree.symbol == '/' and len(tree) == 2:
        step = _step(tree[1])
        if step is None:
            return None
        steps.append(step)
        tree = tree[0]
    if tree.symbol != '.':
        return None
    return tuple(reversed(steps))


def _split_action(text: str) -> tuple[str, str, str | None]:
    """``(action, xpath, value)`` of an edit's text."""
    for action in (DELETE, CREATE):
        prefix = 'xpath.%s=' % action
        if text.startswith(prefix):
            return action, text[len(prefix):], None
    if text.startswith('xpath.set='):
        return (SET, *_split_set(text[len('xpath.set='):]))
    if text.startswith('xpath.'):
        raise EditError("unknown action '%s': use xpath.set, xpath.create "
                        "or xpath.delete" % text.split('=', 1)[0])
    return (SET, *_split_set(text))


def _split_attribute(action: str, xpath: str) -> tuple[str, str | None]:
    """``(element_xpath, attribute)``: the attribute a set sets, if any."""
    head, _sep, last = xpath.rpartition('/')
    attr_match = _ATTR_RE.match(last)
    if not attr_match:
        return xpath, None
    if action != SET:
        raise EditError("xpath.%s needs an element, not the attribute "
                        "'%s'" % (action, last))
    if attr_match.group('prefix') or '{' in last or '}' in last:
        # NOTE(xmlhooks): "{uri}name" is how lxml names an attribute in
        # a namespace; a set would write one under a prefix of lxml's.
        raise EditError("namespaced attribute '%s' is not supported" % last)
    attribute = attr_match.group('name')
    _check_settable(attribute)
    try:
        etree.Element('x').set(attribute, '')
    except ValueError:
        raise EditError("invalid attribute name '%s'" % attribute)
    return head, attribute


def parse(text: str) -> Edit:
    """Parse and compile one edit.

    :param text: the edit, e.g. ``xpath.set=./clock/@offset=localtime``
    :returns: an :class:`Edit`
    :raises: EditError naming what is wrong
    """
    bad = messages.not_xml(text)
    if bad:
        # NOTE(xmlhooks): lxml would refuse such a value only when the
        # edit is applied; refuse it when the spec is parsed instead.
        raise EditError('character U+%04X at position %d is not allowed in '
                        'XML' % (ord(bad.group()), bad.start()))
    action, xpath, value = _split_action(text)
    xpath = xpath.strip()
    if not xpath.startswith('./'):
        raise EditError("XPath '%s' must be relative to <domain> and start "
                        "with './'" % xpath)
    element_xpath, attribute = _split_attribute(action, xpath)
    path = _compile(element_xpath)
    if path.touches and path.touches[0] in _KEPT:
        raise EditError("XPath '%s' reaches into %s" % (
            element_xpath, _KEPT[path.touches[0]]))
    return Edit(action=action, xpath=xpath, value=value or None,
                element_xpath=element_xpath, attribute=attribute,
                steps=path.steps, _compiled=path.compiled)


@dataclasses.dataclass(frozen=True)
class _Path:
    """What an edit's XPath compiles to; nothing in it changes."""

    compiled: etree.XPath
    steps: tuple[_Step, ...] | None
    touches: tuple[str, ...] | None


# NOTE(xmlhooks): a library of profiles repeats the same few XPaths with
# different values, and checking an XPath's syntax tree costs about ten
# times compiling it; both depend on the text only, so each distinct
# XPath is compiled and checked once per process. lxml's XPath objects
# hold a lock while evaluating, so sharing them between threads is safe.
@functools.lru_cache(maxsize=4096)
def _compile(element_xpath: str) -> _Path:
    """Compile and check the XPath of an edit, without its ``/@attr``.

    :param element_xpath: the XPath
    :returns: a :class:`_Path`
    :raises: EditError naming what is wrong
    """
    try:
        # NOTE(xmlhooks): EXSLT regular expressions are off: they are the
        # one part of lxml's XPath that can cost more than linear time.
        compiled = etree.XPath(element_xpath, namespaces=NAMESPACES,
                               regexp=False, smart_strings=False)
    except etree.XPathError as e:
        raise EditError("XPath '%s' is invalid: %s" % (element_xpath, e))
    # NOTE(xmlhooks): lxml compiles what it will evaluate, and reports
    # syntax errors; the check then refuses what lxml would report only
    # when evaluating (unknown prefixes, functions, variables) and what
    # could cost more than the rules allow.
    tree = _check(element_xpath)
    _check_selects_elements(element_xpath, compiled)
    return _Path(compiled=compiled, steps=_creatable_steps(tree),
                 touches=_touched(tree))


def _check_selects_elements(element_xpath: str,
                            compiled: etree.XPath) -> None:
    """Refuse an XPath that can never select elements.

    NOTE(xmlhooks): the type of an XPath 1.0 expression follows from its
    syntax alone: one that gives a boolean, a number or a string on an
    empty ``<domain/>`` (``xpath.create=./features/pmu=1``, a comparison)
    gives one on every document, and its rule would fail every build
    after nova-api accepted it. Refusing it when parsed lets nova-api
    refuse it. An error evaluating it here is left to the apply, which
    reports it with the document it met.

    :param element_xpath: the XPath, for the message
    :param compiled: its compiled ``etree.XPath``
    :raises: EditError
    """
    try:
        result = compiled(etree.Element('domain'))
    except etree.XPathError:
        return
    if not isinstance(result, list):
        raise EditError("XPath '%s' returns a %s, not elements"
                        % (element_xpath, type(result).__name__))
