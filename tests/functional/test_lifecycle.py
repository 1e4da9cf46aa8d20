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

"""The lifecycle matrix: a customisation survives every Nova operation.

Every case boots a server on ``compute1`` with flavor A, whose
customisations come from a profile, an inline ``xmlhooks:xml:`` edit and a
typed family, then runs one operation and asserts, by XPath on the XML Nova
handed to libvirt, where the customisation is. Each customisation is a
:class:`Marker` (the spec and how to see it in the XML); covering one more
family is one more line in ``FLAVOR_A`` or ``FLAVOR_B``.
"""

import collections

import fixtures
from lxml import etree

from tests.functional import base
from tests.functional import compat

#: one customisation: its spec, and what an XPath returns when it applied
Marker = collections.namedtuple('Marker', 'key value xpath expected')

PROFILES = """
lifecycle-a:
  description: disk cache mode, for flavor A
  xml:
    - ./devices/disk[@device='disk']/driver/@cache=writeback
lifecycle-b:
  description: SMBIOS family, for flavor B
  specs:
    xmlhooks:xml:family: ./sysinfo/system/entry[@name='family']=Lifecycle B
"""

_ENTRY = "./sysinfo/system/entry[@name='%s']"

FLAVOR_A = (
    Marker('xmlhooks:profile', 'lifecycle-a',
           "./devices/disk[@device='disk']/driver/@cache", ['writeback']),
    Marker('xmlhooks:xml:maker', _ENTRY % 'manufacturer' + '=ACME',
           _ENTRY % 'manufacturer' + '/text()', ['ACME']),
    Marker('xmlhooks:hyperv:relaxed', 'on',
           './features/hyperv/relaxed/@state', ['on']),
)

FLAVOR_B = (
    Marker('xmlhooks:profile', 'lifecycle-b',
           _ENTRY % 'family' + '/text()', ['Lifecycle B']),
    Marker('xmlhooks:xml:product', _ENTRY % 'product' + '=Resized',
           _ENTRY % 'product' + '/text()', ['Resized']),
    Marker('xmlhooks:hyperv:vapic', 'on',
           './features/hyperv/vapic/@state', ['on']),
)


def _specs(markers):
    return {m.key: m.value for m in markers}


