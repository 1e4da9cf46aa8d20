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

"""The engine: from specs and profiles to a customised domain XML.

Order, documented for operators in the docs:

1. Rules are collected from their sources in this order: the host's
   ``[xmlhooks] default_profiles``, the profiles the flavor names in
   ``xmlhooks:profile`` (in the order given), the profiles an image selects,
   then the flavor's own ``xmlhooks:`` keys (sorted by key). Within a
   profile, its ``specs`` come first, in file order, then its ``xml``
   entries in list order. A key set again by a later source replaces the
   earlier rule and takes the later position.
2. Customisers run in the order of ``[xmlhooks] customizers``; each gets
   its own rules in the order above.

Everything is parsed before anything is applied, and the document is only
returned when every rule applied: a failure leaves Nova's XML untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
import dataclasses
import difflib
import functools
import threading
import typing as ty

from lxml import etree
from oslo_log import log as logging

from nova_xmlhooks import checks as checks_mod
from nova_xmlhooks.customizers import base
from nova_xmlhooks import exception
from nova_xmlhooks import loader
from nova_xmlhooks import messages
from nova_xmlhooks import metadata
from nova_xmlhooks import problems
from nova_xmlhooks import profiles as profiles_mod

if ty.TYPE_CHECKING:
    from nova import objects
    from oslo_config import cfg

    #: what :meth:`Engine.resolve` keeps a rule set by: the flavor's
    #: ``xmlhooks:`` specs, sorted, and the profile names an image selects
    ResolveKey: ty.TypeAlias = tuple[
        tuple[tuple[str, str], ...], tuple[str, ...]]

LOG = logging.getLogger(__name__)

PROFILE_KEY = 'xmlhooks:profile'
IMAGE_PROFILES_KEY = 'xmlhooks:image_profiles'
#: how errors name the image property that selects profiles
IMAGE_PROPERTY = 'image property xmlhooks_profile'
_PREFIX = base.NAMESPACE + ':'


@dataclasses.dataclass(frozen=True)
class RuleSet:
    """The ordered rules for one instance, with the profiles they came from.

    It iterates, indexes and measures like its :attr:`rules`, so code that
    only walks the rules needs nothing else.

    :ivar rules: a tuple of :class:`~nova_xmlhooks.customizers.base.Rule`,
        in the order they apply
    :ivar profiles: a tuple of the names of the profiles they came from
    """

    rules: tuple[base.Rule, ...] = ()
    profiles: tuple[str, ...] = ()
    #: how an engine applies them, worked out once (see Engine._plan)
    plan: Plan | None = dataclasses.field(default=None, compare=False,
                                          repr=False)

    @classmethod
    def build(cls, rules: Iterable[base.Rule], profiles: Iterable[str],
              plan: Plan | None = None) -> RuleSet:
        """Build a rule set from any iterables.

        :param rules: the rules, in order
        :param profiles: the profile names, in order
        :param plan: how the engine that resolved them applies them
        :returns: a :class:`RuleSet`
        """
        return cls(tuple(rules), tuple(profiles), plan)

    @functools.cached_property
    def record_key(self) -> tuple[tuple[str, str, str, str], ...]:
        """What the metadata record says of each rule, made once per set.

        NOTE(xmlhooks): a rule set is immutable; the record of one that is
        resolved again and again costs a look-up on each boot.
        """
        return tuple((rule.key, rule.family, rule.source, rule.value)
                     for rule in self.rules)

    def __iter__(self) -> Iterator[base.Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def __getitem__(self, index: int) -> base.Rule:
        return self.rules[index]


@dataclasses.dataclass(frozen=True)
class Plan:
    """How an engine applies a rule set, worked out once per rule set.

    :ivar customizers: the engine's customisers, which the plan is for
    :ivar by_family: ``(family, rules)`` pairs, in the order the
        customisers run
    :ivar region: the :class:`~nova_xmlhooks.checks.Region` the rules and
        the record may change, or None when a customiser cannot say
    """

    customizers: base.Customizers
    by_family: tuple[tuple[str, tuple[base.Rule, ...]], ...]
    region: checks_mod.Region | None


@dataclasses.dataclass(frozen=True)
class _Source:
    """Nova's document: the tree to customise, and Nova's text of it.

    :ivar root: the ``<domain>`` element the rules change
    :ivar nova_xml: a callable returning the XML Nova generated
    """

    root: etree._Element
    nova_xml: Callable[[], str]

    @classmethod
    def text(cls, xml: str) -> _Source:
        return cls(parse_domain(xml), lambda: xml)

    @classmethod
    def tree(cls, root: etree._Element,
             nova_xml: Callable[[], str]) -> _Source:
        # NOTE(xmlhooks): a tree built in memory may hold empty text, which
        # is written as nothing, and blank text, some of which the parser
        # drops; the rules must see, and give, what they would on Nova's
        # text. Empty text is dropped here. Which blanks libxml2 drops
        # depends on the text before them in the element and on
        # xml:space, so a tree holding any is read from Nova's text, by
        # the parser itself. Nova builds neither, so one search finds
        # nothing, and costs little.
        texts = _BLANK(root)
        if any(texts):
            return cls.text(nova_xml())
        for text in texts:
            if text.is_tail:
                text.getparent().tail = None
            else:
                text.getparent().text = None
        return cls(root, nova_xml)

    def nova_root(self) -> etree._Element:
        """Nova's document, parsed from its text."""
        return parse_domain(self.nova_xml())


