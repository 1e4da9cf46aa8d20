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

"""Helpers shared by the sub-commands of ``nova-xmlhooks``."""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
import typing as ty

from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import exception
from nova_xmlhooks import messages
from nova_xmlhooks import metadata

if ty.TYPE_CHECKING:
    from lxml import etree
    from oslo_config import cfg

#: what ``--xml`` takes to read standard input
STDIN = '-'
#: ANSI colours of the lines of a unified diff, by their first character
_DIFF_COLOURS = (('+++', '1'), ('---', '1'), ('@@', '36'), ('+', '32'),
                 ('-', '31'))
# reStructuredText inline markup as the docs and the key declarations
# write it: ``literal``, :role:`text`, :role:`text <target>`, `text <url>`_
_RST_LITERAL_RE = re.compile(r'``(.+?)``', re.S)
_RST_ROLE_RE = re.compile(r':[a-z:]+:`(?:([^`<]*?)\s*<[^`>]*>|([^`]*))`',
                          re.S)
_RST_LINK_RE = re.compile(r'`([^`<]+?)\s*<([^`>]+)>`__?', re.S)


class CommandError(Exception):
    """A problem reported as one line on stderr, with exit status 1."""


class _Style:
    """Whether reports are coloured, as :func:`set_color` decided."""

    color = False


def set_color(mode: str, stream: ty.TextIO | None = None) -> None:
    """Decide whether diffs are coloured.

    NOTE(xmlhooks): ``auto`` follows the conventions of git and ls: colour
    only on a terminal, never when ``NO_COLOR`` is set (no-color.org) or
    the terminal is ``dumb``.

    :param mode: ``auto``, ``always`` or ``never``
    :param stream: the stream the report goes to; stdout by default
    """
    stream = sys.stdout if stream is None else stream
    if mode == 'auto':
        _Style.color = bool(
            getattr(stream, 'isatty', lambda: False)() and
            not os.environ.get('NO_COLOR') and
            os.environ.get('TERM') != 'dumb')
    else:
        _Style.color = mode == 'always'


def error_message(error: exception.XmlHooksError) -> str:
    """The user-facing text of a nova-xmlhooks error, without its prefix.

    :param error: a :class:`~nova_xmlhooks.exception.XmlHooksError`
    :returns: one line of text
    """
    # NOTE(xmlhooks): str() is the whole message, which the operator
    # reads; format_message() may leave out what users must not see.
    message = str(error)
    if message.startswith('xmlhooks: '):
        message = message[len('xmlhooks: '):]
    return messages.one_line(message)


def plain_text(text: str) -> str:
    """Turn the reStructuredText of the docs into plain text for a terminal.

    :param text: a description, as the key declarations and module
        docstrings write it
    :returns: the same text without inline markup: ````x```` becomes
        ``x``, ``:ref:`x <y>``` becomes ``x``, and a paragraph's closing
        ``::`` becomes ``:``
    """
    text = _RST_LITERAL_RE.sub(r'\1', text)
    text = _RST_ROLE_RE.sub(_role_text, text)
    text = _RST_LINK_RE.sub(r'\1 (\2)', text)
    return re.sub(r'(\S)::$', r'\1:', text, flags=re.M)


def _role_text(match: re.Match[str]) -> str:
    """What Sphinx shows for a role: its title, else its target.

    NOTE(xmlhooks): a target written ``~a.b.C`` is shown as ``C``, as
    Sphinx shows it.
    """
    title, target = match.groups()
    if title is not None:
        return title
    if target.startswith('~'):
        return target[1:].rsplit('.', 1)[-1]
    return target


def out(text: str = '') -> None:
    """Write lines of the command's report on stdout.

    NOTE(xmlhooks): values in reports come from flavors, images and the
    domain XML, which users control; each line is escaped the way error
    messages are, so that a right-to-left override or a terminal control
    character cannot disguise what the operator reads. sys.stdout is
    looked up at each call so that tests and callers can redirect it.

    :param text: the lines, one string
    """
    sys.stdout.write('\n'.join(messages.printable(line)
                               for line in text.split('\n')) + '\n')


