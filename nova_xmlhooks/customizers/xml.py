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

"""Raw XPath edits: ``xmlhooks:xml:{label}``."""

from __future__ import annotations

from collections.abc import Sequence
import typing as ty

from oslo_log import log as logging

from nova_xmlhooks.conf import xmlhooks as conf_opts
from nova_xmlhooks.customizers import base
from nova_xmlhooks import exception
from nova_xmlhooks import xpath_edit

if ty.TYPE_CHECKING:
    from lxml import etree

LOG = logging.getLogger(__name__)


class XmlCustomizer(base.Customizer):
    """Applies edits in virt-xml's ``--xml`` grammar.

    Edits run in the order of their rules; see the engine for how that
    order is built.
    """

    family = 'xml'

    def declarations(self) -> list[base.KeyValidator]:
        return [base.KeyValidator(
            name='xmlhooks:xml:{label}',
            description=(
                'One edit of the domain XML in the grammar of '
                '``virt-xml --xml``: ``XPATH=VALUE`` or '
                '``xpath.set=XPATH=VALUE`` sets an attribute (``.../@name``) '
                'or element text, creating missing elements but never a new '
                'device (a set that matches no device is an error); with an '
                'empty VALUE it removes the attribute or the text and keeps '
                'the element, even empty; ``xpath.create=XPATH`` '
                'makes sure an element, a device included, exists; '
                '``xpath.delete=XPATH`` removes every match. XPATH starts '
                'with ``./`` (the ``<domain>`` element), may use the '
                '``qemu:`` prefix, and only walks down the document (see '
                'the hardening guide). Set and delete act on every matched '
                'node.'),
            value={
                'type': str,
                'description': 'An edit such as '
                               "``./devices/disk/driver/@cache=none``.",
            },
            parameters=[{
                'name': 'label',
                'pattern': r'[a-zA-Z0-9_.-]+',
                'description': 'A free label that names the edit.',
            }],
        )]

    def parse(self, key: str, value: str) -> xpath_edit.Edit:
        try:
            edit = xpath_edit.parse(value)
        except xpath_edit.EditError as e:
            raise ValueError(str(e))
        # NOTE(xmlhooks): the guard would refuse such an edit on every
        # document; saying so here lets nova-api refuse the flavor, as it
        # refuses xmlhooks:qemu: keys.
        if edit.writes_qemu() and (conf_opts.QEMU_PASSTHROUGH not in
                                   self.conf.xmlhooks.allow_sensitive):
            raise ValueError(
                "XPath '%s' writes QEMU passthrough, which needs %s in "
                "[xmlhooks] allow_sensitive" % (edit.element_xpath,
                                                conf_opts.QEMU_PASSTHROUGH))
        return edit

    def apply(self, root: etree._Element, rules: Sequence[base.Rule],
              context: base.DomainContext) -> list[str]:
        unmatched: list[str] = []
        for rule in rules:
            try:
                rule.payload.apply(root)
            except xpath_edit.EditError as e:
                if not (e.unmatched and context.rescue):
                    raise exception.RuleError(rule.key, str(e),
                                              public=e.public)
                # NOTE(xmlhooks): the rescue domain's disks are not the
                # guest's (no ephemeral, swap or volume disk in a legacy
                # rescue), and Nova has powered the guest off by now: a
                # rule that names what is not there is left out, rather
                # than failing the rescue.
                LOG.warning('Rule %(key)s matches nothing in the rescue '
                            'domain; not applied: %(error)s',
                            {'key': rule.key, 'error': e})
                unmatched.append(rule.key)
        return unmatched

    def touches(self, rules: Sequence[base.Rule]) -> list[base.Place] | None:
        touched: list[base.Place] = []
        for rule in rules:
            part = rule.payload.touches
            if part is None:
                return None
            touched.append(part)
        return touched
