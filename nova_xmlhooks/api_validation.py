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
with the same ``[xmlhooks] customizers`` as the computes.
"""

from oslo_log import log as logging

from nova_xmlhooks import conf as xmlhooks_conf
from nova_xmlhooks.customizers import base
from nova_xmlhooks import engine
from nova_xmlhooks import exception
from nova_xmlhooks import loader
from nova_xmlhooks import profiles

LOG = logging.getLogger(__name__)
CONF = xmlhooks_conf.CONF


def _profile_parser(known):
    def parse(key, value):
        names = engine.split_names(value)
        if not names:
            raise ValueError('names no profile')
        for name in names:
            if not profiles.PROFILE_NAME_RE.match(name):
                raise ValueError("'%s' is not a valid profile name" % name)
            if known is not None and name not in known:
                raise ValueError("unknown profile '%s'" % name)
    return parse


def _known_profiles(conf):
    # NOTE(xmlhooks): API hosts often do not carry the computes' profile
    # files; names are then only checked for syntax.
    try:
        known = profiles.load_directories(conf.xmlhooks.profile_dirs)
    except exception.XmlHooksError as e:
        LOG.warning('xmlhooks profiles are not readable here, checking '
                    'profile names for syntax only: %s', e.format_message())
        return None
    return set(known) or None


def validators(conf=None):
    """Build every ``xmlhooks:`` validator.

    :param conf: the service's ``oslo_config.cfg.ConfigOpts``; the global
        one by default
    :returns: a list of ``ExtraSpecValidator``
    """
    conf = conf or CONF
    result = [
        base.KeyValidator(
            name=engine.PROFILE_KEY,
            description='Comma-separated names of operator profiles to '
                        'apply, in order.',
            value={'type': str,
                   'description': 'Profile names, e.g. ``windows,gpu``.'},
            parser=_profile_parser(_known_profiles(conf))),
        base.KeyValidator(
            name=engine.IMAGE_PROFILES_KEY,
            description='Whether the image property ``xmlhooks_profile`` '
                        'may select ``image_selectable`` profiles.',
            value={'type': str, 'enum': ['allowed', 'forbidden']}),
    ]
    for customizer in loader.load_customizers(
            conf, conf.xmlhooks.customizers).values():
        result.extend(customizer.validators())
    return result


def register():
    """The entry point nova-api calls.

    :returns: a list of ``ExtraSpecValidator``
    """
    return validators()
