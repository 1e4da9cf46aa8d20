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

"""Perf events, which libvirt opens on the host's PMU for the guest."""

from nova_xmlhooks import exception
from nova_xmlhooks import guard
from tests.libvirt import base

try:
    import libvirt
except ImportError:
    libvirt = None

#: a rule pair enabling one event
_SPECS = {'xmlhooks:xml:a': "xpath.create=./perf/event[@enabled='yes']",
          'xmlhooks:xml:b': './perf/event/@name=cpu_cycles'}


class PerfEventTest(base.LibvirtTestCase):

    def test_an_enabled_event_is_opened_on_the_host(self):
        xml = base.renamed(base.nova_xml('nova-basic'), self.guest_name())
        e = self.assertRaises(exception.GuardError,
                              self.engine(allow_sensitive=[]).customize,
                              xml, _SPECS)
        self.assertEqual('host_resources', e.category)
        customised = self.engine(
            allow_sensitive=list(guard.CATEGORIES)).customize(xml, _SPECS)
        guest = self.run_guest(customised, start=False)
        try:
            guest.domain.create()
        except libvirt.libvirtError as error:
            # NOTE(xmlhooks): a host without a PMU (as a nested test
            # host): libvirt failed to open the host's counter, and the
            # guest did not start.
            self.assertEqual(libvirt.VIR_ERR_SYSTEM_ERROR,
                             error.get_error_code())
            self.assertFalse(guest.domain.isActive())
            return
        self.addCleanup(guest.domain.destroy)
        # The host's counter, read by libvirt for the running guest.
        ((_domain, stats),) = self.conn.domainListGetStats(
            [guest.domain], libvirt.VIR_DOMAIN_STATS_PERF)
        self.assertIn('perf.cpu_cycles', stats)
