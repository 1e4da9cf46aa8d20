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

"""Reading operator profile files.

A profile file is YAML that maps profile names to profiles::

    windows-hyperv:
      description: Extra Hyper-V enlightenments for Windows guests
      specs:
        xmlhooks:xml:tablet: xpath.delete=./devices/input[@type='tablet']
      xml:
        - ./clock/@offset=localtime
      image_selectable: false

This module reads the files safely (regular files only, never blocking,
only what root or the service's user alone can write) and checks their
shape against :data:`SCHEMA`; the engine parses the specs and edits with
the customisers.

NOTE(xmlhooks): no message from here ever quotes the content of a file
that did not parse: a profile directory may hold a link to any file, and
``nova-xmlhooks validate`` may run as root. Problems are located by line
and column, and by the profile names and fields of a file that parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
import dataclasses
import os
import re
import stat
import threading
import time
import typing as ty

import jsonschema
from oslo_log import log as logging
import yaml

from nova_xmlhooks import exception
from nova_xmlhooks import messages
from nova_xmlhooks import problems

LOG = logging.getLogger(__name__)
_T = ty.TypeVar('_T')

if ty.TYPE_CHECKING:
    #: what identifies a file's version: its device, inode, size and times
    StatKey: ty.TypeAlias = tuple[int, int, int, int, int]
    #: what :class:`NameIndex` knows of a file: the key it was read at
    #: (None to read it again), and its profile names or its problem
    FileState: ty.TypeAlias = tuple[
        StatKey | None, tuple[str, ...] | exception.ProfileError]

#: profile files larger than this are refused before they are parsed
MAX_FILE_BYTES = 1024 * 1024
#: profile files nested deeper than this are refused
MAX_DEPTH = 32
#: the names of the files read in a profile directory
SUFFIXES = ('.yaml', '.yml')
# NOTE(xmlhooks): \Z, not $, which also matches before a final newline.
PROFILE_NAME_PATTERN = r'^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}\Z'
PROFILE_NAME_RE = re.compile(PROFILE_NAME_PATTERN)
FIELDS = ('description', 'image_selectable', 'specs', 'xml')
_SPEC_REASON = ('keys and values must be strings (quote on, off, yes and '
                'numbers)')

#: The shape of a profile file, in JSON Schema. Each subschema carries in
#: ``x-reason`` the message for a document that does not match it; the
#: file, the profile and the entry come from where the mismatch is.
SCHEMA = {
    '$schema': 'https://json-schema.org/draft/2020-12/schema',
    'type': 'object',
    'x-reason': 'must map profile names to profiles',
    'propertyNames': {
        'type': 'string',
        'pattern': PROFILE_NAME_PATTERN,
        'x-reason': 'profile names are 1 to 64 letters, digits, "_", "." '
                    'or "-", starting with a letter or digit',
    },
    'additionalProperties': {
        'type': 'object',
        'x-reason': 'must be a mapping',
        # NOTE(xmlhooks): false rather than propertyNames with an enum:
        # jsonschema then checks the keys without descending into each,
        # which is most of its cost on a large library.
        'additionalProperties': False,
        'x-unknown': 'unknown field (expected one of %s)' % ', '.join(FIELDS),
        'properties': {
            'description': {'type': 'string', 'x-reason': 'must be a string'},
            'specs': {
                'type': ['object', 'null'],
                'x-reason': 'must be a mapping',
                'propertyNames': {'type': 'string',
                                  'x-reason': _SPEC_REASON},
                'additionalProperties': {'type': 'string',
                                         'x-reason': _SPEC_REASON},
            },
            'xml': {
                'type': ['array', 'null'],
                'x-reason': 'must be a list',
                'items': {'type': 'string', 'x-reason': 'must be a string'},
            },
            'image_selectable': {'type': 'boolean',
                                 'x-reason': 'must be true or false'},
        },
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@dataclasses.dataclass(frozen=True)
class Profile:
    """A profile as written in its file.

    :ivar name: the profile name
    :ivar path: the file that defines it
    :ivar description: free text
    :ivar specs: spec keys and values, in file order
    :ivar xml: edits without the 255 character limit of flavor values
    :ivar image_selectable: whether an image property may select it
    :ivar complete: False for a profile with a problem already reported
        (a field of the wrong shape, a name defined twice); it carries
        the entries of the right shape, and an ``xml`` entry of the wrong
        shape as None, so that the engine can report theirs too. Such a
        profile is never used.
    :ivar named: False when the name as written is no profile name (a
        number, say): ``name`` then only shows it, and defines nothing
        that another profile could clash with
    """

    name: str
    path: str
    description: str
    specs: tuple[tuple[str, str], ...]
    xml: tuple[str | None, ...]
    image_selectable: bool
    complete: bool = True
    named: bool = True


class _Refused(yaml.MarkedYAMLError):
    """A YAML construct that profile files may not use.

    NOTE(xmlhooks): its problem text is this module's own, so it may be
    shown; PyYAML's own problems quote the file and are not shown.
    """


if ty.TYPE_CHECKING:
    # NOTE(xmlhooks): for type checkers, the mixin below is the loader it
    # is mixed into; at run time it derives from nothing.
    _StrictBase: ty.TypeAlias = yaml.SafeLoader
else:
    _StrictBase = object


class _Strict(_StrictBase):
    """Refuses duplicate keys, aliases and deep nesting in YAML.

    NOTE(xmlhooks): PyYAML silently keeps the last of two equal keys, which
    hides mistakes, and aliases allow "billion laughs" style expansion.
    Neither has a use in a profile file. This is mixed into both loaders
    below, ahead of PyYAML's own composer and constructor.
    """

    def compose_node(self, parent: yaml.Node | None,
                     index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(None, None, 'aliases are not allowed',
                           event.start_mark)
        # NOTE(xmlhooks): PyYAML composes recursively; without a limit a
        # deeply nested file ends in a RecursionError instead of an error
        # naming the file.
        self._depth = getattr(self, '_depth', 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(None, None,
                               'nesting deeper than %d levels' % MAX_DEPTH,
                               self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> ty.Any:
        try:
            return super().construct_object(node, deep=deep)
        except ValueError:
            # NOTE(xmlhooks): PyYAML raises a bare ValueError, which names
            # no file, for a scalar it resolves as a date that does not
            # exist (2020-13-45) or as an integer longer than Python reads
            # (4,300 digits): the line is named here.
            raise _Refused(None, None, 'a value read as a date or a number '
                           'that cannot be one; quote it', node.start_mark)

    def construct_mapping(self, node: yaml.MappingNode,
                          deep: bool = False) -> dict[Hashable, ty.Any]:
        seen = set()
        for key_node, _value_node in node.value:
            # NOTE(xmlhooks): YAML allows a list or a mapping as a key
            # ("? [a]"); Python cannot hash one, and no profile has one.
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused(None, None, 'a key must be a single value, '
                               'not a list or a mapping', key_node.start_mark)
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _Refused(None, None, 'duplicate key',
                               key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _StrictLoader(_Strict, yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys and aliases."""


