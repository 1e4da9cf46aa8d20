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

"""What the hard reboot's preflight costs, against one Nova generation.

Hard reboots of a server of the 25-rule flavor, through Nova's API and
compute manager in the functional harness. Before the destroy, the driver
builds and customises the XML the reboot will define (see
:mod:`nova_xmlhooks.reboot`); the reboot then defines that XML instead of
generating it again. What the preflight adds to a reboot is everything it
does but the generation and the customisation the reboot does anyway:

  reading the reboot's arguments
  + building the plan, less Nova's generation and the engine's work in it
    (the engine customises the tree Nova builds, inside the generation,
    as it does without a preflight)
  + the engine's parse of Nova's text, where it parses one (with
    ``[xmlhooks] preflight_asks_libvirt``, the plan customises Nova's
    text, which it shows libvirt beside the result)
  + finding the plan when Nova asks for the XML
  - the reads the reboot would make anyway, which the plan makes before
    the destroy and the reboot then takes from it: the mediated devices
    and, from nova 2026.1, the definition before the reboot (each is
    made once per reboot either way; the harness counts them)

Each reboot's figure is divided by its Nova generation, less the engine's
work inside it. The disk mapping, which Nova reads again to compare,
counts as added.
"""

from tools.bench import registry
from tools.bench import report
from tools.bench import stats

#: what each reboot times, by the name the harness gives it
PARTS = ('arguments', 'plan', 'nova generation', 'engine',
         'engine in the generation', 'parse', 'serve', 'reads')
#: the most the preflight may add to a hard reboot, in percent of one
#: Nova generation
SHARE_PCT = 10.0


def added(timings):
    """What the preflight added to one reboot, in ns.

    NOTE(xmlhooks): ``nova generation`` is timed around Nova's
    ``_get_guest_xml``, which holds the engine's work on the tree (``engine
    in the generation``); ``engine`` is its work on text, outside it.

    :param timings: ``{part: ns}`` of one reboot (see :data:`PARTS`)
    """
    return (timings['arguments'] + timings['plan'] -
            timings['nova generation'] - timings['engine'] -
            timings['reads'] + timings['parse'] + timings['serve'])


def nova_generation(timings):
    """Nova's own generation in one reboot, in ns, without the engine's."""
    return timings['nova generation'] - timings['engine in the generation']


def run(ctx):
    if ctx.hard_reboots is None:
        return {}
    reboots = ctx.hard_reboots(ctx.workload.engine, ctx.workload.specs(25),
                               ctx.reps['reboots'])
    shares = [100.0 * added(t) / nova_generation(t) for t in reboots
              if nova_generation(t)]
    return {'hard_reboot': {
        'reboots': len(reboots),
        'generations': [t['generations'] for t in reboots],
        'reads': [t['read calls'] for t in reboots],
        'added': stats.summary([added(t) for t in reboots]),
        'parts_us': {part: stats.percentile([t[part] for t in reboots], 50)
                     / 1000.0 for part in PARTS},
        'nova_us': stats.percentile([nova_generation(t) for t in reboots],
                                    50) / 1000.0,
        'share_pct': {'p50': stats.percentile(shares, 50),
                      'p95': stats.percentile(shares, 95)},
    }}


def _share(results):
    share = results['hard_reboot']['share_pct']['p50']
    return share, SHARE_PCT, share <= SHARE_PCT


def tables(results):
    if 'hard_reboot' not in results:
        return []
    entry = results['hard_reboot']
    fmt = report.fmt
    rows = [(part, fmt(value)) for part, value in entry['parts_us'].items()]
    added_us = entry['added']
    share = entry['share_pct']
    rows += [
        ("Nova's own generation (nova generation less the engine in it)",
         fmt(entry['nova_us'])),
        ('added by the preflight (p50, p95)', '%s, %s' % (
            fmt(added_us['p50_us']), fmt(added_us['p95_us']))),
        ("added, in % of Nova's own generation (p50, p95)", '%s, %s' % (
            fmt(share['p50'], 2), fmt(share['p95'], 2))),
        ('Nova generations per reboot', ', '.join(
            sorted({str(n) for n in entry['generations']}))),
        ("Nova's reads per reboot (mediated devices, definition)", ', '.join(
            sorted({str(n) for n in entry.get('reads', ())})))]
    return [registry.Table('Hard reboot, 25 rules (median µs per reboot, '
                           '%d reboots)' % entry['reboots'],
                           ('part', 'µs'), tuple(rows))]


MEASUREMENT = registry.Measurement(
    name='hard reboot preflight',
    run=run,
    targets=(
        registry.Target('reboot_share', "hard reboot: the preflight adds "
                        "<= {limit:.0f}% of one Nova generation (p50)",
                        '% of a generation', _share),
    ),
    tables=tables,
)
