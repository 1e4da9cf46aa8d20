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
directory (``<instances_path>/<UUID>``, from ``[DEFAULT] instances_path``
in the configuration) and its files, where libvirt keeps the persistent
definition, each disk with its format, virtual and actual size and
backing chain (from ``qemu-img info``, opened with the format the domain
XML gives), the flavor and extra specs Nova recorded in the domain, the
customisations applied, the guest's audit status, and how the live
definition differs from the persistent one. Differences that only
libvirt's runtime makes (device aliases, addresses libvirt assigned, pty
paths, security labels...) are left out of that comparison unless
``--raw`` is given. ``--format json`` prints the same as a JSON object,
described in the administrator guide.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
import os
import typing as ty
import uuid

from nova_xmlhooks.cmd import audit
from nova_xmlhooks.cmd import common
from nova_xmlhooks.cmd import disk_info
from nova_xmlhooks.cmd import libvirt_host
from nova_xmlhooks.cmd import live_diff
from nova_xmlhooks import messages
from nova_xmlhooks import metadata

if ty.TYPE_CHECKING:
    import argparse
    import types

    # NOTE(xmlhooks): Any to type checkers, see libvirt_host.
    from libvirt import virConnect
    from libvirt import virDomain
    from lxml import etree
    from oslo_config import cfg

    from nova_xmlhooks.cmd import config
    from nova_xmlhooks.cmd import drift

    #: a report object, or a part of one, as ``--format json`` prints it
    Document: ty.TypeAlias = dict[str, ty.Any]
    #: a file of the instance directory, see :func:`directory_files`
    FileItem: ty.TypeAlias = dict[str, str | int | None]