# NOTE(xmlhooks): PyYAML imports its libyaml binding only when libyaml was
# found at build time; without it, profiles are read in pure Python.
# NOTE(xmlhooks): typed Any, as type checkers take no class that may be
# missing as a base class.
_CParser: ty.Any = getattr(getattr(yaml, 'cyaml', None), 'CParser', None)
#: the loader on libyaml, or None when PyYAML was built without it
_StrictCLoader: type[_Strict] | None
if _CParser is not None:
    class _StrictLibyamlLoader(_Strict, yaml.composer.Composer, _CParser,
                               yaml.constructor.SafeConstructor,
                               yaml.resolver.Resolver):
        """:class:`_StrictLoader` on libyaml's scanner and parser.

        NOTE(xmlhooks): scanning and parsing in Python is most of the time
        a large profile library takes to load. libyaml does both in C; the
        composer stays PyYAML's (libyaml's own composer cannot be
        overridden), so the refusals above are made exactly as before.
        """

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _StrictCLoader = _StrictLibyamlLoader
else:
    _StrictCLoader = None


def _parse_yaml(text: str) -> ty.Any:
    if _StrictCLoader is not None:
        try:
            return yaml.load(text, Loader=_StrictCLoader)
        except yaml.YAMLError:
            # NOTE(xmlhooks): libyaml places some errors differently from
            # PyYAML; a file it refuses is read again in Python, so
            # operators get the same message whichever is installed.
            pass
    return yaml.load(text, Loader=_StrictLoader)


