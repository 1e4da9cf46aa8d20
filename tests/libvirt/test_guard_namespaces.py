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

"""What libvirt reads in namespaces the checks do not read.

lxml keeps an attribute named ``xmlns`` that code sets as a plain
attribute: in the customised tree, which the checks read, the element is
in no namespace. Written out, the attribute is a namespace declaration,
and libvirt reads the element in the namespace it names. The guard
refuses such a document whatever is allowed (see "What an XPath may use"
in doc/source/admin/hardening.rst); this shows, on the real libvirt, what
it would otherwise have let through. Likewise for features written in
another namespace, which libvirt tells apart by their local name, for
a ``<domain>`` in another namespace, which libvirt takes by its local
name, and for text written as character references, which the checks
read as written and libvirt as the characters they name. And what libvirt
reads of an attribute written twice, once in another namespace: the
first; of an attribute in another namespace where libvirt reads it with
XPath, in no namespace only; and of text beside blank text between
elements, which libvirt's parser drops.
"""

from nova_xmlhooks import exception
from nova_xmlhooks import guard
from nova_xmlhooks import xpath_edit
from tests.libvirt import base
from tests.unit import test_guard


class _OneCustomizerTest(base.LibvirtTestCase):
    """An engine of one of test_guard's raw-edit customisers."""

    #: the customiser's name and class
    NAME = CUSTOMIZER = None

    def _engine(self, allowed):
        self.flags(allow_sensitive=allowed, validate_schema=False)
        return test_guard.engine_of(
            self.conf, {self.NAME: self.CUSTOMIZER(self.conf)}, xml=False)

    def _refused_then_defined(self, edit, error, allowed=(), xml=None):
        """Refuse ``edit``, then define it with no guard, as Nova would.

        NOTE(xmlhooks): with every category allowed there is no guard:
        what libvirt makes of the document the guard refused, defined as
        Nova defines it, without libvirt's schema check.

        :param edit: the payload of the customiser's one rule
        :param error: the exception the guard raises
        :param allowed: the categories allowed when it is refused
        :param xml: Nova's XML; nova-basic under a guest name by default
        :returns: ``(error, customised XML, the defined XML)``
        """
        if xml is None:
            xml = base.renamed(base.nova_xml('nova-basic'),
                               self.guest_name())
        specs = {'xmlhooks:%s:%s' % (self.NAME, edit): 'x'}
        e = self.assertRaises(error, self._engine(list(allowed)).customize,
                              xml, specs)
        customised = self._engine(list(guard.CATEGORIES)).customize(
            xml, specs)
        with base.Guest(self.conn, customised, self.workdir, start=False,
                        validate=False) as guest:
            return e, customised, guest.defined_xml


class FakeDeclarationTest(_OneCustomizerTest):

    NAME, CUSTOMIZER = 'declaring', test_guard.DeclaringCustomizer

    def test_libvirt_reads_qemu_arguments(self):
        xml = base.renamed(base.nova_xml('nova-basic'), self.guest_name())
        specs = {'xmlhooks:declaring:qemu': 'x'}
        e = self.assertRaises(exception.RuleError,
                              self._engine([]).customize, xml, specs)
        self.assertEqual('xmlhooks:declaring:qemu', e.key)
        self.assertRaises(base.libvirt.libvirtError, self.conn.lookupByName,
                          base.xpath(xml, 'string(./name)'))

        # NOTE(xmlhooks): with every category allowed there is no guard:
        # what libvirt makes of the document the guard refused.
        customised = self._engine(list(guard.CATEGORIES)).customize(
            xml, specs)
        guest = self.run_guest(customised, start=False)
        self.assertIn('xmlns="%s"' % xpath_edit.QEMU_NS, customised)
        self.assertEqual(['-S'], base.xpath(
            guest.defined_xml, './qemu:commandline/qemu:arg/@value'))


