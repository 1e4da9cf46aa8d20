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

"""A hard reboot is checked before the destroy and generated only once.

NOTE(xmlhooks): each test counts how often nova's own ``_get_guest_config``
builds a guest configuration, the bulk of an XML generation, during one
hard reboot through nova's compute manager.
"""

import fixtures
from nova.console import serial as serial_console
from nova.virt.libvirt import blockinfo
from nova.virt.libvirt import driver as libvirt_driver

from nova_xmlhooks import engine as engine_mod
from tests.functional import helpers

HOST = 'host1'
SPECS = {'xmlhooks:xml:vmport': './features/vmport/@state=off'}


def change_disk_info_after_the_first(test):
    """Make nova's disk mapping differ from the second reading on.

    As when nova allocates devices after the destroy: the disk mapping
    nova builds then differs from the one read before, so the prepared
    XML is not used.

    :param test: the test case
    :returns: the list of the mappings read, growing
    """
    calls = []
    nova_function = blockinfo.get_disk_info

    def changing(*args, **kwargs):
        disk_info = nova_function(*args, **kwargs)
        calls.append(disk_info)
        if len(calls) > 1:
            disk_info = dict(disk_info, changed=True)
        return disk_info

    test.useFixture(fixtures.MonkeyPatch(
        'nova.virt.libvirt.blockinfo.get_disk_info', changing))
    return calls


class HardRebootGenerationTest(helpers.FaultTestBase):

    def setUp(self):
        super().setUp()
        self.generations = 0
        nova_method = libvirt_driver.LibvirtDriver._get_guest_config

        def counting(driver, *args, **kwargs):
            self.generations += 1
            return nova_method(driver, *args, **kwargs)

        self.useFixture(fixtures.MonkeyPatch(
            'nova.virt.libvirt.driver.LibvirtDriver._get_guest_config',
            counting))
        self.start_compute(hostname=HOST)

    def _hard_reboot(self, server):
        self.generations = 0
        mark = self.mark()
        self._reboot_server(server, hard=True)
        return mark

    def test_customised_reboot_generates_once(self):
        server = self.boot(SPECS)
        mark = self._hard_reboot(server)
        self.assertEqual(1, self.generations)
        self.assertEqual(['off'], self.xpath(
            server, './features/vmport/@state', since=mark))
        self.assertEqual(['xmlhooks:xml:vmport'], self.xpath(
            server, './metadata/xmlhooks:customization/xmlhooks:rule/@key',
            since=mark))
        self.assertTrue(self.fake_domain(HOST, server).isActive())

    def test_customised_reboot_parses_no_text(self):
        # NOTE(xmlhooks): the plan customises the tree Nova builds, as a
        # boot does, rather than parsing the text Nova makes of it.
        server = self.boot(SPECS)
        parsed = []
        parse = engine_mod.parse_domain

        def counting(xml):
            parsed.append(xml)
            return parse(xml)

        self.useFixture(fixtures.MonkeyPatch(
            'nova_xmlhooks.engine.parse_domain', counting))
        mark = self._hard_reboot(server)
        self.assertEqual([], parsed)
        self.assertEqual(1, self.generations)
        self.assertEqual(['off'], self.xpath(
            server, './features/vmport/@state', since=mark))

    def test_stock_reboot_generates_once(self):
        server = self.boot({})
        self._hard_reboot(server)
        self.assertEqual(1, self.generations)

    def test_changed_inputs_generate_again(self):
        # NOTE(xmlhooks): as when nova allocates devices after the
        # destroy: the disk mapping nova builds then differs from the one
        # read before, so the prepared XML is not used.
        server = self.boot(SPECS)
        change_disk_info_after_the_first(self)
        mark = self._hard_reboot(server)
        self.assertEqual(2, self.generations)
        self.assertEqual(['off'], self.xpath(
            server, './features/vmport/@state', since=mark))


class SerialConsoleRebootTest(helpers.FaultTestBase):
    """Serial consoles through a hard reboot, and the ports they take.

    NOTE(xmlhooks): nova's generation takes a TCP port for each serial
    console only when the guest is not defined on the host, and gives it
    back when it destroys the guest.
    """

    CAST_AS_CALL = False

    def setUp(self):
        super().setUp()
        self.flags(enabled=True, group='serial_console')
        self.useFixture(fixtures.MonkeyPatch(
            'nova.console.serial.ALLOCATED_PORTS', set()))

    def _ports(self, server, since=0):
        return [int(port) for port in self.xpath(
            server, "./devices/serial[@type='tcp']/source/@service",
            since=since)]

    def assertTaken(self, ports):
        """Exactly these ports are taken on the host."""
        taken = serial_console.ALLOCATED_PORTS
        self.assertEqual(set(ports), {port for _host, port in taken})

    def test_reboot_keeps_the_serial_consoles(self):
        self.start_compute(hostname=HOST)
        server = self.boot(SPECS)
        self.assertEqual(1, len(self._ports(server)))
        mark = self.mark()
        self._reboot_server(server, hard=True)
        ports = self._ports(server, since=mark)
        self.assertEqual(1, len(ports))
        self.assertEqual(['off'], self.xpath(
            server, './features/vmport/@state', since=mark))
        self.assertTaken(ports)

    def test_refused_reboot_gives_back_the_ports_it_took(self):
        self.flags(allow_sensitive=['resources'], group='xmlhooks')
        self.start_compute(hostname=HOST)
        server = self.boot({'xmlhooks:xml:ksm':
                            'xpath.create=./memoryBacking/nosharepages'})
        ports = self._ports(server)
        self.assertTaken(ports)
        self.flags(allow_sensitive=[], group='xmlhooks')
        self.restart_compute_service(HOST)
        mark = self.mark()
        self.admin_api.post_server_action(
            server['id'], {'reboot': {'type': 'HARD'}})
        self.notifier.wait_for_versioned_notifications('instance.reboot.error')
        self._wait_for_server_parameter(
            server, {'status': 'ACTIVE', 'OS-EXT-STS:task_state': None})
        self.assertEqual([], self.domain_events(server, since=mark))
        self.assertTaken(ports)

    def test_power_on_keeps_the_port_it_defines_taken(self):
        # NOTE(xmlhooks): a power off gives the guest's ports back but
        # keeps it defined; the power on's plan may then take the very
        # port the old definition holds, which the destroy gives back.
        self.start_compute(hostname=HOST)
        server = self.boot(SPECS)
        self._stop_server(server)
        self.assertTaken([])
        mark = self.mark()
        self._start_server(server)
        self._wait_for_state_change(server, 'ACTIVE')
        ports = self._ports(server, since=mark)
        self.assertEqual(1, len(ports))
        self.assertTaken(ports)

    def test_power_on_generating_again_keeps_the_port_taken(self):
        # NOTE(xmlhooks): as above, when the plan is not used: nova's
        # generation after the destroy takes the same free port again,
        # which the plan's must not then give back.
        self.start_compute(hostname=HOST)
        server = self.boot(SPECS)
        self._stop_server(server)
        calls = change_disk_info_after_the_first(self)
        mark = self.mark()
        self._start_server(server)
        self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual(2, len(calls))
        ports = self._ports(server, since=mark)
        self.assertEqual(1, len(ports))
        self.assertTaken(ports)