class LifecycleTest(base.XmlHooksTestBase):
    """One Nova operation per test, on a customised server."""

    def setUp(self):
        super().setUp()
        self.write_profile('lifecycle.yaml', PROFILES)
        self.start_compute(hostname='compute1')
        self.start_compute(hostname='compute2')
        self.flavor_a = self.create_flavor(_specs(FLAVOR_A), name='a')
        self.flavor_b = self.create_flavor(_specs(FLAVOR_B), name='b')
        self.server = self.boot(flavor_id=self.flavor_a, host='compute1')
        self.assertEqual('compute1', self.server['OS-EXT-SRV-ATTR:host'])

    def _values(self, xml, marker):
        root = etree.fromstring(xml.encode('utf-8'))
        return root.xpath(marker.xpath, namespaces=base.NAMESPACES)

    def assertCarries(self, xml, markers):
        for marker in markers:
            values = self._values(xml, marker)
            self.assertTrue(values, '%s did not apply' % marker.key)
            self.assertEqual(set(marker.expected), set(values),
                             '%s did not apply' % marker.key)

    def assertLacks(self, xml, markers):
        for marker in markers:
            self.assertFalse(
                set(marker.expected) & set(self._values(xml, marker)),
                '%s is still applied' % marker.key)

    def assertRegenerated(self, since, host, markers, absent=()):
        """One new definition on host, carrying markers, lacking absent.

        :returns: the new XML
        """
        defines = self.domain_events(self.server, kinds=(base.DEFINE,),
                                     host=host, since=since)
        self.assertEqual(1, len(defines),
                         'expected one new definition on %s' % host)
        self.assertCarries(defines[0].xml, markers)
        self.assertLacks(defines[0].xml, absent)
        return defines[0].xml

    def test_boot(self):
        xml = self.defined_xml(self.server, host='compute1')
        self.assertCarries(xml, FLAVOR_A)
        self.assertLacks(xml, FLAVOR_B)
        rules = self.xpath(self.server, './metadata/xmlhooks:customization'
                                        '/xmlhooks:rule/@key')
        self.assertIn('xmlhooks:hyperv:relaxed', rules)

    def test_hard_reboot(self):
        mark = self.mark()
        self._reboot_server(self.server, hard=True)
        self.assertRegenerated(mark, 'compute1', FLAVOR_A)

    def test_flavor_edit_reaches_new_servers_only(self):
        # NOTE(xmlhooks): Nova keeps each instance's own copy of its
        # flavor, made at boot and replaced only by a resize: a flavor's
        # edited specs reach the servers built (or resized to it) after,
        # not a hard reboot or a rebuild of one built before.
        self.admin_api.post_extra_spec(self.flavor_a, {'extra_specs': {
            'xmlhooks:xml:maker': _ENTRY % 'manufacturer' + '=Edited'}})
        mark = self.mark()
        self._reboot_server(self.server, hard=True)
        self._rebuild_server(self.server, self._create_image({})['id'])
        defines = self.domain_events(self.server, kinds=(base.DEFINE,),
                                     since=mark)
        self.assertEqual(2, len(defines))
        for define in defines:
            self.assertCarries(define.xml, FLAVOR_A)
        new = self.boot(flavor_id=self.flavor_a, host='compute1')
        self.assertEqual(['Edited'], self.xpath(
            new, _ENTRY % 'manufacturer' + '/text()'))

    def test_soft_reboot(self):
        # NOTE(xmlhooks): nova shuts the guest down and launches the
        # domain it defined before; nothing is regenerated, and what runs
        # again is the customised definition.
        self.flags(wait_soft_reboot_seconds=2, group='libvirt')
        mark = self.mark()
        self._reboot_server(self.server, hard=False)
        self.assertEqual([], self.domain_events(self.server, since=mark))
        launches = self.domain_events(self.server, kinds=(base.LAUNCH,),
                                      since=mark)
        self.assertEqual(1, len(launches), 'the guest was not relaunched')
        self.assertCarries(launches[0].xml, FLAVOR_A)

    def test_stop_then_start(self):
        server = self._stop_server(self.server)
        mark = self.mark()
        self._start_server(server)
        self.assertRegenerated(mark, 'compute1', FLAVOR_A)

    def test_rebuild(self):
        image = self._create_image({})
        mark = self.mark()
        self._rebuild_server(self.server, image['id'])
        self.assertRegenerated(mark, 'compute1', FLAVOR_A)
        self.assertEqual([image['id']], self.xpath(
            self.server, compat.IMAGE_UUID_XPATH))

    def _resize_to_b(self):
        mark = self.mark()
        server = self._resize_server(self.server, self.flavor_b)
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        self.assertRegenerated(mark, 'compute2', FLAVOR_B, absent=FLAVOR_A)
        return server

    def test_resize_and_confirm(self):
        server = self._resize_to_b()
        mark = self.mark()
        self._confirm_resize(server)
        # NOTE(xmlhooks): confirming only cleans up the source; the guest
        # keeps running the definition the resize wrote.
        self.assertEqual([], self.domain_events(self.server, since=mark))
        xml = self.defined_xml(self.server, host='compute2')
        self.assertCarries(xml, FLAVOR_B)
        self.assertLacks(xml, FLAVOR_A)

    def test_resize_and_revert(self):
        server = self._resize_to_b()
        mark = self.mark()
        server = self._revert_resize(server)
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        self.assertRegenerated(mark, 'compute1', FLAVOR_A, absent=FLAVOR_B)

    def test_cold_migration(self):
        mark = self.mark()
        server = self._migrate_server(self.server)
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        self.assertRegenerated(mark, 'compute2', FLAVOR_A)
        self._confirm_resize(server)

    def test_shelve_offload_unshelve(self):
        self.flags(shelved_offload_time=-1)
        self._shelve_server(self.server, expected_state='SHELVED')
        self._shelve_offload_server(self.server)
        mark = self.mark()
        server = self._unshelve_server(self.server)
        host = server['OS-EXT-SRV-ATTR:host']
        self.assertRegenerated(mark, host, FLAVOR_A)

    def test_evacuate(self):
        self.force_down('compute1')
        mark = self.mark()
        # NOTE(xmlhooks): from microversion 2.95 an evacuated guest is
        # defined, started and left stopped on its new host.
        self._evacuate_server(self.server, expected_host='compute2')
        self.assertRegenerated(mark, 'compute2', FLAVOR_A)

    def test_rescue_and_unrescue(self):
        mark = self.mark()
        server = compat.rescue(self, self.server)
        # NOTE(xmlhooks): the rescue domain is generated XML too, so it
        # carries the flavor's customisations.
        rescue = self.assertRegenerated(mark, 'compute1', FLAVOR_A)
        self.assertIn('.rescue', rescue)
        mark = self.mark()
        compat.unrescue(self, server)
        # NOTE(xmlhooks): unrescue defines again the document nova saved
        # from the domain before the rescue, which carries them already.
        xml = self.assertRegenerated(mark, 'compute1', FLAVOR_A)
        self.assertNotIn('.rescue', xml)

    def _migrate_stub(self, domain, destination, params, flags):
        # NOTE(xmlhooks): the fake libvirt cannot migrate; like nova's own
        # LibvirtMigrationMixin, start on the destination what nova sent
        # as destination_xml, which nova built from the source domain's
        # own definition, then end the job on the source.
        dest = self.computes['compute2'].driver._host.get_connection()
        dest.createXML(params['destination_xml'], 0)
        domain.complete_job()

    def test_live_migration(self):
        self.useFixture(fixtures.MonkeyPatch(
            'nova.tests.fixtures.libvirt.Domain.migrateToURI3',
            self._migrate_stub))
        mark = self.mark()
        server = compat.live_migrate(self, self.server, 'compute2')
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        created = self.domain_events(self.server, kinds=(base.CREATE,),
                                     host='compute2', since=mark)
        self.assertEqual(1, len(created))
        self.assertCarries(created[0].xml, FLAVOR_A)
        # NOTE(xmlhooks): live migration never regenerates the XML.
        self.assertEqual([], self.domain_events(
            self.server, kinds=(base.DEFINE,), since=mark))


