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
never added twice. A rule that added nothing because the document already
had what it asks for (a QEMU argument, say) is marked ``added="no"``, so
that a later application does not take away what was the document's own.

When the domain has no ``<metadata>`` yet, one is made where libvirt writes
it: after ``<name>``, ``<uuid>``, ``<genid>``, ``<title>`` and
``<description>``.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Iterable
import copy
import dataclasses
import functools
import threading
import typing as ty

from lxml import etree

from nova_xmlhooks.customizers import base
from nova_xmlhooks import hostname as hostname_mod

if ty.TYPE_CHECKING:
    from nova_xmlhooks import engine

NOVA_NS = 'http://openstack.org/xmlns/libvirt/nova/1.1'
XMLHOOKS_NS = 'http://openstack.org/xmlns/libvirt/nova-xmlhooks/1.0'
_NS = {'nova': NOVA_NS, 'xmlhooks': XMLHOOKS_NS}
_RECORD = '{%s}customization' % XMLHOOKS_NS
_PROFILE = '{%s}profile' % XMLHOOKS_NS
_NOVA_INSTANCE = '{%s}instance' % NOVA_NS
_NOVA_FLAVOR = '{%s}flavor' % NOVA_NS
_NOVA_NAME = '{%s}name' % NOVA_NS
_RULE = '{%s}rule' % XMLHOOKS_NS
#: what libvirt writes before <metadata>, in its order
_BEFORE_METADATA = ('name', 'uuid', 'genid', 'title', 'description')
#: where :func:`record` writes, as a customiser declares what it touches
#: (see :meth:`~nova_xmlhooks.customizers.base.Customizer.touches`)
RECORD_PLACE = (('metadata', _RECORD),)
#: records kept ready to copy, per thread (see _record_node)
MAX_CACHED_RECORDS = 128

_cache_local = threading.local()


@dataclasses.dataclass(frozen=True)
class RecordedRule:
    """A rule as recorded in a domain's metadata.

    NOTE(xmlhooks): the record lives in the domain's definition, which an
    administrator may edit by hand: an attribute may be missing.
    """

    key: str | None
    value: str
    source: str | None
    family: str | None
    #: False when the rule added nothing: the document already had it
    added: bool = True


def _child(node: etree._Element | None, tag: str) -> etree._Element | None:
    """The first child of ``node`` named ``tag``, or None.

    NOTE(xmlhooks): lxml matches the name in C; ``find`` with a path goes
    through ElementPath in Python, which costs more on every boot.
    """
    if node is None:
        return None
    return next(node.iterchildren(tag), None)


def domain_context(root: etree._Element) -> base.DomainContext:
    """Read the facts that rules may use from a domain document.

    :param root: the ``<domain>`` element
    :returns: a :class:`~nova_xmlhooks.customizers.base.DomainContext`
    """
    instance = None
    for meta in root.iterchildren('metadata'):
        instance = _child(meta, _NOVA_INSTANCE)
        if instance is not None:
            break

    def nova_text(tag: str) -> str:
        node = _child(instance, tag)
        return '' if node is None else (node.text or '').strip()

    flavor = _child(instance, _NOVA_FLAVOR)
    uuid = _child(root, 'uuid')
    uuid = '' if uuid is None else (uuid.text or '').strip()
    name = nova_text(_NOVA_NAME)
    return base.DomainContext(
        instance_uuid=uuid,
        instance_name=name,
        flavor_name='' if flavor is None else flavor.get('name', ''),
        hostname=_hostname(name, uuid),
    )


@functools.lru_cache(maxsize=1024)
def _hostname(name: str, uuid: str) -> str:
    """The hostname Nova derives from a server name.

    NOTE(xmlhooks): Nova does not record the hostname in the domain, so it
    is derived from the server name the way Nova derives a server's
    default hostname, falling back to ``Server-<uuid>`` as Nova does.
    render and audit read only the XML, and must fill the same value the
    driver did. It is a pure function of the name and the UUID, and a
    handful of regular expressions, so it is kept for the next boot of
    the same server.
    """
    return hostname_mod.default_hostname(name, uuid) if name else ''


