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
driver does. Exit status 1 on any problem, so deployment tools can run it
before restarting nova-compute.
"""

import os

from nova_xmlhooks.cmd import common
from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import exception
from nova_xmlhooks import profiles as profiles_mod

NAME = 'validate'
HELP = 'check the configuration, customisers and every profile'


def problem_line(error):
    """One report line for a problem.

    :param error: a :class:`~nova_xmlhooks.exception.XmlHooksError`
    :returns: ``ERROR: <file>, profile '<name>', entry '<entry>': <reason>``
        for a profile problem, ``ERROR: <message>`` otherwise
    """
    return 'ERROR: %s' % common.error_message(error)


def _file_of(error):
    # NOTE(xmlhooks): problems of the configuration first, then file by
    # file; the sort is stable, so each file keeps its own order.
    path = str(getattr(error, 'path', '') or '')
    if not path or path.startswith('['):
        return (0, '')
    return (1, path)


def run(conf):
    """Run the sub-command.

    :param conf: the parsed configuration
    :returns: the exit status
    """
    group = conf.xmlhooks
    errors = []
    try:
        engine = engine_mod.Engine.from_conf(conf, errors=errors)
    except exception.XmlHooksError as e:
        # NOTE(xmlhooks): from_conf collects what it can; a problem that
        # leaves nothing to go on is still reported, not raised.
        errors.append(e)
        engine = None
    for directory in group.profile_dirs:
        if not os.path.isdir(directory):
            common.out('NOTE: profile directory %s does not exist; the '
                       'driver skips it' % directory)
    for error in sorted(errors, key=_file_of):
        common.out(problem_line(error))
    if errors:
        common.out('%d problem(s) found; nova-compute would refuse to start'
                   % len(errors))
        return 1
    files = profiles_mod.profile_files(group.profile_dirs)
    common.out('OK: %d customizer(s) (%s), %d profile(s) from %d file(s), '
               'default profiles: %s, on_error = %s' % (
                   len(engine.customizers),
                   ', '.join(engine.customizers) or 'none',
                   len(engine.profiles), len(files),
                   ', '.join(engine.default_profiles) or 'none',
                   engine.on_error))
    return 0
