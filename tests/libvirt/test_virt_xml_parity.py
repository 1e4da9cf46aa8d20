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

"""``xmlhooks:xml:*`` edits give what ``virt-xml --edit --xml`` gives.

The same Nova domain XML goes through the engine and through virt-xml
(virt-manager's ``virtinst``, Debian package ``virtinst``), which reads a
domain from stdin when no domain is named and prints the result. libvirt
normalises both: each is defined on ``test:///default`` (libvirt's
in-process test driver, no daemon) and the ``XMLDesc()`` are compared.

On paths that match several nodes, set and delete change every match;
virt-xml changes the first only. That difference is deliberate and
documented, and tested here too.
"""

import difflib
import shutil
import subprocess

from lxml import etree
import testscenarios

from nova_xmlhooks import metadata
from nova_xmlhooks import xpath_edit
from tests.libvirt import base

try:
    import libvirt
except ImportError:  # pragma: no cover - depends on the host
    libvirt = None

TEST_URI = 'test:///default'
VIRT_XML = 'virt-xml'

load_tests = testscenarios.load_tests_apply_scenarios

# (fixture, edit): every XPath here matches at most one node. Every edit
# changes the document, except those listed in NO_OP_EDITS.
PARITY_EDITS = [
    # Predicates, changing an element's text and an existing attribute.
    ('nova-basic', "./sysinfo/system/entry[@name='manufacturer']=ACME"),
    ('nova-basic', 'xpath.set=./clock/@offset=localtime'),
    ('nova-basic', "./clock/timer[@name='rtc']/@tickpolicy=delay"),
    # A new element created from a predicate.
    ('nova-basic', "./sysinfo/chassis/entry[@name='asset']=tag-42"),
    ('nova-basic', "./cpu/feature[@name='hypervisor']/@policy=disable"),
    # Positional steps.
    ('nova-two-disks', './devices/disk[2]/driver/@cache=writeback'),
    ('nova-two-disks', './devices/disk[1]/blockio/@logical_block_size=4096'),
    # New nested elements.
    ('nova-basic', './features/kvm/hidden/@state=on'),
    ('nova-windows', './features/hyperv/stimer/@state=on'),
    ('nova-basic', './devices/memballoon/stats/@period=30'),
    # The qemu: prefix.
    ('nova-basic', './qemu:commandline/qemu:arg[1]/@value=-no-reboot'),
    ('nova-basic',
     "./qemu:commandline/qemu:env[@name='XMLHOOKS']/@value=probe"),
    # Create.
    ('nova-basic', 'xpath.create=./features/pae'),
    ('nova-basic', 'xpath.create=./features/pvspinlock'),
    ('nova-basic', 'xpath.create=./features/acpi'),
    # Delete.
    ('nova-basic', "xpath.delete=./devices/input[@type='tablet']"),
    ('nova-basic', 'xpath.delete=./devices/rng'),
    ('nova-windows', 'xpath.delete=./features/hyperv'),
    ('nova-basic', "xpath.delete=./clock/timer[@name='hpet']"),
    # Unset an attribute, and an element's text, of an element that keeps
    # attributes (one left empty is a known difference, below).
    ('nova-basic', "xpath.set=./clock/timer[@name='hpet']/@present="),
    ('nova-basic', "xpath.set=./sysinfo/system/entry[@name='family']="),
    ('nova-basic', 'xpath.set=./devices/disk/driver/@cache='),
    # A path that matches nothing: nothing to delete.
    ('nova-basic', 'xpath.delete=./devices/watchdog'),
]
NO_OP_EDITS = {
    # Nova already wrote <acpi/>.
    'xpath.create=./features/acpi',
    'xpath.delete=./devices/watchdog',
}


def virt_xml_argument(edit):
    """The ``--xml`` argument that asks virt-xml for the same edit.

    NOTE(xmlhooks): virt-xml splits ``xpath.*=`` options like a shell
    (``shlex``, with ``,`` as the separator), which strips the quotes of
    ``[@name='x']``; double quotes keep them. The bare ``XPATH=VALUE``
    form is taken verbatim. Our grammar takes values verbatim in every
    form, as a flavor extra spec has no shell quoting.
    """
    for action in ('xpath.set=', 'xpath.create=', 'xpath.delete='):
        if edit.startswith(action):
            body = edit[len(action):]
            return '%s"%s"' % (action, body.replace('\\', '\\\\')
                               .replace('"', '\\"'))
    return edit


class VirtXmlTestCase(base.LibvirtTestCase):

    uri = TEST_URI

    def setUp(self):
        super().setUp()
        # NOTE(xmlhooks): some edits use the qemu: namespace, which the
        # guard only lets through when the operator allows it.
        self.flags(allow_sensitive=['qemu_passthrough'])
        self.virt_xml = shutil.which(VIRT_XML)
        if self.virt_xml is None:
            self._unavailable('%s is not installed (Debian package virtinst)'
                              % VIRT_XML)

    def run_virt_xml(self, xml, edit):
        """Apply one edit with virt-xml, reading the domain from stdin."""
        result = subprocess.run(
            [self.virt_xml, '--connect', TEST_URI, '--edit',
             '--xml', virt_xml_argument(edit)],
            input=xml, capture_output=True, text=True, check=False)
        self.assertEqual(0, result.returncode, result.stderr)
        return result.stdout

    def run_engine(self, xml, edit, **flags):
        """Apply one edit as an ``xmlhooks:xml:`` flavor spec.

        :param flags: ``[xmlhooks]`` options
        """
        result = self.engine(**flags).customize(xml,
                                                {'xmlhooks:xml:edit': edit})
        # NOTE(xmlhooks): the record of applied rules in <metadata> is
        # ours alone; it is not part of the edit.
        root = etree.fromstring(result.encode())
        for record in root.iterfind('metadata/{%s}*' % metadata.XMLHOOKS_NS):
            record.getparent().remove(record)
        return etree.tostring(root, encoding='unicode')

    def normalised(self, xml):
        """What libvirt keeps of a domain definition.

        NOTE(xmlhooks): the test driver drops ``<qemu:commandline>``,
        which only the QEMU driver knows; it is compared in exclusive
        canonical form (namespace declarations placed where used).
        """
        domain = self.conn.defineXMLFlags(xml, 0)
        try:
            normalised = domain.XMLDesc(0)
        finally:
            domain.undefine()
        parser = etree.XMLParser(remove_blank_text=True)
        root = etree.fromstring(xml.encode(), parser)
        for node in root.iterfind('{%s}*' % xpath_edit.QEMU_NS):
            normalised += etree.tostring(node, method='c14n',
                                         exclusive=True).decode()
        return normalised

    def nova_xml(self, fixture):
        return base.renamed(base.nova_xml(fixture), self.guest_name())