# What a YAML error is about, by its class: PyYAML's own problem text
# quotes the offending token, which may be a secret.
_YAML_PROBLEMS = (
    (yaml.reader.ReaderError, 'a character YAML does not allow'),
    (yaml.scanner.ScannerError, 'a token YAML cannot read'),
    (yaml.constructor.ConstructorError, 'a tag or value profiles cannot '
                                        'hold'),
    (yaml.MarkedYAMLError, 'the structure is broken'),
    (yaml.YAMLError, 'not a YAML document'),
)


def _yaml_problem(path: str, text: str,
                  error: yaml.YAMLError) -> exception.ProfileError:
    """One line for a YAML error, from its position and class only.

    :param path: the file
    :param text: the file's text
    :param error: a ``yaml.YAMLError``
    :returns: a :class:`~nova_xmlhooks.exception.ProfileError`
    """
    if isinstance(error, yaml.reader.ReaderError):
        # NOTE(xmlhooks): a ReaderError has an offset, not a mark.
        offset = min(max(error.position, 0), len(text))
        line = text.count('\n', 0, offset) + 1
        column = offset - (text.rfind('\n', 0, offset) + 1) + 1
    else:
        mark = (getattr(error, 'problem_mark', None)
                or getattr(error, 'context_mark', None))
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    if isinstance(error, _Refused):
        what = error.problem
    else:
        what = next(what for cls, what in _YAML_PROBLEMS
                    if isinstance(error, cls))
    where = ' at line %d, column %d' % (line, column) if line else ''
    return exception.ProfileError(path, 'is not valid YAML%s: %s'
                                  % (where, what))


# Reading files safely

_WRITABLE_BY_OTHERS = stat.S_IWGRP | stat.S_IWOTH
# NOTE(xmlhooks): O_NONBLOCK so that opening a FIFO that appeared between
# the check and the open returns at once instead of waiting for a writer;
# O_NOCTTY so that a terminal never becomes the service's. O_CLOEXEC is
# what os.open does anyway (PEP 446); it is written out for the reader.
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_KINDS = ((stat.S_ISDIR, 'a directory'), (stat.S_ISFIFO, 'a named pipe'),
          (stat.S_ISSOCK, 'a socket'), (stat.S_ISCHR, 'a character device'),
          (stat.S_ISBLK, 'a block device'))


def _untrusted(status: os.stat_result) -> str | None:
    """Why a file or directory could be changed by someone untrusted.

    NOTE(xmlhooks): the rule of sshd's StrictModes: what decides how
    guests are built must be owned by root or by the user the service runs
    as, and writable by its owner only. Anyone else who can write a
    profile can change every guest that uses it.

    :param status: an ``os.stat_result``
    :returns: the reason, or None when only a trusted user can change it
    """
    uid = os.geteuid()
    if status.st_uid not in (0, uid):
        return ('is owned by uid %d, not by root or the user running this '
                'service (uid %d)' % (status.st_uid, uid))
    if status.st_mode & _WRITABLE_BY_OTHERS:
        return ('is writable by its group or by others (mode %04o); only '
                'its owner may write it' % stat.S_IMODE(status.st_mode))
    return None


def _kind(status: os.stat_result) -> str:
    return next((kind for test, kind in _KINDS if test(status.st_mode)),
                'another kind of file')


