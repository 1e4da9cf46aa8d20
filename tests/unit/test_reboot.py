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

"""What a hard reboot's plan is served to, and for how long.

NOTE(xmlhooks): the functional tests (tests/functional/test_hard_reboot.py)
reboot through nova's compute manager; these pin what they cannot reach
in nova's fake host: the mediated devices nova allocates after the
destroy, and the plan of a reboot that fails.
"""

import inspect
import types

from nova.virt.libvirt import driver as libvirt_driver

from nova_xmlhooks import compat
from nova_xmlhooks import reboot
from tests.unit import base

NOVA_GUEST_XML = libvirt_driver.LibvirtDriver._get_guest_xml
NOVA_HARD_REBOOT = libvirt_driver.LibvirtDriver._hard_reboot


def _takes(function, name):
    return name in inspect.signature(function).parameters


class ServesTest(base.TestCase):
    """A plan serves only the call whose inputs it was built from."""

    def setUp(self):
        super().setUp()
        self.instance = types.SimpleNamespace(uuid='uuid-1')
        self.hard_reboot = compat.HardReboot(
            context=object(), instance=self.instance,
            network_info=object(), share_info=object(),
            block_device_info=object(), accel_info=object())
        self.old_guest = object()
        self.plan = reboot.RebootPlan(
            reboot=self.hard_reboot, disk_info={'mapping': {'disk': 'vda'}},
            mdevs={'mdev-1': 'uuid-1'}, old_guest=self.old_guest,
            xml='<domain/>', ports=reboot.SerialPorts('uuid-1'))

    def _serves(self, instance=None, network_info=None, disk_info=None,
                **changes):
        """Whether the plan serves nova's call, with some inputs changed.

        The call is the one nova's ``_hard_reboot`` makes, read as the
        driver reads it.
        """
        hard_reboot = self.hard_reboot
        kwargs = {'block_device_info': hard_reboot.block_device_info,
                  'mdevs': ['mdev-1'],
                  'accel_info': hard_reboot.accel_info,
                  'share_info': hard_reboot.share_info,
                  'old_guest': self.old_guest}
        kwargs.update(changes)
        kwargs = {name: value for name, value in kwargs.items()
                  if _takes(NOVA_GUEST_XML, name)}
        call = compat.guest_xml_call(NOVA_GUEST_XML, (), kwargs)
        return self.plan.serves(
            instance or self.instance,
            network_info or hard_reboot.network_info,
            disk_info or {'mapping': {'disk': 'vda'}}, call)

    def test_serves_the_reboots_own_call(self):
        self.assertTrue(self._serves())

    def test_mdevs_allocated_after_the_destroy(self):
        # NOTE(xmlhooks): nova allocates vGPUs after the destroy when the
        # flavor asks for one and none is assigned, and Cyborg's with
        # accel_info; the XML built before lacks them.
        self.assertFalse(self._serves(mdevs=['mdev-1', 'mdev-2']))
        self.assertFalse(self._serves(mdevs=[]))

    def test_other_inputs(self):
        for name in ('block_device_info', 'accel_info', 'share_info',
                     'old_guest'):
            if _takes(NOVA_GUEST_XML, name):
                self.assertFalse(self._serves(**{name: object()}), name)
        self.assertFalse(self._serves(rescue={'kernel_id': None}))
        self.assertFalse(self._serves(network_info=object()))
        self.assertFalse(self._serves(disk_info={'mapping': {}}))
        self.assertFalse(self._serves(
            instance=types.SimpleNamespace(uuid='uuid-2')))


class _Nova:
    """Nova's methods the mixin calls through ``super()``."""

    def _hard_reboot(self, *args, **kwargs):
        self.during = (self._get_all_assigned_mediated_devices(self.instance),
                       self._get_all_assigned_mediated_devices())
        raise RuntimeError('libvirt failed to start the domain')

    def _get_all_assigned_mediated_devices(self, instance=None):
        return {'nova-read': instance}


class _Driver(reboot.HardRebootMixin, _Nova):

    def __init__(self, instance, plan):
        self.instance = instance
        self.plan = plan

    def _xmlhooks_plan_reboot(self, hard_reboot, ports):
        return self.plan


class PlanLifetimeTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.instance = types.SimpleNamespace(uuid='uuid-1')
        plan = reboot.RebootPlan(
            reboot=compat.HardReboot(context=None, instance=self.instance,
                                     network_info=None),
            disk_info={}, mdevs={'planned': 'uuid-1'}, old_guest=None,
            xml='<domain/>', ports=reboot.SerialPorts('uuid-1'))
        self.driver = _Driver(self.instance, plan)

    def _reboot(self):
        kwargs = {'context': None, 'instance': self.instance,
                  'network_info': None}
        if _takes(NOVA_HARD_REBOOT, 'share_info'):
            kwargs['share_info'] = None
        self.assertRaises(RuntimeError, self.driver._hard_reboot, **kwargs)

    def test_host_wide_read_is_novas(self):
        # NOTE(xmlhooks): nova reads every mdev of the host, to allocate
        # free ones, with no instance; the plan holds one guest's.
        self._reboot()
        self.assertEqual(({'planned': 'uuid-1'}, {'nova-read': None}),
                         self.driver.during)

    def test_plan_ends_with_a_failed_reboot(self):
        self._reboot()
        self.assertEqual(
            {'nova-read': self.instance},
            self.driver._get_all_assigned_mediated_devices(self.instance))
