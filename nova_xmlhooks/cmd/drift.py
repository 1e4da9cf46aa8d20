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

import copy
import dataclasses

from nova_xmlhooks.cmd import common
from nova_xmlhooks.customizers import base
from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import exception
from nova_xmlhooks import messages
from nova_xmlhooks import metadata


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
    key: str = None
    value: str = None
    source: str = None
    diff: str = ''
    reason: str = None


@dataclasses.dataclass
class Staleness:
    """How the current configuration would change a domain.

    :ivar profiles: the profiles the current configuration would apply
    :ivar added: rules it would apply that are not recorded
    :ivar removed: recorded rules it would no longer apply
    :ivar diff: a unified diff of the persistent definition against the
        same with the current rules applied
    :ivar error: why the next hard reboot would fail, if it would
    :ivar unchecked: recorded rules that the current customisers cannot
        parse, so not checked for drift: rule dicts with a ``reason``
    """

    profiles: list
    added: list
    removed: list
    diff: str = ''
    error: str = None
    unchecked: list = dataclasses.field(default_factory=list)


def rule_dict(rule):
    """A rule as a plain dict, for reports."""
    return {'key': rule.key, 'value': rule.value, 'source': rule.source,
            'family': rule.family}


def recorded_ruleset(engine, record):
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
    rules, unchecked = [], []
    for item in recorded:
        customizer = engine.customizers.get(item.family)
        try:
            if customizer is None:
                raise ValueError("customizer '%s' is not enabled"
                                 % item.family)
            payload = customizer.parse(item.key, item.value)
        except ValueError as e:
            problem = rule_dict(item)
            problem['reason'] = messages.one_line(e)
            unchecked.append(problem)
            continue
        rules.append(base.Rule(key=item.key, value=item.value,
                               source=item.source, family=item.family,
                               payload=payload))
    return engine_mod.RuleSet.build(rules, profiles), unchecked


def _apply(engine, root, rules, context):
    by_family = {}
    for rule in rules:
        by_family.setdefault(rule.family, []).append(rule)
    for family, family_rules in by_family.items():
        engine.customizers[family].apply(root, family_rules, context)


def find_drift(engine, xml, ruleset, definition):
    """Find the recorded rules that no longer hold in a definition.

    :param engine: the current engine, for its customisers
    :param xml: the domain XML to check
    :param ruleset: the recorded rules, from :func:`recorded_ruleset`
    :param definition: ``persistent`` or ``live``, for the report
    :returns: a list of :class:`Drift`, empty when every rule holds
    """
    root = engine_mod.parse_domain(xml)
    before = engine_mod.serialize(root)
    context = metadata.domain_context(root)
    whole = copy.deepcopy(root)
    try:
        _apply(engine, whole, ruleset, context)
        if engine_mod.serialize(whole) == before:
            return []
    except Exception:
        # NOTE(xmlhooks): a rule that cannot apply any more is drift too;
        # the rule by rule pass below names it.
        pass
    found = []
    step = copy.deepcopy(root)
    for rule in ruleset:
        was = engine_mod.serialize(step)
        try:
            _apply(engine, step, [rule], context)
        except Exception as e:
            reason = (common.error_message(e)
                      if isinstance(e, exception.XmlHooksError)
                      else '%s: %s' % (type(e).__name__, e))
            found.append(Drift(definition, rule.key, rule.value, rule.source,
                               reason='cannot be applied: %s' % reason))
            continue
        now = engine_mod.serialize(step)
        if now != was:
            found.append(Drift(definition, rule.key, rule.value, rule.source,
                               diff=common.unified_diff(
                                   was, now, '%s definition' % definition,
                                   'with %s' % rule.key)))
    if not found:
        # NOTE(xmlhooks): only the rules together change the XML (two
        # rules on one node, say); report the change without a key.
        found.append(Drift(definition, diff=common.unified_diff(
            before, engine_mod.serialize(whole), '%s definition'
            % definition, 'with the recorded rules')))
    return found


def _image_profiles(engine, extra_specs, recorded_profiles):
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


def find_staleness(engine, xml, record, unchecked=()):
    """Compare the recorded rules with what the engine would apply now.

    The flavor's extra specs come from Nova's own record in the domain.
    Rules that are no longer applied cannot be undone on the current XML,
    so they show in the diff as the change of the record and are listed
    in ``removed``.

    :param engine: the current engine
    :param xml: the persistent definition
    :param record: ``(profiles, rules)`` as recorded, ``([], [])`` for a
        domain without a record
    :param unchecked: the recorded rules the current customisers cannot
        parse, from :func:`recorded_ruleset`; any makes the domain stale
    :returns: a :class:`Staleness`, or ``None`` when nothing would change
    """
    stale = _staleness(engine, xml, record)
    if unchecked:
        if stale is None:
            # NOTE(xmlhooks): rules that do not parse and yet resolve the
            # same (a parser that got stricter in an upgrade, say): the
            # next hard reboot applies them again, or fails.
            stale = Staleness(profiles=list(record[0]), added=[],
                              removed=[])
        stale.unchecked = list(unchecked)
    return stale


def _staleness(engine, xml, record):
    root = engine_mod.parse_domain(xml)
    profiles, recorded = record
    was = [rule_dict(rule) for rule in recorded]
    specs = metadata.flavor_extra_specs(root)
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
            after = common.normalize(engine.apply(xml, ruleset))
        else:
            for node in root.iterfind('metadata/{%s}customization'
                                      % metadata.XMLHOOKS_NS):
                node.getparent().remove(node)
            after = engine_mod.serialize(root)
    except exception.XmlHooksError as e:
        stale.error = common.error_message(e)
        return stale
    stale.diff = common.unified_diff(before, after, 'persistent definition',
                                     'at next hard reboot')
    return stale
