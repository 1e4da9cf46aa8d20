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

"""``nova-xmlhooks validate``: check a host's set-up before nova-compute.

It loads the configuration, every customiser and every profile file the
way the compute driver does, and reports every problem found (file,
profile, entry and reason) rather than stopping at the first, as the
driver does. It says which configuration files it read, and warns when
``[DEFAULT] compute_driver`` is not ``xmlhooks.LibvirtDriver``. Exit
status 1 on any problem, so deployment tools can run it before restarting
nova-compute. ``--format json`` prints the report as a JSON object,
described in the administrator guide.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Iterable
import os
import typing as ty

from nova_xmlhooks.cmd import common
from nova_xmlhooks.cmd import config
from nova_xmlhooks.cmd import hints
from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import exception
from nova_xmlhooks import profiles as profiles_mod

if ty.TYPE_CHECKING:
    import argparse

    from oslo_config import cfg

    #: a report object, as ``--format json`` prints it
    Document: ty.TypeAlias = dict[str, ty.Any]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-command's arguments.

    :param parser: the sub-command's argparse parser
    """
    parser.add_argument('--format', choices=('text', 'json'),
                        default='text', help='the report format')


def _file_of(error: exception.XmlHooksError) -> tuple[int, str]:
    # NOTE(xmlhooks): problems of the configuration first, then file by
    # file; the sort is stable, so each file keeps its own order.
    path = getattr(error, 'path', None)
    if not path:
        return (0, '')
    return (1, str(path))


def problem(error: exception.XmlHooksError, engine: engine_mod.Engine | None,
            invalid_profiles: Collection[str | None] = ()) -> Document:
    """One problem as a report object.

    :param error: a :class:`~nova_xmlhooks.exception.XmlHooksError`
    :param engine: the engine with what loaded, or ``None``
    :param invalid_profiles: names of profiles that exist but have
        problems: the configuration naming them gets no suggestion
    :returns: the ``problems`` item documented in the administrator guide
    """
    path = getattr(error, 'path', None)
    profile = getattr(error, 'profile', None)
    hint = None
    if _file_of(error)[0] or profile not in invalid_profiles:
        hint = hints.hint(error, engine)
    return {
        'message': common.error_message(error),
        'file': str(path) if path else None,
        'profile': profile,
        'entry': getattr(error, 'entry', None),
        'hint': hint,
    }


def _engine(conf: cfg.ConfigOpts) -> tuple[engine_mod.Engine | None,
                                           list[exception.XmlHooksError]]:
    errors: list[exception.XmlHooksError] = []
    engine: engine_mod.Engine | None
    try:
        engine = engine_mod.Engine.from_conf(conf, errors=errors)
    except exception.XmlHooksError as e:
        # NOTE(xmlhooks): from_conf collects what it can; a problem that
        # leaves nothing to go on is still reported, not raised.
        errors.append(e)
        engine = None
    return engine, sorted(errors, key=_file_of)


def _profile_files(directories: Iterable[str]) -> list[str]:
    try:
        return profiles_mod.profile_files(directories)
    except exception.XmlHooksError:
        # NOTE(xmlhooks): reported as a problem by the engine already.
        return []


def compute_driver_warning(driver: str | None) -> str | None:
    """The warning about ``[DEFAULT] compute_driver``, if any.

    :param driver: its value, or ``None``
    :returns: one line, or ``None`` when it is the xmlhooks driver
    """
    if driver == config.DRIVER:
        return None
    if not driver:
        return ('[DEFAULT] compute_driver is not set in these files; a '
                'compute host needs compute_driver = %s (an API host needs '
                'only the [xmlhooks] section)' % config.DRIVER)
    return ("[DEFAULT] compute_driver is '%s', not %s: nova-compute with "
            'this configuration does not apply any customisation'
            % (driver, config.DRIVER))


def report(configuration: config.Configuration) -> Document:
    """What ``validate`` reports.

    :param configuration: the :class:`~nova_xmlhooks.cmd.config.Configuration`
    :returns: the object documented in the administrator guide
    """
    group = configuration.conf.xmlhooks
    engine, errors = _engine(configuration.conf)
    # NOTE(xmlhooks): default_profiles naming a profile that is there but
    # broken gets no "did you mean": the profile's own problems say why.
    invalid = {getattr(e, 'profile', None) for e in errors if _file_of(e)[0]}
    driver = configuration.nova_value('compute_driver')
    warning = compute_driver_warning(driver)
    return {
        'status': 'problems' if errors else 'ok',
        'config_files': configuration.files(),
        'compute_driver': driver,
        'problems': [problem(e, engine, invalid) for e in errors],
        'warnings': [warning] if warning else [],
        'notes': ['profile directory %s does not exist; the driver skips '
                  'it' % directory for directory in group.profile_dirs
                  if not os.path.exists(directory)],
        'customizers': list(engine.customizers) if engine else [],
        'profiles': sorted(engine.profiles) if engine else [],
        'profile_files': _profile_files(group.profile_dirs),
        'default_profiles': list(engine.default_profiles) if engine else [],
        'on_error': group.on_error,
    }


def unread(args: argparse.Namespace, message: str) -> None:
    """Report a configuration that cannot be read, for ``--format json``.

    NOTE(xmlhooks): a bad option value stops nova-compute from starting,
    which is what ``status`` says; a script reading the JSON report gets
    one then as well, with the problem, and what could not be read empty
    or ``null``. The text report is the line on stderr, as before.

    :param args: the parsed arguments
    :param message: the one-line problem
    """
    if args.format != 'json':
        return
    common.out_json({
        'status': 'problems',
        'config_files': [],
        'compute_driver': None,
        'problems': [{'message': message, 'file': None, 'profile': None,
                      'entry': None, 'hint': None}],
        'warnings': [],
        'notes': [],
        'customizers': [],
        'profiles': [],
        'profile_files': [],
        'default_profiles': [],
        'on_error': None,
    })


def print_text(document: Document) -> None:
    """Write the report as text.

    :param document: the report that ``--format json`` prints
    """
    common.out('Configuration files read: %s' % (
        ', '.join(document['config_files']) or 'none'))
    for note in document['notes']:
        common.out('NOTE: ' + note)
    for warning in document['warnings']:
        common.out('WARNING: ' + warning)
    for item in document['problems']:
        common.out('ERROR: %s%s' % (item['message'], '; ' + item['hint']
                                    if item['hint'] else ''))
    if document['problems']:
        common.out('%d problem(s) found; nova-compute would refuse to start'
                   % len(document['problems']))
        return
    common.out('OK: %d customizer(s) (%s), %d profile(s) from %d file(s), '
               'default profiles: %s, on_error = %s' % (
                   len(document['customizers']),
                   ', '.join(document['customizers']) or 'none',
                   len(document['profiles']),
                   len(document['profile_files']),
                   ', '.join(document['default_profiles']) or 'none',
                   document['on_error']))


def run(configuration: config.Configuration,
        args: argparse.Namespace) -> int:
    """Run the sub-command.

    :param configuration: the :class:`~nova_xmlhooks.cmd.config.Configuration`
    :param args: the parsed arguments
    :returns: 1 on any problem, else 0
    """
    document = report(configuration)
    if args.format == 'json':
        common.out_json(document)
    else:
        print_text(document)
    return 1 if document['problems'] else 0
