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

import collections
import dataclasses
import errno
import fcntl
import functools
import os
import socket
import subprocess
import sys
import threading
import time
from unittest import mock

import fixtures
import jsonschema
import yaml

from nova_xmlhooks import api_validation
from nova_xmlhooks import exception
from nova_xmlhooks import profiles
from tests.unit import base
from tests.unit.cmd import base as cmd_base

SECRET = 'sEcReT-do-not-show'


class ProfilesTest(base.TestCase):

    def test_reads_profiles_in_order(self):
        self.write_profile('b.yaml', 'two:\n  description: second\n')
        self.write_profile('a.yaml', """
one:
  description: first
  specs:
    "xmlhooks:xml:x": "./description=x"
  xml:
    - "./clock/@offset=utc"
  image_selectable: true
""")
        self.write_profile('ignored.txt', 'not: [yaml')
        loaded = base.load_profiles([self.profile_dir])
        self.assertEqual(['one', 'two'], list(loaded))
        one = loaded['one']
        self.assertEqual('first', one.description)
        self.assertEqual((('xmlhooks:xml:x', './description=x'),), one.specs)
        self.assertEqual(('./clock/@offset=utc',), one.xml)
        self.assertTrue(one.image_selectable)
        self.assertFalse(loaded['two'].image_selectable)

    def test_missing_directory_is_skipped(self):
        logs = self.useFixture(fixtures.FakeLogger(
            name='nova_xmlhooks.profiles'))
        missing = os.path.join(self.profile_dir, 'nope')
        self.write_profile('p.yaml', 'p: {}\n')
        self.assertEqual(['p'], list(base.load_profiles(
            [missing, self.profile_dir])))
        self.assertEqual('Profile directory %s does not exist; skipping it\n'
                         % missing, logs.output)

    def test_directory_that_cannot_be_listed(self):
        other = self.useFixture(fixtures.TempDir()).path
        os.chmod(other, 0o755)
        with open(os.path.join(other, 'b.yaml'), 'w') as handle:
            handle.write('b: {}\n')
        scandir = os.scandir

        def refuse(path):
            if path == self.profile_dir:
                raise PermissionError(errno.EACCES, 'Permission denied')
            return scandir(path)

        self.useFixture(fixtures.MonkeyPatch('os.scandir', refuse))
        errors = []
        self.assertEqual(['b'], list(base.load_profiles(
            [self.profile_dir, other], errors)))
        self.assertEqual(['xmlhooks: %s: cannot be listed: Permission denied'
                          % self.profile_dir],
                         [e.format_message() for e in errors])

    def test_directory_that_is_a_file(self):
        path = self.write_profile('profiles.yaml', 'p: {}\n')
        below = os.path.join(path, 'profiles')
        for load in (base.load_profiles,
                     profiles.NameIndex().names):
            e = self.assertRaises(exception.ProfileError, load, [path])
            self.assertEqual('xmlhooks: %s: is not a directory' % path,
                             e.format_message())
            e = self.assertRaises(exception.ProfileError, load, [below])
            self.assertTrue(e.format_message().startswith(
                'xmlhooks: %s: cannot be listed: ' % below),
                e.format_message())
            self.assertNotIn('[Errno', e.format_message())

    def _error(self, text, *fragments):
        path = self.write_profile('p.yaml', text)
        e = self.assertRaises(exception.ProfileError,
                              base.load_profiles, [self.profile_dir])
        message = e.format_message()
        self.assertIn(path, message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        self.assertEqual(1, len(message.splitlines()))
        return message

    def test_invalid_yaml(self):
        self._error('a: [b\n', 'not valid YAML at line 2, column 1')

    def test_character_yaml_does_not_allow(self):
        for text, where in (
                ('\na: {}\nb:\n  description: "ok \x07"\n',
                 'line 4, column 20'),
                ('\x07', 'line 1, column 1'),
                ('\n\x07', 'line 2, column 1'),
                # NOTE(xmlhooks): libyaml counts in bytes; columns are
                # characters, as PyYAML counts them.
                ('a: {}\nb:\n  description: "\u00e9\u00e9 \x07"\n',
                 'line 3, column 20')):
            self._error(text, 'not valid YAML at %s: a character YAML does '
                              'not allow' % where)

    def test_yaml_error_without_a_place(self):
        error = profiles._yaml_problem('p.yaml', 'a: b\n',
                                       yaml.YAMLError('a %s' % SECRET))
        self.assertEqual('xmlhooks: p.yaml: is not valid YAML: not a YAML '
                         'document', error.format_message())

    def test_nesting_limit(self):
        # NOTE(xmlhooks): the document, the profile and 30 lists are 32
        # levels; a list more is refused where it starts.
        path = self.write_profile('p.yaml', 'p:\n  xml: %s%s\n'
                                  % ('[' * 30, ']' * 30))
        errors = []
        profiles.load_file(path, errors)
        self.assertEqual(['must be a string'], [e.reason for e in errors])
        self._error('p:\n  xml: %s%s\n' % ('[' * 31, ']' * 31),
                    'not valid YAML at line 2, column 38: nesting deeper '
                    'than 32 levels')

    def test_profiles_are_frozen(self):
        # NOTE(xmlhooks): the engine and nova-api share them between
        # threads and requests.
        path = self.write_profile('p.yaml', 'p: {}\n')
        profile, = profiles.load_file(path)
        self.assertRaises(dataclasses.FrozenInstanceError, setattr,
                          profile, 'complete', False)

    def test_files_are_closed(self):
        for n in range(10):
            self.write_profile('p%d.yaml' % n, 'p%d: {}\n' % n)
        opened = len(os.listdir('/proc/self/fd'))
        self.assertEqual(10, len(base.load_profiles(
            [self.profile_dir])))
        self.assertEqual(10, len(profiles.NameIndex().names(
            [self.profile_dir])))
        self.assertEqual(opened, len(os.listdir('/proc/self/fd')))

    def test_duplicate_keys(self):
        self._error('a: {}\na: {}\n',
                    'not valid YAML at line 2, column 1: duplicate key')

    def test_values_that_cannot_be_dates_or_numbers(self):
        # NOTE(xmlhooks): these used to end in a bare ValueError, naming no
        # file, in nova-compute, nova-api and validate alike.
        for text, where in (
                ('p:\n  description: 2020-13-45\n', 'line 2, column 16'),
                ('2001-02-30:\n  description: d\n', 'line 1, column 1'),
                ('p:\n  description: %s\n' % ('9' * 5000),
                 'line 2, column 16')):
            self._error(text, where, 'quote it')
            # nova-api's index of names, which then checks syntax only
            self.assertRaises(exception.ProfileError,
                              profiles.NameIndex().names,
                              [self.profile_dir])

    def test_aliases(self):
        self._error('a: &x {description: d}\nb: *x\n', 'aliases')

    def test_keys_that_are_lists_or_mappings(self):
        # NOTE(xmlhooks): these used to end in a bare TypeError, in
        # nova-compute, nova-api and validate alike.
        for text, where in (('? [a]\n: {}\n', 'line 1, column 3'),
                            ('? {a: 1}\n: {}\n', 'line 1, column 3'),
                            ('a:\n  specs:\n    ? [k]\n    : v\n',
                             'line 3, column 7')):
            self._error(text, where, 'a key must be a single value')

    def test_unknown_field(self):
        self._error('a:\n  sepcs: {}\n', "profile 'a'", "entry 'sepcs'")

    def test_unquoted_on_is_caught(self):
        self._error('a:\n  specs:\n    xmlhooks:hyperv:stimer: on\n',
                    "entry 'xmlhooks:hyperv:stimer'", 'quote')

    def test_bad_name(self):
        self._error('"bad name":\n  description: x\n', "profile 'bad name'")

    def test_profile_names(self):
        # NOTE(xmlhooks): as the message says, for files and nova-api.
        good = ['a', '9', 'A.b_c-9', 'x' * 64]
        bad = ['x' * 65, '.a', '-a', '_a', 'a b', 'a/b', 'a,b', 'a:b', '']
        path = self.write_profile('p.yaml', ''.join(
            '"%s": {}\n' % name for name in good + bad))
        errors = []
        self.assertEqual(good, [p.name for p in profiles.load_file(
            path, errors)])
        self.assertEqual(len(bad), len(errors))
        self.assertEqual(good, [name for name in good + bad
                                if profiles.PROFILE_NAME_RE.match(name)])

    def test_a_number_and_the_same_name_quoted_are_two_profiles(self):
        # NOTE(xmlhooks): 5 is no profile name; "5" is one, and its own.
        for text in ('5:\n  xml: ["./a=1"]\n"5":\n  xml: ["./b=1"]\n',
                     '"5":\n  xml: ["./b=1"]\n5:\n  xml: ["./a=1"]\n'):
            self.write_profile('p.yaml', text)
            errors = []
            loaded = base.load_profiles([self.profile_dir], errors)
            self.assertEqual(('./b=1',), loaded['5'].xml, text)
            self.assertEqual(1, len(errors), errors)
            self.assertIn('profile names are', errors[0].format_message())

    def test_long_bad_names_shown_alike_are_two_profiles(self):
        self.write_profile('p.yaml', '%s1: {}\n%s2: {}\n'
                           % ('a' * 70, 'a' * 70))
        errors = []
        self.assertEqual({}, base.load_profiles([self.profile_dir],
                                                errors))
        self.assertEqual(2, len(errors))
        for error in errors:
            self.assertIn('profile names are', error.format_message())

    def test_a_null_name_is_a_bad_name(self):
        self.write_profile('p.yaml', 'null:\n  xml: ["./a=1"]\n')
        errors = []
        self.assertEqual({}, base.load_profiles([self.profile_dir],
                                                errors))
        self.assertEqual(1, len(errors))
        self.assertIn('profile names are', errors[0].format_message())

    def test_name_ending_in_a_newline(self):
        self._error('"name\\n":\n  description: x\n', 'profile names are')

    def test_long_names_are_cut(self):
        message = self._error('"%s":\n  description: x\n' % ('x' * 1000),
                              'profile names are')
        self.assertLess(len(message), 500)

    def test_not_utf8(self):
        path = os.path.join(self.profile_dir, 'p.yaml')
        with open(path, 'wb') as handle:
            handle.write(b'a:\n  description: \xff\n')
        e = self.assertRaises(exception.ProfileError,
                              base.load_profiles, [self.profile_dir])
        self.assertIn('UTF-8', e.format_message())

    def test_too_large(self):
        self._error('a:\n  description: "%s"\n'
                    % ('x' * profiles.MAX_FILE_BYTES), 'larger than')

    def test_size_limit(self):
        # NOTE(xmlhooks): the 1 MiB the hardening guide documents.
        head, tail = 'p:\n  description: "', '"\n'
        fill = 1024 * 1024 - len(head) - len(tail)
        path = self.write_profile('p.yaml', head + 'x' * fill + tail)
        self.assertEqual(1024 * 1024, os.path.getsize(path))
        self.assertEqual(['p'], list(base.load_profiles(
            [self.profile_dir])))
        self._error(head + 'x' * (fill + 1) + tail,
                    'is larger than 1048576 bytes')

    def test_same_name_in_two_files(self):
        self.write_profile('a.yaml', 'x: {}\n')
        path = self.write_profile('b.yaml', 'x: {}\n')
        e = self.assertRaises(exception.ProfileError,
                              base.load_profiles, [self.profile_dir])
        self.assertIn(path, e.format_message())
        self.assertIn('already defined', e.format_message())
        # NOTE(xmlhooks): nova-xmlhooks validate reads on; the first
        # definition is the one kept.
        self.write_profile('a.yaml', 'x: {description: first}\n')
        errors = []
        loaded = base.load_profiles([self.profile_dir], errors)
        self.assertEqual('first', loaded['x'].description)
        self.assertEqual(1, len(errors))

    def test_hidden_files_are_not_profiles(self):
        # NOTE(xmlhooks): an Emacs lock is a dangling link like this one.
        os.symlink('root@host.1234', os.path.join(self.profile_dir,
                                                  '.#p.yaml'))
        self.write_profile('.p.yaml', 'not: [yaml')
        self.write_profile('p.yaml', 'p: {}\n')
        self.assertEqual(['p'], list(base.load_profiles(
            [self.profile_dir])))


class ShapeTest(base.TestCase):
    """The shape of a file, checked by one schema, every problem at once."""

    def test_schema_is_valid(self):
        jsonschema.Draft202012Validator.check_schema(profiles.SCHEMA)

    def _problems(self, text):
        path = self.write_profile('p.yaml', text)
        errors = []
        loaded = profiles.load_file(path, errors)
        for error in errors:
            self.assertIsInstance(error, exception.ProfileError)
            self.assertEqual(path, error.path)
            self.assertNotIn(SECRET, error.format_message())
        return ([p.name for p in loaded],
                [(e.profile, e.entry, e.reason) for e in errors])

    def test_every_shape_problem_once(self):
        names, problems = self._problems('''
good:
  description: fine
  specs:
    xmlhooks:xml:a: ./title=x
fields:
  colour: red
  size: 3
  description: [%(s)s]
  image_selectable: "%(s)s"
specs:
  specs:
    xmlhooks:hyperv:relaxed: on
    xmlhooks:xml:n: 12
    7: %(s)s
    xmlhooks:xml:ok: ./title=x
  xml: [1, "./title=x", {a: %(s)s}]
notmapping: [%(s)s]
"bad name": {}
5: {}
kinds:
  specs: [%(s)s]
  xml: "%(s)s"
''' % {'s': SECRET})
        strings = profiles._SPEC_REASON
        unknown = ('unknown field (expected one of description, '
                   'image_selectable, specs, xml)')
        name = ('profile names are 1 to 64 letters, digits, "_", "." or '
                '"-", starting with a letter or digit')
        self.assertEqual(['good'], names)
        self.assertEqual(sorted([
            ('fields', 'colour', unknown),
            ('fields', 'size', unknown),
            ('fields', 'description', 'must be a string'),
            ('fields', 'image_selectable', 'must be true or false'),
            ('specs', 'xmlhooks:hyperv:relaxed', strings),
            ('specs', 'xmlhooks:xml:n', strings),
            ('specs', '7', strings),
            ('specs', 'xml[0]', 'must be a string'),
            ('specs', 'xml[2]', 'must be a string'),
            ('notmapping', None, 'must be a mapping'),
            ('bad name', None, name),
            ('5', None, name),
            ('kinds', 'specs', 'must be a mapping'),
            ('kinds', 'xml', 'must be a list'),
        ]), sorted(problems))

    def test_a_file_that_is_not_a_mapping(self):
        for text in ('- a\n- b\n', '%s\n' % SECRET, '12\n'):
            names, problems = self._problems(text)
            self.assertEqual([], names)
            self.assertEqual(
                [(None, None, 'must map profile names to profiles')],
                problems)

    def test_empty_file_and_empty_fields(self):
        self.assertEqual(([], []), self._problems(''))
        self.assertEqual((['p'], []), self._problems(
            'p:\n  specs:\n  xml:\n'))
        path = self.write_profile('p.yaml', 'p: {}\n')
        self.assertEqual([profiles.Profile(
            name='p', path=path, description='', specs=(), xml=(),
            image_selectable=False)], profiles.load_file(path))

    def test_a_broken_profile_with_a_long_name_is_named_short(self):
        self.write_profile('p.yaml', '"%s": {}\n' % ('x' * 1000))
        errors = []
        profile, = profiles.read_directories([self.profile_dir],
                                             errors.append)
        self.assertFalse(profile.complete)
        self.assertEqual(errors[0].profile, profile.name)
        self.assertLess(len(profile.name), 100)

    def test_the_entries_of_a_broken_profile_still_reach_the_engine(self):
        path = self.write_profile('p.yaml', '''
p:
  colour: red
  specs:
    xmlhooks:xml:a: ./title=x
    xmlhooks:xml:b: 2024-01-01
  xml: [./title=y, 3, ./title=z]
''')
        errors = []
        read = list(profiles.read_directories([self.profile_dir],
                                              errors.append))
        self.assertEqual(['colour', 'xmlhooks:xml:b', 'xml[1]'],
                         [e.entry for e in errors])
        self.assertEqual([profiles.Profile(
            name='p', path=path, description='',
            specs=(('xmlhooks:xml:a', './title=x'),),
            xml=('./title=y', None, './title=z'), image_selectable=False,
            complete=False)], read)


class FileSafetyTest(base.TestCase):
    """Only regular files that only trusted users can change are read."""

    def load(self):
        """Load the profile directory in a thread that may not block."""
        result = []

        def load():
            try:
                result.append(base.load_profiles([self.profile_dir]))
            except exception.ProfileError as e:
                result.append(e)

        reader = threading.Thread(target=load, daemon=True)
        reader.start()
        reader.join(30)
        self.assertFalse(reader.is_alive(), 'reading the profiles blocked')
        return result[0]

    def assertRefused(self, name, *fragments):
        error = self.load()
        self.assertIsInstance(error, exception.ProfileError)
        message = error.format_message()
        self.assertIn(name, message)
        self.assertNotIn(SECRET, message)
        self.assertEqual(1, len(message.splitlines()))
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message

    def test_the_file_is_held_for_this_read_only(self):
        # NOTE(xmlhooks): close-on-exec, so that a process another thread
        # starts during the read does not inherit the file; non-blocking,
        # so that a pipe put there after the check cannot hang it; never
        # a controlling terminal, should a terminal be put there instead.
        self.write_profile('p.yaml', 'p: {}\n')
        opened, held = [], []
        real_open, real_read = os.open, os.read

        def record_open(path, flags, *args, **kwargs):
            opened.append(flags)
            return real_open(path, flags, *args, **kwargs)

        def record_read(fd, size):
            held.append((os.get_inheritable(fd),
                         fcntl.fcntl(fd, fcntl.F_GETFD),
                         fcntl.fcntl(fd, fcntl.F_GETFL)))
            return real_read(fd, size)

        self.useFixture(fixtures.MonkeyPatch('os.open', record_open))
        self.useFixture(fixtures.MonkeyPatch('os.read', record_read))
        self.assertEqual(['p'], list(self.load()))
        self.assertEqual(1, len(opened))
        self.assertTrue(opened[0] & os.O_NOCTTY)
        inheritable, fd_flags, status_flags = held[0]
        self.assertFalse(inheritable)
        self.assertTrue(fd_flags & fcntl.FD_CLOEXEC)
        self.assertTrue(status_flags & os.O_NONBLOCK)
        self.assertEqual(os.O_RDONLY, status_flags & os.O_ACCMODE)

    def test_named_pipe(self):
        os.mkfifo(os.path.join(self.profile_dir, 'p.yaml'))
        self.assertRefused('p.yaml', 'is not a regular file (it is a named '
                                     'pipe)')

    def test_socket_and_directory(self):
        listener = socket.socket(socket.AF_UNIX)
        self.addCleanup(listener.close)
        listener.bind(os.path.join(self.profile_dir, 'a.yaml'))
        self.assertRefused('a.yaml', 'it is a socket')
        os.unlink(os.path.join(self.profile_dir, 'a.yaml'))
        os.mkdir(os.path.join(self.profile_dir, 'd.yaml'))
        self.assertRefused('d.yaml', 'it is a directory')

    def test_link_to_a_device(self):
        os.symlink('/dev/zero', os.path.join(self.profile_dir, 'p.yaml'))
        self.assertRefused('p.yaml', 'it is a character device')

    def _elsewhere(self, name, text, mode=0o755):
        directory = self.useFixture(fixtures.TempDir()).path
        os.chmod(directory, mode)
        path = os.path.join(directory, name)
        with open(path, 'w') as handle:
            handle.write(text)
        return path

    def test_link_to_a_file_that_is_not_a_profile(self):
        secret = self._elsewhere('shadow', 'root:$6$%s:19000::::::\n'
                                 % SECRET)
        os.symlink(secret, os.path.join(self.profile_dir, 'p.yaml'))
        message = self.assertRefused('p.yaml', 'symbolic link')
        self.assertNotIn(secret, message)
        self.assertNotIn('root:', message)

    def test_link_into_a_configuration_repository(self):
        target = self._elsewhere('windows.yaml', 'windows: {}\n')
        os.symlink(target, os.path.join(self.profile_dir, 'windows.yaml'))
        self.assertEqual(['windows'], list(self.load()))

    def test_link_into_a_directory_others_can_write(self):
        target = self._elsewhere('windows.yaml', 'windows: {}\n',
                                 mode=0o1777)
        os.symlink(target, os.path.join(self.profile_dir, 'windows.yaml'))
        self.assertRefused('windows.yaml', 'target directory is writable '
                                           'by its group or by others')

    def test_link_whose_target_directory_cannot_be_read(self):
        target = self._elsewhere('windows.yaml', 'windows: {}\n')
        os.symlink(target, os.path.join(self.profile_dir, 'windows.yaml'))
        directory = os.path.dirname(os.path.realpath(target))
        stat = os.stat

        def refuse(name, *args, **kwargs):
            if name == directory:
                raise PermissionError(errno.EACCES, 'Permission denied')
            return stat(name, *args, **kwargs)

        self.useFixture(fixtures.MonkeyPatch('os.stat', refuse))
        message = self.assertRefused(
            'windows.yaml', 'is a symbolic link whose target directory '
            'cannot be read: Permission denied')
        self.assertNotIn(directory, message)

    def test_dangling_link(self):
        os.symlink('nowhere.yaml', os.path.join(self.profile_dir, 'p.yaml'))
        message = self.assertRefused('p.yaml', 'cannot be read: ')
        self.assertNotIn('[Errno', message)

    def test_file_others_can_write(self):
        path = self.write_profile('p.yaml', 'p: {}\n')
        for mode in (0o664, 0o646):
            os.chmod(path, mode)
            self.assertRefused('p.yaml', 'writable by its group or by '
                                         'others (mode 0%o)' % mode)
        os.chmod(path, 0o644)
        self.assertEqual(['p'], list(self.load()))

    def test_directory_others_can_write(self):
        self.write_profile('p.yaml', 'p: {}\n')
        for mode in (0o775, 0o1777):
            os.chmod(self.profile_dir, mode)
            self.assertRefused(self.profile_dir, 'writable by its group or '
                                                 'by others')
        os.chmod(self.profile_dir, 0o700)
        self.assertEqual(['p'], list(self.load()))

    def test_file_of_another_user(self):
        path = self.write_profile('p.yaml', 'p: {}\n')
        if os.geteuid() == 0:
            os.chown(path, 4242, -1)
            owner = 4242
        else:
            # NOTE(xmlhooks): without root, the service runs as another
            # user than the one who owns the file.
            owner = os.geteuid()
            self.useFixture(fixtures.MonkeyPatch(
                'os.geteuid', lambda: owner + 1))
        self.assertRefused('p.yaml', 'is owned by uid %d, not by root or '
                                     'the user running this service'
                           % owner)

    def after_the_check(self, path, action):
        """Run ``action`` once, right after the reader stats ``path``.

        :param path: the profile file the reader checks
        :param action: a callable changing the file system
        """
        stat = os.stat
        done = []

        def stat_then_act(name, *args, **kwargs):
            result = stat(name, *args, **kwargs)
            if name == path and not done:
                done.append(name)
                action()
            return result

        self.useFixture(fixtures.MonkeyPatch('os.stat', stat_then_act))

    def test_file_removed_while_read(self):
        path = self.write_profile('p.yaml', 'p: {}\n')
        self.after_the_check(path, functools.partial(os.unlink, path))
        message = self.assertRefused('p.yaml', 'p.yaml: cannot be read: ')
        self.assertNotIn('[Errno', message)

    def test_at_most_the_limit_and_a_byte_is_read(self):
        # NOTE(xmlhooks): as the hardening guide says; a huge file costs
        # no more memory than a file one byte over the limit. Reads
        # shorter than asked, as from a network file system, add up.
        self.write_profile('p.yaml', 'x' * (3 * profiles.MAX_FILE_BYTES))
        read = os.read
        sizes = []

        def counting(fd, size):
            data = read(fd, min(size, 64 * 1024))
            sizes.append(len(data))
            return data

        self.useFixture(fixtures.MonkeyPatch('os.read', counting))
        self.assertRefused('p.yaml', 'is larger than')
        self.assertEqual(profiles.MAX_FILE_BYTES + 1, sum(sizes))

    def test_read_error(self):
        # NOTE(xmlhooks): the part of a file read before an error is
        # never parsed as if it were all of it.
        self.write_profile('p.yaml', 'p: {}\n')

        def failing(fd, size):
            raise OSError(errno.EIO, 'Input/output error')

        self.useFixture(fixtures.MonkeyPatch('os.read', failing))
        self.assertRefused('p.yaml', 'p.yaml: cannot be read: Input/output '
                                     'error')

    def test_owners_trusted(self):
        # NOTE(xmlhooks): root, or the user the service runs as; a
        # status rather than files, which only root could chown.
        self.useFixture(fixtures.MonkeyPatch('os.geteuid', lambda: 4242))

        def status(uid, mode=0o100644):
            return os.stat_result((mode, 1, 1, 1, uid, 0, 0, 0, 0, 0))

        self.assertIsNone(profiles._untrusted(status(0)))
        self.assertIsNone(profiles._untrusted(status(4242)))
        self.assertEqual('is owned by uid 1, not by root or the user '
                         'running this service (uid 4242)',
                         profiles._untrusted(status(1)))
        self.assertIsNotNone(profiles._untrusted(status(0, 0o100664)))

    def test_named_pipe_that_appears_after_the_check(self):
        # NOTE(xmlhooks): the open does not wait for a writer. The pipe
        # may get the removed file's inode number, or not, as the file
        # system allocates it; it is given that number here, so the pipe
        # is told apart by its type alone.
        path = self.write_profile('p.yaml', 'p: {}\n')
        checked = os.stat(path)

        def swap():
            os.unlink(path)
            os.mkfifo(path)

        fstat = os.fstat

        def same_inode(fd):
            fields = list(fstat(fd))
            fields[1:3] = [checked.st_ino, checked.st_dev]
            return os.stat_result(fields)

        self.after_the_check(path, swap)
        self.useFixture(fixtures.MonkeyPatch('os.fstat', same_inode))
        self.assertRefused('p.yaml', 'changed while it was read')

    def test_file_replaced_while_read(self):
        path = self.write_profile('p.yaml', 'p: {}\n')
        self.after_the_check(path, lambda: os.rename(
            self.write_profile('q.tmp', 'q: {}\n'), path))
        self.assertRefused('p.yaml', 'changed while it was read')


class NameIndexTest(base.TestCase):
    """nova-api's view of the profile names: current, and cheap."""

    def setUp(self):
        super().setUp()
        self.now = 1000.0
        self.index = profiles.NameIndex(clock=lambda: self.now)
        self.reads = []
        load_file = profiles.load_file

        def counting(path, errors=None):
            self.reads.append(os.path.basename(path))
            return load_file(path, errors)

        self.useFixture(fixtures.MonkeyPatch(
            'nova_xmlhooks.profiles.load_file', counting))

    def write(self, name, text):
        """Write a file as if a while ago, so that it counts as settled."""
        path = self.write_profile(name, text)
        self.settle(path)
        return path

    def settle(self, *paths):
        """Date the directory and the paths a while ago."""
        past = time.time_ns() - 10 * profiles._SETTLE_NS
        for path in paths + (self.profile_dir,):
            os.utime(path, ns=(past, past))

    def names(self):
        return self.index.names([self.profile_dir])

    def test_no_profiles(self):
        self.write('notes.txt', 'a: {}\n')
        self.assertEqual(frozenset(), self.names())
        self.assertEqual([], self.reads)

    def test_missing_directory_is_skipped(self):
        self.write('a.yaml', 'a: {}\n')
        directories = [self.profile_dir + '-absent', self.profile_dir]
        self.assertEqual({'a'}, self.index.names(directories))
        # NOTE(xmlhooks): and, as nothing changed, not listed again.
        scan = self.useFixture(fixtures.MockPatch(
            'nova_xmlhooks.profiles._scan')).mock
        self.assertEqual({'a'}, self.index.names(directories))
        self.assertFalse(scan.called)

    def test_problem_in_a_profile_is_located(self):
        path = self.write('a.yaml', 'a:\n  colour: red\n')
        for _ in range(2):
            e = self.assertRaises(exception.ProfileError, self.names)
            self.assertEqual((path, 'a', 'colour'),
                             (e.path, e.profile, e.entry))

    def test_dangling_link(self):
        os.symlink('nowhere.yaml', os.path.join(self.profile_dir, 'p.yaml'))
        self.settle()
        e = self.assertRaises(exception.ProfileError, self.names)
        self.assertIn('p.yaml: cannot be read', e.format_message())

    def test_reads_only_what_changed(self):
        for n in range(20):
            self.write('p%02d.yaml' % n, 'p%02d: {}\n' % n)
        self.assertEqual({'p%02d' % n for n in range(20)}, self.names())
        self.assertEqual(20, len(self.reads))
        del self.reads[:]
        self.now += profiles.NameIndex.RECHECK * 10
        self.assertEqual(20, len(self.names()))
        self.assertEqual([], self.reads)

    def test_new_file_is_seen_at_once(self):
        self.write('a.yaml', 'a: {}\n')
        self.assertEqual({'a'}, self.names())
        self.write('b.yaml', 'b: {}\n')
        self.assertEqual({'a', 'b'}, self.names())
        self.assertEqual(['a.yaml', 'b.yaml'], self.reads)
        os.unlink(os.path.join(self.profile_dir, 'b.yaml'))
        self.settle()
        self.assertEqual({'a'}, self.names())

    def test_file_rewritten_in_place_is_seen_within_recheck(self):
        path = self.write('a.yaml', 'a: {}\n')
        self.assertEqual({'a'}, self.names())
        with open(path, 'r+') as handle:
            handle.write('c')
        os.utime(path, ns=(time.time_ns() - 5 * profiles._SETTLE_NS,) * 2)
        # NOTE(xmlhooks): the two seconds the profile reference promises.
        self.now += 2
        self.assertEqual({'c'}, self.names())
        self.assertEqual(['a.yaml', 'a.yaml'], self.reads)

    def test_recent_changes_are_read_until_they_settle(self):
        # NOTE(xmlhooks): a second change within the same timestamp would
        # leave size and times as they were; a recent file is read again.
        self.write_profile('a.yaml', 'a: {}\n')
        self.assertEqual({'a'}, self.names())
        self.assertEqual({'a'}, self.names())
        self.assertEqual(['a.yaml', 'a.yaml'], self.reads)
        self.settle(os.path.join(self.profile_dir, 'a.yaml'))
        self.names()
        self.names()
        self.assertEqual(3, len(self.reads))

    def test_problems(self):
        self.write('a.yaml', 'a: {}\n')
        bad = self.write('b.yaml', 'b: [unclosed\n')
        raised = []
        for _ in range(2):
            e = self.assertRaises(exception.ProfileError, self.names)
            self.assertIn('b.yaml: is not valid YAML', e.format_message())
            raised.append(e)
        # NOTE(xmlhooks): a copy per look-up, so that the cached error
        # does not collect a traceback per request.
        self.assertIsNot(raised[0], raised[1])
        self.assertEqual(['a.yaml', 'b.yaml'], self.reads)
        os.unlink(bad)
        self.write('c.yaml', 'a: {}\n')
        e = self.assertRaises(exception.ProfileError, self.names)
        self.assertIn("c.yaml, profile 'a': is already defined in",
                      e.format_message())
        os.unlink(os.path.join(self.profile_dir, 'c.yaml'))
        os.mkfifo(os.path.join(self.profile_dir, 'd.yaml'))
        self.settle()
        e = self.assertRaises(exception.ProfileError, self.names)
        self.assertIn('named pipe', e.format_message())

    def test_threads_see_one_consistent_view(self):
        for n in range(50):
            self.write('p%02d.yaml' % n, 'p%02d: {}\n' % n)
        expected = frozenset('p%02d' % n for n in range(50))
        seen = collections.Counter()

        def look_up():
            for _ in range(20):
                seen[self.index.names([self.profile_dir]) == expected] += 1

        threads = [threading.Thread(target=look_up) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertEqual({True: 160}, dict(seen))
        self.assertEqual(50, len(self.reads))


class ApiProfileParserTest(base.TestCase):
    """``xmlhooks:profile`` at nova-api, against the files of the host."""

    def test_names_checked_against_the_files_as_they_change(self):
        parse = api_validation._profile_parser(self.conf)
        self.write_profile('a.yaml', 'a: {}\n')
        parse('xmlhooks:profile', 'a')
        e = self.assertRaises(ValueError, parse, 'xmlhooks:profile', 'a,b')
        self.assertEqual("unknown profile 'b'", str(e))
        self.write_profile('b.yaml', 'b: {}\n')
        parse('xmlhooks:profile', 'a,b')

    def test_files_are_read_once_across_requests(self):
        path = self.write_profile('a.yaml', 'a: {}\n')
        past = time.time_ns() - 10 * profiles._SETTLE_NS
        for settled in (path, self.profile_dir):
            os.utime(settled, ns=(past, past))
        load = self.useFixture(fixtures.MockPatch(
            'nova_xmlhooks.profiles.load_file',
            wraps=profiles.load_file)).mock
        for _ in range(3):
            api_validation._profile_parser(self.conf)('xmlhooks:profile',
                                                      'a')
        self.assertEqual(1, load.call_count)

    def test_directories_without_profiles_leave_a_syntax_check(self):
        # NOTE(xmlhooks): an API host may have the directory, empty, and
        # the profiles only on the computes.
        parse = api_validation._profile_parser(self.conf)
        self.write_profile('notes.txt', 'a: {}\n')
        parse('xmlhooks:profile', 'defined-on-computes-only')
        self.flags(profile_dirs=[self.profile_dir + '-absent'])
        parse('xmlhooks:profile', 'defined-on-computes-only')

    def test_names_no_profile(self):
        parse = api_validation._profile_parser(self.conf)
        for value in ('', ' , ', ','):
            e = self.assertRaises(ValueError, parse, 'xmlhooks:profile',
                                  value)
            self.assertEqual('names no profile', str(e))

    def test_unusable_files_leave_a_syntax_check(self):
        parse = api_validation._profile_parser(self.conf)
        os.mkfifo(os.path.join(self.profile_dir, 'a.yaml'))
        parse('xmlhooks:profile', 'anything')
        self.assertRaises(ValueError, parse, 'xmlhooks:profile', 'a b')


class ValidateEveryProblemTest(cmd_base.CommandTestCase):
    """``nova-xmlhooks validate`` reports each problem of a profile once."""

    def validate(self, **options):
        self.write_config(**options)
        status, out, err = self.run_command('validate')
        self.assertEqual(1, status, out + err)
        self.assertEqual('', err)
        lines = cmd_base.report_lines(out)
        summary = lines.pop()
        self.assertEqual('%d problem(s) found; nova-compute would refuse '
                         'to start' % len(lines), summary)
        self.assertEqual([], [line for line, count
                              in collections.Counter(lines).items()
                              if count > 1])
        return lines

    def test_xml_entries_without_the_xml_customizer(self):
        path = self.write_profile('p.yaml', '''
p:
  xml:
    - ./clock/@offset=utc
    - ./vcpu=2
    - ./title=x
''')
        self.assertEqual(
            ["ERROR: %s, profile 'p', entry 'xml': needs the 'xml' "
             "customizer, which is not enabled" % path],
            self.validate(customizers='hyperv'))

    def test_a_bad_value_and_an_unquoted_date(self):
        path = self.write_profile('p.yaml', '''
p:
  specs:
    xmlhooks:hyperv:spinlocks: lots
    xmlhooks:hyperv:vendor_id: 2024-01-01
''')
        self.assertEqual([
            "ERROR: %s, profile 'p', entry 'xmlhooks:hyperv:vendor_id': "
            "keys and values must be strings (quote on, off, yes and "
            "numbers)" % path,
            "ERROR: %s, profile 'p', entry 'xmlhooks:hyperv:spinlocks': "
            "'lots' is not of the format 'on|off|[0-9]{1,10}'." % path,
        ], self.validate(customizers='hyperv'))

    def test_every_problem_of_every_profile(self):
        path = self.write_profile('p.yaml', '''
mixed:
  colour: red
  description: 5
  specs:
    xmlhooks:hyperv:spinlocks: lots
    xmlhooks:hyperv:relaxed: on
    xmlhooks:nofamily:a: x
    xmlhooks:profile: other
    xmlhooks:xml:a: not an edit
  xml:
    - ./title=x
    - 12
    - xpath.delete=./devices/[[
    - also not an edit
fine:
  specs:
    xmlhooks:hyperv:relaxed: "on"
''')
        self.write_profile('q.yaml', 'fine: {}\n')
        lines = self.validate(customizers='hyperv,xml',
                              default_profiles='mixed,fine')
        where = "ERROR: %s, profile 'mixed', entry " % path
        self.assertEqual(sorted([
            "ERROR: [xmlhooks] default_profiles, profile 'mixed': names "
            "unknown or invalid profile",
            where + "'colour': unknown field (expected one of description, "
            "image_selectable, specs, xml)",
            where + "'description': must be a string",
            where + "'xmlhooks:hyperv:relaxed': keys and values must be "
            "strings (quote on, off, yes and numbers)",
            where + "'xml[1]': must be a string",
            where + "'xmlhooks:hyperv:spinlocks': 'lots' is not of the "
            "format 'on|off|[0-9]{1,10}'.",
            where + "'xmlhooks:nofamily:a': no customizer handles "
            "'xmlhooks:nofamily' (enabled: hyperv, xml); see nova-xmlhooks "
            "list for the enabled customizers",
            where + "'xmlhooks:profile': only xmlhooks:<family>:... keys "
            "are allowed in a profile",
            where + "'xmlhooks:xml:a': 'not an edit' is not of the form "
            "XPATH=VALUE",
            where + "'xml[2]': XPath './devices/[[' is invalid: Invalid "
            "expression",
            where + "'xml[3]': 'also not an edit' is not of the form "
            "XPATH=VALUE",
            "ERROR: %s/q.yaml, profile 'fine': is already defined in %s"
            % (self.profile_dir, path),
        ]), sorted(lines))

    def test_unsafe_files_as_a_process(self):
        # NOTE(xmlhooks): a process of its own, so that a read that blocks
        # fails the test on its timeout instead of hanging the run.
        os.mkfifo(os.path.join(self.profile_dir, 'fifo.yaml'))
        secret = os.path.join(self.tempdir, 'shadow')
        with open(secret, 'w') as handle:
            handle.write('root:$6$%s:19000::::::\n' % SECRET)
        os.symlink(secret, os.path.join(self.profile_dir, 'link.yaml'))
        self.write_profile('yaml.yaml', 'p: "%s\n' % SECRET)
        os.chmod(self.write_profile('open.yaml', 'p: {}\n'), 0o666)
        environ = {name: value for name, value in os.environ.items()
                   if name != 'PYTHONWARNINGS'}
        result = subprocess.run(
            [sys.executable, '-m', 'nova_xmlhooks.cmd.main',
             '--config-file', self.config_file, 'validate'],
            cwd=cmd_base.REPO_DIR, capture_output=True, text=True,
            timeout=120, env=environ)
        self.assertEqual(1, result.returncode, result.stderr)
        self.assertNotIn(SECRET, result.stdout + result.stderr)
        self.assertNotIn(secret, result.stdout)
        d = self.profile_dir
        self.assertEqual([
            'ERROR: %s/fifo.yaml: is not a regular file (it is a named pipe)'
            % d,
            'ERROR: %s/link.yaml: is a symbolic link to a file whose name '
            'does not end in .yaml or .yml' % d,
            'ERROR: %s/open.yaml: is writable by its group or by others '
            '(mode 0666); only its owner may write it' % d,
            'ERROR: %s/yaml.yaml: is not valid YAML at line 2, column 1: a '
            'token YAML cannot read' % d,
            '4 problem(s) found; nova-compute would refuse to start',
        ], cmd_base.report_lines(result.stdout))


class ProblemSinkTest(base.TestCase):
    """The services stop at the first problem, on the same path."""

    def test_first_problem_is_raised(self):
        self.write_profile('a.yaml', 'a:\n  colour: red\n  description: 5\n')
        errors = []
        base.load_profiles([self.profile_dir], errors)
        self.assertEqual(2, len(errors))
        e = self.assertRaises(exception.ProfileError,
                              base.load_profiles, [self.profile_dir])
        self.assertEqual(errors[0].format_message(), e.format_message())

    def test_reading_stops_at_the_first_problem(self):
        self.write_profile('a.yaml', 'a:\n  colour: red\n')
        self.write_profile('b.yaml', 'b: {}\n')
        with mock.patch.object(profiles, '_load_yaml',
                               wraps=profiles._load_yaml) as load:
            self.assertRaises(exception.ProfileError,
                              base.load_profiles, [self.profile_dir])
        self.assertEqual(1, load.call_count)
