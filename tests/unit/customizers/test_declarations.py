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

"""Key declarations: our own check, nova's validator and nova-api's."""

import dataclasses
import json
import operator
import re
import subprocess
import sys
from unittest import mock

import fixtures
from nova.api.validation.extra_specs import base as nova_validators
from nova import exception as nova_exception

from nova_xmlhooks import api_validation
from nova_xmlhooks.customizers import base as customizer_base
from nova_xmlhooks import exception
from nova_xmlhooks import loader
from tests.unit import base
from tests.unit.customizers import test_cpu
from tests.unit.customizers import test_hyperv
from tests.unit.customizers import test_kvm
from tests.unit.customizers import test_qemu
from tests.unit.customizers import test_smbios
from tests.unit.customizers import test_timer

FAMILIES = ('xml', 'hyperv', 'smbios', 'cpu', 'kvm', 'timer', 'qemu')
TYPED = (test_cpu.CpuTest, test_hyperv.HypervTest, test_kvm.KvmTest,
         test_smbios.SmbiosTest, test_timer.TimerTest)
#: The keys the typed customisers' tests list, valid and invalid, with
#: some of the xml family's and some that no declaration matches.
EXAMPLES = tuple(
    example for case in TYPED + (test_qemu.QemuTest,)
    for example in tuple(case.GOOD) + tuple(case.BAD)) + (
    ('xmlhooks:xml:cache', './devices/disk/driver/@cache=none'),
    ('xmlhooks:xml:x', 'not an xpath'),
    ('xmlhooks:xml:bad label', './features/pmu/@state=off'),
    ('xmlhooks:xml', './features/pmu/@state=off'),
    ('xmlhooks:smbios:biosXvendor', 'x'),
    ('xmlhooks:nosuchfamily:x', 'on'),
)
#: Values that sit on the edges of what Python's int(), nova's boolean
#: strings and regular expressions accept.
TRICKY_VALUES = (
    '', ' ', '0', '1', '-1', '+7', ' 12 ', '1_000', '0x10', '1.5', '1e3',
    '\u0661\u0662', '99999999999999999999', '4095', '4096', '65536', 'on',
    'off', 'ON', 'On', ' on', 'on\n', 'true', 'True', 'TRUE', 'yes', 'y',
    'n', 't', 'f', 'false', 'no', 'No', 'none', 'null', 'custom', 'a,b',
    'a.b', 'x' * 300,
)
#: Declarations of every kind nova's validator knows.
SYNTHETIC = (
    customizer_base.KeyValidator(
        name='xmlhooks:test:int', description='x',
        value={'type': int, 'min': 0, 'max': 4096}),
    customizer_base.KeyValidator(
        name='xmlhooks:test:int_min', description='x',
        value={'type': int, 'min': 1}),
    customizer_base.KeyValidator(
        name='xmlhooks:test:int_free', description='x',
        value={'type': int}),
    customizer_base.KeyValidator(
        name='xmlhooks:test:bool', description='x', value={'type': bool}),
    customizer_base.KeyValidator(
        name='xmlhooks:test:enum', description='x',
        value={'type': str, 'enum': ['on', 'off', 'custom']}),
    customizer_base.KeyValidator(
        name='xmlhooks:test:pattern_and_enum', description='x',
        value={'type': str, 'pattern': r'o[nf]f?', 'enum': ['custom']}),
    customizer_base.KeyValidator(
        name='xmlhooks:test:int_enum', description='x',
        value={'type': int, 'enum': [1, 2], 'pattern': '[a-z]+'}),
    customizer_base.KeyValidator(
        name='xmlhooks:test:free', description='x', value={'type': str}),
    customizer_base.KeyValidator(
        name='xmlhooks:test:{a}.{b}', description='x',
        value={'type': str, 'pattern': r'[0-9]{1,3}|on'},
        parameters=[{'name': 'a', 'pattern': 'p|q'},
                    {'name': 'b', 'pattern': '[a-z]+'}]),
)
SYNTHETIC_KEYS = (
    'xmlhooks:test:int', 'xmlhooks:test:bool', 'xmlhooks:test:p.x',
    'xmlhooks:test:qXyz', 'xmlhooks:test:r.x', 'xmlhooks:test:p.',
    'xmlhooks:test:p.X', 'xmlhooks:test:int ', 'xmlhooks:test:INT',
)


