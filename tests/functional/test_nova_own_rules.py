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

"""Nova's own libvirt functional tests, with harmless rules on every guest.

:mod:`tests.functional.test_nova_own` proves the driver transparent with
no rule. Here the same tests of nova (``test_uefi``, ``test_vif_model``)
run with a host default profile (``[xmlhooks] default_profiles``) of rules
that need no ``allow_sensitive`` category: SMBIOS fields, Hyper-V
enlightenments, the HPET timer, CPU features, the balloon's statistics
period and the root disk's cache mode. The guard, the schema check and
the other checks must let them through on every document those tests
make nova write (BIOS and UEFI, secure boot, stateless firmware, each
NIC model; boot, hard reboot, rebuild and resize), and nova's own
assertions on that XML must still hold. Each test also checks that every
document defined carried the rules, so it cannot pass by skipping them.

NOTE(xmlhooks): a refusal fails the build (``on_error = fail``, the
default), so nova's test fails too, on the guest shape that caused it.
Guests with host devices, vTPM, NUMA and huge pages are covered by
:mod:`tests.functional.test_rich_guests`.
"""

import os

import fixtures
from lxml import etree

from tests.functional import base
from tests.functional import test_nova_own

#: the host default profile; every rule is one an operator may write with
#: the default ``[xmlhooks]`` options
PROFILE = """
harmless:
  description: rules that need no allow_sensitive category
  specs:
    xmlhooks:smbios:system.manufacturer: ACME
    xmlhooks:smbios:baseboard.product: B1
    xmlhooks:smbios:chassis.asset: 'asset-{instance_uuid}'
    xmlhooks:hyperv:relaxed: 'on'
    xmlhooks:hyperv:vapic: 'on'
    xmlhooks:hyperv:spinlocks: '8191'
    xmlhooks:timer:hpet: present=no
    xmlhooks:cpu:feature.pcid: require
  xml:
    - ./devices/memballoon/stats/@period=30
    - ./devices/disk[target/@dev='vda']/driver/@cache=writeback
"""

#: what each defined document must show of the profile
APPLIED = (
    "./sysinfo/chassis/entry[@name='asset'][starts-with(., 'asset-')]",
    "./features/hyperv/spinlocks[@state='on'][@retries='8191']",
    "./clock/timer[@name='hpet'][@present='no']",
    "./cpu/feature[@name='pcid'][@policy='require']",
    "./devices/memballoon/stats[@period='30']",
    "./devices/disk[target/@dev='vda']/driver[@cache='writeback']",
)


class HarmlessRulesMixin(test_nova_own.SwappedDriverMixin):
    """Runs one of nova's tests with :data:`PROFILE` on every guest."""

    def setUp(self):
        self.domains = self.useFixture(base.DomainRecorder())
        super().setUp()
        # NOTE(xmlhooks): added after nova's own cleanups, so it runs
        # before them, while the recorded documents are still there.
        self.addCleanup(self._assert_rules_applied)

    def _setup_compute_service(self):
        super()._setup_compute_service()
        profile_dir = self.useFixture(fixtures.TempDir()).path
        # NOTE(xmlhooks): profile directories are read as sshd reads
        # authorized_keys; TempDir makes a private one.
        with open(os.path.join(profile_dir, 'harmless.yaml'), 'w') as f:
            f.write(PROFILE)
        self.flags(profile_dirs=[profile_dir],
                   default_profiles=['harmless'], group='xmlhooks')

    def _assert_rules_applied(self):
        # NOTE(xmlhooks): some of nova's tests expect the build to fail
        # before anything is defined (an igb NIC on an old QEMU).
        for event in self.domains.select():
            root = event.tree()
            for xpath in APPLIED:
                self.assertTrue(
                    root.xpath(xpath), 'no %s in the document defined on '
                    '%s:\n%s' % (xpath, event.host, etree.tostring(
                        root, encoding='unicode')))


def load_tests(loader, standard_tests, pattern):
    return test_nova_own.nova_tests(
        loader, standard_tests, HarmlessRulesMixin, __name__,
        'on xmlhooks.LibvirtDriver, with harmless rules')
