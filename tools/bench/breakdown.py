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

"""Each component's share of an application, from timing wrappers."""

import time
import types

from nova_xmlhooks import engine as engine_mod
from tools.bench import workloads

#: the engine's module references timed through a proxy, by component
_PROXIED = (
    ('metadata', {'domain_context': 'context', 'record': 'metadata record'}),
)
#: what the checks read: taking Nova's part before the rules, and finding
#: what changed after
_SNAPSHOT = (('take', 'snapshot for checks'), ('change', 'what changed'))


class _TimedCheck:
    """A check's timed calls, in its place among the engine's checks."""

    def __init__(self, call):
        self._call = call

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)


class Breakdown:
    """Times the engine's components by wrapping them, for the shares."""

    def __init__(self, engine):
        self.engine = engine
        self.totals = {}
        self._undo = []
        self._checks = None

    def _timed(self, name, func):
        totals = self.totals
        clock = time.perf_counter_ns

        def wrapper(*args, **kwargs):
            start = clock()
            try:
                return func(*args, **kwargs)
            finally:
                totals.setdefault(name, []).append(clock() - start)
        return wrapper

    def _patch(self, owner, attr, name):
        original = getattr(owner, attr, None)
        if original is None:
            return
        own = attr in getattr(owner, '__dict__', {})
        # NOTE(xmlhooks): what the owner held itself (a classmethod, say)
        # is put back, not what getattr gave.
        self._undo.append((owner, attr, vars(owner)[attr] if own
                           else original, own))
        setattr(owner, attr, self._timed(name, original))

    def _proxy(self, module, names):
        # NOTE(xmlhooks): only the engine's own reference to a module is
        # replaced, so a check that calls the same function is not counted
        # twice.
        proxy = types.SimpleNamespace(**{
            attr: getattr(module, attr) for attr in dir(module)
            if not attr.startswith('__')})
        for attr, name in names.items():
            if hasattr(module, attr):
                setattr(proxy, attr, self._timed(name, getattr(module,
                                                               attr)))
        return proxy

    def __enter__(self):
        self._patch(engine_mod, 'parse_domain', 'parse')
        self._patch(engine_mod, 'serialize_tidied', 'serialise')
        for attr, name in _SNAPSHOT:
            self._patch(engine_mod.checks_mod.Snapshot, attr, name)
        for attr, names in _PROXIED:
            module = getattr(engine_mod, attr, None)
            if module is not None:
                setattr(engine_mod, attr, self._proxy(module, names))
                self._undo.append((engine_mod, attr, module, True))
        self._patch(self.engine, 'resolve', 'resolve')
        for family, customizer in self.engine.customizers.items():
            self._patch(customizer, 'apply', 'customizer ' + family)
        self._checks = self.engine.checks
        self.engine.checks = tuple(self._timed_check(check)
                                   for check in self._checks)
        return self

    def _timed_check(self, check):
        """A check timed the way the engine calls it.

        NOTE(xmlhooks): the engine asks a check that reads regions for
        ``check_change``; the timed check must offer it too, or the
        engine would run the whole-document path instead.
        """
        name = 'check ' + workloads.check_name(check)
        timed = _TimedCheck(self._timed(name, check))
        if hasattr(check, 'check_change'):
            timed.check_change = self._timed(name, check.check_change)
        return timed

    def __exit__(self, *exc):
        self.engine.checks = self._checks
        for owner, attr, original, own in reversed(self._undo):
            if own:
                setattr(owner, attr, original)
            else:
                delattr(owner, attr)
