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

"""KVM features: ``xmlhooks:kvm:{feature}`` under ``<features><kvm>``.

Nova writes ``<kvm><hidden state='on'/></kvm>`` for
``hw:hide_hypervisor_id``; these keys change that element in place and set
the other KVM features per flavor.
"""

from __future__ import annotations

from collections.abc import Sequence
import dataclasses
import typing as ty

from nova_xmlhooks.customizers import base
from nova_xmlhooks.customizers import elements

if ty.TYPE_CHECKING:
    from lxml import etree

SWITCHES = ('hidden', 'hint-dedicated', 'poll-control', 'pv-ipi')
#: libvirt's limits for the dirty ring size (entries, a power of two).
MIN_DIRTY_RING = 1024
MAX_DIRTY_RING = 65536
#: The size ``on`` picks when Nova set none; libvirt requires one.
DEFAULT_DIRTY_RING = 4096
_STATE = ('on', 'off')


class KvmCustomizer(base.Customizer):
    """Sets ``<features><kvm>`` switches."""

    family = 'kvm'

    def declarations(self) -> list[base.KeyValidator]:
        return [
            base.KeyValidator(
                name='xmlhooks:kvm:{feature}',
                description=(
                    'Switch a KVM feature on or off in ``<features><kvm>``: '
                    '``hidden`` hides the KVM signature from the guest, '
                    '``hint-dedicated`` tells it its vCPUs are pinned, '
                    '``poll-control`` and ``pv-ipi`` are paravirtual '
                    'optimisations.'),
                value={'type': str, 'enum': list(_STATE),
                       'description': '``on`` or ``off``.'},
                parameters=[{
                    'name': 'feature',
                    'pattern': '|'.join(SWITCHES),
                    'description': 'One of: %s.' % ', '.join(SWITCHES),
                }],
            ),
            base.KeyValidator(
                name='xmlhooks:kvm:dirty-ring',
                description=(
                    'The KVM dirty ring, which tracks guest memory writes '
                    'for live migration. A size switches it on with that '
                    'many entries (a power of two from %d to %d); ``on`` '
                    'keeps the size set before or uses %d; ``off`` switches '
                    'it off. The host kernel allocates the ring for each '
                    'vCPU, charged to no cgroup, so switching it on needs '
                    '``host_resources`` in ``[xmlhooks] allow_sensitive``.'
                    % (MIN_DIRTY_RING, MAX_DIRTY_RING, DEFAULT_DIRTY_RING)),
                value={'type': str, 'pattern': r'on|off|[0-9]{1,5}',
                       'description': '``on``, ``off`` or a size such as '
                                      '``4096``.'},
            ),
        ]

    def parse(self, key: str, value: str) -> Switch | DirtyRing:
        feature = key.split(':', 2)[2]
        if feature == 'dirty-ring':
            return _parse_dirty_ring(value)
        if feature not in SWITCHES:
            raise ValueError('unknown KVM feature')
        if value not in _STATE:
            raise ValueError("must be 'on' or 'off'")
        return Switch(feature, value)

    def apply(self, root: etree._Element, rules: Sequence[base.Rule],
              context: base.DomainContext) -> None:
        kvm = elements.feature(root, 'kvm')
        for rule in rules:
            rule.payload.apply(kvm)

    def touches(self, rules: Sequence[base.Rule]) -> list[base.Place]:
        return [('features', 'kvm')]


@dataclasses.dataclass(frozen=True)
class Switch:
    """A plain ``state='on|off'`` KVM feature."""

    feature: str
    state: str

    def apply(self, kvm: etree._Element) -> None:
        elements.child(kvm, self.feature).set('state', self.state)


@dataclasses.dataclass(frozen=True)
class DirtyRing:
    """``xmlhooks:kvm:dirty-ring``; ``size`` None keeps the one set."""

    state: str
    size: int | None = None

    def apply(self, kvm: etree._Element) -> None:
        node = elements.child(kvm, 'dirty-ring')
        node.set('state', self.state)
        if self.state == 'off':
            node.attrib.pop('size', None)
        else:
            node.set('size', str(self.size or node.get('size')
                                 or DEFAULT_DIRTY_RING))


def _parse_dirty_ring(value: str) -> DirtyRing:
    if value in _STATE:
        return DirtyRing(value)
    if not value.isascii() or not value.isdigit():
        raise ValueError("must be 'on', 'off' or a size")
    size = int(value)
    if size < MIN_DIRTY_RING or size > MAX_DIRTY_RING or size & (size - 1):
        raise ValueError('the size must be a power of two from %d to %d'
                         % (MIN_DIRTY_RING, MAX_DIRTY_RING))
    return DirtyRing('on', size)
