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

"""The shape of a check that names the rule behind what it refuses."""

from __future__ import annotations

import typing as ty

if ty.TYPE_CHECKING:
    from lxml import etree

    from nova_xmlhooks import checks
    from nova_xmlhooks.customizers import base
    from nova_xmlhooks import engine


class RuleCheck:
    """A check of the engine's, reading what changed where it can.

    A subclass is a callable ``check(nova_root, result_root, ruleset)``
    that raises to refuse a document, and reads a change's region in
    :meth:`check_region`. It holds no per-call state.
    """

    def __init__(self, customizers: base.Customizers | None = None) -> None:
        """Build the check.

        :param customizers: the engine's customisers, an ordered dict of
            family to customiser, to replay rules when one must be named
        """
        self.customizers = customizers or {}

    def check_change(self, change: checks.Change,
                     ruleset: engine.RuleSet) -> None:
        """Judge a change, reading whole documents when it has no region.

        :param change: a :class:`~nova_xmlhooks.checks.Change`
        :param ruleset: the rules that were applied
        """
        if change.region is None:
            self(change.nova_root, change.result, ruleset)
        else:
            self.check_region(change, ruleset)

    def check_region(self, change: checks.Change,
                     ruleset: engine.RuleSet) -> None:
        """Judge a change whose region holds every change.

        :param change: a :class:`~nova_xmlhooks.checks.Change` with a
            region
        :param ruleset: the rules that were applied
        """
        raise NotImplementedError()

    if ty.TYPE_CHECKING:
        # NOTE(xmlhooks): what every subclass defines; declared for type
        # checkers only, so that a subclass without it stays uncallable.
        def __call__(self, nova_root: etree._Element,
                     result_root: etree._Element,
                     ruleset: engine.RuleSet) -> None:
            ...
