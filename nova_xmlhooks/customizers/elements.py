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

"""Find-or-create helpers the typed customisers share.

NOTE(xmlhooks): the typed families must merge with what Nova generated,
never add a second element where libvirt expects one, so they all look
an element up before creating it.
"""

from __future__ import annotations

from lxml import etree


def insert_before(root: etree._Element, node: etree._Element,
                  anchor: str) -> etree._Element:
    """Insert a new top-level element where libvirt would format it.

    :param root: the ``<domain>`` element
    :param node: the new element
    :param anchor: the tag of the child that ``node`` goes before; when
        there is none, ``node`` goes last
    :returns: ``node``
    """
    following = root.find(anchor)
    if following is None:
        root.append(node)
    else:
        following.addprevious(node)
    return node


def child(parent: etree._Element, tag: str) -> etree._Element:
    """Return the first ``<tag>`` child, creating it if missing.

    :param parent: the parent element
    :param tag: the child's tag
    :returns: the child element
    """
    node = parent.find(tag)
    if node is None:
        node = etree.SubElement(parent, tag)
    return node


def feature(root: etree._Element, tag: str) -> etree._Element:
    """Return ``<features><tag>``, creating what is missing.

    A new ``<features>`` goes before ``<devices>``, where libvirt
    formats it.

    :param root: the ``<domain>`` element
    :param tag: the feature element's tag, e.g. ``hyperv``
    :returns: the feature element
    """
    features = root.find('features')
    if features is None:
        features = insert_before(root, etree.Element('features'), 'devices')
    return child(features, tag)


def named_child(parent: etree._Element, tag: str, name: str) -> etree._Element:
    """Return the one ``<tag name='name'>`` child, creating it if missing.

    Duplicates (which libvirt would refuse or ignore) are removed, so the
    caller's settings are the only ones left.

    :param parent: the parent element
    :param tag: the child's tag, e.g. ``timer``
    :param name: the value of its ``name`` attribute
    :returns: the child element
    """
    nodes = [n for n in parent.iterfind(tag) if n.get('name') == name]
    if not nodes:
        return etree.SubElement(parent, tag, name=name)
    for extra in nodes[1:]:
        parent.remove(extra)
    return nodes[0]