def _check_directory(directory: str, status: os.stat_result) -> None:
    if not stat.S_ISDIR(status.st_mode):
        raise exception.ProfileError(directory, 'is not a directory')
    reason = _untrusted(status)
    if reason:
        raise exception.ProfileError(directory, reason)


def _check_link(path: str) -> None:
    """Check where a profile file that is a symbolic link leads.

    NOTE(xmlhooks): operators link profiles from a configuration
    repository, so links are followed; but the target must look like a
    profile file and sit in a directory only trusted users can change.
    The target is never named: it may be any host path.

    :param path: the link, in a profile directory
    :raises: nova_xmlhooks.exception.ProfileError
    """
    target = os.path.realpath(path)
    if not target.endswith(SUFFIXES):
        raise exception.ProfileError(
            path, 'is a symbolic link to a file whose name does not end '
            'in %s' % ' or '.join(SUFFIXES))
    try:
        reason = _untrusted(os.stat(os.path.dirname(target)))
    except OSError as e:
        reason = 'cannot be read: %s' % (e.strerror or e)
    if reason:
        raise exception.ProfileError(
            path, 'is a symbolic link whose target directory %s' % reason)


def _check_file(path: str) -> os.stat_result:
    """Stat a profile file without opening it, and refuse it if unsafe.

    :param path: the file
    :returns: its ``os.stat_result``, symbolic links followed
    :raises: nova_xmlhooks.exception.ProfileError
    """
    try:
        link = os.lstat(path)
        status = os.stat(path)
    except OSError as e:
        raise exception.ProfileError(path, 'cannot be read: %s'
                                     % (e.strerror or e))
    if not stat.S_ISREG(status.st_mode):
        raise exception.ProfileError(
            path, 'is not a regular file (it is %s)' % _kind(status))
    reason = _untrusted(status)
    if reason:
        raise exception.ProfileError(path, reason)
    if stat.S_ISLNK(link.st_mode):
        _check_link(path)
    return status


