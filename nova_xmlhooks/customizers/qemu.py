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

"""QEMU passthrough: ``xmlhooks:qemu:arg.{n}`` and ``env.{NAME}`` keys.

They become ``<qemu:commandline>`` arguments and environment variables.
What QEMU is given this way bypasses libvirt's security drivers, so every
key of this family is refused, by nova-api and by the compute, unless the
operator lists ``qemu_passthrough`` in ``[xmlhooks] allow_sensitive``.

Arguments are added in the order of ``n`` (numerically), after any that
the document already has and before the environment variables, where
libvirt writes them. When the document already has the same arguments in
the same order, nothing is added, and the record in the domain's metadata
says so. Applying the rules again first takes away what the previous
application recorded as added (and only that), so nothing is added twice
and the document's own arguments stay where they are.
"""

from __future__ import annotations

from collections.abc import Sequence
import dataclasses
import re

from lxml import etree

from nova_xmlhooks.conf import xmlhooks as conf_opts
from nova_xmlhooks.customizers import base
from nova_xmlhooks.customizers import smbios
from nova_xmlhooks import metadata
from nova_xmlhooks import xpath_edit

QEMU_NS = xpath_edit.QEMU_NS
CATEGORY = conf_opts.QEMU_PASSTHROUGH
ENV_NAME_PATTERN = r'[A-Za-z_][A-Za-z0-9_]{0,63}'
_ENV_NAME_RE = re.compile(ENV_NAME_PATTERN)
_COMMANDLINE = '{%s}commandline' % QEMU_NS
_ARG = '{%s}arg' % QEMU_NS
_ENV = '{%s}env' % QEMU_NS
_REFUSED = ('needs %s in [xmlhooks] allow_sensitive: QEMU arguments bypass '
            "libvirt's security drivers" % CATEGORY)


@dataclasses.dataclass(frozen=True)
class Arg:
    """The payload of an ``arg.{n}`` key."""

    #: the ``n`` of the key: arguments are added in its numeric order
    position: int
    value: str


@dataclasses.dataclass(frozen=True)
class Env:
    """The payload of an ``env.{NAME}`` key."""

    name: str
    value: str