_parser_local = threading.local()
#: whitespace-only text in elements whose content is only elements
_BLANK_TEXT = etree.XPath(
    '//*[* and not(text()[normalize-space()])]/text()', regexp=False)
#: text that is empty or only whitespace
_BLANK = etree.XPath('//text()[not(normalize-space())]', regexp=False)
#: the rule sets an engine keeps resolved, by flavor specs and image
#: profiles; a host applies few distinct ones
MAX_RESOLVED = 1024


def _parser() -> etree.XMLParser:
    # NOTE(xmlhooks): lxml parsers must not be shared between threads, and
    # nova-compute builds many guests at once, so each thread gets one.
    parser = getattr(_parser_local, 'parser', None)
    if parser is None:
        parser = etree.XMLParser(remove_blank_text=True,
                                 resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=False)
        _parser_local.parser = parser
    return parser


def parse_domain(xml: str) -> etree._Element:
    """Parse a domain document safely.

    NOTE(xmlhooks): a document type declaration is refused outright.
    libvirt and Nova never write one, and entities are not substituted
    (so that nothing is read, fetched or expanded), which would leave an
    entity reference in the result while the declaration that defines it
    is not written back: the output would not be well-formed.

    :param xml: the domain XML, as a str
    :returns: the root element
    :raises: nova_xmlhooks.exception.XmlHooksError if it is not XML, or
        has a DOCTYPE
    """
    try:
        root = etree.fromstring(xml.encode('utf-8'), _parser())
    except etree.XMLSyntaxError as e:
        raise exception.XmlHooksError(
            reason='the domain XML cannot be parsed: %s' % e)
    except UnicodeEncodeError as e:
        # NOTE(xmlhooks): a lone surrogate, which no XML document holds.
        raise exception.XmlHooksError(
            reason='the domain XML cannot be parsed: character U+%04X at '
                   'position %d is not allowed in XML'
                   % (ord(xml[e.start]), e.start))
    if root.getroottree().docinfo.internalDTD is not None:
        raise exception.DoctypeError()
    return root


def serialize(root: etree._Element) -> str:
    """Serialise a domain the way nova's ``LibvirtConfigObject`` does.

    See :func:`serialize_tidied`.

    :param root: the ``<domain>`` element
    :returns: the document, as a str
    """
    return serialize_tidied(root)[0]


def serialize_tidied(root: etree._Element) -> tuple[str, bool]:
    """Serialise a domain the way nova's ``LibvirtConfigObject`` does.

    NOTE(xmlhooks): the parser drops the whitespace between elements, but
    keeps it in an element that holds nothing else, such as a
    ``<devices>`` written with its closing tag on the next line (libvirt
    writes an empty ``<devices>`` so). Once a child is added there, the
    whitespace and the child are written side by side as mixed content,
    and the whitespace is dropped when the document is read again: the
    rules applied to their own output would not give the same bytes.
    Such whitespace is dropped from ``root`` before it is written out.
    libxml2 writes the children of an element with text next to each
    other, so ``><`` in the output, which Nova's documents never have,
    is the cheap sign that the tree needs looking at.

    :param root: the ``<domain>`` element; whitespace-only text beside
        child elements is dropped from it
    :returns: ``(text, tidied)``: the document, as a str, and whether
        whitespace was dropped
    """
    text = etree.tostring(root, encoding='unicode', pretty_print=True)
    if '><' in text and _tidy(root):
        return etree.tostring(root, encoding='unicode',
                              pretty_print=True), True
    return text, False


