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
the document already has. Applying the rules again replaces the arguments
that the previous application recorded in the domain metadata, so they are
never added twice.
"""

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


class QemuCustomizer(base.Customizer):
    """Adds ``<qemu:commandline>`` arguments and environment variables."""

    family = 'qemu'

    def declarations(self):
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

    def parse(self, key, value):
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
            return ('arg', int(name), value)
        if kind == 'env':
            if not _ENV_NAME_RE.fullmatch(name):
                raise ValueError('the variable name must be letters, digits '
                                 'and underscores, not starting with a '
                                 'digit')
            return ('env', name, value)
        raise ValueError('must be arg.<n> or env.<NAME>')

    def apply(self, root, rules, context):
        args = [value for _, _, value in sorted(
            (r.payload for r in rules if r.payload[0] == 'arg'),
            key=lambda payload: payload[1])]
        env = [(r.payload[1], r.payload[2]) for r in rules
               if r.payload[0] == 'env']
        commandline = root.find(_COMMANDLINE)
        if commandline is None:
            # NOTE(xmlhooks): the namespace is declared on the new element
            # only, leaving the rest of Nova's document as it was; libvirt
            # finds its elements by namespace URI.
            commandline = etree.SubElement(root, _COMMANDLINE,
                                           nsmap={'qemu': QEMU_NS})
        previous_args, previous_env = _previous(root)
        _remove_run(commandline, previous_args)
        names = previous_env | {name for name, _ in env}
        for node in commandline.findall(_ENV):
            if node.get('name') in names:
                commandline.remove(node)
        if args and _find_run(commandline.findall(_ARG), args) is None:
            for value in args:
                etree.SubElement(commandline, _ARG, value=value)
        for name, value in env:
            etree.SubElement(commandline, _ENV, name=name, value=value)
        if len(commandline) == 0:
            root.remove(commandline)


def _previous(root):
    """The arguments and variable names a previous application added."""
    record = metadata.recorded(root)
    if record is None:
        return [], set()
    args = []
    env = set()
    for rule in record[1]:
        if rule.family != 'qemu':
            continue
        kind, _, name = rule.key.split(':', 2)[-1].partition('.')
        if kind == 'arg' and name.isdigit():
            args.append((int(name), rule.value))
        elif kind == 'env':
            env.add(name)
    return [value for _, value in sorted(args)], env


def _find_run(nodes, values):
    """Where ``values`` appear as consecutive argument values, or None."""
    if not values:
        return None
    found = [node.get('value') for node in nodes]
    for start in range(len(found) - len(values) + 1):
        if found[start:start + len(values)] == values:
            return start
    return None


def _remove_run(commandline, values):
    nodes = commandline.findall(_ARG)
    start = _find_run(nodes, values)
    if start is not None:
        for node in nodes[start:start + len(values)]:
            commandline.remove(node)
