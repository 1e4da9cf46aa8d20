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

"""``nova-xmlhooks audit``: which guests carry what, and which drifted.

For every domain on the host (or those named with ``--domain``), the
rules recorded in its ``<metadata>`` are checked again against its
persistent definition and, when it runs, its live one. Each domain gets
one status:

``drift``
    A recorded rule no longer holds (after a ``virsh edit``, say); the
    report names the rule and shows what the XML has instead.
``stale``
    The configuration or profiles changed since the rules were applied:
    the next hard reboot will change the domain, shown as a diff, or fail
    (the engine's reason, or libvirt's when libvirt would refuse the new
    definition). Also a Nova
    domain without a record that would now get rules, and one with
    recorded rules that the current customisers cannot parse (their
    customiser was disabled, say), which therefore cannot be checked for
    drift.
``ok``
    Every recorded rule holds and the configuration would apply the same.
``unmanaged``
    No record: the domain was not customised by nova-xmlhooks.

A domain that both drifted and is stale is reported as ``drift``. The
exit status is 1 when any domain drifted (or on an error), 0 otherwise.

Nova records the flavor's extra specs in the domain from nova 32 on; for
a domain of an older series, the flavor's specs are rebuilt from the
record of what was applied, so drift is checked all the same, but a
flavor changed since the guest's last hard reboot is not seen.

JSON output (``--format json``) is a list with one object per domain,
sorted by name; its keys are described in the administrator guide
("Audit JSON output"). Progress is shown on stderr when stderr is a
terminal and there are many domains. Domains that vanish while the audit
runs are left out, with a note on stderr.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
import sys
import typing as ty
import uuid

from nova_xmlhooks.cmd import common
from nova_xmlhooks.cmd import drift as drift_mod
from nova_xmlhooks.cmd import libvirt_host
from nova_xmlhooks import messages
from nova_xmlhooks import metadata

if ty.TYPE_CHECKING:
    import argparse
    import types

    # NOTE(xmlhooks): Any to type checkers, see libvirt_host.
    from libvirt import virConnect
    from libvirt import virDomain
    from lxml import etree

    from nova_xmlhooks.cmd import config
    from nova_xmlhooks import engine as engine_mod

    #: a domain's report object, documented above
    Report: ty.TypeAlias = dict[str, ty.Any]

#: show progress on a terminal from this many domains on
PROGRESS_FROM = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-command's arguments.

    :param parser: the sub-command's argparse parser
    """
    libvirt_host.add_connection_argument(parser)
    parser.add_argument('--format', choices=('table', 'json'),
                        default='table', help='the report format')
    parser.add_argument('--domain', action='append', default=[],
                        type=common.nonempty,
                        metavar='NAME',
                        help='audit only this domain (name or UUID); '
                             'repeat for several')


def _nova_domain(root: etree._Element) -> bool:
    return root.find('metadata/{%s}instance' % metadata.NOVA_NS) is not None


def _unmanaged_staleness(engine: engine_mod.Engine, xml: str,
                         root: etree._Element, report: Report,
                         refusal: drift_mod.Refusal | None) -> None:
    # NOTE(xmlhooks): a Nova domain without a record that would now get
    # rules (a default profile added since it was defined, say).
    specs, report['specs_from'] = drift_mod.flavor_specs(engine, root,
                                                         ([], []))
    stale = drift_mod.find_staleness(engine, xml, ([], []), specs,
                                     refusal=refusal)
    if stale is not None:
        report['status'] = 'stale'
        report['stale'] = stale.__dict__


