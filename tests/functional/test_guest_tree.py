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

"""The driver customises the tree Nova builds, as it would Nova's text.

NOTE(xmlhooks): nova's ``_get_guest_xml`` serialises the configuration
that ``_get_guest_config`` returns; the driver hands the engine the tree
instead (:func:`nova_xmlhooks.compat.customised_guest_xml`). Each time,
this compares the result with what the engine gives for Nova's own text.
"""

import fixtures

from nova_xmlhooks import compat
from tests.functional import base

PROFILE = """
tree:
  description: one of each kind
  specs:
    xmlhooks:timer:hpet: present=no
  xml:
    - ./devices/disk[@device='disk']/driver/@cache=writeback
"""
SPECS = {
    'xmlhooks:profile': 'tree',
    'xmlhooks:hyperv:relaxed': 'on',
    'xmlhooks:smbios:chassis.asset': '{instance_uuid}',
    'xmlhooks:xml:product': "./sysinfo/system/entry[@name='product']=Tree",
    'xmlhooks:xml:tablet': "xpath.delete=./devices/input[@type='tablet']",
}


class GuestTreeTest(base.XmlHooksTestBase):

    def setUp(self):
        super().setUp()
        self.compared = []
        to_xml = compat._CustomisedConfig.to_xml

        def compared(config, pretty_print=True):
            result = to_xml(config, pretty_print)
            customize = config._request.customize
            engine = customize.func.__self__
            self.compared.append((result, engine.customize(
                config._config.to_xml(), **customize.keywords)))
            return result
        self.useFixture(fixtures.MonkeyPatch(
            'nova_xmlhooks.compat._CustomisedConfig.to_xml', compared))
        self.write_profile('tree.yaml', PROFILE)
        self.start_compute(hostname='compute1')

    def test_same_bytes_through_the_lifecycle(self):
        # NOTE(xmlhooks): a hard reboot and a power on define the XML the
        # preflight built (see nova_xmlhooks.reboot); boot, rebuild and
        # rescue generate it here.
        server = self.boot(SPECS)
        server = self._rebuild_server(server, server['image']['id'])
        # NOTE(xmlhooks): the helpers of nova 29 have no _rescue_server.
        self.api.post_server_action(server['id'], {'rescue': {}})
        self._wait_for_state_change(server, 'RESCUE')
        self.assertEqual(3, len(self.compared))
        for from_tree, from_text in self.compared:
            self.assertEqual(from_text, from_tree)
        self.assertEqual(['Tree'], self.xpath(
            server, "./sysinfo/system/entry[@name='product']/text()"))
        # NOTE(xmlhooks): the rescue disk is a disk too.
        self.assertEqual({'writeback'}, set(self.xpath(
            server, "./devices/disk[@device='disk']/driver/@cache")))

    def test_no_rules_no_wrapper(self):
        self.boot({})
        self.assertEqual([], self.compared)