def _tidy(root: etree._Element) -> bool:
    """Drop whitespace-only text from elements whose content is elements.

    Text values, and text beside other non-blank text, are left alone.

    :param root: an element, changed in place
    :returns: whether anything was dropped
    """
    blanks = _BLANK_TEXT(root)
    for text in blanks:
        parent = text.getparent()
        if text.is_tail:
            parent.tail = None
        else:
            parent.text = None
    return bool(blanks)


def split_names(value: str) -> list[str]:
    """Split a comma-separated list of profile names, dropping blanks.

    :param value: a value that names profiles, e.g. of
        ``xmlhooks:profile``
    :returns: a list of names
    """
    return [name.strip() for name in value.split(',') if name.strip()]


def _load_checks(conf: cfg.ConfigOpts, customizers: base.Customizers,
                 report: problems.Sink) -> list[checks_mod.Check]:
    try:
        return checks_mod.load_checks(conf, customizers)
    except exception.XmlHooksError as e:
        report(e)
        return []


def _check_strings(extra_specs: Mapping[str, object],
                   image_profiles: Iterable[object]) -> None:
    """Refuse a spec value or an image profile name that is not a str.

    NOTE(xmlhooks): Nova's extra specs and image properties are strings;
    a value of another type, from another caller, would reach the
    customisers' parsers, which read strings, and fail there with
    whatever Python raises rather than with its key named.

    :raises: nova_xmlhooks.exception.InvalidSpec
    """
    for key, value in extra_specs.items():
        if key.startswith(_PREFIX) and not isinstance(value, str):
            raise exception.InvalidSpec(
                key, 'the value is a %s, not a string' % type(value).__name__)
    for name in image_profiles:
        if not isinstance(name, str):
            raise exception.InvalidSpec(
                IMAGE_PROPERTY, 'a profile name is a %s, not a string'
                % type(name).__name__)


def _needs_xml(profile: profiles_mod.Profile) -> ty.NoReturn:
    raise exception.ProfileError(
        profile.path, "needs the 'xml' customizer, which is not enabled",
        profile=profile.name, entry='xml')


