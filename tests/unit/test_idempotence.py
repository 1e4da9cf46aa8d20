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

"""Applying rules to their own output gives the same bytes, for every family.

Rules are applied to a document (R), then the same rules to R: the result
must be R, byte for byte. Every family is tried on every document Nova
generated (``tests/fixtures``) and on documents of the shapes libvirt's own
test corpus has and Nova does not write: ``<domain id=...>`` with a
``<genid>`` and no ``<metadata>``, containers holding only whitespace,
QEMU arguments and variables of the document's own, comments, a title and
a description, CRLF line ends. Each result is also checked against the
host's libvirt schema when the document was valid before.
"""

import os

import hypothesis
from hypothesis import strategies as st
from lxml import etree

from nova_xmlhooks import engine
from nova_xmlhooks import exception
from nova_xmlhooks import schema
from tests.unit import base
from tests.unit import odd_shapes

ODD_SHAPES = odd_shapes.ODD_SHAPES
#: documents of other libvirt drivers than QEMU's. NOTE(xmlhooks): the
#: guard applies no rule to one (test_guard.OtherDriverTest), and Nova's
#: LXC document is not valid under libvirt's schema anyway: Nova writes
#: a <cmdline> in the <os> of a container, which libvirt ignores.
OTHER_DRIVERS = frozenset(['nova-lxc'])
FIXTURES = sorted(name[:-len('.xml')]
                  for name in os.listdir(base.FIXTURES_DIR)
                  if name.endswith('.xml') and
                  name[:-len('.xml')] not in OTHER_DRIVERS)


def documents():
    """Every document tried: Nova's, the odd shapes, one with CRLF ends."""
    docs = {name: base.nova_xml(name) for name in FIXTURES}
    docs.update(ODD_SHAPES)
    docs['nova-basic-crlf'] = base.nova_xml('nova-basic').replace(
        '\n', '\r\n')
    return docs


#: one rule set per family, valid on every document above
FAMILIES = {
    'xml': {
        # NOTE(xmlhooks): the device is created explicitly, and a child is
        # added to containers that may hold only whitespace.
        'xmlhooks:xml:a': 'xpath.create=./devices/memballoon',
        'xmlhooks:xml:b': './devices/memballoon/@model=virtio',
        'xmlhooks:xml:c': './clock/@offset=localtime',
        'xmlhooks:xml:d': './features/pmu/@state=off',
    },
    'hyperv': {'xmlhooks:hyperv:relaxed': 'on',
               'xmlhooks:hyperv:spinlocks': '8191',
               'xmlhooks:hyperv:vendor_id': 'Microsoft Hv'},
    'smbios': {'xmlhooks:smbios:system.manufacturer': 'ACME',
               'xmlhooks:smbios:baseboard.serial': '{instance_uuid}',
               'xmlhooks:smbios:oem.1': 'licence=x'},
    'cpu': {'xmlhooks:cpu:feature.vmx': 'disable',
            'xmlhooks:cpu:feature.pdpe1gb': 'require'},
    'kvm': {'xmlhooks:kvm:hidden': 'on'},
    'timer': {'xmlhooks:timer:rtc': 'tickpolicy=catchup',
              'xmlhooks:timer:hpet': 'present=no'},
    'qemu': {'xmlhooks:qemu:arg.0': '-unknown',
             'xmlhooks:qemu:arg.1': 'parameter',
             'xmlhooks:qemu:env.FOO': 'bar'},
}


class IdempotenceTest(base.TestCase):

    def setUp(self):
        super().setUp()
        path = self.conf.xmlhooks.schema_path
        self.flags(allow_sensitive=['qemu_passthrough'],
                   validate_schema=os.path.exists(path))
        self.engine_ = self.engine()
        self.schema = (schema.compile_schema(path)
                       if os.path.exists(path) else None)
        self.documents = documents()

    def valid(self, xml):
        if self.schema is None:
            return True
        return self.schema.validate(etree.fromstring(xml.encode()))

    def problem(self, xml, specs):
        """What is wrong with applying ``specs`` to ``xml``, or None."""
        ruleset = self.engine_.resolve(specs)
        try:
            once = self.engine_.apply(xml, ruleset)
            twice = self.engine_.apply(once, ruleset)
        except exception.XmlHooksError as e:
            return e.format_message()
        if twice != once:
            return 'applying again changed the bytes'
        if self.valid(xml) and not self.valid(once):
            return 'the result does not match the schema: %s' % (
                self.schema.error_log.last_error)
        return None

    def test_every_family_on_every_document(self):
        problems = []
        for doc_name, xml in sorted(self.documents.items()):
            for family, specs in FAMILIES.items():
                problem = self.problem(xml, specs)
                if problem:
                    problems.append('%s on %s: %s'
                                    % (family, doc_name, problem))
        self.assertEqual([], problems)

    def test_documents_are_what_they_claim(self):
        # Nova's own documents and the odd shapes are valid libvirt XML
        # (CRLF included), so the schema part of the check is not vacuous.
        if self.schema is None:
            self.skipTest('no libvirt schema on this host')
        for name, xml in self.documents.items():
            self.assertTrue(self.valid(xml), '%s: %s' % (
                name, self.schema.error_log.last_error))

    @hypothesis.settings(max_examples=60, deadline=None, derandomize=True,
                         suppress_health_check=[
                             hypothesis.HealthCheck.function_scoped_fixture])
    @hypothesis.given(st.sampled_from(sorted(ODD_SHAPES) + FIXTURES),
                      st.sets(st.sampled_from(sorted(FAMILIES)), min_size=2))
    def test_families_together(self, doc_name, families):
        specs = {}
        for family in sorted(families):
            specs.update(FAMILIES[family])
        self.assertIsNone(self.problem(self.documents[doc_name], specs))

    def test_record_goes_where_libvirt_writes_metadata(self):
        for name, previous in (('genid-without-metadata', 'genid'),
                               ('title-description-comments',
                                'description')):
            out = self.engine_.customize(self.documents[name],
                                         FAMILIES['kvm'])
            root = engine.parse_domain(out)
            self.assertEqual(previous,
                             root.find('metadata').getprevious().tag, name)