def audit_domain(engine: engine_mod.Engine, info: libvirt_host.DomainInfo,
                 refusal: drift_mod.Refusal | None = None) -> Report:
    """Audit one domain.

    :param engine: the engine built from the current configuration
    :param info: what :func:`~nova_xmlhooks.cmd.libvirt_host.read_domain`
        read
    :param refusal: what libvirt refuses of a stale domain's next
        definition, see
        :class:`~nova_xmlhooks.cmd.libvirt_host.NativeRefusal`; None not
        to ask
    :returns: the report object documented above
    """
    report: Report = {'name': info['name'], 'uuid': info['uuid'],
                      'state': info['state'], 'status': 'unmanaged',
                      'profiles': [], 'rules': [], 'drift': [],
                      'stale': None, 'specs_from': None}
    definitions = [(name, info[name]) for name in ('persistent', 'live')
                   if info[name] is not None]
    main_xml = definitions[0][1]
    root = common.parse_domain(main_xml, 'domain %s' % info['name'])
    record = metadata.recorded(root)
    if record is None:
        if _nova_domain(root):
            _unmanaged_staleness(engine, main_xml, root, report, refusal)
        return report
    report['profiles'] = list(record[0])
    report['rules'] = [drift_mod.rule_dict(rule) for rule in record[1]]
    ruleset, unchecked = drift_mod.recorded_ruleset(engine, record)
    drifts: list[drift_mod.Drift] = []
    for definition, xml in definitions:
        drifts.extend(drift_mod.find_drift(engine, xml, ruleset, definition))
    specs, report['specs_from'] = drift_mod.flavor_specs(engine, root,
                                                         record)
    stale = drift_mod.find_staleness(engine, main_xml, record, specs,
                                     unchecked, refusal)
    report['drift'] = [d.__dict__ for d in drifts]
    report['stale'] = stale.__dict__ if stale is not None else None
    if drifts:
        report['status'] = 'drift'
    elif stale is not None:
        report['status'] = 'stale'
    else:
        report['status'] = 'ok'
    return report


def _uuid_form(text: str) -> str:
    """A UUID as libvirt writes it, in any form uuid reads; or text.

    NOTE(xmlhooks): as ``show`` looks a domain up, in upper case or
    without dashes.
    """
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return text


def _selected(domains: Sequence[virDomain],
              wanted: Sequence[str]) -> Sequence[virDomain]:
    if not wanted:
        return domains
    names = set(wanted)
    uuids = {_uuid_form(name): name for name in wanted}
    chosen = [d for d in domains
              if d.name() in names or d.UUIDString() in uuids]
    found = {d.name() for d in chosen} | {
        uuids[d.UUIDString()] for d in chosen if d.UUIDString() in uuids}
    missing = names - found
    if missing:
        raise common.CommandError('no such domain: %s'
                                  % ', '.join(sorted(missing)))
    return chosen


def detail(report: Report) -> str:
    """The DETAIL column of a domain's row.

    :param report: an object of :func:`audit_domain`
    :returns: one line
    """
    if report['status'] == 'unmanaged':
        return '-'
    stale = report['stale']
    if report['status'] == 'stale' and stale['error']:
        return 'next hard reboot fails: %s' % stale['error']
    if report['status'] == 'stale' and stale['refused_by_libvirt']:
        return 'next hard reboot fails: libvirt refuses it: %s' % (
            stale['refused_by_libvirt'])
    text = '%d rule(s)' % len(report['rules'])
    if report['profiles']:
        text += ', profiles: %s' % ', '.join(report['profiles'])
    if report['drift']:
        keys = dict.fromkeys(d['key'] or '(several rules)'
                             for d in report['drift'])
        text += '; drifted: %s' % ', '.join(keys)
    if report['stale'] and report['stale']['unchecked']:
        text += '; unchecked: %s' % ', '.join(dict.fromkeys(
            _key(rule) for rule in report['stale']['unchecked']))
    if report['specs_from'] == 'record':
        text += '; flavor specs from the record (nova < 32)'
    return text


def _changed_lines(diff: str) -> list[str]:
    return [line for line in diff.split('\n')
            if line[:1] in '+-' and not line.startswith(('+++', '---'))]


def _print_drift(report: Report) -> None:
    for item in report['drift']:
        rule = (' rule %s=%s (%s)' % (item['key'], item['value'],
                                      item['source'])
                if item['key'] else ' the recorded rules together')
        common.out('  %s definition:%s' % (item['definition'], rule))
        if item['reason']:
            common.out('    ' + item['reason'])
        changed = _changed_lines(item['diff'])
        if changed:
            common.out_diff('\n'.join(changed), indent='    ')


def _key(rule: Mapping[str, str | None]) -> str:
    """A recorded rule's key; a record edited by hand may name none."""
    return rule['key'] or '(no key)'


