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

"""The ``nova-xmlhooks`` command.

Sub-commands follow oslo conventions: ``--config-file`` and
``--config-dir`` read the same nova.conf as nova-compute (by default
``/etc/nova/nova.conf``), so what the command reports is what the driver
does. Exit status: 0 on success, 1 on a problem (reported as one line on
stderr, or as a report for ``validate`` and ``audit``), 2 on a usage
error.
"""

import argparse
import glob
import logging as std_logging
import os
import re
import sys

from oslo_config import cfg

# NOTE(xmlhooks): importing nova.conf registers nova's own options, among
# them [libvirt] connection_uri and virt_type and [DEFAULT] instances_path,
# on the same global CONF the driver reads.
import nova.conf  # noqa: F401

from nova_xmlhooks.cmd import audit
from nova_xmlhooks.cmd import common
from nova_xmlhooks.cmd import listing
from nova_xmlhooks.cmd import render
from nova_xmlhooks.cmd import show
from nova_xmlhooks.cmd import validate
from nova_xmlhooks import conf as xmlhooks_conf
from nova_xmlhooks import messages

CONF = xmlhooks_conf.CONF

SUBCOMMANDS = (render, validate, listing, audit, show)


def _add_subcommands(subparsers):
    # NOTE(xmlhooks): each sub-command module declares its NAME, a one-line
    # HELP, its arguments in add_arguments() if it takes any, and run();
    # the second paragraph of its docstring is its --help description.
    for module in SUBCOMMANDS:
        parser = subparsers.add_parser(
            module.NAME, help=module.HELP,
            description=module.__doc__.split('\n\n')[1])
        add_arguments = getattr(module, 'add_arguments', None)
        if add_arguments is not None:
            add_arguments(parser)
        parser.set_defaults(func=module.run)


COMMAND_OPT = cfg.SubCommandOpt(
    'command', title='Commands', handler=_add_subcommands,
    help='run "nova-xmlhooks COMMAND --help" for the arguments of each')

CLI_OPTS = [
    cfg.BoolOpt('verbose', short='v', default=False,
                help='log what the engine does, and tracebacks of '
                     'unexpected errors, on stderr'),
]


def _setup_logging(verbose):
    # NOTE(xmlhooks): the engine logs an INFO line per application and
    # warnings that ``validate`` reports itself; a command's stderr is kept
    # to its one-line errors unless asked for more.
    handler = std_logging.StreamHandler(sys.stderr)
    handler.setFormatter(std_logging.Formatter(
        '%(levelname)s %(name)s: %(message)s'))
    root = std_logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(std_logging.DEBUG if verbose else std_logging.CRITICAL)


def _parse_args(argv):
    CONF.register_cli_opt(COMMAND_OPT)
    CONF.register_cli_opts(CLI_OPTS)
    CONF(argv, project='nova', prog='nova-xmlhooks',
         description=__doc__.split('\n\n')[1])


# NOTE(xmlhooks): oslo.config words a bad value in a file as "Value for
# option NAME from LocationInfo(location=..., detail='FILE') is not valid:
# REASON"; only the name, the file and the reason help an operator.
_VALUE_ERROR = re.compile(
    r"^Value for option (?P<option>\S+)(?: from (?:LocationInfo\(.*?"
    r"detail='(?P<file>[^']*)'\)|(?P<where>.*?)))? is not valid: "
    r"(?P<reason>.*)$")