class TestSingleMatchParity(VirtXmlTestCase):

    scenarios = [('%s: %s' % (fixture, edit), {'fixture': fixture,
                                               'edit': edit})
                 for fixture, edit in PARITY_EDITS]

    def test_same_as_virt_xml(self):
        nova = self.nova_xml(self.fixture)
        ours = self.normalised(self.run_engine(nova, self.edit))
        theirs = self.normalised(self.run_virt_xml(nova, self.edit))
        if theirs != ours:
            self.fail('the engine and virt-xml differ:\n' + ''.join(
                difflib.unified_diff(theirs.splitlines(True),
                                     ours.splitlines(True),
                                     'virt-xml', 'xmlhooks')))
        if self.edit not in NO_OP_EDITS:
            # The edit did something: the comparison is not vacuous.
            self.assertTrue(self.normalised(nova) != ours,
                            'the edit changed nothing')


class TestMultiMatch(VirtXmlTestCase):

    def driver_caches(self, xml):
        return base.xpath(xml, "./devices/disk[@device='disk']/driver/@cache")

    def test_set_changes_every_match(self):
        nova = self.nova_xml('nova-two-disks')
        self.assertEqual(['none', 'none'], self.driver_caches(nova))
        edit = "./devices/disk[@device='disk']/driver/@cache=writeback"
        ours = self.normalised(self.run_engine(nova, edit))
        self.assertEqual(['writeback', 'writeback'],
                         self.driver_caches(ours))
        # virt-xml changes the first match only.
        theirs = self.normalised(self.run_virt_xml(nova, edit))
        self.assertEqual(['writeback', 'none'], self.driver_caches(theirs))
        # And back: the documented example sets every disk again.
        edit = "./devices/disk[@device='disk']/driver/@cache=none"
        again = self.normalised(self.run_engine(ours, edit))
        self.assertEqual(['none', 'none'], self.driver_caches(again))

    def test_delete_removes_every_match(self):
        # NOTE(xmlhooks): deleting a disk's <driver> drops the format Nova
        # states, which the guard refuses by default (host_paths, and the
        # disk's identity: devices_passthrough); this test is about which
        # matches a delete removes.
        self.flags(allow_sensitive=['qemu_passthrough', 'host_paths',
                                    'devices_passthrough'])
        nova = self.nova_xml('nova-two-disks')
        edit = "xpath.delete=./devices/disk[@device='disk']/driver"
        ours = self.normalised(self.run_engine(nova, edit))
        theirs = self.normalised(self.run_virt_xml(nova, edit))
        self.assertEqual([], self.driver_caches(ours))
        self.assertEqual(['none'], self.driver_caches(theirs))


class TestKnownDifferences(VirtXmlTestCase):
    """Where virt-xml and the engine differ on purpose."""

    def test_attribute_values_are_not_escaped_twice(self):
        # NOTE(xmlhooks): virtinst escapes a value (& < > ' ") and then
        # hands it to libxml2's setProp, which escapes it again, so the
        # attribute virt-xml writes is not the value given. Element text
        # is fine in both. A password is network_exposure: it replaces
        # qemu.conf's.
        nova = self.nova_xml('nova-basic')
        edit = './devices/graphics/@passwd=a&b<c'
        self.assertEqual(['a&b<c'], base.xpath(
            self.run_engine(nova, edit, allow_sensitive=['network_exposure']),
            './devices/graphics/@passwd'))
        self.assertEqual(['a&amp;b&lt;c'], base.xpath(
            self.run_virt_xml(nova, edit), './devices/graphics/@passwd'))

    def test_unset_keeps_the_element(self):
        # NOTE(xmlhooks): virt-xml also removes an element an unset leaves
        # empty, and its ancestors left empty; libvirt reads a missing
        # <acpi/> as ACPI off. The engine removes the attribute only.
        nova = self.nova_xml('nova-basic')
        edit = 'xpath.set=./features/acpi/@state='
        ours = self.normalised(self.run_engine(nova, edit))
        self.assertEqual(self.normalised(nova), ours)
        self.assertEqual(1, len(base.xpath(ours, './features/acpi')))
        theirs = self.normalised(self.run_virt_xml(nova, edit))
        self.assertEqual([], base.xpath(theirs, './features/acpi'))

    def test_value_may_contain_equals(self):
        # virt-xml splits XPATH=VALUE at the last '='; the engine at the
        # first '=' outside brackets and quotes, so QEMU arguments such as
        # name=opt/x,string=y can be values.
        nova = self.nova_xml('nova-basic')
        edit = './qemu:commandline/qemu:arg[1]/@value=name=opt/x'
        self.assertEqual(['name=opt/x'], base.xpath(
            self.run_engine(nova, edit),
            './qemu:commandline/qemu:arg/@value'))
