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

"""Benchmarks: the hook's cost against Nova and against the parse floor.

Run with ``tox -e bench`` (``tox -e bench -- --quick`` for a run under a
minute), which runs ``python -m tools.bench``. Everything is measured in one
process, on the domain XML that Nova's in-process functional harness
generates with this project's driver loaded, so the ratios hold on any
machine:

1. Nova's own ``LibvirtDriver._get_guest_xml``, called again and again
   with the arguments Nova used to boot a server, and the time the engine
   adds on top for 0, 5, 25 and 100 rules (typed families and ``xml``
   edits, from a profile and from the flavor), as the driver runs it: on
   the tree Nova builds, for one guest of the flavor after another, with
   each component's share (customisers, checks, metadata, serialisation);
2. the floor: one lxml parse and one serialisation of the same document;
3. the cost against the size of the document, 10 to 500 disks;
4. the hard reboot: what its preflight adds, against one Nova
   generation, through Nova's API and compute manager;
5. the alternative: the same edits done by a hook in a process of its own
   per definition (``tools/bench_hook.py``), as libvirt hook scripts and
   VDSM hooks work;
6. start-up with 10, 100 and 1,000 profiles, and the cost of a 5-rule
   instance with 10 and with 1,000 profiles loaded;
7. nova-api validating a flavor that names a profile, with 1,000
   profiles on disk;
8. applications per second with 1, 4 and 16 threads, each result
   compared with the serial one.

It writes ``bench-results/bench.json``, ``bench.md``, ``bench.rst`` and
``bench.png``, prints the tables with every target met or missed and, for
a missed target, a profile of where the time goes. ``--update-docs``
copies the tables and the plot to ``doc/source/admin/``.

The modules:

``suite``
    The measurements, in the order they run and are reported.
``registry``
    What a measurement is: :class:`~tools.bench.registry.Measurement`,
    its :class:`~tools.bench.registry.Target` s and
    :class:`~tools.bench.registry.Table` s.
``cost``, ``documents``, ``reboots``, ``separate``, ``startup``,
``api``, ``threads``
    The measurements, each with its targets and tables.
``context``
    What a measurement runs with: Nova's XML, the engine factory, the
    repetitions.
``workloads``
    The rule mixes and the profile files they are written to.
``stats``, ``breakdown``
    Timing, percentiles and each component's share.
``harness``
    One server booted in Nova's functional harness, where the suite runs.
``report``, ``plot``, ``cli``
    The tables as text, Markdown and RST; the figure; the command line.

To add a measurement, write a module that defines ``MEASUREMENT =
registry.Measurement(...)``: a function that takes the
:class:`~tools.bench.context.Context` and returns its results, the targets
that judge them and the tables that show them. Then list it in
``suite.SUITE``. Its targets appear in the targets table and its tables
before it.

NOTE(xmlhooks): nothing here is imported by the package's ``__init__``,
so the unit tests can import the building blocks without booting Nova.
"""
