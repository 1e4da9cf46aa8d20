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


"""Every typed key through nova-api's real extra spec validation."""

from nova import utils as nova_utils

from tests.functional import helpers
from tests.unit.customizers import test_cpu
from tests.unit.customizers import test_hyperv
from tests.unit.customizers import test_kvm
from tests.unit.customizers import test_qemu
from tests.unit.customizers import test_smbios
from tests.unit.customizers import test_timer

# NOTE(xmlhooks): the unit tests of each customiser list a valid and an
# invalid example for every key it declares (and fail when a key has
# none), so reusing those lists here covers every key the API accepts.
EXAMPLES = (test_cpu.CpuTest, test_hyperv.HypervTest, test_kvm.KvmTest,
            test_qemu.QemuTest, test_smbios.SmbiosTest,
            test_timer.TimerTest)


class TypedKeysThroughApiTest(helpers.FaultTestBase):

    def setUp(self):
        super().setUp()
        # NOTE(xmlhooks): QEMU keys are refused by the API unless the
        # operator allows passthrough; that refusal has its own tests.
        self.flags(allow_sensitive=['qemu_passthrough'], group='xmlhooks')
        self.flavor_id = self.create_flavor()

    def _post(self, key, value):
        with nova_utils.temporary_mutation(self.admin_api,
                                           microversion='2.86'):
            return self.admin_api.post_extra_spec(
                self.flavor_id, {'extra_specs': {key: value}})

    def test_valid_examples_are_accepted(self):
        for case in EXAMPLES:
            for key, value in case.GOOD:
                self._post(key, value)
                self.assertEqual(
                    value, self.admin_api.get_extra_specs(
                        self.flavor_id)[key], (case.FAMILY, key))

    def test_invalid_examples_get_400_naming_the_key(self):
        for case in EXAMPLES:
            for key, value in case.BAD:
                message = self.assert_api_error(400, self._post, key, value)
                self.assertIn(key, message, (case.FAMILY, key, value))
        self.assertEqual({}, self.admin_api.get_extra_specs(self.flavor_id))

    def test_qemu_keys_refused_without_passthrough(self):
        self.flags(allow_sensitive=[], group='xmlhooks')
        for key, value in test_qemu.QemuTest.GOOD:
            message = self.assert_api_error(400, self._post, key, value)
            self.assertIn(key, message)
            self.assertIn('qemu_passthrough', message)
