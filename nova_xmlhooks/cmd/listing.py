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

"""``nova-xmlhooks list``: the keys and profiles this host knows.

Each enabled customiser is listed with its keys, their allowed values and
descriptions, from the customisers' own declarations (the ones nova-api
validates with), followed by the profiles with their descriptions.
"""

import textwrap

from nova_xmlhooks.cmd import common
from nova_xmlhooks import messages

NAME = 'list'
HELP = 'list the customisers, their keys and the profiles'
_INDENT = '    '


def allowed_values(value):
    """Describe the values a key accepts.

    :param value: the ``value`` dict of an ``ExtraSpecValidator``
    :returns: one line, e.g. ``one of: on, off``
    """
    if 'enum' in value:
        return 'one of: %s' % ', '.join(str(v) for v in value['enum'])
    if value['type'] is bool:
        return 'true or false'
    if value['type'] is int:
        low, high = value.get('min'), value.get('max')
        if low is not None and high is not None:
            return 'an integer from %d to %d' % (low, high)
        if low is not None:
            return 'an integer, at least %d' % low
        if high is not None:
            return 'an integer, at most %d' % high
        return 'an integer'
    if 'pattern' in value:
        return 'a string matching %s' % value['pattern']
    return 'a string'


def _wrap(text, depth):
    return textwrap.wrap(messages.one_line(text), width=79 - 4 * (depth + 1),
                         initial_indent=_INDENT * depth,
                         subsequent_indent=_INDENT * depth,
                         break_long_words=False)


def describe_key(validator):
    """The report lines of one key declaration.

    :param validator: a :class:`~nova_xmlhooks.customizers.base.KeyValidator`
    :returns: a list of lines
    """
    lines = [validator.name + (' (deprecated)' if validator.deprecated
                               else '')]
    lines.extend(_wrap(validator.description, 1))
    lines.extend(_wrap('value: ' + allowed_values(validator.value), 1))
    if validator.value.get('description'):
        lines.extend(_wrap(validator.value['description'], 2))
    for param in validator.parameters:
        lines.extend(_wrap('{%s}: %s (matching %s)' % (
            param['name'], param.get('description', ''), param['pattern']),
            1))
    return lines


def run(conf):
    """Run the sub-command.

    :param conf: the parsed configuration
    :returns: the exit status
    :raises: CommandError if the driver would not start
    """
    engine = common.load_engine(conf)
    common.out('Customizers (in the order they apply):')
    for family, customizer in engine.customizers.items():
        common.out()
        common.out('%s (%s.%s)' % (family, type(customizer).__module__,
                                   type(customizer).__name__))
        for validator in customizer.validators():
            for line in describe_key(validator):
                common.out(_INDENT + line)
    common.out()
    common.out('Profiles:')
    if not engine.profiles:
        common.out(_INDENT + 'none (profile_dirs: %s)'
                   % ', '.join(conf.xmlhooks.profile_dirs))
    for name in sorted(engine.profiles):
        profile = engine.profiles[name]
        flags = []
        if name in engine.default_profiles:
            flags.append('default')
        if profile.image_selectable:
            flags.append('image_selectable')
        common.out()
        common.out(_INDENT + name + (' [%s]' % ', '.join(flags)
                                     if flags else ''))
        common.out(_INDENT * 2 + (messages.one_line(profile.description)
                                  or '(no description)'))
        common.out(_INDENT * 2 + '%d spec(s), %d xml edit(s), from %s' % (
            len(profile.specs), len(profile.xml), profile.path))
    return 0
