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

"""Extra spec validators for nova-api.

nova-api loads this module through the ``nova.api.extra_spec_validators``
entry point and calls :func:`register`. Once the ``xmlhooks`` namespace is
registered, nova rejects unknown ``xmlhooks:`` keys with HTTP 400 at
microversion 2.86 and later. The validators are the customisers' own key
declarations, so the API accepts exactly what the compute accepts.

NOTE(xmlhooks): the package must therefore be installed on API hosts too,
with the same ``[xmlhooks] customizers`` and ``allow_sensitive`` as the
computes (without ``qemu_passthrough`` there, ``xmlhooks:qemu:`` keys get
HTTP 400).
"""

from __future__ import annotations

from collections.abc import Callable
import os
import typing as ty

from nova.api.validation.extra_specs import base as nova_validators
from nova import exception as nova_exception
from oslo_log import log as logging

from nova_xmlhooks import conf as xmlhooks_conf
from nova_xmlhooks.customizers import base
from nova_xmlhooks import engine
from nova_xmlhooks import exception
from nova_xmlhooks import loader
from nova_xmlhooks import messages
from nova_xmlhooks import profiles

if ty.TYPE_CHECKING:
    from oslo_config import cfg

LOG = logging.getLogger(__name__)
CONF = xmlhooks_conf.CONF


class ApiValidator(nova_validators.ExtraSpecValidator):
    """nova's validator of one declared key, refusing what we refuse.

    NOTE(xmlhooks): our own check runs first, with our own message, which
    names the key: nova's messages name only the value, and a flavor
    update may set many keys at once. nova's check then runs as well; the
    declarations agree with it (see the unit tests), so it passes.

    :param declaration: a
        :class:`~nova_xmlhooks.customizers.base.KeyValidator`
    :param parser: a callable ``(key, value)`` raising ValueError with a
        one-line reason, e.g. the customiser's ``parse``, or None
    """

    def __init__(self, declaration: base.KeyValidator,
                 parser: Callable[[str, str], object] | None = None) -> None:
        super().__init__(
            name=declaration.name, description=declaration.description,
            value=dict(declaration.value), deprecated=declaration.deprecated,
            parameters=[dict(p) for p in declaration.parameters])
        self.declaration = declaration
        self.parser = parser

    def validate(self, name: str, value: str) -> None:
        """Check one extra spec with our own check, then with nova's.

        :param name: the spec's key
        :param value: the spec's value
        :raises: nova.exception.ValidationError with the one-line reason
        """
        try:
            base.check_spec(self.declaration, name, value, self.parser)
        except ValueError as e:
            raise nova_exception.ValidationError(
                "Validation failed; '%s': %s"
                % (name, messages.printable(str(e))))
        super().validate(name, value)


def _profile_parser(conf: cfg.ConfigOpts) -> Callable[[str, str], None]:
    def parse(key: str, value: str) -> None:
        names = engine.split_names(value)
        if not names:
            raise ValueError('names no profile')
        for name in names:
            if not profiles.PROFILE_NAME_RE.match(name):
                raise ValueError("'%s' is not a valid profile name" % name)
        # NOTE(xmlhooks): nova-api builds its validators once, when it
        # first imports them, but operators add profile files while it
        # runs. The names are looked up in the files when a flavor names a
        # profile, which keeps the check true without an API restart;
        # only files that changed since the last request are read again.
        known = _known_profiles(conf)
        for name in names:
            if known is not None and name not in known:
                raise ValueError("unknown profile '%s'" % name)
    return parse


#: the profile names on this API host, shared by every request
_PROFILE_NAMES = profiles.NameIndex()


def _known_profiles(conf: cfg.ConfigOpts) -> frozenset[str] | None:
    """The profile names defined on this host, or None to check syntax only.

    :param conf: the service's ``oslo_config.cfg.ConfigOpts``
    :returns: a frozenset of names, or None
    """
    # NOTE(xmlhooks): API hosts often do not carry the computes' profile
    # files; names are then only checked for syntax.
    # NOTE(xmlhooks): a missing directory is normal on an API host and is
    # not worth the warning the compute logs for it, on every request.
    directories = [d for d in conf.xmlhooks.profile_dirs if os.path.isdir(d)]
    if not directories:
        return None
    try:
        known = _PROFILE_NAMES.names(directories)
    except exception.XmlHooksError as e:
        # NOTE(xmlhooks): DEBUG, not WARNING: this runs on every request
        # that names a profile, and is normal on API hosts.
        LOG.debug('xmlhooks profiles are not readable here, checking '
                  'profile names for syntax only: %s', e.format_message())
        return None
    return known or None


def validators(conf: cfg.ConfigOpts | None = None) -> list[ApiValidator]:
    """Build every ``xmlhooks:`` validator.

    :param conf: the service's ``oslo_config.cfg.ConfigOpts``; the global
        one by default
    :returns: a list of :class:`ApiValidator`, nova's
        ``ExtraSpecValidator`` objects
    """
    conf = conf or CONF
    result = [
        ApiValidator(base.KeyValidator(
            name=engine.PROFILE_KEY,
            description='Comma-separated names of operator profiles to '
                        'apply, in order.',
            value={'type': str,
                   'description': 'Profile names, e.g. ``windows,gpu``.'}),
            parser=_profile_parser(conf)),
        ApiValidator(base.KeyValidator(
            name=engine.IMAGE_PROFILES_KEY,
            description='Whether the image property ``xmlhooks_profile`` '
                        'may select ``image_selectable`` profiles.',
            value={'type': str, 'enum': ['allowed', 'forbidden']})),
    ]
    try:
        customizers = loader.load_customizers(conf, conf.xmlhooks.customizers)
    except exception.XmlHooksError as e:
        # NOTE(xmlhooks): nova calls register() while importing its
        # validators module; raising here would break the whole flavor
        # extra specs API. Registering the namespace without the
        # customisers' keys fails closed instead: nova-api rejects every
        # other xmlhooks: key as unknown until the configuration is fixed.
        LOG.error('xmlhooks extra spec validation is limited to %s: %s',
                  engine.PROFILE_KEY, e.format_message())
        return result
    for customizer in customizers.values():
        result.extend(ApiValidator(declaration, customizer.parse_new)
                      for declaration in customizer.validators())
    return result


def register() -> list[ApiValidator]:
    """The entry point nova-api calls.

    :returns: a list of ``ExtraSpecValidator``
    """
    return validators()
