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

"""Customisations that no longer resolve never take a guest down."""

import copy
import os

import fixtures
from lxml import etree
from nova import exception as nova_exception
from nova.tests.fixtures import libvirt as fakelibvirt
from nova.virt.libvirt import blockinfo
from nova.virt.libvirt import utils as libvirt_utils
from oslo_utils import uuidutils

from tests.functional import base
from tests.functional import compat
from tests.functional import helpers

PROFILE_FILE = 'p.yaml'
PROFILE = """
P:
  description: a profile the flavor uses
  xml:
    - ./features/pmu/@state=off
"""
#: a rule that parses and resolves, and that no domain can apply
NO_MATCH = '    - ./devices/nosuch[@a>1]/@x=1\n'
SPECS = {'xmlhooks:profile': 'P',
         'xmlhooks:xml:vmport': './features/vmport/@state=off'}
HOST = 'host1'


class PreflightTest(helpers.FaultTestBase):
    # NOTE(xmlhooks): with casts turned into calls, the compute's error
    # would come back through the API request; real RPC casts return 202
    # and the error shows in the instance's state and faults.
    CAST_AS_CALL = False

    def setUp(self):
        super().setUp()
        self.flags(allow_resize_to_same_host=True)
        self.write_profile(PROFILE_FILE, PROFILE)
        self.start_compute(hostname=HOST)
        self.server = self.boot(SPECS)
        self.assert_customised(self.server)

    def assert_customised(self, server, since=0):
        self.assertEqual(['off'], self.xpath(server, './features/pmu/@state',
                                             since=since))
        self.assertEqual(['off'], self.xpath(
            server, './features/vmport/@state', since=since))

    def break_profile(self):
        self.remove_profile_file(PROFILE_FILE)
        self.restart_compute_service(HOST)

    def fix_profile(self):
        self.write_profile(PROFILE_FILE, PROFILE)
        self.restart_compute_service(HOST)

    def assert_untouched(self, mark, running):
        """No definition since mark, and the domain is as it was."""
        self.assertEqual([], self.domain_events(self.server, since=mark))
        domain = self.fake_domain(HOST, self.server)
        self.assertEqual(running, bool(domain.isActive()))
        self.assertEqual(
            fakelibvirt.VIR_DOMAIN_RUNNING if running
            else fakelibvirt.VIR_DOMAIN_SHUTOFF, domain.info()[0])

    def assert_fault(self, *expected):
        fault = self.newest_fault(self.server)
        for text in expected:
            self.assertIn(text, fault.message)
        self.assertNotIn(self.profile_dir, fault.message)

    def _wait_idle(self, status):
        return self._wait_for_server_parameter(
            self.server, {'status': status, 'OS-EXT-STS:task_state': None})

    def _hard_reboot(self):
        self.admin_api.post_server_action(
            self.server['id'], {'reboot': {'type': 'HARD'}})

    def assert_hard_reboot_refused(self, *expected):
        """A hard reboot fails with a fault, the guest still running."""
        mark = self.mark()
        self._hard_reboot()
        self.notifier.wait_for_versioned_notifications('instance.reboot.error')
        self._wait_idle('ACTIVE')
        self.assert_untouched(mark, running=True)
        self.assert_fault(*expected)

    def assert_rebuild_refused(self, *expected):
        """A rebuild fails with a fault, the guest still running."""
        mark = self.mark()
        self.admin_api.post_server_action(
            self.server['id'],
            {'rebuild': {'imageRef': self.server['image']['id']}})
        self.notifier.wait_for_versioned_notifications(
            'instance.rebuild.error')
        self._wait_idle('ACTIVE')
        self.assert_untouched(mark, running=True)
        self.assert_fault(*expected)

    def assert_resize_refused(self, new_flavor, *expected):
        """A resize fails before the power off, the guest still running.

        :returns: the server as the API shows it afterwards
        """
        mark = self.mark()
        self.admin_api.post_server_action(
            self.server['id'], {'resize': {'flavorRef': new_flavor}})
        self._wait_for_migration_status(self.server, ['error'])
        server = self._wait_idle('ACTIVE')
        self.assert_untouched(mark, running=True)
        self.assert_fault(*expected)
        return server

    def test_hard_reboot_refused_then_recovers(self):
        self.break_profile()
        self.assert_hard_reboot_refused("'xmlhooks:profile'",
                                        "unknown profile 'P'")

        self.fix_profile()
        mark = self.mark()
        self._reboot_server(self.server, hard=True)
        self.assertTrue(self.domain_events(self.server, since=mark))
        self.assert_customised(self.server, since=mark)
        self.assertTrue(self.fake_domain(HOST, self.server).isActive())

        # NOTE(xmlhooks): each hard reboot is checked afresh; nothing the
        # successful one read may stand in for the next one's check.
        self.break_profile()
        mark = self.mark()
        self._hard_reboot()
        self.notifier.wait_for_versioned_notifications(
            'instance.reboot.error', n_events=2)
        self._wait_idle('ACTIVE')
        self.assert_untouched(mark, running=True)

    def _fail_next_disk_mapping(self):
        """Make the next disk mapping nova builds fail, once.

        NOTE(xmlhooks): the hard reboot's preflight builds it first, before
        the destroy; nova's own build after the destroy then succeeds.
        """
        self.disk_mapping_fails = True
        nova_function = blockinfo.get_disk_info

        def flaky(*args, **kwargs):
            if self.disk_mapping_fails:
                self.disk_mapping_fails = False
                raise nova_exception.InternalError('no disk mapping now')
            return nova_function(*args, **kwargs)

        self.useFixture(fixtures.MonkeyPatch(
            'nova.virt.libvirt.blockinfo.get_disk_info', flaky))

    def test_hard_reboot_checks_current_definition_without_novas_xml(self):
        # NOTE(xmlhooks): when Nova's XML cannot be built before the
        # destroy, the reboot is Nova's to fail or not, after it; the rules
        # are still tried first, on the definition the guest runs.
        self._fail_next_disk_mapping()
        mark = self.mark()
        self._reboot_server(self.server, hard=True)
        self.assertFalse(self.disk_mapping_fails)
        self.assert_customised(self.server, since=mark)
        self.assertTrue(self.fake_domain(HOST, self.server).isActive())

        self.write_profile(PROFILE_FILE, PROFILE + NO_MATCH)
        self.restart_compute_service(HOST)
        self._fail_next_disk_mapping()
        mark = self.mark()
        self._hard_reboot()
        self.notifier.wait_for_versioned_notifications('instance.reboot.error')
        self._wait_idle('ACTIVE')
        self.assertFalse(self.disk_mapping_fails)
        self.assert_untouched(mark, running=True)
        self.assert_fault("'xmlhooks:xml:P[1]'", 'matches nothing')

    def test_skip_lets_hard_reboot_and_rebuild_through(self):
        # NOTE(xmlhooks): under on_error = skip an error is logged and Nova's
        # own XML defined: the preflight must not refuse either operation.
        self.flags(on_error='skip', group='xmlhooks')
        self.break_profile()
        mark = self.mark()
        self._reboot_server(self.server, hard=True)
        self._rebuild_server(self.server, self.server['image']['id'])
        self.assertEqual(2, len(self.domain_events(
            self.server, kinds=(base.DEFINE,), since=mark)))
        self.assertEqual([], self.xpath(
            self.server, './metadata/xmlhooks:customization', since=mark))
        self.assertTrue(self.fake_domain(HOST, self.server).isActive())
        self.assertEqual([], self.instance_faults(self.server))

    def _boot_then_withdraw_category(self):
        """Boot a guest with a resources rule, then refuse resources.

        :returns: the rule's key
        """
        self.flags(allow_sensitive=['resources'], group='xmlhooks')
        self.restart_compute_service(HOST)
        key = 'xmlhooks:xml:ksm'
        self.server = self.boot({key: 'xpath.create=./memoryBacking/'
                                      'nosharepages'})
        self.assertEqual(1, len(self.xpath(
            self.server, './memoryBacking/nosharepages')))
        self.flags(allow_sensitive=[], group='xmlhooks')
        self.restart_compute_service(HOST)
        return key

    def test_hard_reboot_refused_by_the_guard_on_novas_new_xml(self):
        # NOTE(xmlhooks): the rule applied when its category was allowed;
        # once the operator withdraws that, the reboot's XML would be
        # refused after the domain was undefined. The preflight builds
        # Nova's XML first, so the guard refuses before anything happens.
        key = self._boot_then_withdraw_category()
        self.assert_hard_reboot_refused("'%s'" % key, 'resources')

    def test_rebuild_refused_by_the_guard_on_novas_xml(self):
        # NOTE(xmlhooks): as above, for a rebuild, which destroys the guest
        # before it spawns it again. The current definition already holds
        # the rule's effect, so only Nova's own XML shows that the rule now
        # makes a refused change; the preflight builds it first.
        key = self._boot_then_withdraw_category()
        self.assert_rebuild_refused("'%s'" % key, 'resources')

    def test_resize_refused_by_the_guard_on_novas_xml(self):
        # NOTE(xmlhooks): as above, for a resize to a flavor with the same
        # rule, which powers the guest off before the destination builds
        # the new XML. On the current definition the rule changes nothing.
        key = self._boot_then_withdraw_category()
        new_flavor = self.create_unvalidated_flavor(
            {key: 'xpath.create=./memoryBacking/nosharepages'})
        self.assert_resize_refused(new_flavor, "'%s'" % key, 'resources')

    def test_hard_reboot_refused_for_what_qemu_cannot_start(self):
        # NOTE(xmlhooks): libvirt defines a KVM guest whose stimer lacks
        # synic, and QEMU refuses to start it: for a hard reboot, after
        # the destroy. The edited profile is refused before it.
        self.write_profile(PROFILE_FILE, PROFILE +
                           '  specs:\n    xmlhooks:hyperv:stimer: "on"\n')
        self.restart_compute_service(HOST)
        self.assert_hard_reboot_refused("'xmlhooks:hyperv:stimer'",
                                        'without synic')

    def test_power_on_refused_then_recovers(self):
        self.server = self._stop_server(self.server)
        self.break_profile()
        mark = self.mark()
        self.admin_api.post_server_action(self.server['id'],
                                          {'os-start': None})
        self._wait_idle('SHUTOFF')
        self.assert_untouched(mark, running=False)
        self.assert_fault("unknown profile 'P'")

        self.fix_profile()
        mark = self.mark()
        self.server = self._start_server(self.server)
        self.assert_customised(self.server, since=mark)
        self.assertTrue(self.fake_domain(HOST, self.server).isActive())

    def test_resize_to_bad_flavor_refused_before_power_off(self):
        new_flavor = self.create_unvalidated_flavor(
            {'xmlhooks:xml:x': './devices/nosuch[@a>1]/@x=1'})
        old_flavor = self.admin_api.get_server(
            self.server['id'])['flavor']['original_name']
        server = self.assert_resize_refused(new_flavor, "'xmlhooks:xml:x'",
                                            'matches nothing')
        self.assertEqual(old_flavor, server['flavor']['original_name'])

    def test_resize_tried_on_the_new_flavors_xml(self):
        # NOTE(xmlhooks): the new flavor makes Nova write CPU tuning
        # (quota:cpu_*), which its own rule removes, a change the guard
        # refuses. The old flavor's XML has no tuning, and the rule changes
        # nothing there: tried on it, the rule would pass, and be refused
        # on the destination after the power off.
        self.useFixture(fixtures.MockPatch(
            'nova.virt.libvirt.host.Host.is_cpu_control_policy_capable',
            return_value=True))
        specs = dict(SPECS, **{'quota:cpu_shares': '2048',
                               'xmlhooks:xml:tune': 'xpath.delete=./cputune'})
        new_flavor = self.create_unvalidated_flavor(specs)
        self.assert_resize_refused(new_flavor, "'xmlhooks:xml:tune'",
                                   'resources')
        # NOTE(xmlhooks): the XML was built from a copy of the instance.
        self.assertEqual(SPECS, self.admin_api.get_server(
            self.server['id'])['flavor']['extra_specs'])

    def test_resize_to_what_only_the_new_flavor_writes(self):
        # NOTE(xmlhooks): the reverse: a rule acting on a device that only
        # the new flavor makes Nova write resizes, as it would boot.
        specs = dict(SPECS, **{
            'hw:watchdog_action': 'reset',
            'xmlhooks:xml:dog': './devices/watchdog/@action=poweroff'})
        new_flavor = self.create_unvalidated_flavor(specs)
        self.server = self._resize_server(self.server, new_flavor)
        self.assertEqual(['poweroff'], self.xpath(
            self.server, './devices/watchdog/@action'))

    def test_rebuild_tried_on_the_new_images_xml(self):
        # NOTE(xmlhooks): the guest's image makes Nova write a watchdog,
        # which the flavor's rule acts on; the rebuild's image has none,
        # and the rule matches no device there. Tried on the guest's own
        # XML it would pass, and be refused after the destroy.
        image = copy.deepcopy(next(iter(self.glance.images.values())))
        image['id'] = uuidutils.generate_uuid()
        image['properties'] = dict(image['properties'],
                                   hw_watchdog_action='reset')
        watched = self.glance.create(None, image)['id']
        plain = self.server['image']['id']
        key = 'xmlhooks:xml:dog'
        self.server = self.boot(
            dict(SPECS, **{key: './devices/watchdog/@action=poweroff'}),
            image_uuid=watched)
        self.assertEqual(['poweroff'], self.xpath(
            self.server, './devices/watchdog/@action'))
        mark = self.mark()
        self.admin_api.post_server_action(
            self.server['id'],
            {'rebuild': {'imageRef': plain}})
        self.notifier.wait_for_versioned_notifications(
            'instance.rebuild.error')
        self._wait_idle('ACTIVE')
        self.assert_untouched(mark, running=True)
        self.assert_fault("'%s'" % key, 'matches no')

    def test_rebuild_refused_leaves_guest_alone(self):
        self.break_profile()
        self.assert_rebuild_refused("unknown profile 'P'")
        # NOTE(xmlhooks): Nova removes the allocation of an instance whose
        # rebuild fails; the operator is told how to put it back.
        self.assertIn('heal_allocations --instance %s' % self.server['id'],
                      self.stdlog.logger.output)

        self.fix_profile()
        mark = self.mark()
        self._rebuild_server(self.server, self.server['image']['id'])
        self.assert_customised(self.server, since=mark)

    def test_unshelve_refused_before_the_disks_are_made(self):
        # NOTE(xmlhooks): libvirt's spawn makes the guest's directory
        # before it asks for the XML, and a failed unshelve leaves it.
        self.flags(shelved_offload_time=-1)
        self._shelve_server(self.server, expected_state='SHELVED')
        self._shelve_offload_server(self.server)
        self.break_profile()
        self.api.post_server_action(self.server['id'], {'unshelve': None})
        self.assert_fault("unknown profile 'P'")
        server = self._wait_idle('SHELVED_OFFLOADED')
        self.assertEqual('SHELVED_OFFLOADED', server['status'])
        self.assertFalse(os.path.exists(libvirt_utils.get_instance_path(
            self.instance(self.server))))

    def test_rescue_refused_before_power_off(self):
        # NOTE(xmlhooks): Nova's rescue has no rollback: the instance goes
        # to ERROR on any error, but the guest is not powered off.
        self.break_profile()
        mark = self.mark()
        self.api.post_server_action(self.server['id'], {'rescue': {}})
        self._wait_for_state_change(self.server, 'ERROR')
        self.assert_untouched(mark, running=True)
        self.assert_fault("unknown profile 'P'")

        self.fix_profile()
        self.admin_api.post_server_action(
            self.server['id'], {'os-resetState': {'state': 'active'}})
        self._wait_idle('ACTIVE')
        mark = self.mark()
        compat.rescue(self, self.server)
        self.assertTrue(self.domain_events(self.server, since=mark))

    def test_rescue_refused_by_the_guard_on_novas_xml(self):
        # NOTE(xmlhooks): as for a hard reboot: the current definition
        # holds the rule's effect, so the rule changes nothing there, and
        # the rescue domain, built after the power off, was refused.
        key = self._boot_then_withdraw_category()
        mark = self.mark()
        self.api.post_server_action(self.server['id'], {'rescue': {}})
        self._wait_for_state_change(self.server, 'ERROR')
        self.assert_untouched(mark, running=True)
        self.assert_fault("'%s'" % key, 'resources')

    def test_rescue_of_a_guest_whose_rule_reads_what_it_changes(self):
        # NOTE(xmlhooks): the rule changes the tablet Nova writes on a USB
        # bus, and so matches nothing in the definition it made; the
        # rescue domain, which Nova builds afresh, has the USB tablet. The
        # rescue's preflight tries the rules on the current definition:
        # it must not refuse what the rescue itself leaves out.
        key = 'xmlhooks:xml:tablet'
        self.server = self.boot(dict(SPECS, **{
            key: "./devices/input[@type='tablet'][@bus='usb']/@bus=virtio"}))
        self.assertEqual(['virtio'], self.xpath(
            self.server, "./devices/input[@type='tablet']/@bus"))
        mark = self.mark()
        compat.rescue(self, self.server)
        self.assertEqual(['virtio'], self.xpath(
            self.server, "./devices/input[@type='tablet']/@bus", since=mark))
        self.assertEqual([], self.instance_faults(self.server))