class RescueLayoutTest(base.XmlHooksTestBase):
    """The rescue domain's disks are not the guest's own."""

    def test_rules_for_disks_the_rescue_lacks_are_left_out(self):
        # NOTE(xmlhooks): a legacy rescue domain has the rescue disk and
        # the root disk (vda, vdb), not the ephemeral and swap disks (vdb,
        # vdc) the rules name; Nova has powered the guest off when it asks
        # for the rescue XML, so a failure then would leave it down.
        self.start_compute(hostname='compute1')
        specs = {'xmlhooks:xml:swap': "./devices/disk[target/@dev='vdc']"
                                      "/driver/@io=threads",
                 'xmlhooks:xml:pmu': './features/pmu/@state=off'}
        flavor = self.create_flavor(specs, ephemeral=1, swap=64)
        server = self.boot(flavor_id=flavor)
        self.assertEqual(['threads'], self.xpath(
            server, "./devices/disk[target/@dev='vdc']/driver/@io"))
        mark = self.mark()
        server = compat.rescue(self, server)
        (define,) = self.domain_events(server, kinds=(base.DEFINE,),
                                       since=mark)
        root = etree.fromstring(define.xml.encode())
        self.assertEqual(['vda', 'vdb'], root.xpath(
            './devices/disk/target/@dev'))
        self.assertEqual(['off'], root.xpath('./features/pmu/@state'))
        self.assertEqual(['no'], root.xpath(
            "./metadata/xmlhooks:customization/xmlhooks:rule"
            "[@key='xmlhooks:xml:swap']/@added", namespaces=base.NAMESPACES))
        self.assertIn('Rule xmlhooks:xml:swap matches nothing in the rescue '
                      'domain', self.stdlog.logger.output)
        compat.unrescue(self, server)
        self.assertEqual(['threads'], self.xpath(
            server, "./devices/disk[target/@dev='vdc']/driver/@io"))