def _config_files(argv):
    """The files oslo.config reads for these arguments, in order."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--config-file', action='append', default=[])
    parser.add_argument('--config-dir', action='append', default=[])
    known, _rest = parser.parse_known_args(argv)
    files = list(known.config_file)
    for directory in known.config_dir:
        files.extend(sorted(glob.glob(os.path.join(directory, '*.conf'))))
    return files


def _config_file_of(error, argv):
    # NOTE(xmlhooks): oslo.config lets OSError and UnicodeDecodeError out of
    # the file it reads; an OSError names the file, a UnicodeDecodeError
    # does not, so the files the arguments name are tried in turn.
    filename = getattr(error, 'filename', None)
    if filename or not isinstance(error, UnicodeDecodeError):
        return filename
    for path in _config_files(argv):
        try:
            with open(path, 'rb') as handle:
                handle.read().decode('utf-8')
        except UnicodeDecodeError:
            return path
        except OSError:
            continue
    return None


def config_read_error(error, argv=()):
    """Word a configuration file that cannot be read as one line.

    :param error: what oslo.config raised while reading the files: a
        ``cfg.Error``, an ``OSError`` or a ``ValueError`` such as
        ``UnicodeDecodeError``
    :param argv: the command's arguments, which name the files
    :returns: the message, naming the file when it is known
    """
    if isinstance(error, cfg.Error):
        return 'cannot read the configuration: %s' % messages.one_line(error)
    filename = _config_file_of(error, argv)
    if isinstance(error, UnicodeDecodeError):
        reason = 'not UTF-8 text'
    elif isinstance(error, OSError):
        reason = error.strerror or str(error)
    else:
        reason = messages.one_line(error)
    if filename:
        return 'cannot read the configuration file %s: %s' % (filename,
                                                              reason)
    return 'cannot read the configuration: %s' % reason


def config_value_error(error):
    """Word a bad option value from a configuration file as one line.

    :param error: a ``cfg.ConfigFileValueError``
    :returns: ``configuration: option NAME in FILE is not valid: REASON``,
        or oslo.config's own message folded onto one line if it is not
        worded as expected
    """
    text = messages.one_line(error)
    match = _VALUE_ERROR.match(text)
    if match is None:
        return 'configuration: ' + text
    where = match.group('file') or match.group('where')
    return 'configuration: option %s%s is not valid: %s' % (
        match.group('option'), ' in %s' % where if where else '',
        match.group('reason'))


def _quiet_stdout():
    # NOTE(xmlhooks): as the Python documentation of SIGPIPE advises: the
    # reader of stdout went away (``| head``); point stdout at /dev/null so
    # that flushing it at exit does not raise again.
    try:
        fileno = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fileno)
    finally:
        os.close(devnull)


def main(argv=None):
    """Run the command.

    :param argv: the arguments, without the program name; defaults to
        ``sys.argv[1:]``
    :returns: the exit status
    """
    if argv is None:
        argv = sys.argv[1:]
    try:
        _parse_args(argv)
    except (cfg.Error, OSError, ValueError) as e:
        # NOTE(xmlhooks): a missing or malformed --config-file, or one that
        # is a directory or not UTF-8, which oslo.config lets out as
        # IsADirectoryError or UnicodeDecodeError.
        common.err('nova-xmlhooks: error: %s' % config_read_error(e, argv))
        return 1
    _setup_logging(CONF.verbose)
    prefix = 'nova-xmlhooks %s: error: ' % CONF.command.name
    try:
        status = CONF.command.func(CONF)
        # NOTE(xmlhooks): flushed here so that a closed pipe shows now,
        # where it is handled, and not at interpreter exit.
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        _quiet_stdout()
    except common.CommandError as e:
        common.err(prefix + messages.one_line(e))
    except cfg.ConfigFileValueError as e:
        common.err(prefix + config_value_error(e))
    except cfg.Error as e:
        # NOTE(xmlhooks): oslo.config checks values from files when they
        # are first read, e.g. an on_error value that is not a choice.
        common.err(prefix + 'configuration: ' + messages.one_line(e))
    except KeyboardInterrupt:
        common.err(prefix + 'interrupted')
    except Exception as e:
        std_logging.getLogger(__name__).debug('Unexpected error',
                                              exc_info=True)
        common.err(prefix + 'unexpected %s: %s' % (type(e).__name__,
                                                   messages.one_line(e)))
    return 1


if __name__ == '__main__':
    sys.exit(main())
