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

"""``nova-xmlhooks render``: preview the driver's work on a saved XML.

The engine is built from the configuration exactly as the compute driver
builds it, and resolves and applies the specs the same way, so the output
is what nova-compute would hand to libvirt. Without ``--spec``, the
flavor's extra specs that Nova recorded in the domain's ``<metadata>``
are used, so ``virsh dumpxml`` of a guest can be fed back in as it is.
"""

from nova_xmlhooks.cmd import common
from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import exception
from nova_xmlhooks import metadata

NAME = 'render'
HELP = 'apply xmlhooks to a saved domain XML and show the result'


def add_arguments(parser):
    """Declare the sub-command's arguments.

    :param parser: the sub-command's argparse parser
    """
    parser.add_argument('--xml', required=True, metavar='FILE',
                        help='a domain XML, e.g. saved with virsh dumpxml')
    parser.add_argument('--spec', action='append', default=[],
                        metavar='KEY=VALUE',
                        help='a flavor extra spec; repeat for several. '
                             'Without it, the extra specs Nova recorded in '
                             'the XML are used')
    parser.add_argument('--profile', action='append', default=[],
                        metavar='NAME',
                        help='add a profile to xmlhooks:profile; repeat for '
                             'several')
    parser.add_argument('--output', choices=('diff', 'xml'), default='diff',
                        help='a unified diff against the input (default) or '
                             'the customised XML')


def parse_specs(items):
    """Turn ``KEY=VALUE`` arguments into a dict.

    :param items: the ``--spec`` arguments
    :returns: a dict of extra specs, in argument order
    :raises: CommandError naming the bad argument
    """
    specs = {}
    for item in items:
        key, sep, value = item.partition('=')
        key = key.strip()
        if not sep or not key:
            raise common.CommandError(
                "--spec '%s' is not KEY=VALUE" % item)
        specs[key] = value
    return specs


def add_profiles(specs, names):
    """Add profile names to ``xmlhooks:profile``.

    :param specs: extra specs, changed in place
    :param names: profile names to append
    """
    if not names:
        return
    current = engine_mod.split_names(specs.get(engine_mod.PROFILE_KEY, ''))
    specs[engine_mod.PROFILE_KEY] = ','.join(current + list(names))


def render(engine, xml, specs):
    """Resolve and apply specs, as the driver does.

    NOTE(xmlhooks): this is ``Engine.customize`` without ``on_error``:
    under ``on_error = skip`` the driver would log the error and keep
    Nova's XML, but a preview must show the error.

    :returns: the customised XML
    :raises: nova_xmlhooks.exception.XmlHooksError
    """
    return engine.apply(xml, engine.resolve(specs))


def run(conf):
    """Run the sub-command.

    :param conf: the parsed configuration
    :returns: the exit status
    :raises: CommandError
    """
    args = conf.command
    xml = common.read_text(args.xml)
    root = common.parse_domain(xml, args.xml)
    if args.spec:
        specs = parse_specs(args.spec)
    else:
        specs = metadata.flavor_extra_specs(root)
    add_profiles(specs, args.profile)
    engine = common.load_engine(conf)
    try:
        result = render(engine, xml, specs)
    except exception.XmlHooksError as e:
        raise common.CommandError(common.error_message(e))
    if args.output == 'xml':
        common.out(result.rstrip('\n'))
        return 0
    diff = ''
    if result is not xml:
        # NOTE(xmlhooks): the engine writes the document the way Nova does;
        # the input is normalised the same way so the diff only shows the
        # edits.
        diff = common.unified_diff(common.normalize(xml), result, args.xml,
                                   '%s (customised)' % args.xml)
    if diff:
        common.out(diff.rstrip('\n'))
    else:
        common.err('no xmlhooks rule changes this XML')
    return 0