def out_raw(text: str) -> None:
    """Write a document on stdout exactly as it is (``--output xml``).

    :param text: the document
    """
    sys.stdout.write(text + '\n')


def out_json(document: object) -> None:
    """Write a JSON document on stdout.

    NOTE(xmlhooks): ``ensure_ascii`` writes every character outside ASCII
    as an escape, so JSON output cannot carry terminal controls either.

    :param document: what :func:`json.dumps` takes
    """
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True,
                                ensure_ascii=True) + '\n')


def out_diff(diff: str, indent: str = '') -> None:
    """Write a unified diff, coloured if :func:`set_color` said so.

    :param diff: the diff
    :param indent: put before each line
    """
    for line in diff.rstrip('\n').split('\n'):
        line = messages.printable(line)
        if _Style.color:
            for start, code in _DIFF_COLOURS:
                if line.startswith(start):
                    line = '\033[%sm%s\033[0m' % (code, line)
                    break
        sys.stdout.write(indent + line + '\n')


def err(text: str) -> None:
    """Write a line on stderr, escaped like :func:`out`.

    :param text: the line
    """
    sys.stderr.write(messages.printable(messages.one_line(text)) + '\n')


def warn(text: str) -> None:
    """Write a warning on stderr.

    :param text: the warning, without the ``warning:`` prefix
    """
    err('warning: ' + text)


def read_input(path: str) -> str:
    """Read a UTF-8 text file, or standard input for ``-``.

    :param path: the file, or :data:`STDIN`
    :returns: its text
    :raises: CommandError naming the file
    """
    if path == STDIN and sys.stdin is None:
        raise CommandError('cannot read standard input: it is closed')
    try:
        if path == STDIN:
            data = sys.stdin.buffer.read()
        else:
            with open(path, 'rb') as handle:
                data = handle.read()
    except OSError as e:
        raise CommandError('cannot read %s: %s' % (input_label(path),
                                                   e.strerror or e))
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as e:
        raise CommandError('%s is not UTF-8 text (byte %d)'
                           % (input_label(path), e.start))


def nonempty(value: str) -> str:
    """The argparse type of a name or file that the user must give.

    NOTE(xmlhooks): an empty argument (``"$NAME"`` with the variable
    unset) would otherwise be named as nothing in a message ("no such
    domain:") or be silently ignored, as an empty ``--profile`` was.

    :param value: the argument
    :returns: ``value``
    :raises: argparse.ArgumentTypeError, a usage error naming the argument
    """
    if not value:
        raise argparse.ArgumentTypeError('must not be empty')
    return value


def utf8_argument(what: str, value: str) -> str:
    """Refuse an argument that is not UTF-8, as libvirt's names are.

    NOTE(xmlhooks): Python keeps the bytes of such an argument as lone
    surrogates, which libvirt-python cannot encode.

    :param what: how the message names the argument
    :param value: the argument
    :returns: ``value``
    :raises: CommandError naming the argument
    """
    try:
        value.encode('utf-8')
    except UnicodeEncodeError as e:
        raise CommandError('%s %s is not valid UTF-8 (character %d)'
                           % (what, messages.printable(value), e.start + 1))
    return value


def input_label(path: str) -> str:
    """How messages name an input file.

    :param path: the path the user gave, ``-`` for stdin
    :returns: the label
    """
    return 'standard input' if path == STDIN else path


def parse_domain(xml: str, what: str) -> etree._Element:
    """Parse a domain XML document.

    :param xml: the document
    :param what: what it is, for messages (a file name, a domain name)
    :returns: the ``<domain>`` element
    :raises: CommandError naming ``what``
    """
    try:
        root = engine_mod.parse_domain(xml)
    except exception.DoctypeError as e:
        raise CommandError('%s: %s' % (what, error_message(e)))
    except exception.XmlHooksError as e:
        raise CommandError(_not_xml(what, e.__context__))
    if root.tag != 'domain':
        raise CommandError('%s is not a libvirt domain XML (the root element '
                           'is <%s>)' % (what, root.tag))
    return root


