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
                                elements on the way
    xpath.set=XPATH=            no value: unset, then drop elements left empty
    xpath.create=XPATH          make sure the element exists
    xpath.delete=XPATH          remove every matched element

The semantics follow virt-manager's ``virtinst.xmlapi`` so that an edit
gives what ``virt-xml --edit --xml`` gives, with two deliberate
differences: set and delete act on every node the XPath matches (virt-xml
only touches the first), and VALUE is everything after the first ``=``
outside brackets and quotes, so a value may itself contain ``=``.

NOTE(xmlhooks): edits are parsed and their XPath compiled once; applying
one never formats a user value into an XPath expression or parses it as
XML. Values are set as text or attribute values, which lxml escapes.
"""

import dataclasses
import re

from lxml import etree

from nova_xmlhooks import messages

QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0'
NAMESPACES = {'qemu': QEMU_NS}

SET = 'set'
CREATE = 'create'
DELETE = 'delete'

# One location step that we know how to create when it is missing:
# [prefix:]name, optionally followed by [N] or [@attr='value'].
# NOTE(xmlhooks): ASCII only, and no prefix on the condition attribute:
# lxml refuses to create attributes such as ``x\u00b2`` or ``qemu:b``,
# which would otherwise pass here and fail only when the edit is applied.
_STEP_RE = re.compile(
    r"""^(?:(?P<prefix>[A-Za-z_][\w.-]*):)?(?P<name>[A-Za-z_][\w.-]*)
        (?:\[(?:(?P<pos>[1-9][0-9]*)
              |@(?P<cattr>[A-Za-z_][\w.-]*)\s*=\s*
                (?:'(?P<csq>[^']*)'|"(?P<cdq>[^"]*)"))\])?$""",
    re.VERBOSE | re.ASCII)
# The last step of an XPath that sets an attribute. The name is loose on
# purpose: parse() asks lxml whether it is a name it will set.
_ATTR_RE = re.compile(r"""^@(?:(?P<prefix>[^\s\[\]()/|=*:@'"$,<>!+]+):)?
                          (?P<name>[^\s\[\]()/|=*:@'"$,<>!+]+)$""",
                      re.VERBOSE)
# The tokens of an XPath that _check_tokens looks at; everything else
# (operators, brackets, whitespace) is one character at a time.
_TOKEN_RE = re.compile(
    r"""(?P<literal>'[^']*'|"[^"]*")
      | (?P<descend>//)
      | (?P<parent>\.\.)
      | (?P<name>[A-Za-z_][\w.-]*)
        (?P<after>:(?![:])|\s*::|\s*\()?
      | (?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
      | (?P<char>.)""",
    re.VERBOSE | re.ASCII | re.DOTALL)
# XPath 1.0 core functions and node-type tests; lxml's own extensions
# (EXSLT and friends) need a prefix that NAMESPACES does not define.
_FUNCTIONS = frozenset((
    'last', 'position', 'count', 'id', 'local-name', 'namespace-uri',
    'name', 'string', 'concat', 'starts-with', 'contains',
    'substring-before', 'substring-after', 'substring', 'string-length',
    'normalize-space', 'translate', 'boolean', 'not', 'true', 'false',
    'lang', 'number', 'sum', 'floor', 'ceiling', 'round',
    'node', 'text', 'comment', 'processing-instruction'))
# Axes that leave the subtree of the node a predicate tests. A predicate
# runs once per candidate node; if it may walk the whole document, each
# nested predicate multiplies the cost by the size of the document.
_PREDICATE_AXES = frozenset((
    'parent', 'descendant', 'descendant-or-self', 'ancestor',
    'ancestor-or-self', 'preceding', 'preceding-sibling', 'following',
    'following-sibling'))
# Operator names, which may be followed by '(' as in 'a or (b)'.
_OPERATORS = frozenset(('and', 'or', 'div', 'mod'))
_MAX_PREDICATE_DEPTH = 2


class EditError(ValueError):
    """An edit is malformed or cannot be applied; the message says why."""

    def __init__(self, message):
        super().__init__(messages.printable(message))


@dataclasses.dataclass(frozen=True)
class _Step:
    prefix: str | None
    name: str
    position: int | None
    cond_attr: str | None
    cond_value: str | None
    text: str
    compiled: etree.XPath = dataclasses.field(repr=False, compare=False)

    def qname(self):
        if self.prefix is None:
            return self.name
        return '{%s}%s' % (NAMESPACES[self.prefix], self.name)


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
    steps: tuple | None
    _compiled: etree.XPath = dataclasses.field(repr=False, compare=False)

    def apply(self, root):
        """Apply the edit to a domain document.

        :param root: the ``<domain>`` element, changed in place
        :raises: EditError if the XPath selects something other than
            elements, or matches nothing and cannot be created
        """
        nodes = self._matches(root)
        if self.action == DELETE:
            for node in nodes:
                _remove(node)
            return
        if self.action == SET and self.value is None:
            for node in nodes:
                if self.attribute is None:
                    node.text = None
                else:
                    node.attrib.pop(self.attribute, None)
                _remove_empty_chain(node, root)
            return
        if not nodes:
            nodes = [self._make_stub(root)]
        if self.action == CREATE:
            return
        for node in nodes:
            if self.attribute is None:
                node.text = self.value
            else:
                node.set(self.attribute, self.value)

    def _matches(self, root):
        try:
            result = self._compiled(root)
        except etree.XPathError as e:
            raise EditError("XPath '%s' cannot be evaluated: %s"
                            % (self.element_xpath, e))
        if not isinstance(result, list):
            raise EditError("XPath '%s' returns a %s, not elements"
                            % (self.element_xpath, type(result).__name__))
        for node in result:
            if not isinstance(node, etree._Element) or not isinstance(
                    node.tag, str):
                raise EditError("XPath '%s' selects something other than "
                                "elements" % self.element_xpath)
        return result

    def _make_stub(self, root):
        """Create the missing elements on the path, as virt-xml does."""
        if self.steps is None:
            raise EditError("XPath '%s' matches nothing and is too complex "
                            "to create" % self.element_xpath)
        parent = root
        path = '.'
        for step in self.steps:
            path += '/' + step.text
            found = step.compiled(parent)
            if found:
                parent = found[0]
                continue
            child = etree.SubElement(
                parent, step.qname(),
                nsmap=({step.prefix: NAMESPACES[step.prefix]}
                       if step.prefix else None))
            if step.cond_attr is not None:
                child.set(step.cond_attr, step.cond_value)
            parent = child
        return parent


def _remove(node):
    parent = node.getparent()
    if parent is None:
        raise EditError('the root element cannot be deleted')
    parent.remove(node)


def _has_content(node):
    return bool(len(node) or node.attrib or (node.text and node.text.strip()))


def _remove_empty_chain(node, root):
    while node is not root and not _has_content(node):
        parent = node.getparent()
        parent.remove(node)
        node = parent


def _split_set(body):
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


def _parse_steps(path):
    """Turn ``./a/b[@c='d']`` into steps, or None if not creatable."""
    parts = path.split('/')
    if parts[0] != '.':
        return None
    steps = []
    for part in parts[1:]:
        match = _STEP_RE.match(part)
        if match is None:
            return None
        if match.group('prefix') not in (None, *NAMESPACES):
            return None
        cond_value = match.group('csq')
        if cond_value is None:
            cond_value = match.group('cdq')
        steps.append(_Step(
            prefix=match.group('prefix'),
            name=match.group('name'),
            position=int(match.group('pos')) if match.group('pos') else None,
            cond_attr=match.group('cattr'),
            cond_value=cond_value,
            text=part,
            # NOTE(xmlhooks): compiled here, once, like the edit itself.
            compiled=etree.XPath('./' + part, namespaces=NAMESPACES,
                                 regexp=False, smart_strings=False)))
    return tuple(steps)


def _not_allowed(xpath, what):
    return EditError("XPath '%s' uses %s, which is not allowed"
                     % (xpath, what))


def _check_tokens(xpath):
    """Refuse what compiles but would fail, or be slow, when applied.

    Inside predicates only paths down from the node tested are allowed
    (no '//', '..', absolute paths or axes that leave its subtree), and
    predicates nest at most _MAX_PREDICATE_DEPTH deep, so that applying
    an edit costs about the size of the document, not a power of it.

    :param xpath: an XPath that lxml compiled
    :raises: EditError naming the first thing that is not allowed
    """
    depth = 0
    # NOTE(xmlhooks): whether the last token ends an operand tells a
    # path separator '/' from the start of an absolute path, and '*'
    # the name test from '*' the multiplication (XPath 1.0, 3.7).
    operand = False
    for match in _TOKEN_RE.finditer(xpath):
        char, name = match.group('char'), match.group('name')
        if char is not None and char.isspace():
            continue
        if match.group('literal') or match.group('number'):
            operand = True
        elif match.group('parent'):
            if depth:
                raise _not_allowed(xpath, "'..' inside a predicate")
            operand = True
        elif match.group('descend'):
            if depth:
                raise _not_allowed(xpath, "'//' inside a predicate")
            operand = False
        elif name is not None:
            after = (match.group('after') or '').strip()
            if operand and name in _OPERATORS:
                operand = False
            elif after == '::':
                if depth and name in _PREDICATE_AXES:
                    raise _not_allowed(xpath, "the axis '%s::' inside a "
                                       "predicate" % name)
                operand = False
            elif after == ':':
                # NOTE(xmlhooks): lxml reports an unknown prefix only when
                # the step that uses it is evaluated.
                if name not in NAMESPACES and name != 'xml':
                    raise EditError("XPath '%s' uses the unknown namespace "
                                    "prefix '%s'" % (xpath, name))
                operand = False
            elif after == '(':
                # NOTE(xmlhooks): lxml reports an unknown function only
                # when the predicate that calls it is evaluated.
                if name not in _FUNCTIONS:
                    raise EditError("XPath '%s' calls '%s()', which is not "
                                    "an XPath 1.0 function" % (xpath, name))
                operand = False
            else:
                operand = True
        elif char == '[':
            depth += 1
            if depth > _MAX_PREDICATE_DEPTH:
                raise _not_allowed(xpath, 'predicates nested more than %d '
                                   'deep' % _MAX_PREDICATE_DEPTH)
            operand = False
        elif char == '/':
            if depth and not operand:
                raise _not_allowed(xpath, 'an absolute path inside a '
                                   'predicate')
            operand = False
        elif char == '$':
            # NOTE(xmlhooks): no variables are defined, and lxml reports
            # one only when the predicate that uses it is evaluated.
            raise _not_allowed(xpath, 'a variable')
        elif char == '*':
            operand = not operand
        else:
            if char == ']':
                depth -= 1
            operand = char in '.)]'


def parse(text):
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
    if text.startswith('xpath.delete='):
        action, xpath, value = DELETE, text[len('xpath.delete='):], None
    elif text.startswith('xpath.create='):
        action, xpath, value = CREATE, text[len('xpath.create='):], None
    elif text.startswith('xpath.set='):
        action = SET
        xpath, value = _split_set(text[len('xpath.set='):])
    elif text.startswith('xpath.'):
        raise EditError("unknown action '%s': use xpath.set, xpath.create "
                        "or xpath.delete" % text.split('=', 1)[0])
    else:
        action = SET
        xpath, value = _split_set(text)
    xpath = xpath.strip()
    if not xpath.startswith('./'):
        raise EditError("XPath '%s' must be relative to <domain> and start "
                        "with './'" % xpath)
    value = value or None

    element_xpath, attribute = xpath, None
    head, _sep, last = xpath.rpartition('/')
    attr_match = _ATTR_RE.match(last)
    if attr_match:
        if action != SET:
            raise EditError("xpath.%s needs an element, not the attribute "
                            "'%s'" % (action, last))
        if attr_match.group('prefix'):
            raise EditError("namespaced attribute '%s' is not supported"
                            % last)
        element_xpath, attribute = head, attr_match.group('name')
        try:
            etree.Element('x').set(attribute, '')
        except ValueError:
            raise EditError("invalid attribute name '%s'" % attribute)

    try:
        # NOTE(xmlhooks): EXSLT regular expressions are off: they are the
        # one part of lxml's XPath that can cost more than linear time.
        compiled = etree.XPath(element_xpath, namespaces=NAMESPACES,
                               regexp=False, smart_strings=False)
        _check_tokens(element_xpath)
        # NOTE(xmlhooks): an unknown prefix only shows on evaluation, so
        # evaluate once on an empty document to report it now.
        compiled(etree.Element('domain'))
    except etree.XPathError as e:
        raise EditError("XPath '%s' is invalid: %s" % (element_xpath, e))
    return Edit(action=action, xpath=xpath, value=value,
                element_xpath=element_xpath, attribute=attribute,
                steps=_parse_steps(element_xpath), _compiled=compiled)
