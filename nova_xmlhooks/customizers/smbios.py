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

"""SMBIOS fields: ``xmlhooks:smbios:{section}.{field}`` and OEM strings.

Nova writes ``<sysinfo type='smbios'>`` with its own ``system`` entries
(manufacturer, product, version, serial, uuid, family) and
``<os><smbios mode='sysinfo'/>``. These keys override Nova's entries in
place and add the rest, and make sure the guest sees them.

Values may use the placeholders ``{instance_uuid}`` (the domain's
``<uuid>``), ``{instance_name}`` (the server name Nova recorded in its
metadata), ``{flavor_name}`` and ``{hostname}`` (the server name made a
hostname the way Nova makes a server's default hostname, ``Server-<uuid>``
when nothing is left of the name; a hostname set explicitly through the
API is not recorded in the domain). They are
filled from the domain XML itself, so ``nova-xmlhooks render`` and
``audit`` fill the same values as the driver. No other braces are
allowed. A field whose value fills in to nothing is left unset, as
libvirt reads an empty entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
import dataclasses
import re
import typing as ty
import unicodedata

from lxml import etree

from nova_xmlhooks.customizers import base
from nova_xmlhooks.customizers import elements

#: The fields libvirt accepts per section (its ``sysinfo-*-name``
#: definitions). ``system.uuid`` is left out on purpose: libvirt refuses a
#: domain whose SMBIOS UUID differs from its ``<uuid>``.
FIELDS = {
    'bios': ('vendor', 'version', 'date', 'release'),
    'system': ('manufacturer', 'product', 'version', 'serial', 'sku',
               'family'),
    'baseboard': ('manufacturer', 'product', 'version', 'serial', 'asset',
                  'location'),
    'chassis': ('manufacturer', 'version', 'serial', 'asset', 'sku'),
}
#: The XML element of each section.
_ELEMENTS = {'bios': 'bios', 'system': 'system', 'baseboard': 'baseBoard',
             'chassis': 'chassis'}
PLACEHOLDERS = ('instance_uuid', 'instance_name', 'flavor_name', 'hostname')
#: an OEM string's position, 0 to 999, as the key declares it
_OEM_POSITION = '[0-9]{1,3}'
_TOKEN_RE = re.compile(r'\{([^{}]*)\}|[{}]')
# NOTE(xmlhooks): what strtol() reads as a number, leading whitespace
# (C's isspace()) and a sign included.
_C_NUMBER = r'[ \t\n\v\f\r]*([+-]?[0-9]+)'
_BIOS_DATE_RE = re.compile('/'.join([_C_NUMBER] * 3))
#: the range of a C int, which virStrToLong_i() refuses to leave
_C_INT = range(-2 ** 31, 2 ** 31)
# NOTE(xmlhooks): libvirt checks these two formats when it parses the XML.
_FORMATS = {
    ('bios', 'date'): 'a date as mm/dd/yy or mm/dd/yyyy, the year 0 to 99 '
                      'or 1900 and later',
    # NOTE(xmlhooks): SMBIOS stores the major and minor release in a byte
    # each; QEMU takes a larger part without an error, so the guest would
    # not be shown what the rule says.
    ('bios', 'release'): 'major.minor, each from 0 to 255, e.g. 1.2',
}
if ty.TYPE_CHECKING:
    #: a value as :func:`parse_template` parses it: ``(is_placeholder,
    #: text)`` pairs
    Template: ty.TypeAlias = tuple[tuple[bool, str], ...]

_RELEASE_RE = re.compile(r'%(byte)s\.%(byte)s' % {
    'byte': '(?:25[0-5]|2[0-4][0-9]|[01]?[0-9]{1,2})'})


def is_bios_date(value: str) -> bool:
    """Whether libvirt accepts a BIOS date.

    NOTE(xmlhooks): exactly libvirt 9.0's check (virSysinfoBIOSParseXML,
    domain_conf.c 12341-12362): three numbers as virStrToLong_i() reads
    them, separated by '/', the month 1 to 12, the day 1 to 31 and the
    year 0 to 99 or at least 1900; nothing may follow the year.

    :param value: the value of ``xmlhooks:smbios:bios.date``
    :returns: a bool
    """
    match = _BIOS_DATE_RE.fullmatch(value)
    if match is None:
        return False
    month, day, year = (int(number) for number in match.groups())
    if not all(number in _C_INT for number in (month, day, year)):
        return False
    return (1 <= month <= 12 and 1 <= day <= 31
            and (0 <= year < 100 or year >= 1900))


def _is_bios_release(value: str) -> bool:
    return _RELEASE_RE.fullmatch(value) is not None


_CHECKS = {
    ('bios', 'date'): is_bios_date,
    ('bios', 'release'): _is_bios_release,
}


def check_text(value: str) -> None:
    """Refuse characters that have no place in a firmware string.

    NOTE(xmlhooks): control and format characters (a right-to-left
    override, say) would reach the guest and QEMU's command line
    unseen, and some cannot be stored in XML at all.

    :param value: the value
    :raises: ValueError naming the character
    """
    for char in value:
        if unicodedata.category(char) in ('Cc', 'Cf', 'Cs') or (
                ord(char) & 0xfffe) == 0xfffe:
            raise ValueError('contains the control or invalid character '
                             'U+%04X' % ord(char))


def parse_template(value: str) -> Template:
    """Split a value into literal text and placeholders.

    :param value: a value such as ``srv-{instance_uuid}``
    :returns: a tuple of ``(is_placeholder, text)`` pairs
    :raises: ValueError on an unknown placeholder or a stray brace
    """
    parts: list[tuple[bool, str]] = []
    pos = 0
    for match in _TOKEN_RE.finditer(value):
        if match.start() > pos:
            parts.append((False, value[pos:match.start()]))
        name = match.group(1)
        if name is None:
            raise ValueError("has a stray '%s' at position %d; braces are "
                             "only allowed around a placeholder (%s)"
                             % (match.group(0), match.start() + 1,
                                ', '.join('{%s}' % p for p in PLACEHOLDERS)))
        if name not in PLACEHOLDERS:
            raise ValueError("has unknown placeholder '{%s}'; known: %s"
                             % (name, ', '.join('{%s}' % p
                                                for p in PLACEHOLDERS)))
        parts.append((True, name))
        pos = match.end()
    if pos < len(value):
        parts.append((False, value[pos:]))
    return tuple(parts)


def render(parts: Template, context: base.DomainContext) -> str:
    """Fill a parsed value from the domain's facts.

    :param parts: what :func:`parse_template` returned
    :param context: a :class:`~nova_xmlhooks.customizers.base.DomainContext`
    :returns: the text
    """
    return ''.join(getattr(context, text) if is_placeholder else text
                   for is_placeholder, text in parts)


class SmbiosCustomizer(base.Customizer):
    """Sets ``<sysinfo type='smbios'>`` entries and OEM strings."""

    family = 'smbios'

    def declarations(self) -> list[base.KeyValidator]:
        placeholders = ', '.join('``{%s}``' % p for p in PLACEHOLDERS)
        return [
            base.KeyValidator(
                name='xmlhooks:smbios:{section}.{field}',
                description=(
                    "An SMBIOS field. It overrides Nova's own entry of the "
                    'same name. Fields per section: %s. ``bios.date`` is '
                    '``mm/dd/yy`` or ``mm/dd/yyyy``, as libvirt reads it: '
                    'the year from 0 to 99 or 1900 and later, leading '
                    'zeros optional. ``bios.release`` is '
                    '``major.minor``, each from 0 to 255. ``system.uuid`` '
                    "is always the instance's UUID. A value whose "
                    'placeholders fill in to nothing leaves the field '
                    "unset, Nova's entry removed, as libvirt reads an "
                    "empty entry. Sets ``<os><smbios mode='sysinfo'/>``."
                    % '; '.join('%s: %s' % (s, ', '.join(f))
                                for s, f in FIELDS.items())),
                value={'type': str,
                       'description': 'The text; it may use %s.'
                                      % placeholders},
                parameters=[
                    {'name': 'section',
                     'pattern': '|'.join(FIELDS),
                     'description': 'bios, system, baseboard or chassis.'},
                    {'name': 'field', 'pattern': '[a-z]+',
                     'description': 'A field of the section.'},
                ],
            ),
            base.KeyValidator(
                name='xmlhooks:smbios:oem.{n}',
                description=(
                    'An SMBIOS OEM string (type 11). The OEM strings of the '
                    'guest are exactly the ones given, ordered by ``n``.'),
                value={'type': str,
                       'description': 'The text; it may use %s.'
                                      % placeholders},
                parameters=[{'name': 'n', 'pattern': _OEM_POSITION,
                             'description': 'The position, 0 to 999.'}],
            ),
        ]

    def parse(self, key: str, value: str) -> Entry | OemString:
        name = key.split(':', 2)[2]
        section, sep, field = name.partition('.')
        if not sep:
            raise ValueError('must be <section>.<field> or oem.<n>')
        if not value:
            raise ValueError('must not be empty')
        check_text(value)
        if section == 'oem':
            return _parse_oem(field, value)
        return _parse_entry(section, field, value)

    def apply(self, root: etree._Element, rules: Sequence[base.Rule],
              context: base.DomainContext) -> None:
        sysinfo = _sysinfo(root)
        oem = []
        for rule in rules:
            if isinstance(rule.payload, OemString):
                oem.append(rule.payload)
            else:
                rule.payload.apply(sysinfo, context)
        if oem:
            _set_oem_strings(sysinfo, oem, context)
        _use_sysinfo(root)

    def touches(self, rules: Sequence[base.Rule]) -> list[base.Place]:
        # NOTE(xmlhooks): any <sysinfo>: the one of type smbios is found
        # among them, or added next to them.
        return ['sysinfo', ('os', 'smbios')]


@dataclasses.dataclass(frozen=True)
class Entry:
    """``xmlhooks:smbios:{section}.{field}``: one ``<entry>``.

    :ivar parts: the value, as :func:`parse_template` returned it
    """

    section: str
    field: str
    parts: Template

    def apply(self, sysinfo: etree._Element,
              context: base.DomainContext) -> None:
        text = render(self.parts, context)
        if not text:
            _drop_entry(sysinfo, _ELEMENTS[self.section], self.field)
            return
        node = elements.child(sysinfo, _ELEMENTS[self.section])
        elements.named_child(node, 'entry', self.field).text = text


def _drop_entry(sysinfo: etree._Element, tag: str, field: str) -> None:
    """Leave a field unset, as libvirt reads an empty entry.

    NOTE(xmlhooks): libvirt 9.0 reads an empty entry as no entry
    (virXPathString() gives NULL for an empty string, virxml.c 82-85, in
    virSysinfoBIOSParseXML and its kin, domain_conf.c 12328-12536) and
    does not write it back, so an empty entry would be added again at
    every check and the audit would report drift forever. The field is
    left unset instead, Nova's entry of it removed, as libvirt would; a
    section left without entries goes too, as libvirt drops it and its
    schema wants at least one (domaincommon.rng 6620-6668).

    :param sysinfo: the ``<sysinfo type='smbios'>`` element
    :param tag: the section's element, e.g. ``system``
    :param field: the entry's name
    """
    node = sysinfo.find(tag)
    if node is None:
        return
    for entry in list(node.iterfind('entry')):
        if entry.get('name') == field:
            node.remove(entry)
    if node.find('entry') is None:
        sysinfo.remove(node)


@dataclasses.dataclass(frozen=True)
class OemString:
    """``xmlhooks:smbios:oem.{n}``: the OEM string at ``position``.

    :ivar parts: the value, as :func:`parse_template` returned it
    """

    position: int
    parts: Template


def _parse_oem(position: str, value: str) -> OemString:
    # NOTE(xmlhooks): the audit parses recorded rules without the key's
    # declaration, so the bound is kept here too.
    if not re.fullmatch(_OEM_POSITION, position):
        raise ValueError('the OEM string position must be a number from '
                         '0 to 999')
    return OemString(int(position), parse_template(value))


def _parse_entry(section: str, field: str, value: str) -> Entry:
    if section not in FIELDS:
        raise ValueError('unknown SMBIOS section %r; known: %s'
                         % (section, ', '.join(FIELDS)))
    if field not in FIELDS[section]:
        raise ValueError('unknown field %r of section %s; known: %s'
                         % (field, section, ', '.join(FIELDS[section])))
    check = _CHECKS.get((section, field))
    if check is not None and not check(value):
        raise ValueError('must be %s' % _FORMATS[section, field])
    return Entry(section, field, parse_template(value))


def _set_oem_strings(sysinfo: etree._Element, oem: Iterable[OemString],
                     context: base.DomainContext) -> None:
    node = sysinfo.find('oemStrings')
    if node is None:
        node = etree.SubElement(sysinfo, 'oemStrings')
    # NOTE(xmlhooks): Nova writes no OEM strings; the keys own the whole
    # list so that applying them again changes nothing.
    for old in list(node):
        node.remove(old)
    for string in sorted(oem, key=lambda string: string.position):
        etree.SubElement(node, 'entry').text = render(string.parts, context)


def _sysinfo(root: etree._Element) -> etree._Element:
    for node in root.iterfind('sysinfo'):
        if node.get('type') == 'smbios':
            return node
    return elements.insert_before(
        root, etree.Element('sysinfo', type='smbios'), 'os')


def _use_sysinfo(root: etree._Element) -> None:
    os_node = root.find('os')
    if os_node is None:
        os_node = etree.SubElement(root, 'os')
    smbios = os_node.find('smbios')
    if smbios is None:
        smbios = etree.SubElement(os_node, 'smbios')
    smbios.set('mode', 'sysinfo')
