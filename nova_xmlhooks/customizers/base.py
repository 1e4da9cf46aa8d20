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

"""The plugin interface of a customiser.

A customiser owns one key family, ``xmlhooks:<family>:...``. It declares
its keys once, as :class:`KeyValidator` objects: the same declarations
drive nova-api's extra spec validation (converted to nova's own validator
objects by :mod:`nova_xmlhooks.api_validation`), the compute-side checks,
``nova-xmlhooks list`` and the extra spec reference in the docs. It parses
a value into a payload once, and applies the rules of its family to an
lxml tree.

Customisers are found through the ``nova_xmlhooks.customizers`` stevedore
namespace, so another package can ship its own.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
import dataclasses
import re
import types
import typing as ty

from nova_xmlhooks import messages

if ty.TYPE_CHECKING:
    from lxml import etree
    from oslo_config import cfg

NAMESPACE = 'xmlhooks'


@dataclasses.dataclass(frozen=True)
class DomainContext:
    """Facts about the guest that rules may use, read from the XML itself.

    NOTE(xmlhooks): they come from the document rather than from nova's
    objects so that ``nova-xmlhooks render`` on a saved XML shows exactly
    what the driver would produce.
    """

    instance_uuid: str
    instance_name: str
    flavor_name: str
    hostname: str
    #: whether the document is Nova's rescue domain, whose disks are not
    #: the guest's own (the rescue disk first, and in a legacy rescue no
    #: ephemeral, swap or volume disk)
    rescue: bool = False


@dataclasses.dataclass(frozen=True)
class Rule:
    """One parsed customisation.

    :ivar key: the spec key, e.g. ``xmlhooks:xml:cache``, or for an entry
        of a profile's ``xml`` list ``xmlhooks:xml:<profile>[<n>]``
    :ivar value: the value as written
    :ivar source: ``flavor``, ``image`` or ``profile:<name>``
    :ivar family: the customiser that owns the key
    :ivar payload: what the customiser's :meth:`Customizer.parse` returned
    """

    key: str
    value: str
    source: str
    family: str
    payload: ty.Any = dataclasses.field(compare=False, repr=False)


def check_xml_text(value: str) -> None:
    """Refuse a value that could not be written into a domain document.

    NOTE(xmlhooks): every value ends up in the domain's metadata record,
    whatever the customiser does with it; lxml refuses such characters
    with a plain ValueError, which would reschedule a build instead of
    failing it cleanly.

    :param value: a spec value
    :raises: ValueError naming the character
    """
    bad = messages.not_xml(value)
    if bad:
        raise ValueError('character U+%04X is not allowed in XML'
                         % ord(bad.group()))


def check_spec(validator: KeyValidator, key: str, value: str,
               parser: Callable[[str, str], ty.Any] | None = None) -> ty.Any:
    """Check a spec against its declaration, then parse it.

    NOTE(xmlhooks): the one path of both the compute
    (:meth:`Customizer.check_key`) and nova-api
    (:mod:`nova_xmlhooks.api_validation`), so that both refuse the same
    specs with the same reasons.

    :param validator: the :class:`KeyValidator` that declares ``key``
    :param key: the spec key
    :param value: its value
    :param parser: a callable ``(key, value)``, e.g. a customiser's
        :meth:`Customizer.parse`, or None
    :returns: what ``parser`` returned, or None
    :raises: ValueError with a one-line reason
    """
    validator.check(key, value)
    check_xml_text(value)
    return parser(key, value) if parser is not None else None


#: The value types a declaration may have, as in nova's validators.
VALUE_TYPES = (str, int, bool)


@dataclasses.dataclass(frozen=True)
class KeyValidator:
    """The declaration of one key of a family.

    It has the fields of nova's ``ExtraSpecValidator``, with the same
    meaning, and :meth:`check` refuses exactly what nova's ``validate``
    refuses; :func:`nova_xmlhooks.api_validation.validators` turns it into
    nova's object for nova-api.

    NOTE(xmlhooks): a plain object rather than nova's class because
    importing ``nova.api.validation`` takes seconds, and the operator
    command and nova-compute only need to check keys.

    :ivar name: the key, with ``{parameter}`` placeholders, e.g.
        ``xmlhooks:kvm:{feature}``
    :ivar description: what the key does, in reStructuredText
    :ivar value: the value spec: ``type`` (``str``, ``int`` or ``bool``),
        ``description``, and ``pattern`` or ``enum`` for strings, ``min``
        and ``max`` for integers
    :ivar deprecated: whether the key is deprecated
    :ivar parameters: for each placeholder, its ``name``, the regular
        expression ``pattern`` it must match and a ``description``
    :ivar name_regex: the regular expression keys must match, built as
        nova builds it
    """

    name: str
    description: str
    value: Mapping[str, ty.Any]
    deprecated: bool = False
    parameters: Sequence[Mapping[str, ty.Any]] = ()
    name_regex: str = dataclasses.field(init=False, repr=False)
    _name_re: re.Pattern[str] = dataclasses.field(init=False, repr=False,
                                                  compare=False)
    _value_re: re.Pattern[str] | None = dataclasses.field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kind = self.value.get('type')
        if kind not in VALUE_TYPES:
            raise ValueError('%s: unsupported value type %r'
                             % (self.name, kind))
        # NOTE(xmlhooks): nova uses a present but empty pattern as None,
        # and fails on it with a TypeError; refuse it here instead.
        if kind is str and 'pattern' in self.value and not (
                self.value['pattern']):
            raise ValueError('%s: the value pattern is empty' % self.name)
        # NOTE(xmlhooks): read-only copies, so that the compiled
        # expressions below always match what the declaration says.
        setattr_ = object.__setattr__
        setattr_(self, 'value', types.MappingProxyType(dict(self.value)))
        setattr_(self, 'parameters', tuple(
            types.MappingProxyType(dict(p)) for p in self.parameters))
        setattr_(self, 'name_regex', _name_regex(self.name, self.parameters))
        setattr_(self, '_name_re', re.compile(self.name_regex))
        setattr_(self, '_value_re', re.compile(self.value['pattern'])
                 if kind is str and 'pattern' in self.value else None)

    def matches(self, key: str) -> bool:
        """Whether a key is one of the keys this declares.

        :param key: a spec key
        :returns: a bool
        """
        return self._name_re.fullmatch(key) is not None

    def check(self, key: str, value: str) -> None:
        """Check a key and a value the way nova's validator does.

        :param key: a spec key
        :param value: its value, a str
        :raises: ValueError with a one-line reason that quotes the value,
            not the key
        """
        if not self.matches(key):
            raise ValueError("expected a name of format '%s'" % self.name)
        kind = self.value['type']
        if kind is int:
            self._check_int(value)
        elif kind is bool:
            self._check_bool(value)
        else:
            self._check_str(value)

    def _check_str(self, value: str) -> None:
        if self._value_re is not None:
            if not self._value_re.fullmatch(value):
                raise ValueError("'%s' is not of the format '%s'."
                                 % (value, self.value['pattern']))
        elif 'enum' in self.value and value not in self.value['enum']:
            raise ValueError("'%s' is not one of: %s." % (value, ', '.join(
                str(x) for x in self.value['enum'])))

    def _check_int(self, value: str) -> None:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError("'%s' is not a valid integer value." % value)
        if 'max' in self.value and self.value['max'] < number:
            raise ValueError("'%s' is greater than the max value of '%s'."
                             % (number, self.value['max']))
        if 'min' in self.value and self.value['min'] > number:
            raise ValueError("'%s' is less than the min value of '%s'."
                             % (number, self.value['min']))

    def _check_bool(self, value: str) -> None:
        # NOTE(xmlhooks): imported here, as only boolean keys need it;
        # nova's validator uses the same function.
        from oslo_utils import strutils
        try:
            strutils.bool_from_string(value, strict=True)
        except ValueError:
            raise ValueError("'%s' is not a valid boolean-like value."
                             % value)


def _name_regex(name: str, parameters: Iterable[Mapping[str, ty.Any]]) -> str:
    # NOTE(xmlhooks): exactly nova's construction: the literal parts of
    # the name are not escaped, so a '.' matches any character there too.
    for param in parameters:
        name = name.replace('{%s}' % param['name'], '(?P<%s>%s)' % (
            param['name'], param['pattern']))
    return name


class Customizer(metaclass=abc.ABCMeta):
    """Base class of customisers.

    Subclasses set :attr:`family` and implement :meth:`declarations`,
    :meth:`parse` and :meth:`apply`. They must be thread-safe: one
    instance serves every concurrent build on the host.
    """

    #: the key family, the part after ``xmlhooks:``
    family: str | None = None

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        """Build the customiser.

        :param conf: the ``oslo_config.cfg.ConfigOpts`` of the service
        """
        self.conf = conf
        self._validators: tuple[KeyValidator, ...] | None = None

    @abc.abstractmethod
    def declarations(self) -> list[KeyValidator]:
        """Declare the keys of this family.

        :returns: a list of :class:`KeyValidator`; names start with
            ``xmlhooks:<family>:``. Called once per customiser.
        """

    @abc.abstractmethod
    def parse(self, key: str, value: str) -> ty.Any:
        """Parse and check one value.

        Called once per distinct key and value; the result is cached.

        :param key: the full key; it already matched a declaration
        :param value: the value
        :returns: a payload stored in :attr:`Rule.payload`
        :raises: ValueError with a one-line reason
        """

    def parse_new(self, key: str, value: str) -> None:
        """Check a value set now, as nova-api does when a flavor is set.

        NOTE(xmlhooks): :meth:`parse` also reads what servers built
        before an upgrade hold, in Nova's copy of their flavor, which a
        flavor edit never reaches: refusing there a value an older
        release took would keep them from starting. A customiser that
        stops taking a value refuses it here, for new flavors, and keeps
        reading it in :meth:`parse`.

        :param key: the full key; it already matched a declaration
        :param value: the value
        :raises: ValueError with a one-line reason
        """
        self.parse(key, value)

    @abc.abstractmethod
    def apply(self, root: etree._Element, rules: Sequence[Rule],
              context: DomainContext) -> Iterable[str] | None:
        """Apply this family's rules to the domain.

        :param root: the ``<domain>`` lxml element, changed in place
        :param rules: this family's :class:`Rule` objects, in order
        :param context: a :class:`DomainContext`
        :returns: None; or the keys of the rules that added nothing
            because the document already had what they ask for, which
            the record marks so that a later application leaves it be
        :raises: nova_xmlhooks.exception.RuleError naming the rule
        """

    def touches(self, rules: Sequence[Rule]) -> Iterable[Place] | None:
        """The parts of the domain document that ``rules`` may change.

        The checks compare and validate only these parts of Nova's
        document and of the result (see :mod:`nova_xmlhooks.checks`), so
        the declaration must hold for every document: applying the rules
        changes, adds or removes nothing outside them. A rule that adds or
        removes a child of ``<domain>`` is still attributed: the checks
        then read the whole documents.

        The default, None, says nothing, and the checks read the whole
        documents, as they do for every customiser that does not
        override this.

        :param rules: this family's :class:`Rule` objects, as
            :meth:`apply` gets them
        :returns: None, or an iterable of the tags of children of
            ``<domain>`` (anything in them may change) and of ``(tag,
            child tag)`` pairs (only children of that tag of that child
            may change, and the child itself may be created)
        """
        return None

    def validators(self) -> tuple[KeyValidator, ...]:
        """The key declarations, built once.

        :returns: a tuple of :class:`KeyValidator`
        """
        if self._validators is None:
            self._validators = tuple(self.declarations())
        return self._validators

    def check_key(self, key: str, value: str) -> ty.Any:
        """Check a key and value against the declarations and parse it.

        :param key: the full key
        :param value: the value
        :returns: the payload
        :raises: ValueError with a one-line reason
        """
        for validator in self.validators():
            if validator.matches(key):
                return check_spec(validator, key, value, self.parse)
        raise ValueError('unknown key')


if ty.TYPE_CHECKING:
    #: a part of the domain that rules may change: the tag of a child of
    #: ``<domain>``, or ``(tag, child tag)`` (see :meth:`Customizer.touches`)
    Place: ty.TypeAlias = str | tuple[str, ...]
    #: an engine's customisers: family to customiser, in the order they run
    Customizers: ty.TypeAlias = Mapping[str, Customizer]