def _print_stale(stale: Mapping[str, ty.Any]) -> None:
    for rule in stale['unchecked']:
        common.out('  not checked: rule %s=%s (%s): %s' % (
            _key(rule), rule['value'], rule['source'], rule['reason']))
    common.out('  at next hard reboot (profiles: %s):'
               % (', '.join(stale['profiles']) or 'none'))
    if stale['error']:
        common.out('    fails: ' + stale['error'])
    if stale['refused_by_libvirt']:
        common.out('    fails: libvirt refuses it: '
                   + stale['refused_by_libvirt'])
    for verb, rules in (('adds', stale['added']),
                        ('drops', stale['removed'])):
        for rule in rules:
            common.out('    %s rule %s=%s (%s)' % (
                verb, _key(rule), rule['value'], rule['source']))
    if stale['diff']:
        common.out_diff(stale['diff'], indent='    ')


def print_table(reports: Sequence[Report]) -> None:
    """Write the reports as a table followed by the details.

    :param reports: the reports of :func:`audit_domain`
    """
    header = ('NAME', 'UUID', 'STATE', 'STATUS', 'DETAIL')
    # NOTE(xmlhooks): cells are escaped before the columns are measured:
    # out() would escape a control character in a name into six
    # characters after the widths were taken from one.
    rows = [header] + [tuple(messages.printable(cell) for cell in (
        r['name'], r['uuid'], r['state'], r['status'], detail(r)))
        for r in reports]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        common.out('  '.join(cell.ljust(width) for cell, width
                             in zip(row, widths)) + '  ' + row[4])
    for report in reports:
        if report['status'] not in ('drift', 'stale'):
            continue
        common.out()
        common.out('%s (%s): %s' % (report['name'], report['uuid'],
                                    report['status']))
        _print_drift(report)
        if report['stale'] is not None:
            _print_stale(report['stale'])


def _list_domains(libvirt: types.ModuleType, connection: virConnect,
                  uri: str, wanted: Sequence[str]) -> Sequence[virDomain]:
    try:
        domains = connection.listAllDomains(0)
    except libvirt.libvirtError as e:
        raise common.CommandError('cannot list the domains at %s: %s' % (
            uri, messages.one_line(e.get_error_message() or e)))
    return _selected(domains, wanted)


def audit_domains(engine: engine_mod.Engine, libvirt: types.ModuleType,
                  domains: Sequence[virDomain],
                  refusal: drift_mod.Refusal | None = None) -> list[Report]:
    """Audit domains, showing progress on a terminal.

    NOTE(xmlhooks): progress goes to stderr, so it is stderr that must be
    a terminal: "audit --format json > report.json" still shows it, and
    "audit 2> log" keeps the log clean.

    :param engine: the engine, as
        :func:`~nova_xmlhooks.cmd.common.load_engine` builds it
    :param libvirt: the ``libvirt`` module
    :param domains: the ``virDomain`` objects to audit
    :param refusal: see :func:`audit_domain`
    :returns: the reports, sorted by name
    """
    progress = sys.stderr.isatty() and len(domains) >= PROGRESS_FROM
    reports: list[Report] = []
    vanished: list[str] = []
    for number, domain in enumerate(domains, 1):
        if progress:
            sys.stderr.write('\raudit: %d/%d domains' % (number,
                                                         len(domains)))
            sys.stderr.flush()
        try:
            info = libvirt_host.read_domain(libvirt, domain)
        except libvirt_host.DomainGone as e:
            vanished.append(str(e))
            continue
        reports.append(audit_domain(engine, info, refusal))
    if progress:
        sys.stderr.write('\n')
    # NOTE(xmlhooks): the notes come after the progress line, which has
    # no newline until the end, so that each is a line of its own.
    for name in vanished:
        common.err('note: domain %s vanished during the audit; skipped'
                   % name)
    return sorted(reports, key=lambda r: r['name'])


def run(configuration: config.Configuration,
        args: argparse.Namespace) -> int:
    """Run the sub-command.

    :param configuration: the :class:`~nova_xmlhooks.cmd.config.Configuration`
    :param args: the parsed arguments
    :returns: 1 if any domain drifted, else 0
    :raises: CommandError
    """
    engine = common.load_engine(configuration.conf)
    libvirt, connection, uri = libvirt_host.connect_from(configuration, args)
    domains = _list_domains(libvirt, connection, uri, args.domain)
    reports = audit_domains(engine, libvirt, domains,
                            libvirt_host.NativeRefusal(libvirt, uri))
    if args.format == 'json':
        common.out_json(reports)
    else:
        print_table(reports)
    return 1 if any(r['status'] == 'drift' for r in reports) else 0
