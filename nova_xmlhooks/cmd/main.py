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

nova-xmlhooks runs on a compute host and reads the same nova.conf as
nova-compute (``--config-file``, ``--config-dir``; by default
``/etc/nova/nova.conf`` and ``/etc/nova/nova.conf.d``), so what it reports
is what the driver does. The global options may come before or after the
command. Exit status: 0 on success, 1 on a problem (one line on stderr,
or a report for validate and audit), 2 on a usage error.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import dataclasses
import errno
import importlib
import importlib.metadata
import logging as std_logging
import os
import sys
import textwrap
import typing as ty

from oslo_config import cfg

from nova_xmlhooks.cmd import common
from nova_xmlhooks.cmd import config
from nova_xmlhooks import messages

if ty.TYPE_CHECKING:
    import types


@dataclasses.dataclass(frozen=True)
class Subcommand:
    """A sub-command: its name, its one-line help and its module.

    NOTE(xmlhooks): the module (its add_arguments(), its run() and its
    docstring, the --help description) is imported only for the
    sub-command that runs; the others are not needed to run it.
    """

    name: str
    help: str
    module: str

    def load(self) -> types.ModuleType:
        """Import the sub-command's module."""
        return importlib.import_module(self.module)


#: the sub-commands, in the order ``--help`` lists them
SUBCOMMANDS = (
    Subcommand('validate', 'check the configuration, customisers and every '
               'profile', 'nova_xmlhooks.cmd.validate'),
    Subcommand('list', 'list the customisers, their keys and the profiles',
               'nova_xmlhooks.cmd.listing'),
    Subcommand('render', 'apply xmlhooks to a saved domain XML and show the '
               'result', 'nova_xmlhooks.cmd.render'),
    Subcommand('audit', 'check every domain for drift from its '
               'customisation', 'nova_xmlhooks.cmd.audit'),
    Subcommand('show', "show an instance's files, disks, flavor and "
               'customisations', 'nova_xmlhooks.cmd.show'),
)
DISTRIBUTION = 'nova-xmlhooks'
COLOR_MODES = ('auto', 'always', 'never')
HELP_WIDTH = 78


class _SourceAction(argparse.Action):
    """Keep ``--config-file`` and ``--config-dir`` in command line order.

    NOTE(xmlhooks): oslo.config reads them in that order, later files
    overriding earlier ones.
    """

    def __call__(self, parser: argparse.ArgumentParser,
                 namespace: argparse.Namespace,
                 values: str | Sequence[ty.Any] | None,
                 option_string: str | None = None) -> None:
        sources = list(getattr(namespace, self.dest, None) or [])
        # NOTE(xmlhooks): the options take one argument each (no nargs),
        # which argparse passes as a str.
        sources.append(config.Source(self.option_strings[0],
                                     ty.cast(str, values)))
        setattr(namespace, self.dest, sources)


class _VersionAction(argparse.Action):
    """Print the installed version and exit."""

    def __init__(self, option_strings: Sequence[str],
                 dest: str = argparse.SUPPRESS,
                 default: ty.Any = argparse.SUPPRESS,
                 help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=default,
                         help=help)

    def __call__(self, parser: argparse.ArgumentParser,
                 namespace: argparse.Namespace,
                 values: str | Sequence[ty.Any] | None,
                 option_string: str | None = None) -> None:
        sys.stdout.write('%s %s\n' % (DISTRIBUTION, version()))
        parser.exit()


def version() -> str:
    """The installed version of nova-xmlhooks.

    :returns: a version string
    """
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return 'unknown (not installed)'


