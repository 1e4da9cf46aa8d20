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

"""Helpers for the one-line messages users see.

NOTE(xmlhooks): kept free of nova imports, so that the XPath edit code
that uses it can run in a process that does not load nova.
"""

from __future__ import annotations

import re
import unicodedata


# NOTE(xmlhooks): the characters XML 1.0 does not allow in a document,
# written as the few ranges it forbids rather than the complement of
# those it allows: both match the same code points, but the complement
# spans most of Unicode and takes about 5 ms to compile, which every
# start of the operator command paid; this takes a tenth of that.
_NOT_XML = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff'
                      '\ufffe\uffff]')


#: the Unicode categories :func:`printable` escapes besides the others
#: (C: control, format, unassigned...): the line and paragraph
#: separators, at which terminals and str.splitlines() break lines
_SEPARATORS = frozenset(['Zl', 'Zp'])


def printable(text: str) -> str:
    """Escape the characters that would break a one-line message.

    NOTE(xmlhooks): messages quote keys, values and edits that come from
    flavors, images and profile files. Control, format (such as a
    right-to-left override) and unassigned characters, and the line and
    paragraph separators, are shown escaped, so a message stays one
    honest line in faults and logs.

    :param text: a string
    :returns: the string with those characters as ``\\uXXXX``
    """
    return ''.join('\\u%04x' % ord(char) if _escaped(char) else char
                   for char in text)


def _escaped(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] == 'C' or category in _SEPARATORS


def one_line(text: object) -> str:
    """Fold a message onto one line.

    :param text: any message
    :returns: the message with its line breaks replaced by spaces
    """
    return ' '.join(str(text).split())


#: how much of a name or value from a file or an image a message quotes
SHOWN = 64


def shortened(value: object, limit: int = SHOWN) -> str:
    """A name or value as a message quotes it: its start when long.

    :param value: anything; it is quoted as ``str(value)``
    :param limit: the most characters quoted before ``...``
    :returns: the text, cut at ``limit`` characters
    """
    text = str(value)
    return text if len(text) <= limit else text[:limit] + '...'


def not_xml(text: str) -> re.Match[str] | None:
    """Find the first character that an XML 1.0 document cannot hold.

    :param text: a string
    :returns: a ``re.Match`` for that character, or None
    """
    return _NOT_XML.search(text)
