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

"""The figure: cost against rule count, and where the time goes."""


def _cost(axes, results):
    counts = list(results['rules'])
    p50 = [results['rules'][c]['p50_us'] for c in counts]
    floor = results['floor']['p50_us']
    axes.plot(counts, p50, 'o-', label='engine p50')
    axes.plot(counts, [results['rules'][c].get('p95_us', 0.0)
                       for c in counts], 's--', label='engine p95')
    bare = results.get('variants', {}).get('no checks')
    if bare:
        axes.plot([0] + list(bare['rules']),
                  [p50[0]] + [e['p50_us'] for e in bare['rules'].values()],
                  '^-.', label='engine p50, schema check and guard off')
    axes.axhline(floor, color='grey', label='parse+serialise floor (p50)')
    axes.axhline(3 * floor, color='grey', linestyle=':',
                 label='3x floor (target for p50 at 25 rules)')
    axes.axhline(0.05 * results['nova']['p50_us'], color='red',
                 linestyle=':',
                 label="5% of Nova's _get_guest_xml p50 (p95 target)")
    axes.set_xlabel('rules applied')
    axes.set_ylabel('µs per XML generation (log scale)')
    axes.set_title('Cost against rule count')
    # NOTE(xmlhooks): a log scale shows the floor, the engine and Nova's
    # budget together; they are orders of magnitude apart.
    axes.set_yscale('log')
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)


def _shares(axes, results, colours):
    shown = [c for c in results['rules'] if c]
    names = sorted({n for c in shown
                    for n in results['rules'][c]['components_us']})
    bottom = [0.0] * len(shown)
    positions = range(len(shown))
    for index, name in enumerate(names):
        values = [results['rules'][c]['components_us'].get(name, 0.0)
                  for c in shown]
        axes.bar(positions, values, bottom=bottom, label=name,
                 color=colours(index % 20))
        bottom = [b + v for b, v in zip(bottom, values)]
    axes.set_xticks(list(positions))
    axes.set_xticklabels(['%d rules' % c for c in shown])
    axes.set_ylabel('median µs per application')
    axes.set_title('Where the time goes')
    axes.legend(fontsize=7)


def plot(results, path):
    """Cost against rule count, with the floor and Nova's budget."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    figure, (left, right) = pyplot.subplots(1, 2, figsize=(12, 4.8))
    _cost(left, results)
    _shares(right, results, pyplot.get_cmap('tab20'))
    figure.suptitle('nova-xmlhooks: Nova _get_guest_xml p50 = %.0f µs, '
                    'floor p50 = %.0f µs' % (results['nova']['p50_us'],
                                             results['floor']['p50_us']))
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
