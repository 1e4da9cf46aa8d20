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

"""``nova-xmlhooks validate`` and ``nova-xmlhooks list``."""

import json
import os

from nova_xmlhooks.cmd import hints
from nova_xmlhooks.customizers import xml as xml_customizer
from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import exception
from tests.unit.cmd import base

GOOD = '''
windows-clock:
  description: Windows keeps the RTC in local time
  specs:
    xmlhooks:xml:clock: ./clock/@offset=localtime
notablet:
  description: No USB tablet
  image_selectable: true
  xml:
    - xpath.delete=./devices/input[@type='tablet']
'''

#: one file with several bad entries in one profile, a good profile and a
#: profile of a bad shape
ENTRIES = '''
two-bad:
  specs:
    xmlhooks:xml:a: no-equals
    xmlhooks:nofamily:b: x
    xmlhooks:xml:fine: ./clock/@offset=utc
  xml:
    - ./clock/@offset=utc
    - xpath.delete=./devices/[[
good:
  description: fine
  xml: [./clock/@offset=utc]
shape:
  colour: red
'''


class ValidateTest(base.CommandTestCase):

    def test_ok(self):
        self.write_profile('10-good.yaml', GOOD)
        self.write_profile('20-more.yaml', 'other:\n  description: x\n')
        self.write_config(default_profiles='notablet')
        with open(self.config_file, 'a') as handle:
            handle.write('[DEFAULT]\ncompute_driver = '
                         'xmlhooks.LibvirtDriver\n')
        status, out, err = self.run_command('validate')
        self.assertEqual(0, status, out + err)
        self.assertEqual('', err)
        self.assertEqual(
            ['Configuration files read: %s' % self.config_file,
             'OK: 1 customizer(s) (xml), 3 profile(s) from 2 file(s), '
             'default profiles: notablet, on_error = fail'],
            out.splitlines())

    def test_warns_about_the_compute_driver(self):
        status, out, _err = self.run_command('validate')
        self.assertEqual(0, status)
        self.assertIn('\nWARNING: [DEFAULT] compute_driver is not set in '
                      'these files; a compute host needs compute_driver = '
                      'xmlhooks.LibvirtDriver', out)
        with open(self.config_file, 'a') as handle:
            handle.write('[DEFAULT]\ncompute_driver = '
                         'libvirt.LibvirtDriver\n')
        status, out, _err = self.run_command('validate')
        self.assertEqual(0, status)
        self.assertIn("\nWARNING: [DEFAULT] compute_driver is "
                      "'libvirt.LibvirtDriver', not xmlhooks.LibvirtDriver: "
                      "nova-compute with this configuration does not apply "
                      "any customisation\n", out)

    def test_suggests_keys_and_profiles(self):
        path = self.write_profile('w.yaml', 'windows:\n  specs:\n'
                                  '    xmlhooks:hyperv:relaxd: "on"\n'
                                  'linux:\n  description: l\n')
        self.write_config(customizers='xml,hyperv', default_profiles='linx')
        status, out, _err = self.run_command('validate')
        self.assertEqual(1, status)
        self.assertIn("ERROR: [xmlhooks] default_profiles, profile 'linx': "
                      "names unknown or invalid profile; did you mean "
                      "'linux'? (see nova-xmlhooks list)\n", out)
        self.assertIn("ERROR: %s, profile 'windows', entry "
                      "'xmlhooks:hyperv:relaxd': unknown key; did you mean "
                      "'xmlhooks:hyperv:relaxed'? (see nova-xmlhooks list)"
                      "\n" % path, out)

    def test_no_suggestion_for_a_broken_profile(self):
        self.write_profile('w.yaml', 'windows:\n  xml: [nonsense]\n'
                           'windowz:\n  description: l\n')
        self.write_config(default_profiles='windows')
        status, out, _err = self.run_command('validate')
        self.assertEqual(1, status)
        self.assertIn("ERROR: [xmlhooks] default_profiles, profile "
                      "'windows': names unknown or invalid profile\n", out)

    def test_json(self):
        self.write_profile('10-good.yaml', GOOD)
        status, out, err = self.run_command('validate', '--format', 'json')
        self.assertEqual(0, status, err)
        report = json.loads(out)
        self.assertEqual('ok', report['status'])
        self.assertEqual([self.config_file], report['config_files'])
        self.assertEqual(['notablet', 'windows-clock'], report['profiles'])
        self.assertEqual([], report['problems'])
        self.assertEqual(1, len(report['warnings']))

        entries = self.write_profile('20-entries.yaml', ENTRIES)
        status, out, err = self.run_command('validate', '--format', 'json')
        self.assertEqual(1, status, err)
        report = json.loads(out)
        self.assertEqual('problems', report['status'])
        self.assertIn({'message': "%s, profile 'two-bad', entry "
                       "'xmlhooks:xml:a': 'no-equals' is not of the form "
                       "XPATH=VALUE" % entries, 'file': entries,
                       'profile': 'two-bad', 'entry': 'xmlhooks:xml:a',
                       'hint': None}, report['problems'])

    def test_json_of_a_bad_option_value(self):
        # NOTE(xmlhooks): nova-compute refuses to start on it, so the
        # report a script reads says so, as for any other problem.
        self.write_config(on_error='bogus')
        status, out, err = self.run_command('validate', '--format', 'json')
        self.assertEqual(1, status)
        self.assertOneLineError(err, 'option [xmlhooks] on_error in %s'
                                % self.config_file)
        report = json.loads(out)
        self.assertEqual('problems', report['status'])
        self.assertEqual([{'message': err.split(': error: ', 1)[1].strip(),
                           'file': None, 'profile': None, 'entry': None,
                           'hint': None}], report['problems'])
        self.assertIsNone(report['on_error'])
        self.assertIsNone(report['compute_driver'])
        for key in ('config_files', 'warnings', 'notes', 'customizers',
                    'profiles', 'profile_files', 'default_profiles'):
            self.assertEqual([], report[key], key)

    def test_reports_every_problem(self):
        entries = self.write_profile('10-entries.yaml', ENTRIES)
        yaml = self.write_profile('20-yaml.yaml', 'a: [unclosed\n')
        dup = self.write_profile('30-dup.yaml', 'good:\n  description: x\n')
        utf = self.write_profile('40-utf8.yaml', '')
        with open(utf, 'wb') as handle:
            handle.write(b'p:\n  description: "\xff"\n')
        self.write_profile('50-good.yaml', GOOD)
        self.write_config(default_profiles='two-bad,notablet',
                          customizers='xml,nosuch')
        status, out, err = self.run_command('validate')
        self.assertEqual(1, status)
        self.assertEqual('', err)
        expected = [
            "ERROR: customizer 'nosuch' cannot be loaded: no such entry "
            "point in nova_xmlhooks.customizers",
            "ERROR: [xmlhooks] default_profiles, profile 'two-bad': names "
            "unknown or invalid profile",
            "ERROR: %s, profile 'two-bad', entry 'xmlhooks:xml:a': "
            "'no-equals' is not of the form XPATH=VALUE" % entries,
            "ERROR: %s, profile 'two-bad', entry 'xmlhooks:nofamily:b': "
            "no customizer handles 'xmlhooks:nofamily' (enabled: xml); "
            "see nova-xmlhooks list for the enabled customizers" % entries,
            "ERROR: %s, profile 'two-bad', entry 'xml[1]': XPath "
            "'./devices/[[' is invalid: Invalid expression" % entries,
            "ERROR: %s, profile 'shape', entry 'colour': unknown field "
            "(expected one of description, image_selectable, specs, xml)"
            % entries,
            "ERROR: %s: is not valid YAML at line 2, column 1: the "
            "structure is broken" % yaml,
            "ERROR: %s, profile 'good': is already defined in %s"
            % (dup, entries),
            "ERROR: %s: is not valid UTF-8 (byte 19)" % utf,
            "9 problem(s) found; nova-compute would refuse to start",
        ]
        self.assertEqual(sorted(expected), sorted(
            line for line in out.splitlines()
            if line.startswith(('ERROR', '9 problem'))))
        # configuration problems first, then file by file
        self.assertIn('\nERROR: customizer', out.split(entries)[0])
        self.assertLess(out.index(entries), out.index(yaml))

    def test_missing_directory_is_a_note(self):
        self.write_config(profile_dirs=self.tempdir + '/none')
        status, out, _err = self.run_command('validate')
        self.assertEqual(0, status)
        self.assertIn('NOTE: profile directory %s/none does not exist'
                      % self.tempdir, out)

    def test_a_file_is_an_error_not_a_missing_directory(self):
        self.write_config(profile_dirs=self.config_file)
        status, out, _err = self.run_command('validate')
        self.assertEqual(1, status)
        self.assertIn('is not a directory', out)
        self.assertNotIn('does not exist', out)

    def test_a_file_path_that_starts_with_a_bracket(self):
        # NOTE(xmlhooks): a relative profile_dirs entry may start with
        # "[": its problems are still a file's, reported after the
        # options' and with their file, and the option's hints are not
        # given for them.
        cwd = os.getcwd()
        self.addCleanup(os.chdir, cwd)
        os.chdir(self.tempdir)
        os.mkdir('[xmlhooks] site')
        path = os.path.join('[xmlhooks] site', 'p.yaml')
        with open(path, 'w') as handle:
            handle.write('linx: 3\nlinux: {}\n')
        self.write_config(profile_dirs='[xmlhooks] site',
                          default_profiles='linuxx')
        status, out, err = self.run_command('validate', '--format', 'json')
        self.assertEqual(1, status, err)
        found = json.loads(out)['problems']
        self.assertEqual([(None, 'linuxx', None), (path, 'linx', None)],
                         [(each['file'], each['profile'], each['entry'])
                          for each in found])
        self.assertIn("did you mean 'linux'?", found[0]['hint'])
        self.assertIsNone(found[1]['hint'])

    def test_only_an_option_problem_gets_the_option_hint(self):
        engine = engine_mod.Engine({}, [])
        engine.profiles['linux'] = None
        in_file = exception.ProfileError('[xmlhooks] site/p.yaml',
                                         'is bad', profile='linx')
        self.assertIsNone(hints.hint(in_file, engine))
        option = exception.ProfileError(
            None, 'names unknown or invalid profile', profile='linx',
            option='[xmlhooks] default_profiles')
        self.assertIn("'linux'", hints.hint(option, engine))


