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

"""What a measurement is, and how its targets and tables are declared.

A :class:`Measurement` runs, returns its part of the results, and names
the :class:`Target` s that judge it and the :class:`Table` s that show it.
``suite.SUITE`` lists the measurements that run.
"""

import dataclasses
import typing


@dataclasses.dataclass(frozen=True)
class Table:
    """One table of the report.

    :ivar title: its title; the rows of tables with the same title are
        shown as one table, where the first of them is
    :ivar header: the column headings
    :ivar rows: tuples of cells, as text
    """

    title: str
    header: tuple
    rows: tuple


@dataclasses.dataclass(frozen=True)
class Profile:
    """What to run under cProfile when a target is missed.

    :ivar title: the heading of the profile in the report; targets that
        name the same title share one profile
    :ivar make: ``make(context)`` returns the function to profile
    :ivar calls: how many calls to profile; the mode's ``profile``
        repetitions when ``None``
    :ivar limit: how many entries to show
    """

    title: str
    make: typing.Callable
    calls: typing.Optional[int] = None
    limit: int = 15


@dataclasses.dataclass(frozen=True)
class Target:
    """A goal that a measurement's results are judged against.

    :ivar key: a short, stable name, e.g. ``p50_floor``
    :ivar text: what the target says; ``{limit}`` stands for the limit
    :ivar unit: the unit of the measured value
    :ivar judge: ``judge(results)`` returns ``(measured, limit, met)``
    :ivar profile: a :class:`Profile` to run when the target is missed
    """

    key: str
    text: str
    unit: str
    judge: typing.Callable
    profile: typing.Optional[Profile] = None

    def evaluate(self, results):
        """Judge the results.

        :returns: a dict with ``key``, ``target`` (the text), ``measured``,
            ``limit``, ``met`` and ``unit``, as ``bench.json`` holds it
        """
        measured, limit, met = self.judge(results)
        return {'key': self.key, 'target': self.text.format(limit=limit),
                'measured': measured, 'limit': limit, 'met': bool(met),
                'unit': self.unit}


def _no_tables(results):
    return []


@dataclasses.dataclass(frozen=True)
class Measurement:
    """One measurement of the benchmark.

    :ivar name: what it measures, for messages
    :ivar run: ``run(context)`` returns a dict, merged into the results
    :ivar targets: the :class:`Target` s that judge its results
    :ivar tables: ``tables(results)`` returns the :class:`Table` s that
        show them
    """

    name: str
    run: typing.Callable
    targets: tuple = ()
    tables: typing.Callable = _no_tables
