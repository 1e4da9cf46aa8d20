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

"""Guest CPU feature policies: ``xmlhooks:cpu:feature.{name}``.

Nova only has the host-wide ``[libvirt] cpu_model_extra_flags``; these keys
set a feature's policy per flavor on ``<cpu><feature>``, replacing the
policy Nova gave the same feature.
"""

from __future__ import annotations

from collections.abc import Sequence
import dataclasses
import re
import typing as ty

from nova_xmlhooks.customizers import base
from nova_xmlhooks.customizers import elements
from nova_xmlhooks import exception

if ty.TYPE_CHECKING:
    from lxml import etree

POLICIES = ('require', 'disable', 'force', 'forbid', 'optional')
#: libvirt's CPU feature names, e.g. ``vmx``, ``sse4.2``, ``tsc-deadline``.
FEATURE_PATTERN = r'[a-z0-9][a-z0-9_.-]{0,63}'
_FEATURE_RE = re.compile(FEATURE_PATTERN)
# NOTE(xmlhooks): libvirt refuses features on a custom-mode CPU without a
# model ("Non-empty feature list specified without CPU model").
_MODES_WITHOUT_MODEL = ('host-model', 'host-passthrough', 'maximum')


class CpuCustomizer(base.Customizer):
    """Sets ``<cpu><feature name=... policy=...>``."""

    family = 'cpu'

    def declarations(self) -> list[base.KeyValidator]:
        return [base.KeyValidator(
            name='xmlhooks:cpu:feature.{name}',
            description=(
                'The policy of a guest CPU feature, replacing the one Nova '
                'set: ``require`` (the host must have it), ``disable`` '
                '(hidden from the guest), ``force`` (exposed even if the '
                'host lacks it), ``forbid`` (the guest does not start on a '
                'host that has it), ``optional`` (exposed if the host has '
                'it). The guest CPU must have a mode or model, as Nova '
                'writes unless ``[libvirt] cpu_mode = none``. With '
                '``host-passthrough`` or ``maximum``, libvirt hands QEMU '
                '``forbid`` as ``disable`` and ``optional`` as nothing: '
                'neither then stops the guest from starting.'),
            value={'type': str, 'enum': list(POLICIES),
                   'description': 'One of: %s.' % ', '.join(POLICIES)},
            parameters=[{
                'name': 'name', 'pattern': FEATURE_PATTERN,
                'description': "A libvirt CPU feature name, e.g. ``vmx`` or "
                               "``hypervisor``.",
            }],
        )]

    def parse(self, key: str, value: str) -> FeaturePolicy:
        name = key.split(':', 2)[2]
        prefix, sep, feature = name.partition('.')
        if prefix != 'feature' or not sep or not _FEATURE_RE.fullmatch(
                feature):
            raise ValueError('must be feature.<name> with a CPU feature '
                             'name such as vmx')
        if value not in POLICIES:
            raise ValueError('must be one of: %s' % ', '.join(POLICIES))
        return FeaturePolicy(feature, value)

    def apply(self, root: etree._Element, rules: Sequence[base.Rule],
              context: base.DomainContext) -> None:
        cpu = root.find('cpu')
        if cpu is None or (cpu.get('mode') not in _MODES_WITHOUT_MODEL
                           and cpu.find('model') is None):
            # NOTE(xmlhooks): creating a bare <cpu> would not help: libvirt
            # needs a mode or a model to attach features to, and picking
            # one here would change the guest CPU behind Nova's back.
            raise exception.RuleError(
                rules[0].key, 'the guest CPU has no mode or model to set '
                'features on (Nova wrote none; check [libvirt] cpu_mode)')
        for rule in rules:
            elements.named_child(cpu, 'feature', rule.payload.feature).set(
                'policy', rule.payload.policy)

    def touches(self, rules: Sequence[base.Rule]) -> list[base.Place]:
        return [('cpu', 'feature')]


@dataclasses.dataclass(frozen=True)
class FeaturePolicy:
    """``xmlhooks:cpu:feature.{name}``: a feature and its policy."""

    feature: str
    policy: str