#: a topology of more vCPUs than any flavor of these tests has
TOO_MANY_SOCKETS = './cpu/topology/@sockets=9'


def _xml_to_native(connection, native_format, xml, flags):
    """libvirt's ``virConnectDomainXMLToNative``, for its topology rule.

    NOTE(xmlhooks): nova's fake libvirt has no such call. This one refuses
    what libvirt 9.0 refuses there and at definition ("CPU topology
    doesn't match maximum vcpu count", checked on the real libvirt by
    tests/libvirt/test_cli.py), and takes the rest.
    """
    connection.xmlhooks_asked.append(xml)
    root = etree.fromstring(xml.encode('utf-8'))
    topology = root.find('cpu/topology')
    if topology is not None:
        count = 1
        for name in ('sockets', 'dies', 'cores', 'threads'):
            count *= int(topology.get(name, '1'))
        if count != int(root.findtext('vcpu')):
            raise fakelibvirt.make_libvirtError(
                fakelibvirt.libvirtError,
                "unsupported configuration: CPU topology doesn't match "
                "maximum vcpu count",
                error_code=fakelibvirt.VIR_ERR_CONFIG_UNSUPPORTED)
    return '/usr/bin/qemu-system-x86_64 -name guest=%s' % root.findtext(
        'name')


def _xml_to_native_unanswered(connection, native_format, xml, flags):
    """``virConnectDomainXMLToNative`` whose connection drops.

    NOTE(xmlhooks): the connection closes during the first question, about
    the customised XML; libvirt's RPC client reports that as an internal
    error of its own domain ("client socket is closed"). Nova's own XML,
    asked about next on a new connection, passes.
    """
    connection.xmlhooks_asked.append(xml)
    if len(connection.xmlhooks_asked) == 1:
        raise fakelibvirt.make_libvirtError(
            fakelibvirt.libvirtError, 'internal error: client socket is '
            'closed', error_code=fakelibvirt.VIR_ERR_INTERNAL_ERROR,
            error_domain=fakelibvirt.VIR_FROM_RPC)
    return '/usr/bin/qemu-system-x86_64'