def nova_validator(declaration):
    """nova's own validator for a declaration, with nothing of ours."""
    return nova_validators.ExtraSpecValidator(
        name=declaration.name, description=declaration.description,
        value=dict(declaration.value), deprecated=declaration.deprecated,
        parameters=[dict(p) for p in declaration.parameters])


def ours_refuses(declaration, key, value):
    try:
        declaration.check(key, value)
    except ValueError:
        return True
    return False


def nova_refuses(validator, key, value):
    try:
        validator.validate(key, value)
    except nova_exception.ValidationError:
        return True
    return False


class ParityTest(base.TestCase):
    """Our check of a key and value agrees with nova's validator."""

    def setUp(self):
        super().setUp()
        customizers = loader.load_customizers(self.conf, FAMILIES)
        self.declarations = [d for c in customizers.values()
                             for d in c.validators()]

    def assertAgree(self, declarations, keys_and_values):
        checked = 0
        for declaration in declarations:
            theirs = nova_validator(declaration)
            self.assertEqual(theirs.name_regex, declaration.name_regex)
            for key, value in keys_and_values:
                matched = declaration.matches(key)
                self.assertEqual(
                    bool(re.fullmatch(theirs.name_regex, key)), matched,
                    (declaration.name, key))
                # NOTE(xmlhooks): a key the declaration does not match is
                # refused too, as nova's validator refuses it.
                self.assertEqual(
                    nova_refuses(theirs, key, value),
                    ours_refuses(declaration, key, value),
                    (declaration.name, key, value))
                checked += matched
        return checked

    def test_every_example_of_every_declared_key(self):
        checked = self.assertAgree(self.declarations, EXAMPLES)
        good = sum(len(case.GOOD) for case in TYPED + (test_qemu.QemuTest,))
        self.assertGreater(checked, good)

    def test_tricky_values_on_the_declared_keys(self):
        examples = [(key, value) for key, _ in EXAMPLES
                    for value in TRICKY_VALUES]
        self.assertAgree(self.declarations, examples)

    def test_every_kind_of_declaration(self):
        keys = SYNTHETIC_KEYS + tuple(d.name for d in SYNTHETIC)
        checked = self.assertAgree(SYNTHETIC, [
            (key, value) for key in keys for value in TRICKY_VALUES])
        self.assertGreater(checked, 8 * len(TRICKY_VALUES))

    def test_messages_say_what_novas_do(self):
        # NOTE(xmlhooks): the wording users already know, written here
        # rather than taken from nova's messages.
        hyperv = [d for d in self.declarations
                  if d.name == 'xmlhooks:hyperv:{feature}'][0]
        error = self.assertRaises(ValueError, hyperv.check,
                                  'xmlhooks:hyperv:stimer', 'maybe')
        self.assertEqual("'maybe' is not one of: on, off.", str(error))
        error = self.assertRaises(ValueError, SYNTHETIC[0].check,
                                  'xmlhooks:test:int', '5000')
        self.assertEqual("'5000' is greater than the max value of '4096'.",
                         str(error))


