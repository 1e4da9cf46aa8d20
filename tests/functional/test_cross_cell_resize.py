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

"""A cross-cell resize to a flavor whose rules fail keeps the guest up.

NOTE(xmlhooks): a cross-cell resize (policy
``compute:servers:resize:cross_cell``) never calls
``migrate_disk_and_power_off``: the source's
``prep_snapshot_based_resize_at_source`` powers the guest off, snapshots
and destroys it, and only then does the target cell's compute spawn it
with the new flavor's XML.
"""

import fixtures
from nova.compute import power_state
from nova import context as nova_context
from nova import objects
from nova.policies import base as base_policies
from nova.policies import servers as servers_policies

from nova_xmlhooks import preflight
from tests.functional import helpers
from tests.functional import test_preflight

SOURCE = 'host1'
DEST = 'host2'
CELLS = {SOURCE: 'cell1', DEST: 'cell2'}
#: the preflight itself, which SameCellResizeTest wraps to count its calls
CHECK = preflight.PreflightMixin._xmlhooks_preflight


class CrossCellResizeTest(helpers.FaultTestBase):
    """The source tries the new flavor's rules before its power off."""

    CAST_AS_CALL = False
    NUMBER_OF_CELLS = 2

    def setUp(self):
        super().setUp()
        # NOTE(xmlhooks): as nova's own TestMultiCellMigrate: the policy
        # allows nobody by default.
        self.policy.set_rules({
            servers_policies.CROSS_CELL_RESIZE: base_policies.RULE_ADMIN_API,
        }, overwrite=False)
        # NOTE(xmlhooks): the fake libvirt has no disks to snapshot; the
        # conductor has created the snapshot's image already.
        self.useFixture(fixtures.MockPatch(
            'nova.virt.libvirt.driver.LibvirtDriver.snapshot'))
        self.write_profile(test_preflight.PROFILE_FILE,
                           test_preflight.PROFILE)
        for host, cell in sorted(CELLS.items()):
            self.start_compute(hostname=host, cell_name=cell)
        self.server = self.boot(test_preflight.SPECS, host=SOURCE)
        self.assertEqual(['off'], self.xpath(self.server,
                                             './features/pmu/@state'))

    def migration(self):
        """The resize's migration record, in the source cell."""
        ctxt = nova_context.get_admin_context()
        cell = self.cell_mappings[CELLS[SOURCE]]
        with nova_context.target_cell(ctxt, cell) as cctxt:
            return objects.MigrationList.get_by_filters(
                cctxt, {'instance_uuid': self.server['id']})[0]

    def assert_allocated_on_source_only(self):
        """The instance holds its allocation on the source, as before."""
        for host, consumers in ((SOURCE, [self.server['id']]), (DEST, [])):
            self.assertEqual(consumers, list(
                self._get_allocations_by_provider_uuid(
                    self._get_provider_uuid_by_host(host))))

    def assert_refused(self, flavor_id, *expected):
        """The resize fails before the source powers the guest off."""
        mark = self.mark()
        self.admin_api.post_server_action(
            self.server['id'], {'resize': {'flavorRef': flavor_id}})
        # NOTE(xmlhooks): the conductor notifies once its rollback is done.
        self.notifier.wait_for_versioned_notifications(
            'compute_task.migrate_server.error')
        self._wait_for_migration_status(self.server, ['error'])
        server = self._wait_for_server_parameter(
            self.server, {'status': 'ACTIVE', 'OS-EXT-STS:task_state': None,
                          'OS-EXT-STS:power_state': power_state.RUNNING})
        self.assertTrue(self.migration().cross_cell_move)
        self.assert_allocated_on_source_only()
        self.assertEqual(SOURCE, server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual(self.server['flavor']['original_name'],
                         server['flavor']['original_name'])
        self.assertEqual([], self.domain_events(self.server, since=mark))
        self.assertTrue(self.fake_domain(SOURCE, self.server).isActive())
        self.assertFalse(self.has_fake_domain(DEST, self.server))
        fault = self.newest_fault(self.server)
        for text in expected:
            self.assertIn(text, fault.message)
        self.assertNotIn(self.profile_dir, fault.message)

    def test_refused_before_the_power_off(self):
        flavor_id = self.create_unvalidated_flavor(
            {'xmlhooks:xml:x': './devices/nosuch[@a>1]/@x=1'})
        self.assert_refused(flavor_id, "'xmlhooks:xml:x'", 'matches nothing')

    def test_tried_on_the_new_flavors_xml(self):
        # NOTE(xmlhooks): as for a resize within a cell: only the new
        # flavor's XML has the CPU tuning its quota:cpu_shares asks for,
        # which its rule removes, a change the guard refuses. On the old
        # flavor's XML the rule changes nothing, and would pass.
        self.useFixture(fixtures.MockPatch(
            'nova.virt.libvirt.host.Host.is_cpu_control_policy_capable',
            return_value=True))
        key = 'xmlhooks:xml:tune'
        flavor_id = self.create_unvalidated_flavor(dict(
            test_preflight.SPECS, **{'quota:cpu_shares': '2048',
                                     key: 'xpath.delete=./cputune'}))
        self.assert_refused(flavor_id, "'%s'" % key, 'resources')

    def test_resizes_to_a_good_flavor(self):
        # NOTE(xmlhooks): the rule acts on a watchdog that only the new
        # flavor makes Nova write: tried on the old flavor's XML, it
        # would match nothing and be refused.
        flavor_id = self.create_unvalidated_flavor(dict(
            test_preflight.SPECS, **{
                'hw:watchdog_action': 'reset',
                'xmlhooks:xml:dog': './devices/watchdog/@action=poweroff'}))
        mark = self.mark()
        self.admin_api.post_server_action(
            self.server['id'], {'resize': {'flavorRef': flavor_id}})
        server = self._wait_for_state_change(self.server, 'VERIFY_RESIZE')
        self.assertEqual(DEST, server['OS-EXT-SRV-ATTR:host'])
        self.assertTrue(self.migration().cross_cell_move)
        self.assertTrue(self.fake_domain(DEST, self.server).isActive())
        self.assertEqual(['poweroff'], self.xpath(
            self.server, './devices/watchdog/@action', host=DEST,
            since=mark))
        self.assertEqual(['off'], self.xpath(
            self.server, './features/pmu/@state', host=DEST, since=mark))


class SameCellResizeTest(helpers.FaultTestBase):
    """A resize within a cell is checked once, before its power off."""

    def setUp(self):
        super().setUp()
        self.flags(allow_resize_to_same_host=True)
        self.write_profile(test_preflight.PROFILE_FILE,
                           test_preflight.PROFILE)
        self.start_compute(hostname=SOURCE)
        self.server = self.boot(test_preflight.SPECS)
        self.powered_off = []
        self.operations = []

        # NOTE(xmlhooks): Nova's migrate_disk_and_power_off powers the
        # guest off through the driver's power_off, with the task state
        # a cross-cell resize's power off has; the harness's stand-in
        # (see base) does not, this one does.
        def migrate_disk_and_power_off(driver, context, instance, *args,
                                       **kwargs):
            driver.power_off(instance, 0, 0)
            self.powered_off.append(instance.uuid)
            return '{}'

        self.useFixture(fixtures.MonkeyPatch(
            'nova.virt.libvirt.driver.LibvirtDriver'
            '.migrate_disk_and_power_off', migrate_disk_and_power_off))

        def preflight_spy(driver, instance, extra_specs, operation, *args,
                          **kwargs):
            self.operations.append(operation)
            return CHECK(driver, instance, extra_specs, operation, *args,
                         **kwargs)

        self.useFixture(fixtures.MonkeyPatch(
            'nova_xmlhooks.preflight.PreflightMixin._xmlhooks_preflight',
            preflight_spy))

    def test_checked_once(self):
        flavor_id = self.create_flavor(test_preflight.SPECS)
        self._resize_server(self.server, flavor_id)
        self.assertEqual([self.server['id']], self.powered_off)
        self.assertEqual(['resize'], self.operations)
