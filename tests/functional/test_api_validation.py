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

"""nova-api validates ``xmlhooks:`` specs through our entry point."""

from importlib import metadata as importlib_metadata

from nova.api.validation.extra_specs import validators as spec_validators
from nova import utils as nova_utils

from nova_xmlhooks import api_validation
from tests.functional import helpers

PROFILE = """
known:
  description: a profile the API host can read
  xml:
    - ./features/pmu/@state=off
"""

#: (key, value, what the 400 message must also say)
BAD_SPECS = [
    ('xmlhooks:nosuchfamily:x', 'on', 'does not appear to be a valid'),
    ('xmlhooks:xml', './features/pmu/@state=off',
     'does not appear to be a valid'),
    ('xmlhooks:xml:bad label', './features/pmu/@state=off',
     'does not appear to be a valid'),
    ('xmlhooks:xml:x', 'not an xpath', 'XPATH=VALUE'),
    ('xmlhooks:xml:x', 'xpath.frobnicate=./devices', 'frobnicate'),
    ('xmlhooks:xml:x', './devices/disk[[1]]/@x=1', 'is invalid'),
    ('xmlhooks:xml:x', './devices/bad:disk/@x=1', 'namespace prefix'),
    ('xmlhooks:xml:x', '/domain/devices/@x=1', './'),
    ('xmlhooks:xml:x', 'xpath.create=./qemu:commandline', 'qemu_passthrough'),
    # NOTE(xmlhooks): a comparison, which fails every build when applied.
    ('xmlhooks:xml:x', 'xpath.create=./features/pmu=1',
     'returns a bool, not elements'),
    ('xmlhooks:xml:x', './uuid=11111111-2222-3333-4444-555555555555',
     'by which Nova finds the guest'),
    ('xmlhooks:xml:x', './name=instance-00000002',
     'by which libvirt finds the guest'),
    ('xmlhooks:profile', 'bad name!', 'not a valid profile name'),
    ('xmlhooks:profile', ' , ', 'no profile'),
    ('xmlhooks:profile', 'known,missing', "unknown profile 'missing'"),
    ('xmlhooks:image_profiles', 'sometimes', 'sometimes'),
]

VALID_SPECS = {
    'xmlhooks:profile': 'known',
    'xmlhooks:image_profiles': 'forbidden',
    'xmlhooks:xml:cache': './devices/disk/driver/@cache=none',
    'xmlhooks:xml:tablet': "xpath.delete=./devices/input[@type='tablet']",
    # NOTE(xmlhooks): a delete only narrows QEMU passthrough; a create
    # needs qemu_passthrough allowed, at the API as at the compute.
    'xmlhooks:xml:qemu': 'xpath.delete=./qemu:commandline',
    # NOTE(xmlhooks): other namespaces keep their own validation.
    'hw:cpu_policy': 'shared',
}


