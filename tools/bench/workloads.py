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

"""The rule mixes the benchmark applies, and the profile files they are in.

Candidate rules are tried on Nova's XML first (typed ones with those kept
before them); one that the enabled customisers or the checks refuse is
left out and reported.
"""

import dataclasses
import os

from lxml import etree
import yaml

from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import exception

#: the rule counts of the cost measurement
RULE_COUNTS = (0, 5, 25, 100)
#: the share of typed rules in a rule set; the rest are ``xml`` edits
TYPED_SHARE = 0.4

TYPED_CANDIDATES = {
    'hyperv': [('relaxed', 'on'), ('vapic', 'on'), ('spinlocks', '8191'),
               ('vpindex', 'on'), ('runtime', 'on'), ('synic', 'on'),
               ('stimer', 'on'), ('reset', 'on'), ('vendor_id', 'KVMKVMKVM'),
               ('frequencies', 'on'), ('reenlightenment', 'on'),
               ('tlbflush', 'on'), ('ipi', 'on'), ('stimer.direct', 'on')],
    'smbios': [('system.manufacturer', 'ACME Cloud'),
               ('system.product', 'ACME Compute'),
               ('system.serial', '{instance_uuid}'),
               ('baseboard.manufacturer', 'ACME'),
               ('baseboard.product', 'Board 7'),
               ('baseboard.serial', 'BB-{instance_uuid}'),
               ('chassis.manufacturer', 'ACME'),
               ('chassis.asset', '{flavor_name}'),
               ('bios.vendor', 'ACME BIOS'), ('bios.version', '2.4.1'),
               ('system.sku', 'ACME-GP-2'), ('system.family', 'General'),
               ('baseboard.asset', 'rack-12'), ('chassis.serial', 'CH-1'),
               ('oem.1', 'licence:windows-datacenter'),
               ('oem.2', 'host:{hostname}'), ('oem.3', 'tier:gold')],
    'cpu': [('feature.pcid', 'require'), ('feature.ssbd', 'require'),
            ('feature.vmx', 'disable'), ('feature.aes', 'require'),
            ('feature.md-clear', 'require'), ('feature.svm', 'disable'),
            ('feature.spec-ctrl', 'require'), ('feature.x2apic', 'optional')],
    'kvm': [('hidden', 'on'), ('hint-dedicated', 'on'),
            ('poll-control', 'on'), ('pv-ipi', 'on')],
    'timer': [('hpet', 'present=no'), ('rtc', 'tickpolicy=catchup'),
              ('pit', 'tickpolicy=delay'), ('hypervclock', 'present=yes'),
              ('kvmclock', 'present=yes')],
}
XML_CANDIDATES = [
    "./devices/disk[@device='disk']/driver/@cache=none",
    "./devices/disk[@device='disk']/driver/@io=native",
    "./devices/disk[@device='disk']/driver/@discard=unmap",
    "./devices/disk[@device='disk']/driver/@detect_zeroes=unmap",
    './clock/@offset=localtime',
    "./clock/timer[@name='rtc']/@track=guest",
    "xpath.delete=./devices/input[@type='tablet']",
    './devices/memballoon/stats/@period=30',
    './devices/memballoon/@autodeflate=on',
    './devices/graphics/@sharePolicy=allow-exclusive',
    './devices/video/model/@heads=1',
    './devices/graphics/@keymap=en-us',
    './features/pmu/@state=off',
    './features/vmport/@state=off',
    './features/ioapic/@driver=kvm',
    './pm/suspend-to-mem/@enabled=no',
    './pm/suspend-to-disk/@enabled=no',
    './on_crash=restart',
    './description=benchmark guest',
    './title=bench',
    "./devices/controller[@type='usb']/@model=qemu-xhci",
    # NOTE(xmlhooks): a set does not add a device; create it first.
    'xpath.create=./devices/panic',
    './devices/panic/@model=isa',
    'xpath.create=./devices/watchdog',
    './devices/watchdog/@model=i6300esb',
    './devices/watchdog/@action=reset',
    './cpu/cache/@mode=passthrough',
    "./sysinfo[@type='smbios']/chassis/entry[@name='sku']=bench",
    "./sysinfo[@type='smbios']/baseBoard/entry[@name='location']=slot-1",
    "./sysinfo[@type='smbios']/bios/entry[@name='release']=1.0",
] + ["./sysinfo[@type='smbios']/oemStrings/entry[%d]=bench-oem-%d" % (n, n)
     for n in range(1, 81)]