class ForeignFeatureTest(_OneCustomizerTest):

    NAME, CUSTOMIZER = 'namespaced', test_guard.ForeignFeatureCustomizer

    def test_libvirt_reads_features_by_their_local_name(self):
        for payload, path, expected in (
                ('tcg', './features/tcg/tb-cache/text()', ['8388608']),
                ('ring', './features/kvm/dirty-ring/@state', ['on'])):
            e, _customised, defined = self._refused_then_defined(
                payload, exception.RuleError)
            self.assertEqual('xmlhooks:namespaced:' + payload, e.key)
            self.assertEqual(expected, base.xpath(defined, path))


class ForeignRootTest(_OneCustomizerTest):

    NAME, CUSTOMIZER = 'rooted', test_guard.ForeignRootCustomizer

    def test_libvirt_reads_the_domain_by_its_local_name(self):
        e, customised, defined = self._refused_then_defined(
            'initrd', exception.RuleError)
        self.assertEqual('xmlhooks:rooted:initrd', e.key)
        self.assertIn('<ns0:domain xmlns:ns0="urn:x"', customised)
        self.assertTrue(defined.startswith('<domain '))
        self.assertEqual(['/etc/shadow'],
                         base.xpath(defined, './os/initrd/text()'))


class EntityReferenceTest(_OneCustomizerTest):

    NAME, CUSTOMIZER = 'referencing', test_guard.ReferenceCustomizer

    def test_libvirt_reads_the_characters_referenced(self):
        e, customised, defined = self._refused_then_defined(
            'crash', exception.RuleError)
        self.assertEqual('xmlhooks:referencing:crash', e.key)
        self.assertIn('<on_crash>&#99;&#111;', customised)
        self.assertEqual(['coredump-restart'],
                         base.xpath(defined, './on_crash/text()'))


class NamespacedAttributeTest(_OneCustomizerTest):

    NAME, CUSTOMIZER = 'raw', test_guard._RawCustomizer

    def test_libvirt_reads_the_first_of_an_attribute(self):
        # <backend x:model='random' model='random'/>: libvirt reads the
        # first model and opens its default, /dev/random, where Nova's
        # guest read /dev/urandom
        e, customised, defined = self._refused_then_defined(
            'rngdefault', exception.GuardError, ['network_exposure'])
        self.assertEqual('host_paths', e.category)
        self.assertIn('ns0:model="random" model="random"', customised)
        self.assertEqual(['/dev/random'], base.xpath(
            defined, './devices/rng/backend/text()'))


class BlankTextTest(_OneCustomizerTest):

    NAME, CUSTOMIZER = 'raw', test_guard._RawCustomizer

    def test_libvirt_drops_blank_text_between_elements(self):
        # <on_crash><y/> <z/>coredump-restart</on_crash>
        e, customised, defined = self._refused_then_defined(
            'oncrashblank', exception.GuardError)
        self.assertEqual('host_resources', e.category)
        self.assertIn('<y/> <z/>coredump-restart', customised)
        self.assertEqual(['coredump-restart'],
                         base.xpath(defined, './on_crash/text()'))


#: what libvirt defines for each of test_guard's ReadWithXPathTest edits:
#: an XPath on the defined XML, and what it gives
_UNREAD = {
    'tbunit': ('./features/tcg/tb-cache[@unit="KiB"]/text()', ['8388608']),
    'memfd': ('./memoryBacking/source | ./memoryBacking/access/@mode',
              ['shared']),
    'videonone': ('./devices/video/model/@type', ['cirrus']),
    'videovram': ('./devices/video/model/@ram | ./devices/video/model/@vram',
                  ['65536', '65536']),
    'firmware': ('./os/@firmware', []),
}


class ReadWithXPathTest(_OneCustomizerTest):

    NAME, CUSTOMIZER = 'unread', test_guard._XPathReadCustomizer

    def test_libvirt_reads_these_in_no_namespace(self):
        for _name, scenario in test_guard.ReadWithXPathTest.scenarios:
            edit = scenario['edit']
            xml = base.renamed(base.nova_xml('nova-basic'),
                               self.guest_name())
            if scenario['nova']:
                xml = xml.replace(*scenario['nova'])
            e, _customised, defined = self._refused_then_defined(
                edit, exception.GuardError, scenario['allowed'], xml)
            self.assertEqual(scenario['category'], e.category)
            path, expected = _UNREAD[edit]
            self.assertEqual(expected, base.xpath(defined, path), edit)
