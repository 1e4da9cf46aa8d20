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

"""What libvirt does with a domain a rule gave another UUID.

Nova looks a guest up by its instance's UUID only. libvirt defines a
domain under the UUID its document says, so a rule that changes it
leaves a guest Nova cannot find: it keeps running when the build fails
or the instance is deleted. No category allows such a change (see "The
record, the schema and idempotence" in doc/source/admin/hardening.rst);
this shows, on the real libvirt, what the check stands in the way of.
"""

import uuid

from lxml import etree

from nova_xmlhooks import exception
from nova_xmlhooks import guard
from nova_xmlhooks import xpath_edit
from tests.libvirt import base

#: another UUID, and no SMBIOS entry that libvirt would compare with it
EDITS = {
    'xmlhooks:xml:a-smbios':
        "xpath.delete=./sysinfo/system/entry[@name='uuid']",
    'xmlhooks:xml:b-uuid': "./*[self::uuid]=%s",
}


class IdentityTest(base.LibvirtTestCase):

    def test_libvirt_defines_a_guest_nova_cannot_find(self):
        xml = base.renamed(base.nova_xml('nova-basic'), self.guest_name())
        instance_uuid = base.xpath(xml, 'string(./uuid)')
        specs = dict(EDITS, **{'xmlhooks:xml:b-uuid': EDITS[
            'xmlhooks:xml:b-uuid'] % uuid.uuid4()})
        e = self.assertRaises(
            exception.RuleError,
            self.engine(allow_sensitive=list(guard.CATEGORIES)).customize,
            xml, specs)
        self.assertEqual('xmlhooks:xml:b-uuid', e.key)

        # NOTE(xmlhooks): the same edits applied without the checks, and
        # what libvirt makes of them.
        root = etree.fromstring(xml.encode())
        for _key, value in sorted(specs.items()):
            xpath_edit.parse(value).apply(root)
        guest = self.run_guest(etree.tostring(root, encoding='unicode'),
                               start=False)
        self.assertNotEqual(instance_uuid, guest.domain.UUIDString())
        self.assertRaises(base.libvirt.libvirtError,
                          self.conn.lookupByUUIDString, instance_uuid)