_NS = {'nova': metadata.NOVA_NS}
_EXTRA_SPECS = '{%s}extraSpecs' % metadata.NOVA_NS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-command's arguments.

    :param parser: the sub-command's argparse parser
    """
    parser.add_argument('instance', metavar='INSTANCE', type=common.nonempty,
                        help='the instance UUID or the libvirt domain name')
    libvirt_host.add_connection_argument(parser)
    parser.add_argument('--raw', action='store_true',
                        help='compare the live and persistent definitions '
                             'as libvirt writes them, runtime details '
                             'included')
    parser.add_argument('--format', choices=('text', 'json'),
                        default='text', help='the report format')


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def find_domain(libvirt: types.ModuleType, connection: virConnect,
                instance: str, uri: str) -> virDomain:
    """Look a domain up by UUID or by name.

    :param libvirt: the ``libvirt`` module
    :param connection: a ``virConnect``
    :param instance: the instance's UUID or domain name, as given
    :param uri: the connection's URI, for messages
    :raises: CommandError naming the instance and the URI
    :returns: a ``virDomain``
    """
    common.utf8_argument('the instance', instance)
    try:
        if _is_uuid(instance):
            return connection.lookupByUUIDString(instance)
        return connection.lookupByName(instance)
    except libvirt.libvirtError as e:
        if libvirt_host.is_gone(libvirt, e):
            raise common.CommandError('no domain %s at %s' % (instance, uri))
        raise common.CommandError('cannot look up %s at %s: %s' % (
            instance, uri, messages.one_line(e.get_error_message() or e)))


def _file_disks(
        root: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    for disk in root.findall('devices/disk'):
        source = disk_info.source_of(disk)
        if source and disk.get('type') in ('file', 'block'):
            yield disk, source


def instance_directory(
        instances_path: str, root: etree._Element,
        instance_uuid: str) -> tuple[str, str, str | None]:
    """Find the instance directory, as nova-compute lays it out.

    :param instances_path: ``[DEFAULT] instances_path``
    :param root: the ``<domain>`` element
    :param instance_uuid: the domain's UUID
    :returns: ``(path, origin, note)``; ``origin`` is ``instances_path``,
        or ``disk`` when the directory of a disk named after the UUID is
        used instead, with a note saying why
    """
    path = os.path.join(instances_path, instance_uuid)
    if os.path.isdir(path):
        return path, 'instances_path', None
    for _disk, source in _file_disks(root):
        directory = os.path.dirname(source)
        if (os.path.basename(directory) == instance_uuid and
                os.path.isdir(directory)):
            return directory, 'disk', (
                '[DEFAULT] instances_path is %s, which has no directory for '
                'this instance; this is the directory of its disk. Give '
                'nova-xmlhooks the nova.conf that nova-compute reads '
                '(--config-file), with its instances_path'
                % instances_path)
    return path, 'instances_path', None


def directory_files(path: str) -> tuple[list[FileItem], str | None]:
    """The files of a directory, with their sizes.

    :param path: the directory
    :returns: ``(files, error)``: a list of dicts with ``name``, ``type``
        (``file``, ``directory`` or ``other``), ``size`` and ``on_disk`` in
        bytes, and a one-line error when the directory cannot be read
    """
    try:
        entries = sorted(os.scandir(path), key=lambda entry: entry.name)
    except FileNotFoundError:
        return [], 'does not exist on this host'
    except OSError as e:
        return [], 'cannot be read: %s' % (e.strerror or e)
    files: list[FileItem] = []
    for entry in entries:
        item: FileItem = {'name': entry.name, 'type': 'other',
                          'size': None, 'on_disk': None}
        try:
            stat = entry.stat(follow_symlinks=False)
        except OSError:
            files.append(item)
            continue
        if entry.is_dir(follow_symlinks=False):
            item['type'] = 'directory'
        elif entry.is_file(follow_symlinks=False):
            item.update(type='file', size=stat.st_size,
                        on_disk=stat.st_blocks * 512)
        files.append(item)
    return files, None


def disk_reports(root: etree._Element) -> list[Document]:
    """Every disk with its backing chain.

    :param root: the domain XML, an element
    :returns: a list of the ``disks`` items of the administrator guide
    """
    disks: list[Document] = []
    for disk in root.findall('devices/disk'):
        target, driver = disk.find('target'), disk.find('driver')
        item: Document = {
            'target': target.get('dev') if target is not None else None,
            'device': disk.get('device', 'disk'),
            'bus': target.get('bus') if target is not None else None,
            'format': driver.get('type') if driver is not None else None,
            'source': disk_info.source_of(disk),
            'chain': [], 'error': None,
        }
        if item['source'] and disk.get('type') in ('file', 'block'):
            try:
                item['chain'] = [
                    dict(layer.__dict__) for layer in
                    disk_info.backing_chain(item['source'], item['format'])]
            except disk_info.DiskInfoError as e:
                item['error'] = str(e)
        disks.append(item)
    return disks


def flavor_report(root: etree._Element) -> Document | None:
    """The instance and flavor Nova recorded in the domain.

    :param root: the domain XML, an element
    :returns: the ``flavor`` object of the administrator guide, or
        ``None`` for a domain without Nova's metadata
    """
    instance = root.find('metadata/nova:instance', _NS)
    if instance is None:
        return None
    flavor = instance.find('nova:flavor', _NS)
    fields: dict[str, str] = {}
    if flavor is not None:
        fields = {child.tag.split('}')[-1]: (child.text or '').strip()
                  for child in flavor
                  if isinstance(child.tag, str) and not len(child) and
                  child.tag != _EXTRA_SPECS}
    package = instance.find('nova:package', _NS)
    return {
        'instance_name': instance.findtext('nova:name', None, _NS),
        'nova_version': package.get('version') if package is not None
        else None,
        'name': flavor.get('name') if flavor is not None else None,
        'fields': fields,
        'extra_specs': common.recorded_extra_specs(root),
    }


def customisation_report(root: etree._Element) -> Document | None:
    """The customisation recorded in the domain, or ``None``.

    :param root: the domain XML, an element
    :returns: the ``customisation`` object of the administrator guide
    """
    record = metadata.recorded(root)
    if record is None:
        return None
    profiles, rules = record
    return {'profiles': list(profiles),
            'rules': [{'key': r.key, 'value': r.value, 'source': r.source,
                       'family': r.family} for r in rules]}


def audit_report(conf: cfg.ConfigOpts, info: libvirt_host.DomainInfo,
                 refusal: drift.Refusal | None = None) -> Document:
    """The guest's audit status, as ``nova-xmlhooks audit`` gives it.

    :param conf: the configuration, as the commands load it
    :param info: the domain, as
        :func:`~nova_xmlhooks.cmd.libvirt_host.read_domain` reads it
    :param refusal: see :func:`~nova_xmlhooks.cmd.audit.audit_domain`
    :returns: the ``audit`` object of the administrator guide
    """
    try:
        engine = common.load_engine(conf)
    except common.CommandError as e:
        return {'status': None, 'detail': 'not audited: %s' % e}
    report = audit.audit_domain(engine, info, refusal)
    return {'status': report['status'], 'detail': audit.detail(report)}


def live_report(info: libvirt_host.DomainInfo, raw: bool) -> Document:
    """The live definition against the persistent one.

    :param info: the domain, as
        :func:`~nova_xmlhooks.cmd.libvirt_host.read_domain` reads it
    :param raw: compare everything, runtime values too (``--raw``)
    :returns: the ``live_diff`` object of the administrator guide
    """
    if info['live'] is None or info['persistent'] is None:
        return {'state': 'not running' if info['live'] is None
                else 'transient', 'diff': '', 'hidden': {}}
    hidden: dict[str, int]
    if raw:
        persistent, live, hidden = info['persistent'], info['live'], {}
    else:
        persistent, live, hidden = live_diff.runtime_filtered(
            info['persistent'], info['live'])
    diff = common.unified_diff(persistent, live, 'persistent', 'live')
    return {'state': 'differs' if diff else 'identical', 'diff': diff,
            'hidden': hidden}


def report(configuration: config.Configuration,
           info: libvirt_host.DomainInfo, uri: str, raw: bool = False,
           refusal: drift.Refusal | None = None) -> Document:
    """What ``show`` reports about a domain.

    :param configuration: the :class:`~nova_xmlhooks.cmd.config.Configuration`
    :param info: what :func:`~nova_xmlhooks.cmd.libvirt_host.read_domain`
        read
    :param uri: the libvirt URI
    :param raw: keep runtime-only differences in the live comparison
    :param refusal: see :func:`~nova_xmlhooks.cmd.audit.audit_domain`
    :returns: the object documented in the administrator guide
    """
    xml = info['live'] or info['persistent']
    root = common.parse_domain(xml, 'domain %s' % info['name'])
    path, origin, note = instance_directory(
        configuration.nova_value('instances_path'), root, info['uuid'])
    files, error = directory_files(path)
    if info['persistent'] is None:
        definition = {'path': None, 'note': 'the domain is transient: it '
                      'has no persistent definition'}
    else:
        location, where = libvirt_host.persistent_location(uri,
                                                           info['name'])
        definition = {'path': location, 'note': where}
    return {
        'name': info['name'], 'uuid': info['uuid'], 'state': info['state'],
        'uri': uri,
        'instance_directory': {'path': path, 'origin': origin, 'note': note,
                               'files': files, 'error': error},
        'persistent_definition': definition,
        'disks': disk_reports(root),
        'flavor': flavor_report(root),
        'customisation': customisation_report(root),
        'audit': audit_report(configuration.conf, info, refusal),
        'live_diff': live_report(info, raw),
    }


def _section(title: str) -> None:
    common.out()
    common.out(title)


def _size(value: int | None) -> str:
    return disk_info.human_size(value)


def print_directory(directory: Document) -> None:
    """Print the instance directory and its files.

    :param directory: the ``directory`` object of the report
    """
    _section('Instance directory: %s' % directory['path'])
    if directory['note']:
        common.out('  note: ' + directory['note'])
    if directory['error']:
        common.out('  ' + directory['error'])
    elif not directory['files']:
        common.out('  (empty)')
    for item in directory['files']:
        if item['type'] == 'directory':
            common.out('  %s/' % item['name'])
        elif item['type'] == 'file':
            common.out('  %-24s %10s  (%s on disk)' % (
                item['name'], _size(item['size']), _size(item['on_disk'])))
        else:
            common.out('  %s' % item['name'])


def print_disks(disks: Sequence[Document]) -> None:
    """Print every disk with its backing chain.

    :param disks: from :func:`disk_reports`
    """
    _section('Disks:')
    if not disks:
        common.out('  none')
    for item in disks:
        common.out('  %s (%s, bus %s, driver format %s): %s' % (
            item['target'] or '?', item['device'], item['bus'] or '?',
            item['format'] or '?', item['source'] or 'no source'))
        if item['error']:
            common.out('    ' + item['error'])
        for depth, layer in enumerate(item['chain']):
            for line in disk_info.describe_layer(disk_info.Layer(**layer)):
                common.out('    ' + '  ' * depth + line)


def print_flavor(flavor: Document | None) -> None:
    """Print the instance, flavor and extra specs Nova recorded.

    :param flavor: from :func:`flavor_report`
    """
    _section('Flavor (as Nova recorded it in the domain):')
    if flavor is None:
        common.out('  none: this domain carries no Nova metadata')
        return
    if flavor['instance_name']:
        common.out('  instance name: %s' % flavor['instance_name'])
    common.out('  name: %s' % (flavor['name'] or 'not recorded'))
    for name, value in flavor['fields'].items():
        common.out('  %s: %s' % (name, value))
    specs = flavor['extra_specs']
    if specs is None:
        common.out('  extra specs: not recorded (Nova records them in the '
                   'domain from nova 32 on; this domain was defined by '
                   'nova %s)' % (flavor['nova_version'] or 'of an unknown '
                                 'version'))
        return
    common.out('  extra specs:%s' % ('' if specs else ' none'))
    for key in sorted(specs):
        common.out('    %s=%s' % (key, specs[key]))


def print_customisation(customisation: Document | None,
                        audit_status: Document) -> None:
    """Print the customisation recorded in the domain and its status.

    :param customisation: from :func:`customisation_report`
    :param audit_status: from :func:`audit_report`
    """
    _section('Customisations applied by nova-xmlhooks:')
    if customisation is None:
        common.out('  none recorded')
    else:
        common.out('  profiles: %s' % (', '.join(customisation['profiles'])
                                       or 'none'))
        for rule in customisation['rules']:
            common.out('  %s=%s  (%s)' % (rule['key'], rule['value'],
                                          rule['source']))
    common.out('  audit: %s (%s)' % (audit_status['status'] or 'unknown',
                                     audit_status['detail']))


def print_live_diff(live: Document) -> None:
    """Print the difference between the persistent and live definitions.

    :param live: from :func:`live_report`
    """
    _section('Live definition against the persistent one:')
    if live['state'] == 'not running':
        common.out('  the domain is not running')
    elif live['state'] == 'transient':
        common.out('  the domain is transient: it has no persistent '
                   'definition')
    elif live['diff']:
        common.out_diff(live['diff'])
    else:
        common.out('  identical')
    if live['hidden']:
        common.out('  runtime-only differences left out (--raw shows them): '
                   '%s' % ', '.join('%s (%d)' % item for item in
                                    sorted(live['hidden'].items())))


def print_text(document: Document) -> None:
    """Write the report as text.

    :param document: the report that ``--format json`` prints
    """
    common.out('Domain %s, UUID %s, %s (%s)' % (
        document['name'], document['uuid'], document['state'],
        document['uri']))
    print_directory(document['instance_directory'])
    definition = document['persistent_definition']
    _section('Persistent definition: %s' % (definition['path'] or
                                            'not a file of its own'))
    common.out('  ' + definition['note'])
    print_disks(document['disks'])
    print_flavor(document['flavor'])
    print_customisation(document['customisation'], document['audit'])
    print_live_diff(document['live_diff'])


def run(configuration: config.Configuration,
        args: argparse.Namespace) -> int:
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
    document = report(configuration, info, uri, raw=args.raw,
                      refusal=libvirt_host.NativeRefusal(libvirt, uri))
    if args.format == 'json':
        common.out_json(document)
    else:
        print_text(document)
    return 0