class DeclarationTest(base.TestCase):

    def test_frozen(self):
        declaration = SYNTHETIC[-1]
        self.assertRaises(dataclasses.FrozenInstanceError, setattr,
                          declaration, 'name', 'xmlhooks:test:other')
        self.assertRaises(TypeError, operator.setitem, declaration.value,
                          'pattern', '.*')
        self.assertRaises(TypeError, operator.setitem,
                          declaration.parameters[0], 'pattern', '.*')
        self.assertTrue(declaration.matches('xmlhooks:test:q.abc'))

    def test_bad_declarations_are_refused(self):
        for value in ({'type': float}, {}, {'type': str, 'pattern': ''}):
            self.assertRaises(ValueError, customizer_base.KeyValidator,
                              name='xmlhooks:test:x', description='x',
                              value=value)

    def test_empty_pattern_of_a_number_is_ignored(self):
        # NOTE(xmlhooks): nova reads the pattern of strings only; only
        # there does an empty one break its validator.
        declaration = customizer_base.KeyValidator(
            name='xmlhooks:test:x', description='x',
            value={'type': int, 'pattern': ''})
        self.assertFalse(ours_refuses(declaration, 'xmlhooks:test:x', '5'))
        self.assertFalse(nova_refuses(nova_validator(declaration),
                                      'xmlhooks:test:x', '5'))

    def test_every_key_value_and_parameter_is_described(self):
        # NOTE(xmlhooks): "nova-xmlhooks list" and the extra spec
        # reference in the docs show all three to operators.
        for customizer in loader.load_customizers(
                self.conf, FAMILIES).values():
            for declaration in customizer.validators():
                self.assertTrue(declaration.description, declaration.name)
                self.assertTrue(declaration.value.get('description'),
                                declaration.name)
                for param in declaration.parameters:
                    self.assertTrue(param.get('description'),
                                    (declaration.name, param['name']))

    def test_declared_keys_are_plain_objects(self):
        for customizer in loader.load_customizers(
                self.conf, FAMILIES).values():
            for declaration in customizer.validators():
                self.assertIsInstance(declaration,
                                      customizer_base.KeyValidator)
                self.assertNotIsInstance(
                    declaration, nova_validators.ExtraSpecValidator)