def _add_global_options(parser: argparse.ArgumentParser,
                        late: bool) -> None:
    # NOTE(xmlhooks): the global options are declared again on each
    # command's parser, so that they can follow the command as in
    # "nova-xmlhooks validate --config-file /etc/nova/nova.conf". There
    # they default to nothing, so as not to undo what came before the
    # command, and files go to a list of their own that follows the one
    # given before the command.
    suppress = argparse.SUPPRESS
    group = parser.add_argument_group('global options')
    sources = 'late_sources' if late else 'sources'
    group.add_argument(
        '--config-file', action=_SourceAction, dest=sources, metavar='PATH',
        default=suppress if late else [],
        help='a nova.conf to read; repeat for several, later ones override '
             'earlier ones (default: /etc/nova/nova.conf)')
    group.add_argument(
        '--config-dir', action=_SourceAction, dest=sources, metavar='DIR',
        default=suppress if late else [],
        help='read every *.conf file of a directory, in sorted order '
             '(default: /etc/nova/nova.conf.d)')
    group.add_argument(
        '-v', '--verbose', action='store_true',
        default=suppress if late else False,
        help='log what the engine does, and tracebacks of unexpected '
             'errors, on stderr')
    group.add_argument(
        '--color', choices=COLOR_MODES, default=suppress if late else 'auto',
        help='colour diffs: auto (on a terminal, unless NO_COLOR is set), '
             'always or never (default: auto)')


def _fill(lines: Sequence[str]) -> str:
    # NOTE(xmlhooks): each run of lines with the same indentation is one
    # block, as in the definition lists of the docstrings.
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        indent = line[:len(line) - len(line.lstrip())]
        if current and indent != current[0]:
            blocks.append(current)
            current = []
        if not current:
            current = [indent]
        current.append(line.strip())
    blocks.append(current)
    return '\n'.join(textwrap.fill(' '.join(words), width=HELP_WIDTH,
                                   initial_indent=indent,
                                   subsequent_indent=indent,
                                   break_on_hyphens=False)
                     for indent, *words in blocks)


def help_text(module: types.ModuleType) -> str | None:
    """The ``--help`` description of a module, in plain text.

    :param module: a sub-command module, or this one
    :returns: its docstring after the first line, without markup, each
        paragraph filled again; None when Python runs with ``-OO``, which
        strips docstrings
    """
    if module.__doc__ is None:
        return None
    body = common.plain_text(module.__doc__.split('\n\n', 1)[1].strip())
    paragraphs = body.split('\n\n')
    return '\n\n'.join(_fill(p.split('\n')) for p in paragraphs)


def _add_subcommand(
        subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
        subcommand: Subcommand, full: bool) -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    if not full:
        # NOTE(xmlhooks): what follows the sub-command is left for the
        # parser that knows its arguments.
        subparsers.add_parser(subcommand.name, help=subcommand.help,
                              add_help=False)
        return
    module = subcommand.load()
    subparser = subparsers.add_parser(
        subcommand.name, help=subcommand.help,
        description=help_text(module), formatter_class=formatter,
        allow_abbrev=False)
    add_arguments = getattr(module, 'add_arguments', None)
    if add_arguments is not None:
        add_arguments(subparser)
    _add_global_options(subparser, late=True)
    subparser.set_defaults(func=module.run,
                           unread=getattr(module, 'unread', None))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command's argument parser.

    :param command: the name of the sub-command whose arguments to know;
        the others only take their place in ``--help``
    :returns: an ``argparse.ArgumentParser``
    """
    parser = argparse.ArgumentParser(
        prog='nova-xmlhooks', description=help_text(sys.modules[__name__]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
        epilog='Run "nova-xmlhooks COMMAND --help" for the arguments of '
               'each command.')
    parser.add_argument('--version', action=_VersionAction,
                        help='print the version and exit')
    _add_global_options(parser, late=False)
    subparsers = parser.add_subparsers(title='commands', dest='command',
                                       metavar='COMMAND', required=True)
    # NOTE(xmlhooks): each sub-command module declares its arguments in
    # add_arguments() if it takes any, and run(); its docstring after the
    # first line is its --help description.
    for subcommand in SUBCOMMANDS:
        _add_subcommand(subparsers, subcommand, subcommand.name == command)
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the arguments, importing only the sub-command that runs.

    NOTE(xmlhooks): argparse finds the sub-command first, with a parser
    that knows none of their arguments; then a parser that knows that
    one's parses the whole command line again.

    :param argv: the arguments, without the program name
    :returns: an ``argparse.Namespace``
    """
    known, _rest = build_parser().parse_known_args(argv)
    return build_parser(known.command).parse_args(argv)


