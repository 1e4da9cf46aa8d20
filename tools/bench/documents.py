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

"""Cost against the size of the document: 10 to 500 disks.

Nova's XML for the booted guest, its first disk copied to make 10 to 500
disks (each with its own target and file), for new guests of one flavor,
and
two fixed rule sets that touch devices: one sets every disk's cache mode
(and tunes the balloon and the graphics), the other tunes only the
balloon and the graphics. The checks read what the rules changed, so the
first must grow no faster than the disks do, and the second hardly grows.
"""

import copy

from lxml import etree

from tools.bench import registry
from tools.bench import report
from tools.bench import stats

DISK_COUNTS = (10, 50, 100, 250, 500)
TUNING = {
    'xmlhooks:xml:balloon': './devices/memballoon/stats/@period=30',
    'xmlhooks:xml:keymap': './devices/graphics/@keymap=en-us',
}
RULE_SETS = {
    'every disk': dict(TUNING, **{
        'xmlhooks:xml:cache':
            "./devices/disk[@device='disk']/driver/@cache=none"}),
    'no disk': TUNING,
}


def _target(index):
    """A disk target name: vda, ..., vdz, vdaa, ..."""
    letters = ''
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord('a') + rest) + letters
    return 'vd' + letters


def with_disks(xml, count):
    """Nova's XML with ``count`` disks, copies of its first one.

    :param xml: Nova's XML
    :param count: how many disks the result has
    :returns: the XML, as a str
    """
    root = etree.fromstring(xml.encode('utf-8'),
                            etree.XMLParser(remove_blank_text=True))
    devices = root.find('devices')
    disks = devices.findall('disk')
    model = disks[0]
    for disk in disks:
        devices.remove(disk)
    for index in range(count):
        disk = copy.deepcopy(model)
        disk.find('target').set('dev', _target(index))
        source = disk.find('source')
        source.set('file', '%s.%d' % (source.get('file'), index))
        devices.insert(index, disk)
    return etree.tostring(root, encoding='unicode', pretty_print=True)


def _floor(document, reps):
    parser = etree.XMLParser(remove_blank_text=True)
    encoded = document.encode('utf-8')
    return stats.summary(stats.sample(
        lambda: etree.tostring(etree.fromstring(encoded, parser),
                               encoding='unicode', pretty_print=True),
        reps))


def run(ctx):
    engine = ctx.workload.engine
    reps = ctx.reps['documents']
    sizes = {}
    for count in DISK_COUNTS:
        document = with_disks(ctx.nova_xml, count)
        entry = {'bytes': len(document.encode('utf-8')),
                 'floor': _floor(document, reps)}
        for name, specs in RULE_SETS.items():
            entry[name] = stats.summary(stats.sample_each(
                ctx.customize_tree(engine, specs, document), reps))
        sizes[count] = entry
    return {'documents': sizes}


#: the most a disk may cost between 100 and 500 disks, in what one cost
#: between 10 and 100, with 25% for noise
GROWTH = 1.25


def _growth(results, name='every disk'):
    sizes = results['documents']
    low = (sizes[100][name]['p50_us'] - sizes[10][name]['p50_us']) / 90.0
    high = (sizes[500][name]['p50_us'] - sizes[100][name]['p50_us']) / 400.0
    growth = high / low if low > 0 else float('inf')
    return growth, GROWTH, growth <= GROWTH


def tables(results):
    fmt = report.fmt
    rows = []
    for count, entry in results['documents'].items():
        floor = entry['floor']['p50_us']
        rows.append((fmt(count), fmt(entry['bytes']), fmt(floor)) + tuple(
            cell for name in RULE_SETS for cell in (
                fmt(entry[name]['p50_us']),
                fmt(entry[name]['p50_us'] / floor, 2))))
    header = ('disks', 'bytes', 'floor p50 µs') + tuple(
        cell for name in RULE_SETS for cell in (
            '%s: p50 µs' % name, '%s: x floor' % name))
    return [registry.Table('Cost against the document (rules on '
                           'devices)', header, tuple(rows))]


MEASUREMENT = registry.Measurement(
    name='document size',
    run=run,
    targets=(
        registry.Target('document_growth', 'growth in disks linear or '
                        'better (per-disk cost 100..500 / 10..100 <= '
                        '{limit:.2f})', 'ratio', _growth),
    ),
    tables=tables,
)
