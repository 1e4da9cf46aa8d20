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

This module only reads the files and checks their shape; the engine
parses the specs and edits with the customisers.
"""

import dataclasses
import os
import re

from oslo_log import log as logging
import yaml

from nova_xmlhooks import exception

LOG = logging.getLogger(__name__)

#: profile files larger than this are refused before they are parsed
MAX_FILE_BYTES = 1024 * 1024
#: profile files nested deeper than this are refused
MAX_DEPTH = 32
PROFILE_NAME_RE = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$')
_FIELDS = {'description', 'specs', 'xml', 'image_selectable'}


@dataclasses.dataclass(frozen=True)
class Profile:
    """A profile as written in its file.

    :ivar name: the profile name
    :ivar path: the file that defines it
    :ivar description: free text
    :ivar specs: spec keys and values, in file order
    :ivar xml: edits without the 255 character limit of flavor values
    :ivar image_selectable: whether an image property may select it
    """

    name: str
    path: str
    description: str
    specs: tuple
    xml: tuple
    image_selectable: bool


class _Strict:
    """Refuses duplicate keys, aliases and deep nesting in YAML.

    NOTE(xmlhooks): PyYAML silently keeps the last of two equal keys, which
    hides mistakes, and aliases allow "billion laughs" style expansion.
    Neither has a use in a profile file. This is mixed into both loaders
    below, ahead of PyYAML's own composer and constructor.
    """

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, 'aliases are not allowed', event.start_mark)
        # NOTE(xmlhooks): PyYAML composes recursively; without a limit a
        # deeply nested file ends in a RecursionError instead of an error
        # naming the file.
        self._depth = getattr(self, '_depth', 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, 'nesting deeper than %d levels' % MAX_DEPTH,
                    self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, "duplicate key '%s'" % key,
                    key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _StrictLoader(_Strict, yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys and aliases."""


# NOTE(xmlhooks): PyYAML imports its libyaml binding only when libyaml was
# found at build time; without it, profiles are read in pure Python.
_CParser = getattr(getattr(yaml, 'cyaml', None), 'CParser', None)
if _CParser is not None:
    class _StrictCLoader(_Strict, yaml.composer.Composer, _CParser,
                         yaml.constructor.SafeConstructor,
                         yaml.resolver.Resolver):
        """:class:`_StrictLoader` on libyaml's scanner and parser.

        NOTE(xmlhooks): scanning and parsing in Python is most of the time
        a large profile library takes to load. libyaml does both in C; the
        composer stays PyYAML's (libyaml's own composer cannot be
        overridden), so the refusals above are made exactly as before.
        """

        def __init__(self, stream):
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
else:
    _StrictCLoader = None


def _parse_yaml(text):
    if _StrictCLoader is not None:
        try:
            return yaml.load(text, Loader=_StrictCLoader)
        except yaml.YAMLError:
            # NOTE(xmlhooks): libyaml words some syntax errors differently
            # from PyYAML; a file it refuses is read again in Python, so
            # operators get the same message whichever is installed.
            pass
    return yaml.load(text, Loader=_StrictLoader)


def _load_yaml(path):
    try:
        with open(path, 'rb') as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise exception.ProfileError(path, 'cannot be read: %s'
                                     % (e.strerror or e))
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
        mark = getattr(e, 'problem_mark', None)
        where = ' at line %d' % (mark.line + 1) if mark else ''
        problem = getattr(e, 'problem', None) or str(e).splitlines()[0]
        raise exception.ProfileError(
            path, 'is not valid YAML%s: %s' % (where, problem))


def _check_profile(path, name, body):
    if not isinstance(name, str) or not PROFILE_NAME_RE.match(name):
        raise exception.ProfileError(
            path, 'profile names are 1 to 64 letters, digits, "_", "." '
            'or "-", starting with a letter or digit', profile=name)
    if not isinstance(body, dict):
        raise exception.ProfileError(path, 'must be a mapping', profile=name)
    unknown = sorted(set(body) - _FIELDS, key=str)
    if unknown:
        raise exception.ProfileError(
            path, 'unknown field (expected one of %s)'
            % ', '.join(sorted(_FIELDS)), profile=name, entry=unknown[0])

    description = body.get('description', '')
    if not isinstance(description, str):
        raise exception.ProfileError(path, 'must be a string', profile=name,
                                     entry='description')
    specs = body.get('specs') or {}
    if not isinstance(specs, dict):
        raise exception.ProfileError(path, 'must be a mapping', profile=name,
                                     entry='specs')
    for key, value in specs.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise exception.ProfileError(
                path, 'keys and values must be strings (quote on, off, '
                'yes and numbers)', profile=name, entry=str(key))
    xml = body.get('xml') or []
    if not isinstance(xml, list):
        raise exception.ProfileError(path, 'must be a list', profile=name,
                                     entry='xml')
    for index, edit in enumerate(xml):
        if not isinstance(edit, str):
            raise exception.ProfileError(path, 'must be a string',
                                         profile=name,
                                         entry='xml[%d]' % index)
    selectable = body.get('image_selectable', False)
    if not isinstance(selectable, bool):
        raise exception.ProfileError(path, 'must be true or false',
                                     profile=name, entry='image_selectable')
    return Profile(name=name, path=path, description=description,
                   specs=tuple(specs.items()), xml=tuple(xml),
                   image_selectable=selectable)


def load_file(path, errors=None):
    """Read one profile file.

    :param path: the file
    :param errors: if a list, a problem in one profile is appended to it
        and the other profiles of the file are still read
    :returns: a list of :class:`Profile`, in file order
    :raises: nova_xmlhooks.exception.ProfileError
    """
    document = _load_yaml(path)
    if document is None:
        return []
    if not isinstance(document, dict):
        raise exception.ProfileError(
            path, 'must map profile names to profiles')
    profiles = []
    for name, body in document.items():
        try:
            profiles.append(_check_profile(path, name, body))
        except exception.ProfileError as e:
            if errors is None:
                raise
            errors.append(e)
    return profiles


def profile_files(directories):
    """List the profile files, in a stable order.

    :param directories: directories to read
    :returns: paths of ``*.yaml`` files, directory by directory, sorted by
        file name within each
    """
    paths = []
    for directory in directories:
        try:
            names = sorted(os.listdir(directory))
        except FileNotFoundError:
            LOG.warning('Profile directory %s does not exist; skipping it',
                        directory)
            continue
        except OSError as e:
            raise exception.ProfileError(directory, 'cannot be listed: %s'
                                         % (e.strerror or e))
        paths.extend(os.path.join(directory, name) for name in names
                     if name.endswith(('.yaml', '.yml')))
    return paths


def load_directories(directories, errors=None):
    """Read every profile file in the given directories.

    :param directories: directories to read
    :param errors: if a list, problems are appended to it and reading goes
        on; otherwise the first problem is raised
    :returns: a dict of profile name to :class:`Profile`
    :raises: nova_xmlhooks.exception.ProfileError
    """
    profiles = {}
    for path in profile_files(directories):
        try:
            loaded = load_file(path, errors)
        except exception.ProfileError as e:
            if errors is None:
                raise
            errors.append(e)
            continue
        for profile in loaded:
            if profile.name in profiles:
                problem = exception.ProfileError(
                    path, 'is already defined in %s'
                    % profiles[profile.name].path, profile=profile.name)
                if errors is None:
                    raise problem
                errors.append(problem)
                continue
            profiles[profile.name] = profile
    return profiles
