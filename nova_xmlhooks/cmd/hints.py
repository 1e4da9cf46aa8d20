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

"""Suggestions for a mistyped key, family or profile name.

NOTE(xmlhooks): the hint is worked out from the error's own attributes
(the key, the profile) and the engine's customisers and profiles, never
from the message. difflib's ``get_close_matches`` ranks the candidates,
as Python's own "did you mean" does for names.
"""

from __future__ import annotations

from collections.abc import Iterable
import difflib
import importlib.metadata
import re
import typing as ty

from nova_xmlhooks.cmd import common
from nova_xmlhooks.customizers import base
from nova_xmlhooks import exception
from nova_xmlhooks import loader

if ty.TYPE_CHECKING:
    from nova_xmlhooks import engine as engine_mod

LIST = 'nova-xmlhooks list'
_PLACEHOLDER_RE = re.compile(r'\{([^}]+)\}')
_LITERAL_RE = re.compile(r'[\w.-]+', re.ASCII)


def _close(word: str, candidates: Iterable[str]) -> list[str]:
    return difflib.get_close_matches(word, sorted(set(candidates)), n=3)


def _did_you_mean(matches: Iterable[str], what: str) -> str:
    if not matches:
        return 'see %s for the %s' % (LIST, what)
    return 'did you mean %s? (see %s)' % (
        ' or '.join("'%s'" % match for match in matches), LIST)


def profile_hint(name: str, engine: engine_mod.Engine) -> str:
    """A hint for an unknown profile name.

    :param name: the name given
    :param engine: the engine, for its profiles
    :returns: one line
    """
    return _did_you_mean(_close(name, engine.profiles), 'profiles')


def _literal_alternatives(pattern: str) -> list[str] | None:
    # NOTE(xmlhooks): a parameter pattern such as "relaxed|vapic|..." is
    # a list of names; anything else stays a placeholder.
    words = [re.sub(r'\\(.)', r'\1', alt) for alt in pattern.split('|')]
    if all(_LITERAL_RE.fullmatch(word) and re.fullmatch(pattern, word)
           for word in words):
        return words
    return None


def key_names(validator: base.KeyValidator) -> list[str]:
    """The key names a declaration stands for, spelled out where it can be.

    :param validator: a :class:`~nova_xmlhooks.customizers.base.KeyValidator`
    :returns: a list of names, with ``{placeholder}`` where the parameter
        is not a list of names
    """
    names = [validator.name]
    for param in validator.parameters:
        words = _literal_alternatives(param['pattern'])
        if words is None:
            continue
        placeholder = '{%s}' % param['name']
        names = [name.replace(placeholder, word) for name in names
                 for word in words]
    return names


def _installed_families() -> set[str]:
    return {entry.name for entry in importlib.metadata.entry_points(
        group=loader.CUSTOMIZER_NAMESPACE)}


def _family_hint(family: str, engine: engine_mod.Engine) -> str:
    if family in _installed_families():
        return ("customizer '%s' is installed but not enabled: add it to "
                '[xmlhooks] customizers' % family)
    matches = _close(family, engine.customizers)
    if not matches:
        return 'see %s for the enabled customizers' % LIST
    return 'did you mean %s? (see %s)' % (' or '.join(
        "'xmlhooks:%s'" % match for match in matches), LIST)


def key_hint(key: str, engine: engine_mod.Engine) -> str | None:
    """A hint for a key no enabled customiser declares.

    :param key: an ``xmlhooks:`` key
    :param engine: the engine, for its customisers
    :returns: one line, or ``None`` when the key is declared (so the
        problem is its value)
    """
    parts = key.split(':', 2)
    if len(parts) < 3 or parts[0] != base.NAMESPACE:
        return None
    family = parts[1]
    customizer = engine.customizers.get(family)
    if customizer is None:
        return _family_hint(family, engine)
    validators = customizer.validators()
    if any(re.fullmatch(v.name_regex, key) for v in validators):
        return None
    prefix = 'xmlhooks:%s:' % family
    names = [name[len(prefix):] for v in validators
             for name in key_names(v)]
    matches = _close(parts[2], names)
    return _did_you_mean([prefix + match for match in matches],
                         "keys of '%s'" % family)


def hint(error: exception.XmlHooksError,
         engine: engine_mod.Engine | None) -> str | None:
    """A hint for an error of the engine, if it names something unknown.

    :param error: a :class:`~nova_xmlhooks.exception.XmlHooksError`
    :param engine: the engine, or ``None`` if it could not be built
    :returns: one line, or ``None``
    """
    if engine is None:
        return None
    if isinstance(error, exception.UnknownProfile):
        return profile_hint(error.profile, engine)
    if isinstance(error, exception.InvalidSpec):
        return key_hint(error.key, engine)
    if isinstance(error, exception.ProfileError):
        if error.entry is not None and error.entry.startswith(
                base.NAMESPACE + ':'):
            return key_hint(error.entry, engine)
        if error.option is not None and error.profile is not None:
            # NOTE(xmlhooks): [xmlhooks] default_profiles names a profile
            # that is not there.
            if error.profile not in engine.profiles:
                return profile_hint(error.profile, engine)
    return None


def explain(error: exception.XmlHooksError,
            engine: engine_mod.Engine | None) -> str:
    """The one-line message of an engine error, with its hint if any.

    :param error: a :class:`~nova_xmlhooks.exception.XmlHooksError`
    :param engine: the engine, or ``None``
    :returns: one line
    """
    message = common.error_message(error)
    extra = hint(error, engine)
    return '%s; %s' % (message, extra) if extra else message