def _read_bytes(path: str) -> bytes:
    """Read at most ``MAX_FILE_BYTES + 1`` bytes of a safe profile file.

    :param path: the file
    :returns: the bytes
    :raises: nova_xmlhooks.exception.ProfileError
    """
    checked = _check_file(path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as e:
        raise exception.ProfileError(path, 'cannot be read: %s'
                                     % (e.strerror or e))
    try:
        opened = os.fstat(fd)
        # NOTE(xmlhooks): the file checked is the file read, or nothing.
        # Its inode alone does not say so: a file removed and replaced by
        # a named pipe or a device may get the same inode number.
        if ((opened.st_dev, opened.st_ino) != (checked.st_dev,
                                               checked.st_ino)
                or not stat.S_ISREG(opened.st_mode)):
            raise exception.ProfileError(path, 'changed while it was read')
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as e:
        raise exception.ProfileError(path, 'cannot be read: %s'
                                     % (e.strerror or e))
    finally:
        os.close(fd)
    return b''.join(chunks)


def _load_yaml(path: str) -> ty.Any:
    data = _read_bytes(path)
    if len(data) > MAX_FILE_BYTES:
        raise exception.ProfileError(
            path, 'is larger than %d bytes' % MAX_FILE_BYTES)
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        raise exception.ProfileError(
            path, 'is not valid UTF-8 (byte %d)' % e.start)
    try:
        return _parse_yaml(text)
    except yaml.YAMLError as e:
        raise _yaml_problem(path, text, e)


# Checking the shape

def _entry(steps: Sequence[ty.Any]) -> str | None:
    """The entry a problem is in, from its path below the profile."""
    if not steps:
        return None
    if len(steps) == 1:
        return messages.shortened(steps[0])
    if steps[0] == 'xml':
        return 'xml[%d]' % steps[1]
    return messages.shortened(steps[1])


#: where a problem of the whole file is, rather than in a profile (whose
#: name as written may be anything YAML reads, None included)
WHOLE_FILE = object()


def _shape_problems(path: str, error: jsonschema.ValidationError
                    ) -> list[tuple[object, exception.ProfileError]]:
    """One line per problem of a schema error, never jsonschema's message.

    NOTE(xmlhooks): jsonschema's own message quotes the value. The reason
    is the failing subschema's ``x-reason`` from :data:`SCHEMA`, and the
    profile and the entry come from where in the document the error is.

    :param path: the file
    :param error: a ``jsonschema.ValidationError``
    :returns: a list of ``(name, problem)``: the profile's name as
        written (:data:`WHOLE_FILE` for the file), and a
        :class:`~nova_xmlhooks.exception.ProfileError`
    """
    steps = list(error.absolute_path)
    if 'propertyNames' in error.absolute_schema_path:
        # NOTE(xmlhooks): a bad key; jsonschema gives it as the instance.
        steps.append(error.instance)
    reason = error.schema['x-reason']
    if not steps:
        return [(WHOLE_FILE, exception.ProfileError(path, reason))]
    if error.validator == 'additionalProperties':
        # NOTE(xmlhooks): one problem per unknown field, found from the
        # profile and the schema, not from jsonschema's message.
        return [(steps[0], exception.ProfileError(
            path, error.schema['x-unknown'],
            profile=messages.shortened(steps[0]),
            entry=messages.shortened(field)))
            for field in error.instance
            if field not in error.schema['properties']]
    return [(steps[0], exception.ProfileError(
        path, reason, profile=messages.shortened(steps[0]),
        entry=_entry(steps[1:])))]


def _strings(value: object, kind: type[_T]) -> _T:
    return value if isinstance(value, kind) else kind()


def _partial(path: str, name: object, body: object) -> Profile:
    """The entries of the right shape, of a profile whose shape is wrong.

    :param path: the file
    :param name: the profile's name, as written
    :param body: the profile, as written
    :returns: a :class:`Profile` that is not ``complete``
    """
    body = _strings(body, dict)
    specs = _strings(body.get('specs'), dict)
    xml = _strings(body.get('xml'), list)
    return Profile(
        name=messages.shortened(name), path=path, description='',
        specs=tuple((key, value) for key, value in specs.items()
                    if isinstance(key, str) and isinstance(value, str)),
        xml=tuple(edit if isinstance(edit, str) else None for edit in xml),
        image_selectable=False, complete=False,
        named=isinstance(name, str) and bool(PROFILE_NAME_RE.match(name)))


def _profile(path: str, name: str, body: Mapping[str, ty.Any]) -> Profile:
    return Profile(name=name, path=path,
                   description=body.get('description', ''),
                   specs=tuple((body.get('specs') or {}).items()),
                   xml=tuple(body.get('xml') or ()),
                   image_selectable=body.get('image_selectable', False))


def _check_document(path: str, document: object, report: problems.Sink
                    ) -> list[tuple[Profile, list[exception.ProfileError]]]:
    """Check the shape of a parsed profile file, every problem at once.

    :param path: the file
    :param document: what the YAML parsed to
    :param report: the sink for a problem of the whole file
    :returns: a list of (:class:`Profile`, its problems), in file order;
        a profile with problems is not ``complete``
    """
    found: dict[object, list[exception.ProfileError]] = {}
    for error in _VALIDATOR.iter_errors(document):
        for name, problem in _shape_problems(path, error):
            if name is WHOLE_FILE:
                report(problem)
            else:
                # NOTE(xmlhooks): by the name as written: 5 and "5" are
                # two profiles, and so are two long names shown alike.
                found.setdefault(name, []).append(problem)
    if not isinstance(document, dict):
        return []
    return [(_partial(path, name, body), found[name]) if name in found
            else (_profile(path, name, body), [])
            for name, body in document.items()]


def _read_file(path: str, report: problems.Sink) -> Iterator[Profile]:
    """Read and check one file, reporting each profile's problems first.

    :returns: an iterator of :class:`Profile`, in file order, including
        those with a problem (not ``complete``)
    """
    try:
        document = _load_yaml(path)
    except exception.ProfileError as e:
        report(e)
        return
    if document is None:
        return
    for profile, found in _check_document(path, document, report):
        for problem in found:
            report(problem)
        yield profile


def load_file(
        path: str,
        errors: list[exception.XmlHooksError] | None = None) -> list[Profile]:
    """Read one profile file.

    :param path: the file
    :param errors: if a list, a problem in one profile is appended to it
        and the other profiles of the file are still read
    :returns: a list of :class:`Profile`, in file order, without those
        with a problem
    :raises: nova_xmlhooks.exception.ProfileError
    """
    return [profile for profile in _read_file(path, problems.sink(errors))
            if profile.complete]


# Listing directories

def _scan(directory: str) -> list[os.DirEntry[str]] | None:
    """List the profile files of one directory, without reading them.

    :param directory: a profile directory
    :returns: its ``os.DirEntry`` objects for profile files, sorted by
        name, or None if the directory does not exist
    :raises: nova_xmlhooks.exception.ProfileError
    """
    try:
        _check_directory(directory, os.stat(directory))
        with os.scandir(directory) as entries:
            # NOTE(xmlhooks): hidden files are editors' (an Emacs lock is
            # a dangling ".#name.yaml" link), never profiles.
            found = [entry for entry in entries
                     if entry.name.endswith(SUFFIXES)
                     and not entry.name.startswith('.')]
    except FileNotFoundError:
        return None
    except OSError as e:
        raise exception.ProfileError(directory, 'cannot be listed: %s'
                                     % (e.strerror or e))
    return sorted(found, key=lambda entry: entry.name)


def _scan_all(directories: Iterable[str],
              report: problems.Sink) -> Iterator[os.DirEntry[str]]:
    for directory in directories:
        try:
            entries = _scan(directory)
        except exception.ProfileError as e:
            report(e)
            continue
        if entries is None:
            LOG.warning('Profile directory %s does not exist; skipping it',
                        directory)
            continue
        yield from entries


def profile_files(
        directories: Iterable[str],
        errors: list[exception.XmlHooksError] | None = None) -> list[str]:
    """List the profile files, in a stable order.

    :param directories: directories to read
    :param errors: if a list, a directory that cannot be used is appended
        to it and skipped; otherwise it is raised
    :returns: paths of ``*.yaml`` and ``*.yml`` files, directory by
        directory, sorted by file name within each
    :raises: nova_xmlhooks.exception.ProfileError
    """
    return [entry.path for entry in _scan_all(directories,
                                              problems.sink(errors))]


def read_directories(directories: Iterable[str],
                     report: problems.Sink) -> Iterator[Profile]:
    """Read and check every profile file, reporting each problem once.

    This is the first half of the engine's compile path.

    :param directories: directories to read
    :param report: the sink (see :mod:`nova_xmlhooks.problems`)
    :returns: an iterator of :class:`Profile`, file by file, including
        those with a problem reported (not ``complete``)
    """
    defined: dict[str, Profile] = {}
    for entry in _scan_all(directories, report):
        for profile in _read_file(entry.path, report):
            if not profile.named:
                yield profile
                continue
            first = defined.setdefault(profile.name, profile)
            if first is not profile:
                report(exception.ProfileError(
                    profile.path, 'is already defined in %s' % first.path,
                    profile=profile.name))
                profile = dataclasses.replace(profile, complete=False)
            yield profile


class NameIndex:
    """The names of the profiles in some directories, kept up to date.

    NOTE(xmlhooks): nova-api checks the profile names a flavor gives
    against the files on every request that names a profile, and
    operators add and change files while it runs. A look-up stats each
    directory; the files are listed and stated again when a directory
    changed (a file added, removed or renamed, as editors and
    configuration tools save) and at least every ``recheck`` seconds (a
    file rewritten in place, a linked file changed), and only a file whose
    identity, size or times changed is read again. With 1,000 profiles a
    look-up then costs a few stats, not a read of every file.
    Thread-safe.
    """

    #: seconds after which every file is stated again, changed directory
    #: or not
    RECHECK = 2.0

    def __init__(self, recheck: float = RECHECK,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Start empty.

        :param recheck: seconds between two checks of every file
        :param clock: the clock ``recheck`` is measured on
        """
        self._lock = threading.Lock()
        self._recheck = recheck
        self._clock = clock
        self._swept: float | None = None
        self._directories: tuple[StatKey | None, ...] | None = None
        self._settled = False
        # path -> (stat key or None, tuple of names or the ProfileError)
        self._files: dict[str, FileState] = {}
        self._result: frozenset[str] | exception.ProfileError = frozenset()

    def names(self, directories: Sequence[str]) -> frozenset[str]:
        """The profile names defined in the directories now.

        :param directories: directories to read; a missing one is skipped
        :returns: a frozenset of names
        :raises: nova_xmlhooks.exception.ProfileError for a directory that
            cannot be used, the first file that does not load, or a name
            defined twice
        """
        with self._lock:
            statuses = [_directory_status(d) for d in directories]
            keys = tuple(_stat_key(status) for status in statuses)
            now = self._clock()
            if (not self._settled or keys != self._directories
                    or self._swept is None
                    or now - self._swept >= self._recheck):
                self._settled = all(map(_settled, statuses))
                self._sweep(directories)
                self._directories, self._swept = keys, now
            result = self._result
        if isinstance(result, exception.ProfileError):
            # NOTE(xmlhooks): a copy, so that the cached error does not
            # collect a traceback per request.
            raise exception.ProfileError(result.path, result.reason,
                                         profile=result.profile,
                                         entry=result.entry)
        return result

    def _sweep(self, directories: Iterable[str]) -> None:
        files: dict[str, FileState] = {}
        for directory in directories:
            for entry in _scan(directory) or ():
                files[entry.path] = self._file(entry)
        if files == self._files:
            return
        self._files = files
        try:
            self._result = _union(files)
        except exception.ProfileError as e:
            self._result = e

    def _file(self, entry: os.DirEntry[str]) -> FileState:
        try:
            status = entry.stat()
        except OSError:
            status = None
        key = _stat_key(status)
        known = self._files.get(entry.path)
        if key is not None and known is not None and known[0] == key:
            return known
        if not _settled(status):
            # NOTE(xmlhooks): read again next time: a change within the
            # same timestamp would leave the key as it is now.
            key, self._settled = None, False
        loaded: tuple[str, ...] | exception.ProfileError
        try:
            loaded = tuple(profile.name for profile in load_file(entry.path))
        except exception.ProfileError as e:
            loaded = e
        return key, loaded


#: a file or directory modified less than this long ago (ns) may be
#: modified again within the same timestamp, unseen
_SETTLE_NS = 1000 * 1000 * 1000


def _settled(status: os.stat_result | None) -> bool:
    if status is None:
        return True
    return time.time_ns() - status.st_mtime_ns > _SETTLE_NS


def _stat_key(status: os.stat_result | None) -> StatKey | None:
    if status is None:
        return None
    return (status.st_dev, status.st_ino, status.st_size,
            status.st_mtime_ns, status.st_ctime_ns)


def _directory_status(directory: str) -> os.stat_result | None:
    try:
        status = os.stat(directory)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise exception.ProfileError(directory, 'cannot be listed: %s'
                                     % (e.strerror or e))
    _check_directory(directory, status)
    return status


def _union(files: Mapping[str, FileState]) -> frozenset[str]:
    names: dict[str, str] = {}
    for path, (_key, loaded) in files.items():
        if isinstance(loaded, exception.ProfileError):
            raise loaded
        for name in loaded:
            first = names.setdefault(name, path)
            if first != path:
                raise exception.ProfileError(
                    path, 'is already defined in %s' % first, profile=name)
    return frozenset(names)