class ListTest(base.CommandTestCase):

    def test_keys_and_profiles(self):
        self.write_profile('good.yaml', GOOD)
        self.write_config(default_profiles='windows-clock')
        status, out, err = self.run_command('list')
        self.assertEqual(0, status, err)
        customizer = xml_customizer.XmlCustomizer(None)
        for validator in customizer.validators():
            self.assertIn('\n    %s\n' % validator.name, out)
            self.assertIn(validator.description.split()[0], out)
            for param in validator.parameters:
                self.assertIn('{%s}:' % param['name'], out)
        self.assertIn('value: a string', out)
        self.assertIn('    windows-clock [default]\n        Windows keeps the '
                      'RTC in local time\n        1 spec(s), 0 xml edit(s)',
                      out)
        self.assertIn('    notablet [image_selectable]\n        No USB tablet'
                      '\n        0 spec(s), 1 xml edit(s)', out)

    def test_json(self):
        self.write_profile('good.yaml', GOOD)
        self.write_config(default_profiles='windows-clock',
                          customizers='xml,hyperv')
        status, out, err = self.run_command('list', '--format', 'json')
        self.assertEqual(0, status, err)
        report = json.loads(out)
        self.assertEqual(['xml', 'hyperv'],
                         [c['family'] for c in report['customizers']])
        hyperv = report['customizers'][1]
        self.assertEqual('nova_xmlhooks.customizers.hyperv.HypervCustomizer',
                         hyperv['class'])
        feature = hyperv['keys'][0]
        self.assertEqual('xmlhooks:hyperv:{feature}', feature['key'])
        self.assertEqual('one of: on, off', feature['values'])
        self.assertNotIn('``', json.dumps(report))
        self.assertEqual(
            {'name': 'windows-clock',
             'description': 'Windows keeps the RTC in local time',
             'default': True, 'image_selectable': False, 'specs': 1,
             'xml': 0, 'file': self.profile_dir + '/good.yaml'},
            report['profiles'][1])

    def test_descriptions_in_plain_text(self):
        status, out, err = self.run_command('list')
        self.assertEqual(0, status, err)
        self.assertNotIn('``', out)
        self.assertIn('grammar of virt-xml --xml', ' '.join(out.split()))

    def test_broken_profile(self):
        path = self.write_profile('bad.yaml', 'a: [unclosed\n')
        status, out, err = self.run_command('list')
        self.assertEqual(1, status)
        self.assertEqual('', out)
        self.assertOneLineError(err, path, 'nova-xmlhooks validate')
