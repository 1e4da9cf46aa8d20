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

"""What the typed customisers' parse() returns."""

import dataclasses

from nova_xmlhooks import loader
from tests.unit import base
from tests.unit.customizers import test_cpu
from tests.unit.customizers import test_hyperv
from tests.unit.customizers import test_kvm
from tests.unit.customizers import test_smbios
from tests.unit.customizers import test_timer

CASES = (test_cpu.CpuTest, test_hyperv.HypervTest, test_kvm.KvmTest,
         test_smbios.SmbiosTest, test_timer.TimerTest)


class PayloadTest(base.TestCase):
    """Parsed values are frozen dataclasses, not positional tuples.

    NOTE(xmlhooks): the engine caches one payload per key and value and
    shares it between every build that uses it, so it must not change.
    """

    def test_payloads_are_frozen_dataclasses(self):
        customizers = loader.load_customizers(
            self.conf, [case.FAMILY for case in CASES])
        for case in CASES:
            for key, value in case.GOOD:
                payload = customizers[case.FAMILY].check_key(key, value)
                self.assertTrue(dataclasses.is_dataclass(payload),
                                (key, payload))
                field = dataclasses.fields(payload)[0].name
                self.assertRaises(dataclasses.FrozenInstanceError, setattr,
                                  payload, field, None)

    def test_parse_alone_refuses_every_bad_example(self):
        # NOTE(xmlhooks): the audit parses the rules recorded in a domain
        # with parse() alone (cmd/drift.py), without the declarations,
        # so a hand-edited record must be refused there too.
        customizers = loader.load_customizers(
            self.conf, [case.FAMILY for case in CASES])
        for case in CASES:
            customizer = customizers[case.FAMILY]
            for key, value in case.BAD:
                with self.subTest(key=key, value=value):
                    self.assertRaises(ValueError, customizer.parse, key,
                                      value)
