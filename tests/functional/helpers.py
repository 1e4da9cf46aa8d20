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

"""What the fault, preflight and validation tests observe in Nova.

Everything here reads what Nova itself records: its database (instance
faults, system metadata), its versioned notifications, its instance
actions and the fake libvirt connection of each compute. Nothing is
mocked.
"""

import os
import time

from nova import context as nova_context
from nova import objects
from nova.tests.functional.api import client as api_client
from nova import utils as nova_utils

from tests.functional import base

#: the last microversion at which nova stores extra specs unvalidated
UNVALIDATED_MICROVERSION = '2.85'


class FaultTestBase(base.XmlHooksTestBase):
    """Helpers to observe failed operations through Nova's own records."""

    def set_specs_unvalidated(self, flavor_id, extra_specs):
        """Set extra specs at 2.85, where Nova does not validate them.

        This is how a spec reaches a compute without passing API
        validation (also: set before the package was installed on the API
        hosts).

        :param flavor_id: the flavor
        :param extra_specs: a dict of specs
        """
        with nova_utils.temporary_mutation(
                self.admin_api, microversion=UNVALIDATED_MICROVERSION):
            self.admin_api.post_extra_spec(
                flavor_id, {'extra_specs': dict(extra_specs)})

    def create_unvalidated_flavor(self, extra_specs, **kwargs):
        """Create a flavor whose specs bypassed API validation.

        :returns: the flavor id
        """
        flavor_id = self.create_flavor(**kwargs)
        self.set_specs_unvalidated(flavor_id, extra_specs)
        return flavor_id

    def assert_api_error(self, status, func, *args, **kwargs):
        """Call the API and check that it fails with the given status.

        :returns: the error message of the response
        """
        error = self.assertRaises(api_client.OpenStackApiException,
                                  func, *args, **kwargs)
        self.assertEqual(status, error.response.status_code,
                         error.response.text)
        return error.response.text

    def instance(self, server):
        """The instance as Nova stores it in its cell database.

        :param server: a server dict from the API
        :returns: a ``nova.objects.Instance`` with system metadata
        """
        ctxt = nova_context.get_admin_context()
        im = objects.InstanceMapping.get_by_instance_uuid(ctxt, server['id'])
        with nova_context.target_cell(ctxt, im.cell_mapping) as cctxt:
            return objects.Instance.get_by_uuid(
                cctxt, server['id'], expected_attrs=['system_metadata'])

    def instance_faults(self, server):
        """Every instance fault Nova recorded for a server, newest first.

        :param server: a server dict from the API
        :returns: a list of ``nova.objects.InstanceFault``
        """
        ctxt = nova_context.get_admin_context()
        im = objects.InstanceMapping.get_by_instance_uuid(ctxt, server['id'])
        with nova_context.target_cell(ctxt, im.cell_mapping) as cctxt:
            return list(objects.InstanceFaultList.get_by_instance_uuids(
                cctxt, [server['id']]))

    def newest_fault(self, server):
        """The newest instance fault of a server, waiting a little for it.

        NOTE(xmlhooks): the compute manager records the fault while it
        unwinds, after the migration and the instance are already
        updated.

        :param server: a server dict from the API
        :returns: a ``nova.objects.InstanceFault``
        """
        for _attempt in range(50):
            faults = self.instance_faults(server)
            if faults:
                return faults[0]
            time.sleep(0.1)
        self.fail('no instance fault was recorded')

    def notifications(self, event_type, server):
        """Versioned notifications of one type about one server.

        :param event_type: e.g. ``instance.create.start``
        :param server: a server dict from the API
        :returns: a list of notification dicts, oldest first
        """
        return [n for n in self.notifier.versioned_notifications
                if n['event_type'] == event_type and
                n['payload']['nova_object.data'].get('uuid') == server['id']]

    def action_events(self, server, action):
        """The events of a server's instance actions of one kind.

        :param server: a server dict from the API
        :param action: e.g. ``create`` or ``reboot``
        :returns: a list of event dicts, one per recorded event
        """
        events = []
        for act in self.admin_api.get_instance_actions(server['id']):
            if act['action'] != action:
                continue
            detail = self.admin_api.get_instance_action_details(
                server['id'], act['request_id'])
            events.extend(detail['events'])
        return events

    def fake_domain(self, hostname, server):
        """The fake libvirt domain of a server on a compute host.

        :raises: libvirtError if the host has no such domain
        """
        conn = self.computes[hostname].driver._host.get_connection()
        return conn.lookupByUUIDString(server['id'])

    def has_fake_domain(self, hostname, server):
        conn = self.computes[hostname].driver._host.get_connection()
        return any(dom.UUIDString() == server['id']
                   for dom in conn._vms.values())

    def remove_profile_file(self, filename):
        """Delete a profile file; restart the compute to make it count."""
        os.unlink(os.path.join(self.profile_dir, filename))
