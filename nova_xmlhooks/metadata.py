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

"""What the domain's ``<metadata>`` says, and what we record there.

Nova records the instance and its flavor (with its extra specs, since
Nova 32) under its own namespace. Next to it we record the rules that were
applied, under ours::

    <metadata>
      <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
        ...
      </nova:instance>
      <xmlhooks:customization
          xmlns:xmlhooks="http://openstack.org/xmlns/libvirt/nova-xmlhooks/1.0">
        <xmlhooks:profile name="windows"/>
        <xmlhooks:rule key="xmlhooks:xml:clock" family="xml"
                       source="flavor">./clock/@offset=localtime</xmlhooks:rule>
      </xmlhooks:customization>
    </metadata>

libvirt keeps one metadata element per namespace, so a record is replaced,
never added twice.
"""

import dataclasses

from lxml import etree

from nova_xmlhooks.customizers import base

NOVA_NS = 'http://openstack.org/xmlns/libvirt/nova/1.1'
XMLHOOKS_NS = 'http://openstack.org/xmlns/libvirt/nova-xmlhooks/1.0'
_NS = {'nova': NOVA_NS, 'xmlhooks': XMLHOOKS_NS}
_RECORD = '{%s}customization' % XMLHOOKS_NS


@dataclasses.dataclass(frozen=True)
class RecordedRule:
    """A rule as recorded in a domain's metadata."""

    key: str
    value: str
    source: str
    family: str


def domain_context(root):
    """Read the facts that rules may use from a domain document.

    :param root: the ``<domain>`` element
    :returns: a :class:`~nova_xmlhooks.customizers.base.DomainContext`
    """
    instance = root.find('metadata/nova:instance', _NS)

    def nova_text(path):
        if instance is None:
            return ''
        return (instance.findtext(path, '', _NS) or '').strip()

    flavor_name = ''
    if instance is not None:
        flavor = instance.find('nova:flavor', _NS)
        if flavor is not None:
            flavor_name = flavor.get('name', '')
    return base.DomainContext(
        instance_uuid=(root.findtext('uuid') or '').strip(),
        instance_name=nova_text('nova:name'),
        flavor_name=flavor_name,
        hostname=nova_text('nova:name'),
    )


def flavor_extra_specs(root):
    """Read the flavor's extra specs that Nova recorded in the domain.

    :param root: the ``<domain>`` element
    :returns: a dict; empty if Nova recorded none
    """
    return {node.get('name'): node.text or ''
            for node in root.iterfind(
                'metadata/nova:instance/nova:flavor/nova:extraSpecs/'
                'nova:extraSpec', _NS)}


def record(root, ruleset):
    """Record the applied rules in the domain's metadata.

    :param root: the ``<domain>`` element, changed in place
    :param ruleset: the applied :class:`~nova_xmlhooks.engine.RuleSet`
    """
    meta = root.find('metadata')
    if meta is None:
        meta = etree.Element('metadata')
        # NOTE(xmlhooks): libvirt's schema wants <metadata> after the
        # title and description and before the memory settings.
        anchor = None
        for name in ('description', 'title', 'uuid', 'name'):
            anchor = root.find(name)
            if anchor is not None:
                break
        if anchor is None:
            root.insert(0, meta)
        else:
            anchor.addnext(meta)
    for old in meta.findall(_RECORD):
        meta.remove(old)
    node = etree.SubElement(meta, _RECORD, nsmap={'xmlhooks': XMLHOOKS_NS})
    for name in ruleset.profiles:
        etree.SubElement(node, '{%s}profile' % XMLHOOKS_NS, name=name)
    for rule in ruleset:
        child = etree.SubElement(node, '{%s}rule' % XMLHOOKS_NS,
                                 key=rule.key, family=rule.family,
                                 source=rule.source)
        child.text = rule.value


def recorded(root):
    """Read the record of applied rules.

    :param root: the ``<domain>`` element
    :returns: ``None`` if the domain carries no record, else a tuple
        ``(profiles, rules)`` of profile names and :class:`RecordedRule`
    """
    node = root.find('metadata/xmlhooks:customization', _NS)
    if node is None:
        return None
    profiles = [p.get('name') for p in node.iterfind('xmlhooks:profile', _NS)]
    rules = [RecordedRule(key=r.get('key'), value=r.text or '',
                          source=r.get('source'), family=r.get('family'))
             for r in node.iterfind('xmlhooks:rule', _NS)]
    return profiles, rules