def rule_pool(families):
    """Interleave typed candidates of the enabled families with xml edits.

    :returns: ``(typed, edits)``, lists of ``(key, value)`` in the order
        rule sets take them
    """
    typed = []
    columns = [[('xmlhooks:%s:%s' % (family, key), value)
                for key, value in TYPED_CANDIDATES[family]]
               for family in TYPED_CANDIDATES if family in families]
    while any(columns):
        for column in columns:
            if column:
                typed.append(column.pop(0))
    edits = [('xmlhooks:xml:e%03d' % i, text)
             for i, text in enumerate(XML_CANDIDATES)]
    return typed, edits


def _typed_next(typed, xml):
    """Whether a mix takes a typed rule next, to keep its proportions."""
    if not typed:
        return False
    return not xml or len(typed) / (len(typed) + len(xml)) >= TYPED_SHARE


def rule_set(typed, edits, count):
    """The first ``count`` rules of a realistic mix."""
    n_typed = min(len(typed), int(round(count * TYPED_SHARE)))
    n_xml = count - n_typed
    if n_xml > len(edits):
        n_xml = len(edits)
        n_typed = min(len(typed), count - n_xml)
    picked_typed, picked_xml = typed[:n_typed], edits[:n_xml]
    mixed = []
    # NOTE(xmlhooks): typed and xml rules alternate roughly in their
    # proportions, so any prefix is a mix too.
    while picked_typed or picked_xml:
        if _typed_next(picked_typed, picked_xml):
            mixed.append(picked_typed.pop(0))
        else:
            mixed.append(picked_xml.pop(0))
    return mixed


def profile_doc(name, rules, description):
    """A profile holding ``rules``.

    Its xml edits alternate between ``specs`` and the ``xml`` list, as
    operators write them.
    """
    specs, xml = {}, []
    for index, (key, value) in enumerate(rules):
        if key.startswith('xmlhooks:xml:') and index % 2:
            xml.append(value)
        else:
            specs[key] = value
    body = {'description': description, 'specs': specs}
    if xml:
        body['xml'] = xml
    return {name: body}


def write_yaml(path, document):
    with open(path, 'w') as handle:
        yaml.safe_dump(document, handle, sort_keys=False,
                       default_flow_style=False, allow_unicode=True)


def flavor_specs(name, rules, inline=2):
    """Extra specs naming profile ``name``; the last rules are inline."""
    specs = {engine_mod.PROFILE_KEY: name}
    specs.update(rules[len(rules) - inline:] if len(rules) > inline else [])
    return specs


def strip_record(xml):
    """The XML without the project's metadata record, for comparisons."""
    root = etree.fromstring(xml.encode('utf-8'),
                            etree.XMLParser(remove_blank_text=True))
    for node in root.iterfind('metadata/{%s}customization'
                              % engine_mod.metadata.XMLHOOKS_NS):
        node.getparent().remove(node)
    return etree.tostring(root, encoding='unicode', pretty_print=True)


