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
its keys once, as nova ``ExtraSpecValidator`` objects: the same
declarations drive nova-api's extra spec validation, the compute-side
checks and the extra spec reference in the docs. It parses a value into a
payload once, and applies the rules of its family to an lxml tree.

Customisers are found through the ``nova_xmlhooks.customizers`` stevedore
namespace, so another package can ship its own.
"""

import abc
import dataclasses
import re
import typing as ty

from nova.api.validation.extra_specs import base as nova_validators
from nova import exception as nova_exception

from nova_xmlhooks import messages

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


def check_xml_text(value):
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


class KeyValidator(nova_validators.ExtraSpecValidator):
    """A key declaration that also runs the customiser's own parser.

    NOTE(xmlhooks): nova's validator only knows enums, patterns and
    integer ranges; XPath syntax and the like need the parser, so nova-api
    rejects exactly what the compute would reject.
    """

    def __init__(self, *args, parser=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.parser = parser

    def validate(self, name, value):
        super().validate(name, value)
        if self.parser is not None:
            try:
                check_xml_text(value)
                self.parser(name, value)
            except ValueError as e:
                raise nova_exception.ValidationError(
                    "Validation failed; '%s': %s" % (name, e))


class Customizer(metaclass=abc.ABCMeta):
    """Base class of customisers.

    Subclasses set :attr:`family` and implement :meth:`declarations`,
    :meth:`parse` and :meth:`apply`. They must be thread-safe: one
    instance serves every concurrent build on the host.
    """

    #: the key family, the part after ``xmlhooks:``
    family: str = None

    def __init__(self, conf):
        """Build the customiser.

        :param conf: the ``oslo_config.cfg.ConfigOpts`` of the service
        """
        self.conf = conf
        self._validators = None

    @abc.abstractmethod
    def declarations(self):
        """Declare the keys of this family.

        :returns: a list of :class:`KeyValidator`; names start with
            ``xmlhooks:<family>:``
        """

    @abc.abstractmethod
    def parse(self, key, value):
        """Parse and check one value.

        Called once per distinct key and value; the result is cached.

        :param key: the full key; it already matched a declaration
        :param value: the value
        :returns: a payload stored in :attr:`Rule.payload`
        :raises: ValueError with a one-line reason
        """

    @abc.abstractmethod
    def apply(self, root, rules, context):
        """Apply this family's rules to the domain.

        :param root: the ``<domain>`` lxml element, changed in place
        :param rules: this family's :class:`Rule` objects, in order
        :param context: a :class:`DomainContext`
        :returns: None; or the keys of the rules that added nothing
            because the document already had what they ask for, which
            the record marks so that a later application leaves it be
        :raises: nova_xmlhooks.exception.RuleError naming the rule
        """

    def validators(self):
        """The key declarations, with this customiser's parser attached.

        :returns: a list of :class:`KeyValidator`
        """
        if self._validators is None:
            validators = self.declarations()
            for validator in validators:
                validator.parser = self.parse
            self._validators = validators
        return self._validators

    def check_key(self, key, value):
        """Check a key and value against the declarations and parse it.

        :returns: the payload
        :raises: ValueError with a one-line reason
        """
        for validator in self.validators():
            if re.fullmatch(validator.name_regex, key):
                try:
                    nova_validators.ExtraSpecValidator.validate(
                        validator, key, value)
                except nova_exception.ValidationError as e:
                    raise ValueError(str(e).replace('Validation failed; ', ''))
                check_xml_text(value)
                return self.parse(key, value)
        raise ValueError('unknown key')