def flavor_extra_specs(root: etree._Element) -> dict[str, str]:
    """Read the flavor's extra specs that Nova recorded in the domain.

    NOTE(xmlhooks): Nova names every entry; one without a name (a domain
    edited by hand) is no extra spec, and is left out.

    :param root: the ``<domain>`` element
    :returns: a dict; empty if Nova recorded none
    """
    return {node.get('name'): node.text or ''
            for node in root.iterfind(
                'metadata/nova:instance/nova:flavor/nova:extraSpecs/'
                'nova:extraSpec', _NS)
            if node.get('name') is not None}


def _build_record(profiles: Iterable[str],
                  rules: Iterable[tuple[str, str, str, str]],
                  not_added: Collection[str]) -> etree._Element:
    node = etree.Element(_RECORD, nsmap={'xmlhooks': XMLHOOKS_NS})
    for name in profiles:
        etree.SubElement(node, _PROFILE, name=name)
    for key, family, source, value in rules:
        child = etree.SubElement(node, _RULE, key=key, family=family,
                                 source=source)
        if key in not_added:
            child.set('added', 'no')
        child.text = value
    return node


def _record_node(ruleset: engine.RuleSet,
                 not_added: Iterable[str]) -> etree._Element:
    """A new record element for a rule set.

    NOTE(xmlhooks): building the record costs more than every other part
    of an application but the checks, and a rule set's record never
    changes, so it is built once and copied (a copy is done in C). The
    records are kept per thread: an lxml tree must not be read by one
    thread while another one changes the document it came from.
    """
    key = (ruleset.profiles, ruleset.record_key, frozenset(not_added))
    cache = getattr(_cache_local, 'records', None)
    if cache is None:
        cache = _cache_local.records = {}
    node = cache.get(key)
    if node is None:
        if len(cache) >= MAX_CACHED_RECORDS:
            # NOTE(xmlhooks): the oldest goes first; a host applies few
            # distinct rule sets, so this rarely happens.
            del cache[next(iter(cache))]
        node = cache[key] = _build_record(*key)
    return copy.deepcopy(node)


def _metadata(root: etree._Element) -> etree._Element:
    """The domain's ``<metadata>``, made where libvirt writes it if missing.

    NOTE(xmlhooks): libvirt's schema interleaves ``<name>``, ``<uuid>`` and
    ``<genid>`` as a group of their own, and libxml2 refuses another
    element between them (``<metadata>`` after ``<uuid>`` when a
    ``<genid>`` follows, for one). libvirt writes ``<metadata>`` after
    the group, the title and the description, so it goes after the last
    of them.
    """
    meta = _child(root, 'metadata')
    if meta is not None:
        return meta
    meta = etree.Element('metadata')
    anchor = next(root.iterchildren(*_BEFORE_METADATA, reversed=True),
                  None)
    if anchor is None:
        root.insert(0, meta)
    else:
        anchor.addnext(meta)
    return meta


def record(root: etree._Element, ruleset: engine.RuleSet,
           not_added: Iterable[str] = ()) -> None:
    """Record the applied rules in the domain's metadata.

    :param root: the ``<domain>`` element, changed in place
    :param ruleset: the applied :class:`~nova_xmlhooks.engine.RuleSet`
    :param not_added: the keys of rules that added nothing, because the
        document already had what they ask for
    """
    meta = _metadata(root)
    for old in list(meta.iterchildren(_RECORD)):
        meta.remove(old)
    meta.append(_record_node(ruleset, not_added))


def recorded(
        root: etree._Element) -> tuple[list[str], list[RecordedRule]] | None:
    """Read the record of applied rules.

    :param root: the ``<domain>`` element
    :returns: ``None`` if the domain carries no record, else a tuple
        ``(profiles, rules)`` of profile names (a profile recorded without
        a name is left out) and :class:`RecordedRule`
    """
    node = root.find('metadata/xmlhooks:customization', _NS)
    if node is None:
        return None
    profiles = [name for p in node.iterfind('xmlhooks:profile', _NS)
                if (name := p.get('name'))]
    rules = [RecordedRule(key=r.get('key'), value=r.text or '',
                          source=r.get('source'), family=r.get('family'),
                          added=r.get('added') != 'no')
             for r in node.iterfind('xmlhooks:rule', _NS)]
    return profiles, rules