class LibvirtPreflightTest(helpers.FaultTestBase):
    """``[xmlhooks] preflight_asks_libvirt``: libvirt is asked too.

    libvirt's rules, not only the engine's checks, are asked before a hard
    reboot takes a guest down.
    """

    CAST_AS_CALL = False

    def setUp(self):
        super().setUp()
        self.asked = []
        self.useFixture(fixtures.MonkeyPatch(
            'nova.tests.fixtures.libvirt.Connection.xmlhooks_asked',
            self.asked))
        self.useFixture(fixtures.MonkeyPatch(
            'nova.tests.fixtures.libvirt.Connection.domainXMLToNative',
            _xml_to_native))
        self.flags(preflight_asks_libvirt=True, group='xmlhooks')
        self.write_profile(PROFILE_FILE, PROFILE)
        self.start_compute(hostname=HOST)
        self.server = self.boot(SPECS)
        self.assertTrue(self.xpath(self.server, './cpu/topology'))

    def edit_profile(self, *edits):
        self.write_profile(PROFILE_FILE, PROFILE + ''.join(
            '    - %s\n' % edit for edit in edits))
        self.restart_compute_service(HOST)

    def _hard_reboot(self):
        self.admin_api.post_server_action(
            self.server['id'], {'reboot': {'type': 'HARD'}})
        self.notifier.wait_for_versioned_notifications('instance.reboot.error')
        return self._wait_for_server_parameter(
            self.server, {'status': 'ACTIVE', 'OS-EXT-STS:task_state': None})

    def test_refused_by_libvirt_before_the_guest_goes_down(self):
        self.edit_profile(TOO_MANY_SOCKETS)
        mark = self.mark()
        self._hard_reboot()
        self.assertEqual([], self.domain_events(self.server, since=mark))
        self.assertTrue(self.fake_domain(HOST, self.server).isActive())
        faults = self.instance_faults(self.server)
        self.assertTrue(faults, 'no instance fault was recorded')
        self.assertIn("rule 'xmlhooks:xml:P[1]' failed: libvirt refuses",
                      faults[0].message)
        # NOTE(xmlhooks): libvirt's reason may name host paths: the log
        # has it, the fault users see does not.
        self.assertNotIn('topology', faults[0].message)

        self.edit_profile()
        mark = self.mark()
        self._reboot_server(self.server, hard=True)
        self.assertTrue(self.domain_events(self.server, since=mark))
        self.assertEqual(['off'], self.xpath(
            self.server, './features/pmu/@state', since=mark))

    def test_fault_names_the_rule_that_keeps_it_refused(self):
        # NOTE(xmlhooks): a topology is often set one attribute at a time,
        # and libvirt refuses the document between two such rules. The
        # fault must name the rule from which it stays refused (the
        # threads), not the first whose replay libvirt refused (the
        # sockets, which the next rule set right again).
        self.edit_profile(TOO_MANY_SOCKETS, './cpu/topology/@sockets=1',
                          './cpu/topology/@threads=2')
        self._hard_reboot()
        self.assertTrue(self.fake_domain(HOST, self.server).isActive())
        faults = self.instance_faults(self.server)
        self.assertTrue(faults, 'no instance fault was recorded')
        self.assertIn("rule 'xmlhooks:xml:P[3]' failed: libvirt refuses",
                      faults[0].message)

    def test_refused_by_libvirt_under_skip_defines_novas_xml(self):
        self.flags(on_error='skip', group='xmlhooks')
        self.edit_profile(TOO_MANY_SOCKETS)
        mark = self.mark()
        self._reboot_server(self.server, hard=True)
        self.assertTrue(self.fake_domain(HOST, self.server).isActive())
        self.assertEqual([], self.xpath(
            self.server, './features/pmu/@state', since=mark))
        self.assertEqual([], self.xpath(
            self.server, './metadata/xmlhooks:customization', since=mark))

    def test_accepted_xml_is_the_one_asked_about(self):
        del self.asked[:]
        mark = self.mark()
        self._reboot_server(self.server, hard=True)
        self.assertEqual([self.defined_xml(self.server, since=mark)],
                         self.asked)

    def test_not_asked_by_default(self):
        self.flags(preflight_asks_libvirt=False, group='xmlhooks')
        self.edit_profile(TOO_MANY_SOCKETS)
        del self.asked[:]
        mark = self.mark()
        self._reboot_server(self.server, hard=True)
        self.assertEqual([], self.asked)
        self.assertEqual(['9'], self.xpath(
            self.server, './cpu/topology/@sockets', since=mark))

    def test_no_answer_keeps_the_customisation(self):
        # NOTE(xmlhooks): libvirt briefly unreachable must neither refuse
        # the reboot nor, under on_error = skip, define Nova's own XML.
        self.flags(on_error='skip', group='xmlhooks')
        self.useFixture(fixtures.MonkeyPatch(
            'nova.tests.fixtures.libvirt.Connection.domainXMLToNative',
            _xml_to_native_unanswered))
        self.edit_profile()
        del self.asked[:]
        mark = self.mark()
        self._reboot_server(self.server, hard=True)
        self.assertTrue(self.fake_domain(HOST, self.server).isActive())
        self.assertEqual(1, len(self.asked))
        self.assertEqual(['off'], self.xpath(
            self.server, './features/pmu/@state', since=mark))
        self.assertEqual([], self.instance_faults(self.server))


