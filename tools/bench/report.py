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

"""The report's tables as text, Markdown and reStructuredText."""

from tools.bench import registry

#: what an empty cell shows; a lone "-" would be a list in RST
EMPTY = '\u2014'
#: the title of the table that all cost rows go to
COST_TITLE = 'Cost per XML generation (µs)'
COST_HEADER = ('what', 'rules', 'p50 µs', 'p95 µs', 'p99 µs', 'x floor',
               '% of Nova p50')


def fmt(value, digits=1):
    """A figure as the tables show it."""
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, float):
        return '{:,.{}f}'.format(value, digits)
    return '{:,}'.format(value) if isinstance(value, int) else str(value)


def cost_row(results, what, entry, rules=EMPTY, digits=2):
    """One row of the cost table, with the ratios to the yardsticks.

    :param results: the results, for Nova's and the floor's p50
    :param entry: a :func:`tools.bench.stats.summary`
    """
    floor = results['floor']['p50_us']
    nova = results['nova']['p50_us']
    return (what, rules, fmt(entry['p50_us']),
            fmt(entry.get('p95_us', entry['p99_us'])), fmt(entry['p99_us']),
            fmt(entry['p50_us'] / floor, digits),
            fmt(100 * entry['p50_us'] / nova, digits))


def targets_table(targets):
    """The table of every target, met or missed."""
    rows = tuple((t['target'], fmt(t['measured'], 2) + ' ' + t['unit'],
                  'met' if t['met'] else 'MISSED') for t in targets)
    return registry.Table('Targets', ('target', 'measured', 'result'), rows)


def merge(tables):
    """Show tables of the same title as one, where the first one is."""
    merged = {}
    for table in tables:
        if table.title in merged:
            first = merged[table.title]
            table = registry.Table(first.title, first.header,
                                   first.rows + tuple(table.rows))
        merged[table.title] = table
    return list(merged.values())


def markdown(tables):
    lines = []
    for table in tables:
        lines += ['### ' + table.title, '',
                  '| ' + ' | '.join(table.header) + ' |',
                  '|' + '|'.join('---' for _ in table.header) + '|']
        lines += ['| ' + ' | '.join(row) + ' |' for row in table.rows]
        lines.append('')
    return '\n'.join(lines)


def rst(tables):
    lines = []
    for table in tables:
        lines += ['.. list-table:: ' + table.title, '   :header-rows: 1', '']
        for row in (table.header,) + tuple(table.rows):
            lines.append('   * - ' + (row[0] or EMPTY))
            lines += ['     - ' + (cell or EMPTY) for cell in row[1:]]
        lines.append('')
    return '\n'.join(lines)


def text(tables):
    lines = []
    for table in tables:
        rows = (table.header,) + tuple(table.rows)
        widths = [max(len(str(row[i])) for row in rows)
                  for i in range(len(table.header))]
        lines += ['', table.title]
        lines += ['  '.join(str(cell).ljust(width)
                            for cell, width in zip(row, widths))
                  for row in rows]
    return '\n'.join(lines)