def _setup_logging(verbose: bool) -> None:
    # NOTE(xmlhooks): the engine logs an INFO line per application and
    # warnings that ``validate`` reports itself; a command's stderr is kept
    # to its one-line errors unless asked for more.
    handler = std_logging.StreamHandler(sys.stderr)
    handler.setFormatter(std_logging.Formatter(
        '%(levelname)s %(name)s: %(message)s'))
    root = std_logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(std_logging.DEBUG if verbose else std_logging.CRITICAL)


def _quiet_stdout() -> None:
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


def _configuration(args: argparse.Namespace) -> config.Configuration:
    try:
        return config.Configuration(
            args.sources + getattr(args, 'late_sources', []))
    except common.CommandError as e:
        # NOTE(xmlhooks): a command whose report covers the configuration
        # (validate) reports this problem too, before the line on stderr.
        unread = getattr(args, 'unread', None)
        if unread is not None:
            unread(args, str(e))
        raise


def _run(args: argparse.Namespace) -> int:
    configuration = _configuration(args)
    status = args.func(configuration, args)
    # NOTE(xmlhooks): flushed here so that a closed pipe shows now, where
    # it is handled, and not at interpreter exit.
    sys.stdout.flush()
    return status


#: what writing the output fails with: a full disk or quota, a device
#: error, a file too large, a descriptor not open for writing
_OUTPUT_ERRORS = frozenset([errno.ENOSPC, errno.EDQUOT, errno.EIO,
                            errno.EFBIG, errno.EBADF])


def _output_failed(error: OSError) -> bool:
    """Whether an error is the output's; then standard output is quieted.

    NOTE(xmlhooks): the commands turn what they read into CommandError;
    an OSError naming no file, of a kind writing fails with, is the
    output's (a full disk shows when it is written or flushed).
    """
    if error.filename is not None or error.errno not in _OUTPUT_ERRORS:
        return False
    _quiet_stdout()
    return True


def _cannot_write(prefix: str, error: OSError) -> None:
    common.err(prefix + 'cannot write the output: %s'
               % (error.strerror or error))


def _parse_and_flush(argv: Sequence[str]) -> argparse.Namespace:
    try:
        return parse_args(argv)
    except SystemExit:
        # NOTE(xmlhooks): help and the version are written before argparse
        # exits; flushed here, where a failure is handled, rather than at
        # interpreter exit.
        sys.stdout.flush()
        raise


def _parse(argv: Sequence[str]) -> argparse.Namespace | None:
    """Parse the arguments.

    :returns: the arguments; None when standard output is closed, or help
        or the version could not be written to it
    """
    if sys.stdout is None:
        common.err('nova-xmlhooks: error: cannot write the output: '
                   'standard output is closed')
        return None
    try:
        return _parse_and_flush(argv)
    except BrokenPipeError:
        _quiet_stdout()
    except OSError as e:
        if not _output_failed(e):
            raise
        _cannot_write('nova-xmlhooks: error: ', e)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command.

    :param argv: the arguments, without the program name; defaults to
        ``sys.argv[1:]``
    :returns: the exit status; a usage error exits with status 2
    """
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args is None:
        return 1
    _setup_logging(args.verbose)
    common.set_color(args.color)
    prefix = 'nova-xmlhooks %s: error: ' % args.command
    try:
        return _run(args)
    except BrokenPipeError:
        _quiet_stdout()
    except common.CommandError as e:
        common.err(prefix + str(e))
    except cfg.Error as e:
        # NOTE(xmlhooks): what the checks at start cannot see, such as a
        # $name in a value that names no option.
        common.err(prefix + 'configuration: ' + messages.one_line(e))
    except KeyboardInterrupt:
        common.err(prefix + 'interrupted')
    except OSError as e:
        if _output_failed(e):
            _cannot_write(prefix, e)
        else:
            _unexpected(prefix, e)
    except Exception as e:
        _unexpected(prefix, e)
    return 1


def _unexpected(prefix: str, error: BaseException) -> None:
    std_logging.getLogger(__name__).debug('Unexpected error', exc_info=True)
    common.err(prefix + 'unexpected %s: %s' % (type(error).__name__,
                                               messages.one_line(error)))


if __name__ == '__main__':
    sys.exit(main())