class QemuCustomizer(base.Customizer):
    """Adds ``<qemu:commandline>`` arguments and environment variables."""

    family = 'qemu'

    def declarations(self) -> list[base.KeyValidator]:
        note = (' Refused unless ``%s`` is in ``[xmlhooks] '
                'allow_sensitive``.' % CATEGORY)
        return [
            base.KeyValidator(
                name='xmlhooks:qemu:arg.{n}',
                description=(
                    'One QEMU command line argument, passed through '
                    '``<qemu:commandline>``; arguments are ordered by '
                    '``n``, so an option and its value are two keys, e.g. '
                    '``arg.0=-fw_cfg`` and ``arg.1=name=opt/x,string=y``.'
                    + note),
                value={'type': str,
                       'description': 'The argument, as QEMU expects it.'},
                parameters=[{'name': 'n', 'pattern': '[0-9]{1,3}',
                             'description': 'The position, 0 to 999.'}],
            ),
            base.KeyValidator(
                name='xmlhooks:qemu:env.{name}',
                description=(
                    'An environment variable of the QEMU process, set '
                    'through ``<qemu:commandline>``.' + note),
                value={'type': str,
                       'description': 'The value; may be empty.'},
                parameters=[{
                    'name': 'name', 'pattern': ENV_NAME_PATTERN,
                    'description': 'The variable name: letters, digits and '
                                   'underscores, not starting with a digit.',
                }],
            ),
        ]

    def parse(self, key: str, value: str) -> Arg | Env:
        if CATEGORY not in self.conf.xmlhooks.allow_sensitive:
            raise ValueError(_REFUSED)
        kind, sep, name = key.split(':', 2)[2].partition('.')
        if not sep:
            raise ValueError('must be arg.<n> or env.<NAME>')
        smbios.check_text(value)
        if kind == 'arg':
            if not name.isascii() or not name.isdigit():
                raise ValueError('the argument position must be a number')
            if not value:
                raise ValueError('an argument must not be empty')
            return Arg(position=int(name), value=value)
        if kind == 'env':
            if not _ENV_NAME_RE.fullmatch(name):
                raise ValueError('the variable name must be letters, digits '
                                 'and underscores, not starting with a '
                                 'digit')
            return Env(name=name, value=value)
        raise ValueError('must be arg.<n> or env.<NAME>')

    def apply(self, root: etree._Element, rules: Sequence[base.Rule],
              context: base.DomainContext) -> Sequence[str]:
        """Add the arguments and variables; see the module's docstring.

        :returns: the keys of the argument rules when the document
            already had those arguments and nothing was added
        """
        arg_rules = sorted((r for r in rules if isinstance(r.payload, Arg)),
                           key=lambda rule: rule.payload.position)
        args = [rule.payload.value for rule in arg_rules]
        env = [rule.payload for rule in rules
               if isinstance(rule.payload, Env)]
        commandline = root.find(_COMMANDLINE)
        if commandline is None:
            # NOTE(xmlhooks): the namespace is declared on the new element
            # only, leaving the rest of Nova's document as it was; libvirt
            # finds its elements by namespace URI.
            commandline = etree.SubElement(root, _COMMANDLINE,
                                           nsmap={'qemu': QEMU_NS})
        added_args, added_env = _previous(root)
        _remove_run(commandline, added_args)
        names = added_env | {item.name for item in env}
        for node in commandline.findall(_ENV):
            if node.get('name') in names:
                commandline.remove(node)
        added = _add_args(commandline, args)
        for item in env:
            etree.SubElement(commandline, _ENV, name=item.name,
                             value=item.value)
        if args and not added:
            return [rule.key for rule in arg_rules]
        return ()

    def touches(self, rules: Sequence[base.Rule]) -> list[base.Place]:
        # NOTE(xmlhooks): the record of a previous application is read,
        # not written.
        return [_COMMANDLINE]


def _previous(root: etree._Element) -> tuple[list[str], set[str]]:
    """The arguments and variable names a previous application added."""
    record = metadata.recorded(root)
    if record is None:
        return [], set()
    args: list[tuple[int, str]] = []
    env: set[str] = set()
    for rule in record[1]:
        # NOTE(xmlhooks): the record is in the domain's definition, which
        # may have been edited by hand: a rule without a key is not ours.
        if rule.family != 'qemu' or not rule.added or not rule.key:
            continue
        kind, _, name = rule.key.split(':', 2)[-1].partition('.')
        if kind == 'arg' and name.isdigit():
            args.append((int(name), rule.value))
        elif kind == 'env':
            env.add(name)
    return [value for _, value in sorted(args)], env


def _find_run(nodes: Sequence[etree._Element],
              values: Sequence[str]) -> int | None:
    """Where ``values`` last appear as consecutive argument values, or None.

    NOTE(xmlhooks): the last run, because added arguments go after the
    document's own.
    """
    if not values:
        return None
    found = [node.get('value') for node in nodes]
    for start in range(len(found) - len(values), -1, -1):
        if found[start:start + len(values)] == values:
            return start
    return None


def _remove_run(commandline: etree._Element, values: Sequence[str]) -> None:
    nodes = commandline.findall(_ARG)
    start = _find_run(nodes, values)
    if start is not None:
        for node in nodes[start:start + len(values)]:
            commandline.remove(node)


def _add_args(commandline: etree._Element, values: Sequence[str]) -> bool:
    """Add arguments after the last one, unless they are there already.

    :returns: whether they were added
    """
    nodes = commandline.findall(_ARG)
    if not values or _find_run(nodes, values) is not None:
        return False
    # NOTE(xmlhooks): libvirt writes the arguments before the variables;
    # keeping that order keeps the document the same when libvirt writes
    # it back, and the rules' own output unchanged when applied again.
    index = commandline.index(nodes[-1]) + 1 if nodes else 0
    for value in values:
        node = etree.SubElement(commandline, _ARG, value=value)
        commandline.insert(index, node)
        index += 1
    return True
