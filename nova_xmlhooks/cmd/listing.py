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
``--format json`` prints the same as a JSON object, described in the
administrator guide.
"""

from __future__ import annotations

from collections.abc import Mapping
import textwrap
import typing as ty

from nova_xmlhooks.cmd import common
from nova_xmlhooks import messages

if ty.TYPE_CHECKING:
    import argparse

    from oslo_config import cfg

    from nova_xmlhooks.cmd import config
    from nova_xmlhooks.customizers import base
    from nova_xmlhooks import engine as engine_mod

    #: a report object, or an item of one, as ``--format json`` prints it
    Document: ty.TypeAlias = dict[str, ty.Any]

_INDENT = '    '


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-command's arguments.

    :param parser: the sub-command's argparse parser
    """
    parser.add_argument('--format', choices=('text', 'json'),
                        default='text', help='the report format')


def allowed_values(value: Mapping[str, ty.Any]) -> str:
    """Describe the values a key accepts.

    :param value: the ``value`` dict of a key declaration
    :returns: one line, e.g. ``one of: on, off``
    """
    if 'enum' in value:
        return 'one of: %s' % ', '.join(str(v) for v in value['enum'])
    if value['type'] is bool:
        return 'true or false'
    if value['type'] is int:
        return _integer_range(value.get('min'), value.get('max'))
    if 'pattern' in value:
        return 'a string matching %s' % value['pattern']
    return 'a string'


def _integer_range(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return 'an integer from %d to %d' % (low, high)
    if low is not None:
        return 'an integer, at least %d' % low
    if high is not None:
        return 'an integer, at most %d' % high
    return 'an integer'


def _text(text: str | None) -> str:
    return messages.one_line(common.plain_text(text or ''))


def key_report(validator: base.KeyValidator) -> Document:
    """One key declaration as a report object.

    :param validator: a :class:`~nova_xmlhooks.customizers.base.KeyValidator`
    :returns: the ``keys`` item documented in the administrator guide
    """
    return {
        'key': validator.name,
        'deprecated': bool(validator.deprecated),
        'description': _text(validator.description),
        'values': allowed_values(validator.value),
        'value_description': _text(validator.value.get('description')),
        'parameters': [{'name': param['name'], 'pattern': param['pattern'],
                        'description': _text(param.get('description'))}
                       for param in validator.parameters],
    }


def report(engine: engine_mod.Engine, conf: cfg.ConfigOpts) -> Document:
    """What ``list`` reports.

    :param engine: the engine, built as the driver builds it
    :param conf: the parsed configuration
    :returns: the object documented in the administrator guide
    """
    customizers = [{
        'family': family,
        'class': '%s.%s' % (type(customizer).__module__,
                            type(customizer).__name__),
        'keys': [key_report(v) for v in customizer.validators()],
    } for family, customizer in engine.customizers.items()]
    profiles = [{
        'name': name,
        'description': _text(profile.description),
        'default': name in engine.default_profiles,
        'image_selectable': bool(profile.image_selectable),
        'specs': len(profile.specs),
        'xml': len(profile.xml),
        'file': str(profile.path),
    } for name, profile in sorted(engine.profiles.items())]
    return {'customizers': customizers, 'profiles': profiles,
            'profile_dirs': list(conf.xmlhooks.profile_dirs)}


def _wrap(text: str, depth: int) -> list[str]:
    return textwrap.wrap(text, width=79 - 4 * (depth + 1),
                         initial_indent=_INDENT * depth,
                         subsequent_indent=_INDENT * depth,
                         break_long_words=False)


def key_lines(key: Document) -> list[str]:
    """The report lines of one key.

    :param key: an item of :func:`key_report`
    :returns: a list of lines
    """
    lines = [key['key'] + (' (deprecated)' if key['deprecated'] else '')]
    lines.extend(_wrap(key['description'], 1))
    lines.extend(_wrap('value: ' + key['values'], 1))
    if key['value_description']:
        lines.extend(_wrap(key['value_description'], 2))
    for param in key['parameters']:
        lines.extend(_wrap('{%s}: %s (matching %s)' % (
            param['name'], param['description'], param['pattern']), 1))
    return lines


def _profile_lines(profile: Document) -> list[str]:
    flags = [flag for flag in ('default', 'image_selectable')
             if profile[flag]]
    return ['', _INDENT + profile['name'] + (
        ' [%s]' % ', '.join(flags) if flags else ''),
        _INDENT * 2 + (profile['description'] or '(no description)'),
        _INDENT * 2 + '%d spec(s), %d xml edit(s), from %s' % (
            profile['specs'], profile['xml'], profile['file'])]


def print_text(document: Document) -> None:
    """Write the report as text.

    :param document: the report that ``--format json`` prints
    """
    common.out('Customizers (in the order they apply):')
    for customizer in document['customizers']:
        common.out()
        common.out('%s (%s)' % (customizer['family'], customizer['class']))
        for key in customizer['keys']:
            for line in key_lines(key):
                common.out(_INDENT + line)
    common.out()
    common.out('Profiles:')
    if not document['profiles']:
        common.out(_INDENT + 'none (profile_dirs: %s)'
                   % ', '.join(document['profile_dirs']))
    for profile in document['profiles']:
        common.out('\n'.join(_profile_lines(profile)))


def run(configuration: config.Configuration,
        args: argparse.Namespace) -> int:
    """Run the sub-command.

    :param configuration: the :class:`~nova_xmlhooks.cmd.config.Configuration`
    :param args: the parsed arguments
    :returns: the exit status
    :raises: CommandError if the driver would not start
    """
    engine = common.load_engine(configuration.conf)
    document = report(engine, configuration.conf)
    if args.format == 'json':
        common.out_json(document)
    else:
        print_text(document)
    return 0