class ApiValidatorTest(base.TestCase):
    """nova-api gets nova's objects, with our check and our messages."""

    def setUp(self):
        super().setUp()
        self.validators = {v.name: v
                           for v in api_validation.validators(self.conf)}

    def test_novas_objects(self):
        for validator in self.validators.values():
            self.assertIsInstance(validator,
                                  nova_validators.ExtraSpecValidator)

    def test_our_message_before_novas_check(self):
        validator = self.validators['xmlhooks:hyperv:{feature}']
        with mock.patch.object(nova_validators.ExtraSpecValidator,
                               'validate') as novas:
            error = self.assertRaises(
                nova_exception.ValidationError, validator.validate,
                'xmlhooks:hyperv:stimer', 'maybe')
            self.assertFalse(novas.called)
            validator.validate('xmlhooks:hyperv:stimer', 'on')
            novas.assert_called_once_with('xmlhooks:hyperv:stimer', 'on')
        self.assertEqual("Validation failed; 'xmlhooks:hyperv:stimer': "
                         "'maybe' is not one of: on, off.", str(error))

    def test_same_reason_as_the_compute(self):
        eng = self.engine()
        for key, value, name in (
                ('xmlhooks:hyperv:stimer', 'maybe',
                 'xmlhooks:hyperv:{feature}'),
                ('xmlhooks:hyperv:spinlocks', '100',
                 'xmlhooks:hyperv:spinlocks'),
                ('xmlhooks:timer:rtc', 'present=on', 'xmlhooks:timer:{name}'),
                ('xmlhooks:xml:x', 'not an xpath', 'xmlhooks:xml:{label}')):
            compute = self.assertRaises(exception.InvalidSpec, eng.resolve,
                                        {key: value})
            api = self.assertRaises(nova_exception.ValidationError,
                                    self.validators[name].validate,
                                    key, value)
            self.assertEqual("Validation failed; '%s': %s"
                             % (key, compute.reason), str(api))

    def test_profile_keys(self):
        self.write_profile('known.yaml', 'known: {}\n')
        profile = self.validators['xmlhooks:profile']
        profile.validate('xmlhooks:profile', 'known')
        for value, reason in (('bad name!', "'bad name!' is not a valid "
                                            "profile name"),
                              ('known,missing', "unknown profile 'missing'")):
            error = self.assertRaises(nova_exception.ValidationError,
                                      profile.validate, 'xmlhooks:profile',
                                      value)
            self.assertEqual("Validation failed; 'xmlhooks:profile': %s"
                             % reason, str(error))
        image = self.validators['xmlhooks:image_profiles']
        for value in ('allowed', 'forbidden'):
            image.validate('xmlhooks:image_profiles', value)
        self.assertRaises(nova_exception.ValidationError, image.validate,
                          'xmlhooks:image_profiles', 'sometimes')

    def test_profile_names_checked_beside_a_file_in_profile_dirs(self):
        # NOTE(xmlhooks): an entry of profile_dirs that is not a directory
        # (a file, here) is skipped like a missing one: the directories
        # that are there still say which names exist.
        self.write_profile('known.yaml', 'known: {}\n')
        stray = self.write_profile('stray.txt', 'not a directory\n')
        self.flags(profile_dirs=[stray, self.profile_dir])
        profile = self.validators['xmlhooks:profile']
        profile.validate('xmlhooks:profile', 'known')
        error = self.assertRaises(nova_exception.ValidationError,
                                  profile.validate, 'xmlhooks:profile',
                                  'missing')
        self.assertEqual("Validation failed; 'xmlhooks:profile': unknown "
                         "profile 'missing'", str(error))

    def test_register_reads_the_service_configuration(self):
        # NOTE(xmlhooks): nova-api calls register() without arguments; it
        # declares the keys of the customisers [xmlhooks] enables.
        self.flags(customizers=['timer'])
        timer = loader.load_customizers(self.conf, ['timer'])['timer']
        self.assertEqual(
            ['xmlhooks:profile', 'xmlhooks:image_profiles']
            + [declaration.name for declaration in timer.validators()],
            [validator.name for validator in api_validation.register()])

    def test_unloadable_customizers_leave_the_profile_keys_and_say_so(self):
        logs = self.useFixture(fixtures.FakeLogger(
            name='nova_xmlhooks.api_validation'))
        self.flags(customizers=['xml', 'doesnotexist'])
        self.assertEqual(
            ['xmlhooks:profile', 'xmlhooks:image_profiles'],
            [v.name for v in api_validation.validators(self.conf)])
        self.assertIn('xmlhooks extra spec validation is limited to '
                      'xmlhooks:profile: ', logs.output)
        self.assertIn("'doesnotexist'", logs.output)

    def test_deprecation_reaches_nova(self):
        for deprecated in (True, False):
            declaration = customizer_base.KeyValidator(
                name='xmlhooks:test:old', description='x',
                value={'type': str}, deprecated=deprecated)
            self.assertIs(deprecated, api_validation.ApiValidator(
                declaration).deprecated)

    def test_message_is_one_line(self):
        error = self.assertRaises(
            nova_exception.ValidationError,
            self.validators['xmlhooks:image_profiles'].validate,
            'xmlhooks:image_profiles', 'allowed\nforged line')
        self.assertNotIn('\n', str(error))
        self.assertIn('xmlhooks:image_profiles', str(error))


class ImportTest(base.TestCase):
    """Declaring and checking keys needs no part of nova's API package."""

    def test_customizers_do_not_import_nova_api(self):
        # NOTE(xmlhooks): importing nova.api.validation takes seconds,
        # which the operator command cannot afford; a fresh interpreter
        # shows what the customisers really import.
        examples = [example for case in TYPED for example in case.GOOD]
        script = '\n'.join((
            'import json, sys',
            'from nova_xmlhooks import conf',
            'from nova_xmlhooks import loader',
            'customizers = loader.load_customizers(conf.CONF, %r)'
            % (FAMILIES,),
            'for key, value in json.loads(sys.argv[1]):',
            '    family = key.split(":")[1]',
            '    customizers[family].check_key(key, value)',
            'for customizer in customizers.values():',
            '    customizer.validators()',
            'print(json.dumps(sorted(m for m in sys.modules',
            '                        if m.startswith("nova.api"))))',
        ))
        out = subprocess.run(
            [sys.executable, '-c', script, json.dumps(examples)],
            check=True, capture_output=True, text=True).stdout
        self.assertEqual([], json.loads(out))
