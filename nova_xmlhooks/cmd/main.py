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

import logging as std_logging
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

CONF = xmlhooks_conf.CONF

SUBCOMMANDS = (render, validate, listing, audit, show)


def _add_subcommands(subparsers):
    for module in SUBCOMMANDS:
        module.add_parser(subparsers)


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
    except cfg.Error as e:
        # NOTE(xmlhooks): a missing or malformed --config-file.
        common.err('nova-xmlhooks: error: %s' % common.one_line(e))
        return 1
    _setup_logging(CONF.verbose)
    prefix = 'nova-xmlhooks %s: error: ' % CONF.command.name
    try:
        return CONF.command.func(CONF)
    except common.CommandError as e:
        common.err(prefix + common.one_line(e))
    except cfg.Error as e:
        # NOTE(xmlhooks): oslo.config checks values from files when they
        # are first read, e.g. an on_error value that is not a choice.
        common.err(prefix + 'configuration: ' + common.one_line(e))
    except KeyboardInterrupt:
        common.err(prefix + 'interrupted')
    except Exception as e:
        std_logging.getLogger(__name__).debug('Unexpected error',
                                              exc_info=True)
        common.err(prefix + 'unexpected %s: %s' % (type(e).__name__,
                                                   common.one_line(e)))
    return 1


if __name__ == '__main__':
    sys.exit(main())
