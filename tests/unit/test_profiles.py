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

import os

from nova_xmlhooks import exception
from nova_xmlhooks import profiles
from tests.unit import base


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
        loaded = profiles.load_directories([self.profile_dir])
        self.assertEqual(['one', 'two'], list(loaded))
        one = loaded['one']
        self.assertEqual('first', one.description)
        self.assertEqual((('xmlhooks:xml:x', './description=x'),), one.specs)
        self.assertEqual(('./clock/@offset=utc',), one.xml)
        self.assertTrue(one.image_selectable)
        self.assertFalse(loaded['two'].image_selectable)

    def test_missing_directory_is_skipped(self):
        self.assertEqual({}, profiles.load_directories(
            [os.path.join(self.profile_dir, 'nope')]))

    def _error(self, text, *fragments):
        path = self.write_profile('p.yaml', text)
        e = self.assertRaises(exception.ProfileError,
                              profiles.load_directories, [self.profile_dir])
        message = e.format_message()
        self.assertIn(path, message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        self.assertEqual(1, len(message.splitlines()))

    def test_invalid_yaml(self):
        self._error('a: [b\n', 'not valid YAML')

    def test_duplicate_keys(self):
        self._error('a: {}\na: {}\n', "duplicate key 'a'")

    def test_aliases(self):
        self._error('a: &x {description: d}\nb: *x\n', 'aliases')

    def test_unknown_field(self):
        self._error('a:\n  sepcs: {}\n', "profile 'a'", "entry 'sepcs'")

    def test_unquoted_on_is_caught(self):
        self._error('a:\n  specs:\n    xmlhooks:hyperv:stimer: on\n',
                    "entry 'xmlhooks:hyperv:stimer'", 'quote')

    def test_bad_name(self):
        self._error('"bad name":\n  description: x\n', "profile 'bad name'")

    def test_not_utf8(self):
        path = os.path.join(self.profile_dir, 'p.yaml')
        with open(path, 'wb') as handle:
            handle.write(b'a:\n  description: \xff\n')
        e = self.assertRaises(exception.ProfileError,
                              profiles.load_directories, [self.profile_dir])
        self.assertIn('UTF-8', e.format_message())

    def test_too_large(self):
        self._error('a:\n  description: "%s"\n'
                    % ('x' * profiles.MAX_FILE_BYTES), 'larger than')

    def test_same_name_in_two_files(self):
        self.write_profile('a.yaml', 'x: {}\n')
        path = self.write_profile('b.yaml', 'x: {}\n')
        e = self.assertRaises(exception.ProfileError,
                              profiles.load_directories, [self.profile_dir])
        self.assertIn(path, e.format_message())
        self.assertIn('already defined', e.format_message())
