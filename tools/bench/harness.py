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

"""One server booted in Nova's functional harness, where the suite runs.

NOTE(xmlhooks): Nova's functional tests must be imported after the
threading mode is chosen (see ``__main__``); this module imports them only
when a case is made.
"""

import contextlib
import functools
import logging
import os
import sys
import time
import unittest

import fixtures
from oslo_config import cfg

from nova_xmlhooks import exception
from nova_xmlhooks import loader
from tools.bench import context
from tools.bench import reboots
from tools.bench import suite

CONF = cfg.CONF


def available_customizers():
    """The configured customisers that load here, and the ones that do not."""
    loaded, missing = [], {}
    for name in CONF.xmlhooks.customizers:
        try:
            loader.load_customizers(CONF, [name])
        except exception.XmlHooksError as e:
            missing[name] = e.format_message()
        else:
            loaded.append(name)
    return loaded, missing


@contextlib.contextmanager
def _redirected(log_file):
    """Send standard output and error, at the descriptor level, to a file.

    NOTE(xmlhooks): logging handlers keep the stream they were built with,
    so only the descriptors catch everything the services print.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        os.dup2(log_file.fileno(), 1)
        os.dup2(log_file.fileno(), 2)
        with contextlib.redirect_stdout(log_file), \
                contextlib.redirect_stderr(log_file):
            yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


@contextlib.contextmanager
def _info_logging():
    """Log at INFO, as a service without ``debug`` does.

    NOTE(xmlhooks): nova's test logging runs DEBUG messages into a null
    handler.
    """
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.setLevel(level)


class _Attribute:
    """Set an attribute for the length of a ``with`` block."""

    def __init__(self, owner, attr, value):
        self.owner, self.attr, self.value = owner, attr, value
        self._own = None

    def __enter__(self):
        self._own = vars(self.owner).get(self.attr, _MISSING)
        setattr(self.owner, self.attr, self.value)
        return self

    def __exit__(self, *exc):
        if self._own is _MISSING:
            delattr(self.owner, self.attr)
        else:
            setattr(self.owner, self.attr, self._own)


_MISSING = object()


class _Timers:
    """Time named functions, per hard reboot (see tools.bench.reboots)."""

    def __init__(self):
        self.current = None

    def wrap(self, name, func):
        clock = time.perf_counter_ns

        # NOTE(xmlhooks): compat reads nova's signatures; the wrapper has
        # the function's own.
        @functools.wraps(func)
        def timed(*args, **kwargs):
            start = clock()
            try:
                return func(*args, **kwargs)
            finally:
                if self.current is not None:
                    self.current[name] += clock() - start
        return timed

    def start(self):
        self.current = dict.fromkeys(reboots.PARTS, 0)
        self.current['generations'] = 0
        self.current['read calls'] = 0
        return self.current

    def count(self, name, func):
        """Count the calls of ``func``, and time them as ``name``."""
        timed = self.wrap(name, func)

        @functools.wraps(func)
        def counted(*args, **kwargs):
            if self.current is not None:
                self.current['read calls'] += 1
            return timed(*args, **kwargs)
        return counted


def _time_reboots(stack, timers, drv, engine):
    """Time the parts of a hard reboot (see tools.bench.reboots).

    :param stack: a ``contextlib.ExitStack`` that undoes it all
    :param timers: a :class:`_Timers`
    :param drv: the compute's driver
    :param engine: its engine
    """
    from nova.virt.libvirt import driver as nova_driver

    from nova_xmlhooks import compat
    from nova_xmlhooks import engine as engine_mod

    nova = nova_driver.LibvirtDriver
    config = nova._get_guest_config

    def counted(*args, **kwargs):
        if timers.current is not None:
            timers.current['generations'] += 1
        return config(*args, **kwargs)
    for owner, attr, name in (
            (drv, '_xmlhooks_plan_reboot', 'plan'),
            (drv, '_xmlhooks_planned_xml', 'serve'),
            (engine, 'customize', 'engine'),
            (engine, 'customize_tree', 'engine in the generation'),
            (compat, 'hard_reboot_args', 'arguments'),
            (engine_mod, 'parse_domain', 'parse'),
            (nova, '_get_guest_xml', 'nova generation')):
        stack.enter_context(_Attribute(
            owner, attr, timers.wrap(name, getattr(owner, attr))))
    stack.enter_context(_Attribute(nova, '_get_guest_config', counted))
    # NOTE(xmlhooks): nova's reads that the plan makes for the reboot
    # (see tools.bench.reboots).
    for attr in ('_get_all_assigned_mediated_devices',
                 '_get_existing_guest_config'):
        if hasattr(nova, attr):
            stack.enter_context(_Attribute(nova, attr, timers.count(
                'reads', getattr(nova, attr))))


def _hard_reboots(case, drv, engine, specs, count):
    """Hard reboot a server of a flavor with ``specs``, ``count`` times.

    :returns: a list of what each reboot timed
    """
    # NOTE(xmlhooks): the bench's profiles are not those the compute
    # started with; its engine gets them.
    started_with = drv.xmlhooks
    drv.xmlhooks = engine
    timings = []
    try:
        server = case.boot(specs)
        with contextlib.ExitStack() as stack:
            _time_reboots(stack, case.timers, drv, engine)
            for _ in range(count):
                timings.append(case.timers.start())
                case._reboot_server(server, hard=True)
                case.timers.current = None
    finally:
        drv.xmlhooks = started_with
    return timings


def _make_case(mode, customizers, box):
    from nova.virt.libvirt import driver as nova_driver

    from tests.functional import base as functional_base

    class BenchCase(functional_base.XmlHooksTestBase):
        """Boots one server and runs the suite on what Nova did."""

        CUSTOMIZERS = tuple(customizers)

        def setUp(self):
            super().setUp()
            self.calls = []
            original = nova_driver.LibvirtDriver._get_guest_xml

            def capture(drv, *args, **kwargs):
                xml = original(drv, *args, **kwargs)
                self.calls.append((drv, args, kwargs, xml))
                return xml
            # NOTE(xmlhooks): the parent class's method, the one this
            # project's driver calls through super(), is what Nova spends.
            self.useFixture(fixtures.MonkeyPatch(
                'nova.virt.libvirt.driver.LibvirtDriver._get_guest_xml',
                capture))
            self.nova_get_guest_xml = original
            self.timers = _Timers()

        def hard_reboots(self, drv, engine, specs, count):
            """Hard reboot a server of a flavor with ``specs``."""
            return _hard_reboots(self, drv, engine, specs, count)

        def test_bench(self):
            self.start_compute(hostname='compute1')
            self.boot(memory_mb=2048, vcpu=2, disk=10, ephemeral=10)
            drv, args, kwargs, xml = self.calls[-1]
            ctx = context.Context(
                self, mode, self.useFixture(fixtures.TempDir()).path,
                instance=args[1], nova_xml=xml,
                nova_call=lambda: self.nova_get_guest_xml(drv, *args,
                                                          **kwargs),
                hard_reboots=functools.partial(self.hard_reboots, drv))
            with _info_logging():
                box['results'] = suite.run(ctx)
            box['workload'] = ctx.workload
            box['nova_xml'] = xml

    return BenchCase('test_bench')


def run(mode, customizers, log_path):
    """Boot a server in Nova's harness and run the suite on it.

    :param mode: ``full`` or ``quick``
    :param customizers: the customisers to enable
    :param log_path: where the services' output goes
    :returns: ``(results, workload, nova_xml)``
    :raises: RuntimeError naming the log if the harness failed
    """
    box = {}
    case = _make_case(mode, customizers, box)
    outcome = unittest.TestResult()
    # NOTE(xmlhooks): the services log to the console while they stop;
    # that goes to a file so the report stays readable.
    with open(log_path, 'w') as log_file:
        with _redirected(log_file):
            case.run(outcome)
    # NOTE(xmlhooks): the services' thread pools log again when the
    # interpreter exits, through handlers bound to the real console.
    logging.disable(logging.INFO)
    problems = outcome.errors + outcome.failures
    if problems or 'results' not in box:
        for _test, trace in problems:
            sys.stderr.write(trace + '\n')
        raise RuntimeError('the harness run failed; see %s' % log_path)
    return box['results'], box['workload'], box['nova_xml']