class LiveMigrationTest(helpers.FaultTestBase):
    """The destination judges the rules under its own options.

    A live migration moves the domain's XML, checked under the source's
    ``[xmlhooks]`` options, to a host that may allow less.
    """

    CAST_AS_CALL = False
    KEY = 'xmlhooks:xml:ksm'

    def setUp(self):
        super().setUp()
        self.flags(allow_sensitive=['resources'], group='xmlhooks')
        self.start_compute(hostname='compute1')
        self.server = self.boot(
            {self.KEY: 'xpath.create=./memoryBacking/nosharepages'},
            host='compute1')
        self.assertEqual(1, len(self.xpath(
            self.server, './memoryBacking/nosharepages')))
        self.useFixture(fixtures.MonkeyPatch(
            'nova.tests.fixtures.libvirt.Domain.migrateToURI3',
            self._migrate))

    def _migrate(self, domain, destination, params, flags):
        # NOTE(xmlhooks): as in nova's own LibvirtMigrationMixin, start on
        # the destination what nova sent, then end the job on the source.
        dest = self.computes['compute2'].driver._host.get_connection()
        dest.createXML(params['destination_xml'], 0)
        domain.complete_job()

    def test_refused_where_the_category_is_not_allowed(self):
        self.flags(allow_sensitive=[], group='xmlhooks')
        self.start_compute(hostname='compute2')
        self.assert_refused()

    def test_refused_under_skip(self):
        # NOTE(xmlhooks): skip defines Nova's own XML where the rules
        # fail; the XML a live migration moves is the customised one.
        self.flags(allow_sensitive=[], on_error='skip', group='xmlhooks')
        self.start_compute(hostname='compute2')
        self.assert_refused()

    def assert_refused(self):
        """The guest stays on compute1, running, with a fault."""
        mark = self.mark()
        self.admin_api.post_server_action(self.server['id'], {
            'os-migrateLive': {'host': 'compute2',
                               'block_migration': 'auto'}})
        # NOTE(xmlhooks): Nova marks a failed preparation's migration
        # error, then its rollback marks it failed.
        self._wait_for_migration_status(self.server, ['failed'])
        server = self._wait_for_server_parameter(
            self.server, {'status': 'ACTIVE', 'OS-EXT-STS:task_state': None})
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        self.assertTrue(self.fake_domain('compute1', self.server).isActive())
        self.assertFalse(self.has_fake_domain('compute2', self.server))
        self.assertEqual([], self.domain_events(self.server, since=mark))
        fault = self.newest_fault(self.server)
        self.assertIn("'%s'" % self.KEY, fault.message)
        self.assertIn('resources', fault.message)

    def test_serial_console_ports_taken_for_the_check_are_given_back(self):
        taken = set()
        self.useFixture(fixtures.MonkeyPatch(
            'nova.console.serial.ALLOCATED_PORTS', taken))
        self.flags(enabled=True, group='serial_console')
        self.flags(allow_sensitive=[], group='xmlhooks')
        self.start_compute(hostname='compute2')
        self.admin_api.post_server_action(self.server['id'], {
            'os-migrateLive': {'host': 'compute2',
                               'block_migration': 'auto'}})
        self._wait_for_migration_status(self.server, ['failed'])
        # NOTE(xmlhooks): Nova's preparation takes a listen port for the
        # migration (serial_listen_ports), which its rollback, given the
        # source's migrate_data, does not give back; the check's
        # generation takes one more for the guest's console. Both are
        # given back.
        self.assertEqual(set(), taken)

    def test_ports_plugged_for_the_migration_are_unplugged(self):
        # NOTE(xmlhooks): with the instance path shared, Nova's rollback
        # does not come back to the destination, and unplugs nothing
        # there.
        server = self._create_server(
            flavor_id=self.create_flavor(
                {self.KEY: 'xpath.create=./memoryBacking/nosharepages'}),
            networks=[{'port': self.neutron.port_1['id']}], host='compute1')
        self.flags(allow_sensitive=[], group='xmlhooks')
        self.start_compute(hostname='compute2')
        plugged, unplugged = [], []
        for name, calls in (('_plug_os_vif', plugged),
                            ('_unplug_os_vif', unplugged)):
            self.useFixture(fixtures.MockPatch(
                'nova.virt.libvirt.vif.LibvirtGenericVIFDriver.' + name,
                side_effect=lambda instance, vif, calls=calls:
                    calls.append(vif.id)))
        self.admin_api.post_server_action(server['id'], {
            'os-migrateLive': {'host': 'compute2',
                               'block_migration': 'auto'}})
        self._wait_for_migration_status(server, ['failed'])
        self._wait_for_server_parameter(
            server, {'status': 'ACTIVE', 'OS-EXT-STS:task_state': None,
                     'OS-EXT-SRV-ATTR:host': 'compute1'})
        self.assertEqual([self.neutron.port_1['id']], plugged)
        self.assertEqual(plugged, unplugged)

    def test_says_when_the_rules_cannot_be_tried(self):
        self.flags(allow_sensitive=[], group='xmlhooks')
        self.start_compute(hostname='compute2')
        # NOTE(xmlhooks): as Nova's generation fails on a destination
        # without the source's vPMEM namespace; the guest moves unchecked.
        self.useFixture(fixtures.MockPatchObject(
            self.computes['compute2'].driver, '_get_guest_config',
            side_effect=KeyError('ns_0')))
        server = compat.live_migrate(self, self.server, 'compute2')
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        self.assertIn('The xmlhooks rules could not be tried before live '
                      'migration', self.stdlog.logger.output)

    def test_moves_where_it_is_allowed(self):
        self.start_compute(hostname='compute2')
        server = compat.live_migrate(self, self.server, 'compute2')
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        self.assertTrue(self.fake_domain('compute2', self.server).isActive())
