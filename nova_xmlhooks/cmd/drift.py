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

"""Re-checking a domain's recorded customisation against its XML.

Used by ``nova-xmlhooks audit``. Two questions are asked of a domain:

* Drift: do the rules recorded in its ``<metadata>`` still hold? Rules
  are idempotent, so applying the recorded rules again to a definition
  that still carries them changes nothing; whatever does change is where
  the XML no longer holds the rule, and the diff shows what it has
  instead (``-`` lines) and what the rule wants (``+`` lines).
* Staleness: would the current configuration and profiles produce the
  same rules from the flavor's extra specs that Nova recorded in the
  domain? If not, the next hard reboot will change the domain. A
  recorded rule that the current customisers no longer parse (its
  customiser was disabled, say) cannot be checked for drift: that, too,
  is a change of the configuration and not of the domain.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
import copy
import dataclasses
import difflib
import typing as ty

from nova_xmlhooks.cmd import common
from nova_xmlhooks.customizers import base
from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import exception
from nova_xmlhooks import messages
from nova_xmlhooks import metadata

if ty.TYPE_CHECKING:
    from lxml import etree

    #: a rule as a plain dict, see :func:`rule_dict`; a record edited by
    #: hand may lack an attribute, which is then None
    RuleDict: ty.TypeAlias = dict[str, str | None]
    #: a domain's record: ``(profiles, rules)`` as
    #: :func:`nova_xmlhooks.metadata.recorded` reads it
    Record: ty.TypeAlias = tuple[Sequence[str],
                                 Sequence[metadata.RecordedRule]]
    #: ``refusal(current, new)``: libvirt's reason for refusing ``new``
    #: where ``current`` passes, or None; see
    #: :class:`~nova_xmlhooks.cmd.libvirt_host.NativeRefusal`
    Refusal: ty.TypeAlias = Callable[[str, str], str | None]
    #: a :class:`difflib.SequenceMatcher` opcode
    Opcode: ty.TypeAlias = tuple[str, int, int, int, int]


@dataclasses.dataclass
class Drift:
    """A recorded rule that no longer holds in a definition.

    :ivar definition: ``persistent`` or ``live``
    :ivar key: the rule's key, or ``None`` when the change cannot be
        traced to one rule
    :ivar value: the rule's value
    :ivar source: where the rule came from (``flavor``, ``profile:<name>``)
    :ivar diff: a unified diff from what the XML has to what the rule wants
    :ivar reason: why the rule cannot be applied any more, if it cannot
    """

    definition: str
    key: str | None = None
    value: str | None = None
    source: str | None = None
    diff: str = ''
    reason: str | None = None


@dataclasses.dataclass
class Staleness:
    """How the current configuration would change a domain.

    :ivar profiles: the profiles the current configuration would apply
    :ivar added: rules it would apply that are not recorded
    :ivar removed: recorded rules it would no longer apply
    :ivar diff: a unified diff of the persistent definition against the
        same with the current rules applied
    :ivar error: why the next hard reboot would fail, if it would
    :ivar refused_by_libvirt: why libvirt would refuse the definition the
        next hard reboot makes, when the rules apply but libvirt refuses
        what they give
    :ivar unchecked: recorded rules that the current customisers cannot
        parse, so not checked for drift: rule dicts with a ``reason``
    """

    profiles: list[str]
    added: list[RuleDict]
    removed: list[RuleDict]
    diff: str = ''
    error: str | None = None
    refused_by_libvirt: str | None = None
    unchecked: list[RuleDict] = dataclasses.field(default_factory=list)


def rule_dict(rule: base.Rule | metadata.RecordedRule) -> RuleDict:
    """A rule as a plain dict, for reports.

    :param rule: a :class:`~nova_xmlhooks.customizers.base.Rule`
    :returns: a dict
    """
    return {'key': rule.key, 'value': rule.value, 'source': rule.source,
            'family': rule.family}


def _recorded_rule(engine: engine_mod.Engine,
                   item: metadata.RecordedRule) -> base.Rule:
    """Parse one recorded rule again with the current customisers.

    :param engine: the current :class:`~nova_xmlhooks.engine.Engine`
    :param item: the rule as recorded
    :raises: ValueError saying why it cannot be checked
    """
    key, source, family = item.key, item.source, item.family
    if key is None or source is None or family is None:
        # NOTE(xmlhooks): the engine records every part; a record edited
        # by hand may not.
        missing = [name for name, value in (
            ('key', key), ('source', source), ('customizer', family))
            if value is None]
        raise ValueError('the record names no %s for this rule'
                         % ' or '.join(missing))
    customizer = engine.customizers.get(family)
    if customizer is None:
        raise ValueError("customizer '%s' is not enabled" % family)
    return base.Rule(key=key, value=item.value, source=source,
                     family=family,
                     payload=customizer.parse(key, item.value))


def recorded_ruleset(
        engine: engine_mod.Engine,
        record: Record) -> tuple[engine_mod.RuleSet, list[RuleDict]]:
    """Parse the recorded rules again with the current customisers.

    NOTE(xmlhooks): recorded keys of a profile's ``xml`` entries are not
    flavor keys, so each value goes to its family's parser directly.

    :param engine: the current :class:`~nova_xmlhooks.engine.Engine`
    :param record: ``(profiles, rules)`` from
        :func:`nova_xmlhooks.metadata.recorded`
    :returns: ``(ruleset, unchecked)``: the rules that parse, and for
        each rule that does not, its :func:`rule_dict` with a ``reason``
    """
    profiles, recorded = record
    rules: list[base.Rule] = []
    unchecked: list[RuleDict] = []
    for item in recorded:
        try:
            rules.append(_recorded_rule(engine, item))
        except ValueError as e:
            problem = rule_dict(item)
            problem['reason'] = messages.one_line(e)
            unchecked.append(problem)
    return engine_mod.RuleSet.build(rules, profiles), unchecked


def _apply(engine: engine_mod.Engine, root: etree._Element,
           rules: Iterable[base.Rule], context: base.DomainContext) -> None:
    by_family: dict[str, list[base.Rule]] = {}
    for rule in rules:
        by_family.setdefault(rule.family, []).append(rule)
    for family, family_rules in by_family.items():
        engine.customizers[family].apply(root, family_rules, context)


def _positions(opcode: Opcode) -> set[int]:
    """Where a diff opcode changes the second text, in half-line units.

    NOTE(xmlhooks): line ``j`` of the second text is ``2j+1``; the gap
    before it, where lines of the first text were removed, is ``2j``.
    """
    tag, _i1, _i2, j1, j2 = opcode
    if tag == 'equal':
        return set()
    if j1 == j2:
        return {2 * j1}
    return {2 * j + 1 for j in range(j1, j2)}


def _matcher(before: str, after: str) -> difflib.SequenceMatcher[str]:
    return difflib.SequenceMatcher(None, common.lines(before),
                                   common.lines(after), autojunk=False)


def changed_positions(before: str, after: str) -> set[int]:
    """Where ``after`` differs from ``before``, in ``after``'s positions.

    :param before: the old text
    :param after: the new text
    :returns: a set of positions in half-lines (see :func:`_positions`)
    """
    positions: set[int] = set()
    for opcode in _matcher(before, after).get_opcodes():
        positions |= _positions(opcode)
    return positions


def _range(start: int, stop: int) -> str:
    length = stop - start
    if length == 1:
        return '%d' % (start + 1)
    return '%d,%d' % (start + 1 if length else start, length)


def hunks(before: str, after: str, from_label: str, to_label: str,
          positions: set[int]) -> str:
    """A unified diff with only the hunks that touch ``positions``.

    :param before: the old text
    :param after: the new text
    :param from_label: the old text's name in the header
    :param to_label: the new text's name in the header
    :param positions: from :func:`changed_positions`, in ``after``
    :returns: the diff, as :func:`difflib.unified_diff` writes it
    """
    matcher = _matcher(before, after)
    # NOTE(xmlhooks): the lines the matcher compares, split again: its
    # ``a`` and ``b`` attributes are not part of difflib's documented API.
    a, b = common.lines(before), common.lines(after)
    lines: list[str] = []
    for group in matcher.get_grouped_opcodes(3):
        if not any(_positions(op) & positions for op in group):
            continue
        lines.append('@@ -%s +%s @@\n' % (_range(group[0][1], group[-1][2]),
                                          _range(group[0][3], group[-1][4])))
        for tag, i1, i2, j1, j2 in group:
            if tag == 'equal':
                lines.extend(' ' + line for line in a[i1:i2])
                continue
            lines.extend('-' + line for line in a[i1:i2])
            lines.extend('+' + line for line in b[j1:j2])
    if not lines:
        return ''
    return ''.join(['--- %s\n+++ %s\n' % (from_label, to_label)] + lines)


def _reason(error: Exception) -> str:
    if isinstance(error, exception.XmlHooksError):
        return common.error_message(error)
    return '%s: %s' % (type(error).__name__, error)


def _applied(engine: engine_mod.Engine, root: etree._Element,
             rules: Iterable[base.Rule], context: base.DomainContext) -> str:
    """The document with rules applied, as text; the input is kept."""
    trial = copy.deepcopy(root)
    _apply(engine, trial, rules, context)
    return engine_mod.serialize(trial)


def _failing(engine: engine_mod.Engine, root: etree._Element,
             ruleset: Iterable[base.Rule], context: base.DomainContext,
             definition: str) -> list[Drift]:
    """The rules that cannot be applied to a definition any more.

    NOTE(xmlhooks): a rule that cannot apply any more is drift too; the
    rules are tried one by one to name it.

    :returns: a list of :class:`Drift` with a ``reason``
    """
    found = []
    for rule in ruleset:
        try:
            _applied(engine, root, [rule], context)
        except Exception as e:
            found.append(Drift(definition, rule.key, rule.value, rule.source,
                               reason='cannot be applied: %s' % _reason(e)))
    return found


def _footprint(engine: engine_mod.Engine, root: etree._Element,
               ruleset: Iterable[base.Rule], rule: base.Rule,
               context: base.DomainContext, after: str) -> set[int]:
    """Where ``rule`` makes the fully customised document what it is.

    NOTE(xmlhooks): the document is customised with every recorded rule
    but this one, and compared with the document customised with all of
    them. Applying a rule on its own would not do: a customiser may apply
    its rules together (the OEM strings are exactly the ones recorded), so
    one of them alone undoes the others.
    """
    others = [other for other in ruleset if other is not rule]
    try:
        return changed_positions(
            _applied(engine, root, others, context), after)
    except Exception:
        # NOTE(xmlhooks): the others need this rule to apply; its
        # footprint is then whatever it changes on its own.
        before = engine_mod.serialize(root)
        return changed_positions(before, _applied(engine, root, [rule],
                                                  context))


def _blame(engine: engine_mod.Engine, root: etree._Element,
           ruleset: Iterable[base.Rule], context: base.DomainContext,
           definition: str, after: str) -> list[Drift]:
    before = engine_mod.serialize(root)
    changed = changed_positions(before, after)
    found = []
    for rule in ruleset:
        blamed = changed & _footprint(engine, root, ruleset, rule, context,
                                      after)
        if blamed:
            found.append(Drift(definition, rule.key, rule.value, rule.source,
                               diff=hunks(before, after, '%s definition'
                                          % definition, 'with %s' % rule.key,
                                          blamed)))
    if not found:
        # NOTE(xmlhooks): only the rules together change the XML (two
        # rules on one node, say); report the change without a key.
        found.append(Drift(definition, diff=common.unified_diff(
            before, after, '%s definition' % definition,
            'with the recorded rules')))
    return found


def find_drift(engine: engine_mod.Engine, xml: str,
               ruleset: Iterable[base.Rule], definition: str) -> list[Drift]:
    """Find the recorded rules that no longer hold in a definition.

    A rule is blamed when the parts of the document it decides (its
    footprint, see :func:`_footprint`) are among those that the recorded
    rules would change: only the rules whose effect changed are named.
    Rules that cannot be applied any more are named with the reason, and
    the others checked without them.

    :param engine: the current engine, for its customisers
    :param xml: the domain XML to check
    :param ruleset: the recorded rules, from :func:`recorded_ruleset`
    :param definition: ``persistent`` or ``live``, for the report
    :returns: a list of :class:`Drift`, empty when every rule holds
    """
    root = engine_mod.parse_domain(xml)
    context = metadata.domain_context(root)
    failing: list[Drift] = []
    try:
        after = _applied(engine, root, ruleset, context)
    except Exception as e:
        failing = _failing(engine, root, ruleset, context, definition)
        names = {item.key for item in failing}
        ruleset = [rule for rule in ruleset if rule.key not in names]
        try:
            after = _applied(engine, root, ruleset, context)
        except Exception:
            return failing or [Drift(
                definition, reason='the recorded rules cannot be applied '
                'together: %s' % _reason(e))]
    if after == engine_mod.serialize(root):
        return failing
    return failing + _blame(engine, root, ruleset, context, definition,
                            after)


def _image_profiles(engine: engine_mod.Engine, extra_specs: Mapping[str, str],
                    recorded_profiles: Iterable[str]) -> list[str]:
    # NOTE(xmlhooks): Nova does not record image properties in the domain,
    # so profiles an image selected are recognised as recorded profiles
    # that neither the host defaults nor the flavor name and that may be
    # selected by an image.
    named = set(engine.default_profiles)
    named.update(engine_mod.split_names(
        extra_specs.get(engine_mod.PROFILE_KEY, '')))
    return [name for name in recorded_profiles
            if name not in named and name in engine.profiles and
            engine.profiles[name].image_selectable]


def flavor_specs(engine: engine_mod.Engine, root: etree._Element,
                 record: Record) -> tuple[dict[str, str], str]:
    """The flavor's extra specs, to resolve the rules again with.

    NOTE(xmlhooks): Nova records them in the domain from nova 32 on. For
    a domain of an older series they are rebuilt from the record of what
    was applied: the rules that came from the flavor, and the recorded
    profiles that are not the host's defaults as its ``xmlhooks:profile``
    (an image-selected profile is then counted as the flavor's, which
    resolves to the same rules). A flavor change since the last hard
    reboot cannot be seen then; drift is checked all the same.

    :param engine: the current engine
    :param root: the persistent definition's ``<domain>``
    :param record: ``(profiles, rules)`` as recorded
    :returns: ``(specs, origin)``; ``origin`` is ``nova`` or ``record``
    """
    specs = common.recorded_extra_specs(root)
    if specs is not None:
        return specs, 'nova'
    profiles, rules = record
    specs = {rule.key: rule.value for rule in rules
             if rule.source == 'flavor' and rule.key is not None}
    named = [name for name in profiles
             if name not in engine.default_profiles]
    if named:
        specs[engine_mod.PROFILE_KEY] = ','.join(named)
    return specs, 'record'


def find_staleness(engine: engine_mod.Engine, xml: str, record: Record,
                   specs: Mapping[str, str],
                   unchecked: Iterable[RuleDict] = (),
                   refusal: Refusal | None = None) -> Staleness | None:
    """Compare the recorded rules with what the engine would apply now.

    Rules that are no longer applied cannot be undone on the current XML,
    so they show in the diff as the change of the record and are listed
    in ``removed``.

    :param engine: the current engine
    :param xml: the persistent definition
    :param record: ``(profiles, rules)`` as recorded, ``([], [])`` for a
        domain without a record
    :param specs: the flavor's extra specs, from :func:`flavor_specs`
    :param unchecked: the recorded rules the current customisers cannot
        parse, from :func:`recorded_ruleset`; any makes the domain stale
    :param refusal: ``refusal(current, new)``, from
        :class:`~nova_xmlhooks.cmd.libvirt_host.NativeRefusal`, asked of
        the definition the rules would give; None not to ask libvirt
    :returns: a :class:`Staleness`, or ``None`` when nothing would change
    """
    stale = _staleness(engine, xml, record, specs, refusal)
    if unchecked:
        if stale is None:
            # NOTE(xmlhooks): rules that do not parse and yet resolve the
            # same (a parser that got stricter in an upgrade, say): the
            # next hard reboot applies them again, or fails.
            stale = Staleness(profiles=list(record[0]), added=[],
                              removed=[])
        stale.unchecked = list(unchecked)
    return stale


def _staleness(engine: engine_mod.Engine, xml: str, record: Record,
               specs: Mapping[str, str],
               refusal: Refusal | None) -> Staleness | None:
    root = engine_mod.parse_domain(xml)
    profiles, recorded = record
    was = [rule_dict(rule) for rule in recorded]
    try:
        ruleset = engine.resolve(
            specs, _image_profiles(engine, specs, profiles))
    except exception.XmlHooksError as e:
        return Staleness(profiles=[], added=[], removed=was,
                         error=common.error_message(e))
    now = [rule_dict(rule) for rule in ruleset]
    if now == was and list(ruleset.profiles) == list(profiles):
        return None
    stale = Staleness(profiles=list(ruleset.profiles),
                      added=[r for r in now if r not in was],
                      removed=[r for r in was if r not in now])
    before = engine_mod.serialize(root)
    try:
        if ruleset:
            customised = engine.apply(xml, ruleset)
            after = common.normalize(customised)
        else:
            for node in root.iterfind('metadata/{%s}customization'
                                      % metadata.XMLHOOKS_NS):
                node.getparent().remove(node)
            customised = after = engine_mod.serialize(root)
    except exception.XmlHooksError as e:
        stale.error = common.error_message(e)
        return stale
    stale.diff = common.unified_diff(before, after, 'persistent definition',
                                     'at next hard reboot')
    if refusal is not None:
        stale.refused_by_libvirt = refusal(xml, customised)
    return stale