class Engine:
    """Resolves specs into rules and applies them to domain XML.

    An engine is built once per service and is safe to share between
    threads: it holds only immutable, pre-compiled state.
    """

    def __init__(self, customizers: base.Customizers,
                 profiles: (dict[str, profiles_mod.Profile] |
                            Iterable[profiles_mod.Profile]),
                 default_profiles: Iterable[str] = (), on_error: str = 'fail',
                 checks: Iterable[checks_mod.Check] = (),
                 errors: list[exception.XmlHooksError] | None = None) -> None:
        """Compile profiles against the customisers.

        :param customizers: an ordered dict of family name to
            :class:`~nova_xmlhooks.customizers.base.Customizer`
        :param profiles: a dict of name to
            :class:`~nova_xmlhooks.profiles.Profile`, or an iterable of
            them such as :func:`~nova_xmlhooks.profiles.read_directories`
            gives
        :param default_profiles: names applied to every instance
        :param on_error: ``fail`` or ``skip``
        :param checks: callables ``check(nova_root, result_root, ruleset)``
            run on every customised document; they raise
            :class:`~nova_xmlhooks.exception.XmlHooksError` to refuse it
        :param errors: None to raise the first problem; a list to collect
            every problem in, once each, keeping only the profiles without
            one
        :raises: nova_xmlhooks.exception.ProfileError on the first problem,
            unless ``errors`` is a list
        """
        report = problems.sink(errors)
        self.customizers = customizers
        self.on_error = on_error
        self.checks = tuple(checks)
        self._order = {family: i for i, family in enumerate(customizers)}
        # NOTE(xmlhooks): parsing a value (an XPath compile, say) is pure,
        # so flavor values seen before cost a dict look-up on later boots.
        self._parse_cached = functools.lru_cache(maxsize=4096)(self._parse)
        if isinstance(profiles, dict):
            profiles = profiles.values()
        self.profiles: dict[str, profiles_mod.Profile] = {}
        self._compiled: dict[str, tuple[base.Rule, ...]] = {}
        for profile in profiles:
            rules = self._compile_profile(profile, report)
            if rules is not None and profile.complete:
                self.profiles[profile.name] = profile
                self._compiled[profile.name] = rules
        self.default_profiles = self._known_defaults(default_profiles,
                                                     report)

    @classmethod
    def from_conf(
            cls, conf: cfg.ConfigOpts,
            errors: list[exception.XmlHooksError] | None = None) -> Engine:
        """Build the engine exactly as the compute driver does.

        Customisers, checks, profile files, the shape of each profile and
        each of its entries are checked on one path, each problem reported
        once to the same sink.

        :param conf: the service's ``oslo_config.cfg.ConfigOpts``
        :param errors: a list to collect every problem in, instead of
            raising the first (used by ``nova-xmlhooks validate``); the
            engine then has what passed
        :returns: an :class:`Engine`
        :raises: nova_xmlhooks.exception.XmlHooksError
        """
        report = problems.sink(errors)
        group = conf.xmlhooks
        customizers = loader.load_customizers(conf, group.customizers,
                                              errors=errors)
        checks = _load_checks(conf, customizers, report)
        profiles = profiles_mod.read_directories(group.profile_dirs, report)
        return cls(customizers, profiles, group.default_profiles,
                   group.on_error, checks, errors=errors)

    def _known_defaults(self, names: Iterable[str],
                        report: problems.Sink) -> tuple[str, ...]:
        known = []
        for name in names:
            if name in self._compiled:
                known.append(name)
                continue
            report(exception.ProfileError(
                None, 'names unknown or invalid profile', profile=name,
                option='[xmlhooks] default_profiles'))
        return tuple(known)

    # Parsing

    def _family(self, key: str) -> tuple[str, base.Customizer]:
        family = key[len(_PREFIX):].split(':', 1)[0]
        customizer = self.customizers.get(family)
        if customizer is None:
            raise ValueError(
                "no customizer handles 'xmlhooks:%s' (enabled: %s)"
                % (family, ', '.join(self.customizers) or 'none'))
        return family, customizer

    def _parse(self, key: str, value: str) -> tuple[str, ty.Any]:
        family, customizer = self._family(key)
        return family, customizer.check_key(key, value)

    def parse_spec(self, key: str, value: str, source: str) -> base.Rule:
        """Parse one ``xmlhooks:`` spec into a rule.

        :param key: the key; not ``xmlhooks:profile``
        :param value: the value
        :param source: where it comes from, for messages and the record
        :returns: a :class:`~nova_xmlhooks.customizers.base.Rule`
        :raises: nova_xmlhooks.exception.InvalidSpec
        """
        try:
            family, payload = self._parse_cached(key, value)
        except ValueError as e:
            raise exception.InvalidSpec(key, str(e))
        return base.Rule(key=key, value=value, source=source, family=family,
                         payload=payload)

    def _compile_profile(
            self, profile: profiles_mod.Profile,
            report: problems.Sink) -> tuple[base.Rule, ...] | None:
        """Compile a profile's entries, reporting each bad one.

        :param profile: a :class:`~nova_xmlhooks.profiles.Profile`
        :param report: the sink (see :mod:`nova_xmlhooks.problems`)
        :returns: a tuple of rules, or None if an entry was reported
        """
        rules: list[base.Rule] = []
        failed = False
        for compile_entry in self._profile_entries(profile):
            try:
                rules.append(compile_entry())
            except exception.ProfileError as e:
                report(e)
                failed = True
        return None if failed else tuple(rules)

    def _profile_entries(self, profile: profiles_mod.Profile
                         ) -> Iterator[Callable[[], base.Rule]]:
        """One callable per entry, returning its rule or raising."""
        source = 'profile:%s' % profile.name
        for key, value in profile.specs:
            yield functools.partial(self._profile_spec, profile, key, value,
                                    source)
        if not profile.xml:
            return
        customizer = self.customizers.get('xml')
        if customizer is None:
            # NOTE(xmlhooks): one problem for the field, not one per edit.
            yield functools.partial(_needs_xml, profile)
            return
        for index, edit in enumerate(profile.xml):
            # NOTE(xmlhooks): None is an edit of the wrong shape, already
            # reported.
            if edit is not None:
                yield functools.partial(self._profile_edit, profile,
                                        customizer, index, edit, source)

    def _profile_spec(self, profile: profiles_mod.Profile, key: str,
                      value: str, source: str) -> base.Rule:
        if not key.startswith(_PREFIX) or key in (PROFILE_KEY,
                                                  IMAGE_PROFILES_KEY):
            raise exception.ProfileError(
                profile.path, 'only xmlhooks:<family>:... keys are '
                'allowed in a profile', profile=profile.name, entry=key)
        try:
            return self.parse_spec(key, value, source)
        except exception.InvalidSpec as e:
            raise exception.ProfileError(profile.path, e.kwargs['reason'],
                                         profile=profile.name, entry=key)

    @staticmethod
    def _profile_edit(profile: profiles_mod.Profile,
                      customizer: base.Customizer, index: int, edit: str,
                      source: str) -> base.Rule:
        key = 'xmlhooks:xml:%s[%d]' % (profile.name, index)
        try:
            payload = customizer.parse(key, edit)
        except ValueError as e:
            raise exception.ProfileError(
                profile.path, str(e), profile=profile.name,
                entry='xml[%d]' % index)
        return base.Rule(key=key, value=edit, source=source, family='xml',
                         payload=payload)

    # Resolution

    def resolve(self, extra_specs: Mapping[str, str],
                image_profiles: Sequence[str] = ()) -> RuleSet:
        """Turn a flavor's extra specs into the ordered rules to apply.

        :param extra_specs: the flavor's extra specs (other namespaces are
            ignored)
        :param image_profiles: profile names an image selected
        :returns: a :class:`RuleSet`
        :raises: nova_xmlhooks.exception.XmlHooksError naming the key
        """
        key = (tuple(sorted(item for item in extra_specs.items()
                            if item[0].startswith(_PREFIX))),
               tuple(image_profiles))
        try:
            return self._resolved(key)
        except TypeError:
            # NOTE(xmlhooks): a value that cannot be a key (not a str) is
            # refused by _resolve, with its key named.
            return self._resolve(extra_specs, image_profiles)

    @functools.cached_property
    def _resolved(self) -> Callable[[ResolveKey], RuleSet]:
        # NOTE(xmlhooks): an engine's profiles never change, so the rules
        # of a flavor and image are the same on every boot; only a
        # successful resolution is kept (an error is raised again, and
        # named again, each time).
        return functools.lru_cache(maxsize=MAX_RESOLVED)(
            lambda key: self._resolve(dict(key[0]), key[1]))

    def _resolve(self, extra_specs: Mapping[str, str],
                 image_profiles: Sequence[str]) -> RuleSet:
        _check_strings(extra_specs, image_profiles)
        names = list(self.default_profiles)
        for name in split_names(extra_specs.get(PROFILE_KEY, '')):
            if name not in self._compiled:
                raise exception.UnknownProfile(PROFILE_KEY, name)
            names.append(name)
        if image_profiles:
            names.extend(self._image_profiles(extra_specs, image_profiles))

        merged: dict[str, base.Rule] = {}
        for name in dict.fromkeys(names):
            for rule in self._compiled[name]:
                merged.pop(rule.key, None)
                merged[rule.key] = rule
        for key in sorted(extra_specs):
            if not key.startswith(_PREFIX) or key in (PROFILE_KEY,
                                                      IMAGE_PROFILES_KEY):
                continue
            merged.pop(key, None)
            merged[key] = self.parse_spec(key, extra_specs[key], 'flavor')
        rules = sorted(merged.values(), key=lambda r: self._order[r.family])
        return RuleSet.build(rules, dict.fromkeys(names),
                             self._make_plan(rules))

    def _image_profiles(self, extra_specs: Mapping[str, str],
                        image_profiles: Sequence[str]) -> Sequence[str]:
        policy = extra_specs.get(IMAGE_PROFILES_KEY, 'allowed')
        if policy not in ('allowed', 'forbidden'):
            raise exception.InvalidSpec(IMAGE_PROFILES_KEY,
                                        "must be 'allowed' or 'forbidden'")
        if policy == 'forbidden':
            raise exception.InvalidSpec(
                IMAGE_PROPERTY, 'the flavor forbids image-selected profiles '
                '(xmlhooks:image_profiles=forbidden)')
        for name in image_profiles:
            profile = self.profiles.get(name)
            # NOTE(xmlhooks): faults are shown to the instance's owner, who
            # sets the image property. One message for a profile that does
            # not exist and for one that images may not select, so that a
            # user cannot list the operator's other profiles by trying
            # names.
            if profile is None or not profile.image_selectable:
                raise exception.InvalidSpec(
                    IMAGE_PROPERTY, "'%s' is not a profile that images may "
                    "select" % messages.shortened(name))
        return image_profiles

    # Application

    def _make_plan(self, rules: Iterable[base.Rule]) -> Plan:
        by_family: dict[str, list[base.Rule]] = {}
        for rule in rules:
            by_family.setdefault(rule.family, []).append(rule)
        return Plan(customizers=self.customizers,
                    region=self._region(by_family),
                    by_family=tuple((family, tuple(family_rules))
                                    for family, family_rules
                                    in by_family.items()))

    def _region(self, by_family: Mapping[str, Sequence[base.Rule]]
                ) -> checks_mod.Region | None:
        """What the rules and the record may change; None if not said."""
        region = checks_mod.Region.of(metadata.RECORD_PLACE)
        for family, family_rules in by_family.items():
            touched = self.customizers[family].touches(family_rules)
            if touched is None:
                return None
            region = region.union(checks_mod.Region.of(touched))
        return region

    def _plan(self, ruleset: RuleSet) -> Plan:
        """How this engine applies a rule set; made once, when resolved."""
        plan = ruleset.plan
        if plan is None or plan.customizers is not self.customizers:
            plan = self._make_plan(ruleset.rules)
        return plan

    def apply(self, xml: str, ruleset: RuleSet,
              instance: objects.Instance | None = None,
              rescue: bool = False) -> str:
        """Apply resolved rules to a domain XML.

        :param xml: the domain XML Nova generated
        :param ruleset: a :class:`RuleSet`
        :param instance: the instance, for log context only
        :param rescue: whether the XML is Nova's rescue domain (see
            :class:`~nova_xmlhooks.customizers.base.DomainContext`)
        :returns: the customised XML; ``xml`` itself, untouched, when there
            is nothing to apply
        :raises: nova_xmlhooks.exception.XmlHooksError naming the rule
        """
        if not ruleset:
            return xml
        return self._apply(_Source.text(xml), ruleset, instance, rescue)

    def _apply(self, source: _Source, ruleset: RuleSet,
               instance: objects.Instance | None, rescue: bool = False) -> str:
        result = self._build(source, ruleset, rescue)
        LOG.info('Applied %(count)d xmlhooks rule(s) from profiles '
                 '%(profiles)s', {'count': len(ruleset),
                                  'profiles': list(ruleset.profiles) or '-'},
                 instance=instance)
        if LOG.isEnabledFor(logging.DEBUG):
            LOG.debug('xmlhooks changes:\n%s', ''.join(difflib.unified_diff(
                source.nova_xml().splitlines(True), result.splitlines(True),
                'nova', 'xmlhooks')), instance=instance)
        return result

    def check(self, xml: str, ruleset: RuleSet) -> None:
        """Find out whether rules would apply, without applying them.

        Runs every customiser and every check exactly as :meth:`apply`
        does, but logs nothing: used before an operation that would take
        the guest down.

        :param xml: a domain XML
        :param ruleset: a :class:`RuleSet`
        :raises: nova_xmlhooks.exception.XmlHooksError naming the rule
        """
        if ruleset:
            self._build(_Source.text(xml), ruleset)

    def _build(self, source: _Source, ruleset: RuleSet,
               rescue: bool = False) -> str:
        """Apply, record, serialise and check.

        :param source: a :class:`_Source`; its tree is changed
        :param ruleset: a :class:`RuleSet`
        :param rescue: whether the document is Nova's rescue domain
        :returns: the customised XML, as a str; the checks have judged
            the very tree it was written from
        :raises: nova_xmlhooks.exception.XmlHooksError naming the rule
        """
        plan = self._plan(ruleset)
        root = source.root
        # NOTE(xmlhooks): only what the rules may change is copied, and
        # only that is checked; see nova_xmlhooks.checks.
        snapshot = (checks_mod.Snapshot.take(root, plan.region)
                    if self.checks else None)
        context = metadata.domain_context(root)
        if rescue:
            context = dataclasses.replace(context, rescue=True)
        not_added: set[str] = set()
        for family, rules in plan.by_family:
            not_added.update(self._run(family, root, rules, context))
        # NOTE(xmlhooks): the record is part of the document libvirt gets,
        # so it is written (and the document serialised, which may drop
        # whitespace) before the checks, which judge every byte that
        # leaves the engine.
        metadata.record(root, ruleset, not_added)
        result, tidied = serialize_tidied(root)
        if snapshot is not None:
            change = snapshot.change(root, result, source.nova_root, tidied)
            for check in self.checks:
                checks_mod.run(check, change, ruleset)
        return result

    def _run(self, family: str, root: etree._Element,
             rules: Sequence[base.Rule],
             context: base.DomainContext) -> Iterable[str]:
        """Run one customiser.

        :returns: the keys of the rules that added nothing, because the
            document already had what they ask for
        """
        try:
            return self.customizers[family].apply(root, rules, context) or ()
        except exception.XmlHooksError:
            raise
        except Exception as e:
            # NOTE(xmlhooks): a third-party customiser may raise anything;
            # it must still abort the build cleanly.
            LOG.exception('Customizer %s failed', family)
            raise exception.RuleError(
                rules[0].key, 'customizer %s failed: %s'
                % (family, type(e).__name__))

    def customize(self, xml: str, extra_specs: Mapping[str, str],
                  image_profiles: Sequence[str] = (),
                  instance: objects.Instance | None = None,
                  rescue: bool = False) -> str:
        """Resolve and apply, honouring ``[xmlhooks] on_error``.

        Under ``skip``, when the profiles an image selects fail (or fail
        to apply), the host's and the flavor's own customisation is still
        applied without them; when that fails too, Nova's XML is used.

        :param xml: the domain XML Nova generated
        :param extra_specs: the flavor's extra specs
        :param image_profiles: the profile names the image selects
        :param instance: the instance, for log context only
        :param rescue: whether the XML is Nova's rescue domain
        :returns: the customised XML, or Nova's own on a skipped error
        :raises: nova_xmlhooks.exception.XmlHooksError under ``fail``
        """
        return self._customize(functools.partial(_Source.text, xml),
                               lambda: xml, extra_specs, image_profiles,
                               instance, rescue)

    def customize_tree(self, root: etree._Element, nova_xml: Callable[[], str],
                       extra_specs: Mapping[str, str],
                       image_profiles: Sequence[str] = (),
                       instance: objects.Instance | None = None,
                       rescue: bool = False) -> str:
        """:meth:`customize` on the tree Nova built, not its text.

        NOTE(xmlhooks): Nova builds the domain as an lxml tree and
        serialises it; customising that tree spares parsing the text
        again. The result is the same text :meth:`customize` gives for
        Nova's text.

        :param root: the ``<domain>`` element Nova built; it is changed
        :param nova_xml: a callable returning Nova's XML for it, as Nova
            would return it; called only when the rules cannot apply
        :param extra_specs: the flavor's extra specs
        :param image_profiles: the profile names the image selects
        :param instance: the instance, for log context only
        :param rescue: whether the tree is Nova's rescue domain
        :returns: the customised XML, or Nova's own
        :raises: nova_xmlhooks.exception.XmlHooksError under ``fail``
        """
        return self._customize(
            functools.partial(_Source.tree, root, nova_xml), nova_xml,
            extra_specs, image_profiles, instance, rescue)

    def _customize(self, source: Callable[[], _Source],
                   nova_xml: Callable[[], str], extra_specs: Mapping[str, str],
                   image_profiles: Sequence[str],
                   instance: objects.Instance | None,
                   rescue: bool = False) -> str:
        """:meth:`customize`, with Nova's document given as a source.

        :param source: a callable returning a :class:`_Source`; called at
            most once, as it may hand over a tree that applying changes
        :param nova_xml: a callable returning Nova's XML
        """
        try:
            ruleset = self.resolve(extra_specs, image_profiles)
            if not ruleset:
                return nova_xml()
            return self._apply(source(), ruleset, instance, rescue)
        except exception.XmlHooksError as e:
            if self.on_error == 'fail':
                raise
            error = e
        if image_profiles:
            # NOTE(xmlhooks): the image property is set by an ordinary
            # user; the host's default profiles and the flavor's rules are
            # the operator's policy, which the user's mistake must not
            # switch off.
            try:
                result = self.apply(nova_xml(), self.resolve(extra_specs),
                                    instance=instance, rescue=rescue)
            except exception.XmlHooksError as e:
                error = e
            else:
                LOG.warning('Ignoring the profiles the image selects '
                            '(%(names)s): %(error)s',
                            {'names': messages.printable(
                                ', '.join(map(str, image_profiles))),
                             'error': error},
                            instance=instance)
                return result
        LOG.warning('Skipping xmlhooks customisation: %s', error,
                    instance=instance)
        return nova_xml()
