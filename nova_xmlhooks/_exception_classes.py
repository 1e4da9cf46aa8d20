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

"""The classes behind :mod:`nova_xmlhooks.exception`.

Import them from :mod:`nova_xmlhooks.exception`, which loads this module
on first use; see there why every error derives from nova's
``InvalidInput``.
"""

from __future__ import annotations

from collections.abc import Sequence
import typing as ty

from nova import exception as nova_exception

from nova_xmlhooks import messages

#: where the classes are documented and looked up (see
#: :mod:`nova_xmlhooks.exception`)
PUBLIC_MODULE = 'nova_xmlhooks.exception'
_C = ty.TypeVar('_C', bound=type)


def _public(cls: _C) -> _C:
    """Name the public module as a class's home.

    NOTE(xmlhooks): tracebacks, reprs and pickles then name
    ``nova_xmlhooks.exception.RuleError``, where operators and the docs
    look for it, not this private module.
    """
    cls.__module__ = PUBLIC_MODULE
    return cls


@_public
class XmlHooksError(nova_exception.InvalidInput):
    """Base class of every nova-xmlhooks error."""

    msg_fmt = 'xmlhooks: %(reason)s'

    def __init__(self, message: str | None = None, **kwargs: ty.Any) -> None:
        if message is not None:
            message = messages.printable(str(message))
        kwargs = {name: (messages.printable(value)
                         if isinstance(value, str) else value)
                  for name, value in kwargs.items()}
        super().__init__(message=message, **kwargs)
        # NOTE(xmlhooks): keep the bare reason for callers that build a
        # longer report, e.g. "nova-xmlhooks validate".
        self.reason = kwargs.get('reason', message)


@_public
class InvalidSpec(XmlHooksError):
    """A spec key or value is not valid."""

    msg_fmt = "xmlhooks: invalid spec '%(key)s': %(reason)s"

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(key=key, reason=reason)
        self.key = key


@_public
class UnknownProfile(XmlHooksError):
    """A spec names a profile that is not defined on this host."""

    msg_fmt = ("xmlhooks: '%(key)s' names unknown profile '%(profile)s'")

    def __init__(self, key: str, profile: str) -> None:
        super().__init__(key=key, profile=profile)
        self.key = key
        self.profile = profile


@_public
class ProfileError(XmlHooksError):
    """A profile file, a profile or one of its entries is invalid.

    Or an option names a profile that is not there: ``option`` then names
    the option and ``path`` is None.

    :param path: the file or directory, or None for an option's problem
    :param reason: what is wrong
    :param profile: the profile's name, if the problem is in one
    :param entry: the profile's entry, if the problem is in one
    :param option: the configuration option at fault, e.g.
        ``[xmlhooks] default_profiles``, when no file is
    """

    msg_fmt = 'xmlhooks: %(where)s: %(reason)s'
    #: what is wrong, as given
    reason: str

    def __init__(self, path: str | None, reason: str,
                 profile: str | None = None, entry: str | None = None,
                 option: str | None = None) -> None:
        where = [str(option if path is None else path)]
        if profile is not None:
            where.append("profile '%s'" % profile)
        if entry is not None:
            where.append("entry '%s'" % entry)
        super().__init__(where=', '.join(where), reason=reason)
        self.path = path
        self.profile = profile
        self.entry = entry
        self.option = option


@_public
class RuleError(XmlHooksError):
    """A rule could not be applied to the domain XML.

    NOTE(xmlhooks): Nova shows an instance fault's message to the
    server's users, and the fault is :meth:`format_message`. A reason
    that quotes the rule's XPath, which may name host paths or other
    guests' values from an operator's profile, gives with ``public`` the
    same reason without it: the message is then the public one, and
    ``str()`` (the compute host's log, where the preflight's line and
    Nova's traceback show it, and the operator's command) the whole one.
    Nova records no details with the fault of an ``InvalidInput``, whose
    code is 400, not even for admins.

    :param key: the rule's key
    :param reason: why it failed, in full
    :param public: why it failed, for users; ``reason`` by default
    """

    msg_fmt = "xmlhooks: rule '%(key)s' failed: %(reason)s"

    def __init__(self, key: str, reason: str,
                 public: str | None = None) -> None:
        super().__init__(key=key, reason=reason if public is None
                         else public)
        self.key = key
        self.detail = self.msg_fmt % {
            'key': messages.printable(key),
            'reason': messages.printable(str(reason))}

    def __str__(self) -> str:
        return self.detail


@_public
class CustomizerLoadError(XmlHooksError):
    """A configured customiser is missing or failed to load."""

    msg_fmt = "xmlhooks: customizer '%(name)s' cannot be loaded: %(reason)s"

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(name=name, reason=reason)
        self.name = name


@_public
class GuardError(XmlHooksError):
    """A rule changes a sensitive category that the operator did not allow.

    The change is named by its place in the document, never by its value:
    values may be host paths.
    """

    msg_fmt = ("xmlhooks: rule '%(key)s' %(change)s (sensitive category "
               "'%(category)s'), which [xmlhooks] allow_sensitive does not "
               "allow")

    def __init__(self, key: str, category: str, change: str) -> None:
        super().__init__(key=key, category=category, change=change)
        self.key = key
        self.category = category


@_public
class SchemaError(XmlHooksError):
    """The customised domain XML does not match libvirt's schema."""

    msg_fmt = ("xmlhooks: the customised domain XML does not match "
               "libvirt's schema (rules applied: %(rules)s): %(error)s")

    def __init__(self, rules: Sequence[str], error: str) -> None:
        super().__init__(rules=', '.join(rules) or 'none', error=error)
        self.rules = tuple(rules)
        self.error = error


@_public
class DoctypeError(XmlHooksError):
    """A domain XML carries a document type declaration."""

    msg_fmt = ('xmlhooks: the domain XML has a document type declaration '
               '(<!DOCTYPE>), which libvirt domain XML never has')