def _not_xml(what: str, error: BaseException | None) -> str:
    """Say why a document does not parse, with where, in one line.

    NOTE(xmlhooks): lxml's message for an empty or binary file is long
    and says nothing useful; the position is enough, and is read from the
    error's attributes, not its text. A document beyond the parser's
    limits (nesting deeper than 256 elements, a text or attribute over 10
    MB, entities that expand too much) may be well-formed: saying so
    spares the operator a search for a syntax error that is not there.

    :param what: what the document is, for messages
    :param error: the ``lxml.etree.XMLSyntaxError``, or another exception
        the engine's parser met
    :returns: the message
    """
    from lxml import etree
    if not isinstance(error, etree.XMLSyntaxError):
        return '%s is not a valid XML document' % what
    line, column = error.position
    if error.code == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
        return ('%s exceeds a limit of the XML parser (nesting depth, size '
                'of a text or attribute, or entity expansion) at line %d, '
                'column %d' % (what, line, column))
    return '%s is not a valid XML document (line %d, column %d)' % (
        what, line, column)


def recorded_extra_specs(
        root: etree._Element) -> dict[str, str] | None:
    """The flavor's extra specs as Nova recorded them in the domain.

    NOTE(xmlhooks): Nova records them in ``<nova:extraSpecs>`` from nova
    32 (2025.2) on. Older series record the flavor without them, which is
    not the same as a flavor without extra specs: this tells the two
    apart, where :func:`nova_xmlhooks.metadata.flavor_extra_specs` reads
    both as empty.

    :param root: the ``<domain>`` element
    :returns: a dict, or ``None`` when Nova did not record the extra specs
    """
    ns = {'nova': metadata.NOVA_NS}
    if root.find('metadata/nova:instance/nova:flavor/nova:extraSpecs',
                 ns) is None:
        return None
    return metadata.flavor_extra_specs(root)


def normalize(xml: str) -> str:
    """Serialise a domain XML the way the engine does, for comparisons.

    :param xml: a domain XML document that parses
    :returns: the document as the engine would write it
    """
    return engine_mod.serialize(engine_mod.parse_domain(xml))


def lines(text: str) -> list[str]:
    """A text's lines, each with its newline, split at newlines only.

    NOTE(xmlhooks): str.splitlines() also splits at characters a domain's
    text may hold (U+0085, U+2028, form feed...), which would make a
    guest's or a user's text lines of a diff of its own.

    :param text: the text
    :returns: a list of strings
    """
    parts = text.split('\n')
    return [part + '\n' for part in parts[:-1]] + (
        [parts[-1]] if parts[-1] else [])


def unified_diff(before: str, after: str, from_label: str, to_label: str,
                 context: int = 3) -> str:
    """A unified diff of two texts.

    :param before: the old text
    :param after: the new text
    :param from_label: the old text's name in the header
    :param to_label: the new text's name in the header
    :param context: lines of context around each change
    :returns: the diff, empty when the texts are equal
    """
    return ''.join(difflib.unified_diff(
        lines(before), lines(after), from_label, to_label, n=context))


def load_engine(conf: cfg.ConfigOpts) -> engine_mod.Engine:
    """Build the engine exactly as the compute driver does.

    :param conf: the parsed configuration
    :returns: an :class:`~nova_xmlhooks.engine.Engine`
    :raises: CommandError with the first problem found
    """
    try:
        return engine_mod.Engine.from_conf(conf)
    except exception.XmlHooksError as e:
        raise CommandError('%s (run "nova-xmlhooks validate" to see every '
                           'problem)' % error_message(e))
