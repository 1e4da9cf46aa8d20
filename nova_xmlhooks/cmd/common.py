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

import difflib
import sys

from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import exception
from nova_xmlhooks import messages


class CommandError(Exception):
    """A problem reported as one line on stderr, with exit status 1."""


def error_message(error):
    """The user-facing text of a nova-xmlhooks error, without its prefix.

    :param error: a :class:`~nova_xmlhooks.exception.XmlHooksError`
    :returns: one line of text
    """
    message = error.format_message()
    if message.startswith('xmlhooks: '):
        message = message[len('xmlhooks: '):]
    return messages.one_line(message)


def out(text=''):
    """Write a line of the command's report on stdout."""
    # NOTE(xmlhooks): sys.stdout is looked up at each call so that tests
    # and callers can redirect it.
    sys.stdout.write(text + '\n')


def err(text):
    """Write a line on stderr."""
    sys.stderr.write(text + '\n')


def read_text(path):
    """Read a UTF-8 text file.

    :param path: the file
    :returns: its text
    :raises: CommandError naming the file
    """
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except OSError as e:
        raise CommandError('cannot read %s: %s' % (path, e.strerror or e))
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as e:
        raise CommandError('%s is not UTF-8 text (byte %d)' % (path, e.start))


def parse_domain(xml, what):
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
    except exception.XmlHooksError:
        # NOTE(xmlhooks): lxml's message for an empty or binary file is
        # long and says nothing useful; the line number is enough.
        raise CommandError('%s is not a valid XML document' % what)
    if root.tag != 'domain':
        raise CommandError('%s is not a libvirt domain XML (the root element '
                           'is <%s>)' % (what, root.tag))
    return root


def normalize(xml):
    """Serialise a domain XML the way the engine does, for comparisons.

    :param xml: a domain XML document that parses
    :returns: the document as the engine would write it
    """
    return engine_mod.serialize(engine_mod.parse_domain(xml))


def unified_diff(before, after, from_label, to_label):
    """A unified diff of two texts.

    :returns: the diff, empty when the texts are equal
    """
    return ''.join(difflib.unified_diff(
        before.splitlines(True), after.splitlines(True), from_label,
        to_label))


def load_engine(conf):
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
