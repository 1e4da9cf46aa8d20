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

"""Drift and staleness of a recorded customisation, on Nova's XML."""

from lxml import etree

from nova_xmlhooks.cmd import audit
from nova_xmlhooks import engine as engine_mod
from tests.unit import base
from tests.unit.cmd import base as cmd_base

CLOCK = './clock/@offset=localtime'
NO_TABLET = "xpath.delete=./devices/input[@type='tablet']"


class AuditDomainTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.flags(customizers=['xml'])
        self.write_profile('p.yaml', 'p:\n  xml: ["%s"]\n' % NO_TABLET)
        self.specs = {'xmlhooks:profile': 'p', 'xmlhooks:xml:clock': CLOCK}
        # NOTE(xmlhooks): Nova records the flavor's extra specs in the
        # domain before the driver customises it.
        self.customised = self.engine().customize(
            cmd_base.with_extra_specs(base.nova_xml(), self.specs),
            self.specs)

    def info(self, persistent, live=None):
        return {'name': 'instance-00000001', 'uuid': 'u', 'state': 'x',
                'persistent': persistent, 'live': live}

    def test_ok(self):
        report = audit.audit_domain(self.engine(),
                                    self.info(self.customised,
                                              self.customised))
        self.assertEqual('ok', report['status'])
        self.assertEqual(['p'], report['profiles'])
        self.assertEqual([], report['drift'])
        self.assertIsNone(report['stale'])

    def test_unmanaged(self):
        report = audit.audit_domain(self.engine(),
                                    self.info(base.nova_xml()))
        self.assertEqual('unmanaged', report['status'])

    def test_drift_names_each_rule(self):
        root = etree.fromstring(self.customised.encode())
        root.find('clock').set('offset', 'utc')
        etree.SubElement(root.find('devices'), 'input', type='tablet',
                         bus='usb')
        edited = etree.tostring(root, encoding='unicode')
        report = audit.audit_domain(self.engine(),
                                    self.info(edited, self.customised))
        self.assertEqual('drift', report['status'])
        self.assertEqual(
            [('persistent', 'xmlhooks:xml:p[0]'),
             ('persistent', 'xmlhooks:xml:clock')],
            [(d['definition'], d['key']) for d in report['drift']])
        self.assertIn('-    <input type="tablet" bus="usb"/>',
                      report['drift'][0]['diff'])

    def test_stale_after_profile_change_and_removal(self):
        self.write_profile('p.yaml', 'p:\n  xml: ["%s"]\n' % CLOCK)
        report = audit.audit_domain(self.engine(),
                                    self.info(self.customised))
        self.assertEqual('stale', report['status'])
        self.assertEqual([NO_TABLET], [
            r['value'] for r in report['stale']['removed']])
        self.assertIn('+      <xmlhooks:rule key="xmlhooks:xml:p[0]"',
                      report['stale']['diff'])

        self.write_profile('p.yaml', '')
        report = audit.audit_domain(self.engine(),
                                    self.info(self.customised))
        self.assertEqual('stale', report['status'])
        self.assertEqual("'xmlhooks:profile' names unknown profile 'p'",
                         report['stale']['error'])

    def test_nova_domain_without_record_gets_default_profile(self):
        engine = self.engine(default_profiles=['p'])
        report = audit.audit_domain(engine, self.info(base.nova_xml()))
        self.assertEqual('stale', report['status'])
        self.assertEqual(['p'], report['stale']['profiles'])
        self.assertIn("-    <input type=\"tablet\" bus=\"usb\"/>",
                      report['stale']['diff'])
        self.assertIsInstance(engine, engine_mod.Engine)