class ExtraSpecValidationTest(helpers.FaultTestBase):

    def setUp(self):
        super().setUp()
        self.write_profile('known.yaml', PROFILE)
        self.flavor_id = self.create_flavor()

    def _post(self, specs, microversion='2.86'):
        with nova_utils.temporary_mutation(self.admin_api,
                                           microversion=microversion):
            return self.admin_api.post_extra_spec(
                self.flavor_id, {'extra_specs': specs})

    def _specs(self):
        return self.admin_api.get_extra_specs(self.flavor_id)

    def test_namespace_is_registered_through_the_entry_point(self):
        entry_points = {
            ep.name: ep.value for ep in importlib_metadata.entry_points(
                group='nova.api.extra_spec_validators')}
        self.assertEqual('nova_xmlhooks.api_validation',
                         entry_points.get('xmlhooks'))
        self.assertIn('xmlhooks', spec_validators.NAMESPACES)
        for name in ('xmlhooks:profile', 'xmlhooks:image_profiles',
                     'xmlhooks:xml:{label}'):
            self.assertIsInstance(spec_validators.VALIDATORS[name],
                                  api_validation.ApiValidator)

    def test_invalid_specs_get_400_naming_the_key(self):
        for key, value, detail in BAD_SPECS:
            message = self.assert_api_error(400, self._post, {key: value})
            self.assertIn(key, message, (key, value))
            self.assertIn(detail, message, (key, value))
        self.assertEqual({}, self._specs())

    def test_invalid_spec_in_a_batch_rejects_the_whole_batch(self):
        specs = dict(VALID_SPECS, **{'xmlhooks:xml:x': 'not an xpath'})
        message = self.assert_api_error(400, self._post, specs)
        self.assertIn('xmlhooks:xml:x', message)
        self.assertEqual({}, self._specs())

    def test_update_of_one_key_is_validated(self):
        key = 'xmlhooks:xml:cache'
        with nova_utils.temporary_mutation(self.admin_api,
                                           microversion='2.86'):
            message = self.assert_api_error(
                400, self.admin_api.put_extra_spec, self.flavor_id, key,
                {key: './devices/disk/driver/@cache'})
            self.admin_api.put_extra_spec(
                self.flavor_id, key, {key: './devices/disk/driver/@cache=x'})
        self.assertIn(key, message)
        self.assertEqual({key: './devices/disk/driver/@cache=x'},
                         self._specs())

    def test_valid_specs_are_accepted(self):
        self._post(VALID_SPECS)
        self.assertEqual(VALID_SPECS, self._specs())

    def test_latest_microversion_validates(self):
        message = self.assert_api_error(
            400, self._post, {'xmlhooks:xml:x': 'not an xpath'},
            microversion='latest')
        self.assertIn('xmlhooks:xml:x', message)

    def test_2_85_does_not_validate(self):
        specs = {key: value for key, value, _detail in BAD_SPECS
                 if key != 'xmlhooks:profile'}
        specs['xmlhooks:profile'] = 'missing'
        self._post(specs, microversion='2.85')
        self.assertEqual(specs, self._specs())

    def test_profile_written_after_api_start_is_known(self):
        message = self.assert_api_error(
            400, self._post, {'xmlhooks:profile': 'later'})
        self.assertIn("unknown profile 'later'", message)
        self.write_profile('later.yaml', PROFILE.replace('known', 'later'))
        self._post({'xmlhooks:profile': 'later'})
        self.assertEqual({'xmlhooks:profile': 'later'}, self._specs())

    def test_profile_names_only_checked_for_syntax_without_files(self):
        # NOTE(xmlhooks): an API host without the computes' profile files
        # cannot know their names; it still refuses impossible names.
        self.flags(profile_dirs=[self.profile_dir + '-absent'],
                   group='xmlhooks')
        self._post({'xmlhooks:profile': 'defined-on-computes-only'})
        message = self.assert_api_error(
            400, self._post, {'xmlhooks:profile': 'no/such name'})
        self.assertIn('not a valid profile name', message)

    def test_keys_of_customizers_not_enabled_are_unknown(self):
        # NOTE(xmlhooks): the API accepts exactly what the computes'
        # [xmlhooks] customizers accept; with only xml enabled, another
        # family is an unknown key.
        self.flags(customizers=[], group='xmlhooks')
        self.reload_api_validators()
        message = self.assert_api_error(
            400, self._post,
            {'xmlhooks:xml:cache': './devices/disk/driver/@cache=none'})
        self.assertIn('xmlhooks:xml:cache', message)
        self._post({'xmlhooks:profile': 'known'})

    def test_missing_customizer_on_api_host_fails_closed(self):
        # NOTE(xmlhooks): nova calls register() while importing its
        # validators; a broken [xmlhooks] customizers must not break the
        # flavor API, and must not let unchecked xmlhooks keys through.
        self.flags(customizers=['xml', 'doesnotexist'], group='xmlhooks')
        self.reload_api_validators()
        self.assertIn('xmlhooks', spec_validators.NAMESPACES)
        message = self.assert_api_error(
            400, self._post,
            {'xmlhooks:xml:cache': './devices/disk/driver/@cache=none'})
        self.assertIn('xmlhooks:xml:cache', message)
        self._post({'xmlhooks:profile': 'known'})
        self.assertEqual({'xmlhooks:profile': 'known'}, self._specs())
