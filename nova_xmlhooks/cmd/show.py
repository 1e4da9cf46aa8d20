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

"""``nova-xmlhooks show``: one instance's whole story on its compute host.

For an instance (its UUID or its libvirt domain name): the instance
directory and its files, each disk with its format, virtual and actual
size and backing chain (from ``qemu-img info``, opened with the format
the domain XML gives, never a guessed one), the flavor and extra specs
Nova recorded in the domain, the customisations applied, and how the live
definition differs from the persistent one.
"""

import os
import uuid

from nova_xmlhooks.cmd import common
from nova_xmlhooks.cmd import disk_info
from nova_xmlhooks.cmd import libvirt_host
from nova_xmlhooks import messages
from nova_xmlhooks import metadata

NAME = 'show'
HELP = "show an instance's files, disks, flavor and customisations"
_NS = {'nova': metadata.NOVA_NS}


def add_arguments(parser):
    """Declare the sub-command's arguments.

    :param parser: the sub-command's argparse parser
    """
    parser.add_argument('instance', metavar='INSTANCE',
                        help='the instance UUID or the libvirt domain name')
    libvirt_host.add_connection_argument(parser)


def _is_uuid(text):
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def find_domain(libvirt, connection, instance, uri):
    """Look a domain up by UUID or by name.

    :raises: CommandError naming the instance and the URI
    """
    try:
        if _is_uuid(instance):
            return connection.lookupByUUIDString(instance)
        return connection.lookupByName(instance)
    except libvirt.libvirtError as e:
        if libvirt_host.is_gone(libvirt, e):
            raise common.CommandError('no domain %s at %s' % (instance, uri))
        raise common.CommandError('cannot look up %s at %s: %s' % (
            instance, uri, messages.one_line(e.get_error_message() or e)))


def _section(title):
    common.out()
    common.out(title)


def show_directory(path):
    """Print the instance directory and its files."""
    _section('Instance directory: %s' % path)
    try:
        entries = sorted(os.scandir(path), key=lambda entry: entry.name)
    except FileNotFoundError:
        common.out('  does not exist on this host')
        return
    except OSError as e:
        common.out('  cannot be read: %s' % (e.strerror or e))
        return
    if not entries:
        common.out('  (empty)')
    for entry in entries:
        try:
            stat = entry.stat(follow_symlinks=False)
        except OSError as e:
            common.out('  %s: cannot be read: %s' % (entry.name,
                                                     e.strerror or e))
            continue
        if entry.is_dir(follow_symlinks=False):
            common.out('  %s/' % entry.name)
        else:
            common.out('  %-24s %10s  (%s on disk)' % (
                entry.name, disk_info.human_size(stat.st_size),
                disk_info.human_size(stat.st_blocks * 512)))


def show_disks(root):
    """Print every disk with its backing chain."""
    _section('Disks:')
    disks = root.findall('devices/disk')
    if not disks:
        common.out('  none')
    for disk in disks:
        target = disk.find('target')
        driver = disk.find('driver')
        source = disk_info.source_of(disk)
        common.out('  %s (%s, bus %s, driver format %s): %s' % (
            target.get('dev') if target is not None else '?',
            disk.get('device', 'disk'),
            target.get('bus', '?') if target is not None else '?',
            driver.get('type', '?') if driver is not None else '?',
            source or 'no source'))
        if not source or disk.get('type') not in ('file', 'block'):
            continue
        try:
            chain = disk_info.backing_chain(
                source, driver.get('type') if driver is not None else None)
        except disk_info.DiskInfoError as e:
            common.out('    %s' % e)
            continue
        for depth, layer in enumerate(chain):
            for line in disk_info.describe_layer(layer):
                common.out('    ' + '  ' * depth + line)


def show_flavor(root):
    """Print the instance, flavor and extra specs Nova recorded."""
    _section('Flavor (as Nova recorded it in the domain):')
    instance = root.find('metadata/nova:instance', _NS)
    if instance is None:
        common.out('  none: this domain carries no Nova metadata')
        return
    name = instance.findtext('nova:name', '', _NS)
    if name:
        common.out('  instance name: %s' % name)
    flavor = instance.find('nova:flavor', _NS)
    if flavor is None:
        common.out('  no flavor recorded')
        return
    common.out('  name: %s' % flavor.get('name', '?'))
    for child in flavor:
        if not isinstance(child.tag, str) or len(child):
            continue
        common.out('  %s: %s' % (child.tag.split('}')[-1],
                                 (child.text or '').strip()))
    specs = metadata.flavor_extra_specs(root)
    common.out('  extra specs:%s' % ('' if specs else ' none'))
    for key in sorted(specs):
        common.out('    %s=%s' % (key, specs[key]))


def show_customisation(root):
    """Print the customisation recorded in the domain."""
    _section('Customisations applied by nova-xmlhooks:')
    record = metadata.recorded(root)
    if record is None:
        common.out('  none recorded')
        return
    profiles, rules = record
    common.out('  profiles: %s' % (', '.join(profiles) or 'none'))
    for rule in rules:
        common.out('  %s=%s  (%s)' % (rule.key, rule.value, rule.source))


def show_live_diff(info):
    """Print the difference between the persistent and live definitions."""
    _section('Live definition against the persistent one:')
    if info['live'] is None:
        common.out('  the domain is not running')
        return
    if info['persistent'] is None:
        common.out('  the domain is transient: it has no persistent '
                   'definition')
        return
    diff = common.unified_diff(info['persistent'], info['live'],
                               'persistent', 'live')
    if diff:
        common.out_diff(diff)
    else:
        common.out('  identical')


def run(configuration, args):
    """Run the sub-command.

    :param configuration: the :class:`~nova_xmlhooks.cmd.config.Configuration`
    :param args: the parsed arguments
    :returns: the exit status
    :raises: CommandError
    """
    libvirt, connection, uri = libvirt_host.connect_from(configuration, args)
    domain = find_domain(libvirt, connection, args.instance, uri)
    try:
        info = libvirt_host.read_domain(libvirt, domain)
    except libvirt_host.DomainGone:
        raise common.CommandError('domain %s vanished while being read'
                                  % args.instance)
    xml = info['live'] or info['persistent']
    root = common.parse_domain(xml, 'domain %s' % info['name'])
    common.out('Domain %s, UUID %s, %s (%s)' % (
        info['name'], info['uuid'], info['state'], uri))
    show_directory(os.path.join(configuration.nova_value('instances_path'),
                                info['uuid']))
    show_disks(root)
    show_flavor(root)
    show_customisation(root)
    show_live_diff(info)
    return 0
