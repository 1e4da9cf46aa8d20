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

"""``nova-xmlhooks render``: preview the driver's work on a saved XML.

The engine is built from the configuration exactly as the compute driver
builds it, and resolves and applies the specs the same way, so the output
is what nova-compute would hand to libvirt. Without ``--spec``, the
flavor's extra specs that Nova recorded in the domain's ``<metadata>``
are used, so ``virsh dumpxml`` of a guest can be fed back in as it is
(``--xml -`` reads it from standard input).

Nova records the extra specs in the domain from nova 32 (2025.2) on. On
the XML of an older series, give the flavor's ``xmlhooks:`` specs with
``--spec`` (``openstack flavor show`` lists them), or profiles with
``--profile``.

Warnings go to stderr: when the input already carries an xmlhooks record
(the new rules then apply on top of the old ones' effects: render the XML
Nova generated instead), and when a rule's XPath matches nothing in the
input.
"""

from __future__ import annotations

from collections.abc import Iterable
import typing as ty

from nova_xmlhooks.cmd import common
from nova_xmlhooks.cmd import hints
from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import exception
from nova_xmlhooks import metadata
from nova_xmlhooks import xpath_edit

if ty.TYPE_CHECKING:
    import argparse

    from lxml import etree

    from nova_xmlhooks.cmd import config
    from nova_xmlhooks.customizers import base


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-command's arguments.

    :param parser: the sub-command's argparse parser
    """
    parser.add_argument('--xml', required=True, metavar='FILE',
                        type=common.nonempty,
                        help='a domain XML, e.g. saved with virsh dumpxml; '
                             '"-" reads standard input')
    parser.add_argument('--spec', action='append', default=[],
                        metavar='KEY=VALUE',
                        help='a flavor extra spec; repeat for several. '
                             'Without it, the extra specs Nova recorded in '
                             'the XML are used')
    parser.add_argument('--profile', action='append', default=[],
                        type=common.nonempty,
                        metavar='NAME',
                        help='add a profile to xmlhooks:profile; repeat for '
                             'several')
    parser.add_argument('--output', choices=('diff', 'xml'), default='diff',
                        help='a unified diff against the input (default) or '
                             'the customised XML')


def parse_specs(items: Iterable[str]) -> dict[str, str]:
    """Turn ``KEY=VALUE`` arguments into a dict.

    :param items: the ``--spec`` arguments
    :returns: a dict of extra specs, in argument order
    :raises: CommandError naming the bad argument
    """
    specs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition('=')
        key = key.strip()
        if not sep or not key:
            raise common.CommandError(
                "--spec '%s' is not KEY=VALUE" % item)
        specs[key] = value
    return specs


def add_profiles(specs: dict[str, str], names: Iterable[str]) -> None:
    """Add profile names to ``xmlhooks:profile``.

    :param specs: extra specs, changed in place
    :param names: profile names to append
    """
    if not names:
        return
    current = engine_mod.split_names(specs.get(engine_mod.PROFILE_KEY, ''))
    specs[engine_mod.PROFILE_KEY] = ','.join(current + list(names))


def input_specs(root: etree._Element, args: argparse.Namespace,
                label: str) -> dict[str, str]:
    """The extra specs to render with.

    :param root: the input ``<domain>``
    :param args: the parsed arguments
    :param label: how messages name the input
    :returns: a dict of extra specs, ``--profile`` names added
    :raises: CommandError when there are none to go on
    """
    specs: dict[str, str] | None
    if args.spec:
        specs = parse_specs(args.spec)
    else:
        specs = common.recorded_extra_specs(root)
        if specs is None and not args.profile:
            raise common.CommandError(
                '%s does not record the flavor\'s extra specs (Nova records '
                'them from nova 32 on): give its xmlhooks: specs with '
                '--spec KEY=VALUE, or profiles with --profile NAME' % label)
        specs = specs or {}
    add_profiles(specs, args.profile)
    return specs


def warn_if_customised(root: etree._Element, label: str) -> None:
    """Warn when the input already carries an xmlhooks record.

    :param root: the input domain XML, an element
    :param label: how messages name the input
    """
    record = metadata.recorded(root)
    if record is None:
        return
    profiles, rules = record
    common.warn(
        '%s already carries an xmlhooks record (%d rule(s), profiles: %s): '
        'the rules apply on top of their effects; render the XML Nova '
        'generated, or use "nova-xmlhooks audit" on a running host'
        % (label, len(rules), ', '.join(profiles) or 'none'))


def unmatched(
        root: etree._Element, ruleset: Iterable[base.Rule]
) -> list[tuple[base.Rule, xpath_edit.Edit]]:
    """The ``xml`` rules whose XPath matches nothing in a document.

    NOTE(xmlhooks): ``create`` is left out: matching nothing is what it is
    for. The XPath is evaluated on the input as it is, before any rule.

    :param root: the input ``<domain>``
    :param ruleset: the resolved rules
    :returns: a list of ``(rule, edit)``
    """
    found: list[tuple[base.Rule, xpath_edit.Edit]] = []
    for rule in ruleset:
        edit = rule.payload
        if not isinstance(edit, xpath_edit.Edit) or (
                edit.action == xpath_edit.CREATE):
            continue
        try:
            nodes = root.xpath(edit.element_xpath,
                               namespaces=xpath_edit.NAMESPACES)
        except Exception:
            # NOTE(xmlhooks): the engine reports a bad XPath itself.
            continue
        if isinstance(nodes, list) and not nodes:
            found.append((rule, edit))
    return found


def warn_unmatched(root: etree._Element, ruleset: Iterable[base.Rule],
                   label: str) -> None:
    """Warn about each rule whose XPath matches nothing in the input.

    :param root: the input domain XML, an element
    :param ruleset: the rules resolved for it
    :param label: how messages name the input
    """
    for rule, edit in unmatched(root, ruleset):
        if edit.action == xpath_edit.DELETE or edit.value is None:
            effect = 'the rule changes nothing'
        else:
            effect = 'the elements on its path are created'
        common.warn("rule '%s' (%s): XPath '%s' matches nothing in %s; %s"
                    % (rule.key, rule.source, edit.element_xpath, label,
                       effect))


def _apply(engine: engine_mod.Engine, xml: str, root: etree._Element,
           specs: dict[str, str], label: str) -> str:
    # NOTE(xmlhooks): this is Engine.customize without on_error: under
    # "on_error = skip" the driver would log the error and keep Nova's XML,
    # but a preview must show the error.
    try:
        ruleset = engine.resolve(specs)
        warn_unmatched(root, ruleset, label)
        return engine.apply(xml, ruleset)
    except exception.XmlHooksError as e:
        raise common.CommandError(hints.explain(e, engine))


def run(configuration: config.Configuration,
        args: argparse.Namespace) -> int:
    """Run the sub-command.

    :param configuration: the :class:`~nova_xmlhooks.cmd.config.Configuration`
    :param args: the parsed arguments
    :returns: the exit status
    :raises: CommandError
    """
    label = common.input_label(args.xml)
    xml = common.read_input(args.xml)
    root = common.parse_domain(xml, label)
    specs = input_specs(root, args, label)
    engine = common.load_engine(configuration.conf)
    warn_if_customised(root, label)
    result = _apply(engine, xml, root, specs, label)
    if args.output == 'xml':
        common.out_raw(result.rstrip('\n'))
        return 0
    diff = ''
    if result is not xml:
        # NOTE(xmlhooks): the engine writes the document the way Nova does;
        # the input is normalised the same way so the diff only shows the
        # edits.
        diff = common.unified_diff(common.normalize(xml), result, label,
                                   '%s (customised)' % label)
    if diff:
        common.out_diff(diff)
    else:
        common.err('no xmlhooks rule changes this XML')
    return 0