def write_library(directory, count, pool):
    """Write ``count`` profiles of 5 rules each, one file each.

    :param pool: the rules to take 3 of each profile's rules from
    """
    os.makedirs(directory)
    for i in range(count):
        rules = [pool[(3 * i + j) % len(pool)] for j in range(3)]
        rules.append(('xmlhooks:xml:note', './description=profile %d' % i))
        # NOTE(xmlhooks): the last edit goes into the xml list, which is
        # compiled per profile, never served from the spec cache.
        rules.append(('xmlhooks:xml:asset',
                      "./sysinfo[@type='smbios']/chassis/entry"
                      "[@name='asset']=lib-%05d" % i))
        write_yaml(os.path.join(directory, 'lib-%05d.yaml' % i),
                   profile_doc('lib-%05d' % i, rules,
                               'library profile %d' % i))


@dataclasses.dataclass(frozen=True)
class Workload:
    """The rule sets of a run, written as profiles.

    :ivar typed: the typed candidates that apply on Nova's XML
    :ivar edits: the xml candidates that apply on Nova's XML
    :ivar dropped: ``{key: reason}`` of the candidates left out
    :ivar families: the typed families enabled
    :ivar checks: the names of the engine's checks
    :ivar sets: ``{count: rules}`` for each rule count but 0
    :ivar rules_dir: the directory of the rule sets' profiles
    :ivar engine: an engine with those profiles, as the driver builds it
    """

    typed: list
    edits: list
    dropped: dict
    families: list
    checks: list
    sets: dict
    rules_dir: str
    engine: object

    def specs(self, count):
        """The flavor's extra specs of the ``count``-rule set."""
        if not count:
            return {}
        return flavor_specs('bench-%d' % count, self.sets[count])


def check_name(check):
    """A check's name, as the report shows it."""
    name = getattr(check, '__name__', None) or type(check).__name__
    return name.lower()


def usable(engine, xml, pool, dropped=None, together=False):
    """The rules of ``pool`` that ``engine`` applies to ``xml``.

    :param dropped: a dict that gets ``{key: reason}`` of the others
    :param together: try each rule with the rules kept before it rather
        than alone. NOTE(xmlhooks): typed rules are tried so, and a
        Hyper-V enlightenment is kept after those QEMU needs for it;
        rule sets take the kept rules in order, so every set keeps them
        too. XPath edits are tried alone: a profile holds them in an
        order of its own (see :func:`profile_doc`).
    """
    kept = []
    for key, value in pool:
        try:
            engine.customize(xml, dict((kept if together else []) +
                                       [(key, value)]))
        except exception.XmlHooksError as e:
            if dropped is not None:
                dropped[key] = e.format_message()
        else:
            kept.append((key, value))
    return kept


def _write_sets(rules_dir, typed, edits):
    os.makedirs(rules_dir)
    sets = {}
    for count in RULE_COUNTS[1:]:
        rules = rule_set(typed, edits, count)
        write_yaml(os.path.join(rules_dir, 'bench-%d.yaml' % count),
                   profile_doc('bench-%d' % count, rules[:-2],
                               '%d rules' % count))
        sets[count] = rules
    write_yaml(os.path.join(rules_dir, 'bench-xml-25.yaml'),
               profile_doc('bench-xml-25', edits[:25], 'xml edits only'))
    return sets


def prepare(ctx):
    """Find the usable candidates and write the rule sets' profiles.

    :param ctx: the :class:`tools.bench.context.Context`
    :returns: a :class:`Workload`
    """
    probe_dir = os.path.join(ctx.work_dir, 'probe')
    os.makedirs(probe_dir)
    probe = ctx.engine(probe_dir)
    families = [f for f in probe.customizers if f != 'xml']
    typed, edits = rule_pool(families)
    dropped = {}
    typed = usable(probe, ctx.nova_xml, typed, dropped, together=True)
    edits = usable(probe, ctx.nova_xml, edits, dropped)
    rules_dir = os.path.join(ctx.work_dir, 'rules')
    sets = _write_sets(rules_dir, typed, edits)
    return Workload(typed=typed, edits=edits, dropped=dropped,
                    families=families,
                    checks=[check_name(c) for c in probe.checks],
                    sets=sets, rules_dir=rules_dir,
                    engine=ctx.engine(rules_dir))
