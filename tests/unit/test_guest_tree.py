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

"""The engine customises the tree Nova builds, with the same result.

Nova builds the domain as an lxml tree and serialises it; the driver hands
the engine that tree (see :func:`nova_xmlhooks.compat.customised_guest_xml`)
instead of making it parse the text again. A tree built in memory may hold
what parsing its text would drop (an empty text, whitespace between
elements); the result must be the text the engine gives for Nova's text,
byte for byte.
"""

import hypothesis
from hypothesis import strategies as st
from lxml import etree
from nova.virt.libvirt import config as nova_config

from nova_xmlhooks import compat
from nova_xmlhooks import exception
from tests.unit import base
from tests.unit import odd_shapes

SETTINGS = hypothesis.settings(
    max_examples=150, deadline=None, derandomize=True,
    suppress_health_check=[hypothesis.HealthCheck.too_slow,
                           hypothesis.HealthCheck.function_scoped_fixture])
SPECS = [
    {'xmlhooks:hyperv:relaxed': 'on', 'xmlhooks:timer:hpet': 'present=no',
     'xmlhooks:smbios:oem.1': 'x'},
    {'xmlhooks:xml:a': './devices/disk/driver/@cache=none',
     'xmlhooks:xml:b': './description=d'},
    {'xmlhooks:xml:a': './clock[not(text())]/@offset=localtime'},
    {'xmlhooks:xml:a': "xpath.delete=./devices/input[@type='tablet']",
     'xmlhooks:kvm:hidden': 'on', 'xmlhooks:cpu:feature.vmx': 'disable'},
]
DOCUMENTS = ['nova-basic', 'nova-two-disks', 'nova-windows']
XML_SPACE = '{http://www.w3.org/XML/1998/namespace}space'


def _nova_tree(xml):
    """A tree as Nova builds it: no whitespace between elements."""
    return etree.fromstring(xml.encode(),
                            etree.XMLParser(remove_blank_text=True))


def _nova_text(root):
    """Nova's ``LibvirtConfigObject.to_xml`` of a tree."""
    return etree.tostring(root, encoding='unicode', pretty_print=True)


class _Config:
    """A guest configuration as Nova's: built anew on each format_dom."""

    def __init__(self, build):
        self._build = build
        self.formatted = 0

    def format_dom(self):
        self.formatted += 1
        return self._build()

    def to_xml(self, pretty_print=True):
        return etree.tostring(self.format_dom(), encoding='unicode',
                              pretty_print=pretty_print)


def _variant(root, data):
    """Put what parsing drops into a tree: empty text, blank text.

    Blank text beside other text, and ``xml:space``, decide which blanks
    libxml2 keeps.
    """
    elements = list(root.iter(tag=etree.Element))
    for element in data.draw(st.lists(st.sampled_from(elements),
                                      max_size=6)):
        kind = data.draw(st.sampled_from(['text', 'tail', 'blank', 'mixed',
                                          'space']))
        if kind == 'text' and not len(element) and not element.text:
            element.text = ''
        elif kind == 'tail' and element is not root:
            element.tail = ''
        elif kind == 'blank' and len(element):
            element.text = data.draw(st.sampled_from(['', ' ', '\n  ']))
        elif kind == 'mixed' and len(element):
            child = data.draw(st.sampled_from(list(element)))
            child.tail = data.draw(st.sampled_from([' ', 'x', ' x ']))
        elif kind == 'space':
            element.set(XML_SPACE, data.draw(st.sampled_from(
                ['preserve', 'default'])))
    return root


class TreeTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.engine_ = self.engine()

    def _both(self, build, specs):
        text = _nova_text(build())
        try:
            expected = self.engine_.customize(text, specs)
        except exception.XmlHooksError as e:
            expected = e.format_message()
        try:
            got = self.engine_.customize_tree(
                build(), lambda: _nova_text(build()), specs)
        except exception.XmlHooksError as e:
            got = e.format_message()
        return expected, got

    def test_fixtures(self):
        for name in DOCUMENTS:
            for specs in SPECS:
                xml = base.nova_xml(name)
                expected, got = self._both(lambda: _nova_tree(xml), specs)
                self.assertEqual(expected, got, '%s %s' % (name, specs))

    @SETTINGS
    @hypothesis.given(st.data())
    def test_built_trees(self, data):
        name = data.draw(st.sampled_from(DOCUMENTS + sorted(
            odd_shapes.ODD_SHAPES)))
        xml = odd_shapes.ODD_SHAPES.get(name) or base.nova_xml(name)
        shape = _variant(_nova_tree(xml), data)
        build = lambda: etree.fromstring(etree.tostring(shape))  # noqa
        specs = data.draw(st.sampled_from(SPECS))
        expected, got = self._both(build, specs)
        self.assertEqual(expected, got)

    def test_empty_text_is_dropped_before_the_rules_see_it(self):
        root = _nova_tree(base.nova_xml())
        root.find('devices').append(etree.Element('panic'))
        root.find('devices/panic').text = ''
        specs = {'xmlhooks:xml:a': './devices/panic[not(text())]/@model=isa'}
        text = _nova_text(root)
        out = self.engine_.customize_tree(root, lambda: text, specs)
        self.assertIn('<panic model="isa"/>', out)
        # NOTE(xmlhooks): the tree itself was customised: empty text needs
        # no parse of Nova's text.
        self.assertEqual('isa', root.find('devices/panic').get('model'))

    def test_blank_text_beside_other_text_as_the_parser_reads_it(self):
        # NOTE(xmlhooks): libxml2 drops a blank before the first text of
        # an element, and keeps one after it; the rules see what they
        # would on Nova's text.
        for before, after in ((' ', 'x'), ('x', ' '), (' ', ' x')):
            root = _nova_tree(base.nova_xml('nova-windows'))
            features = root.find('features')
            features[0].tail = before
            features[1].tail = after
            expected, got = self._both(
                lambda: etree.fromstring(etree.tostring(root)),
                {'xmlhooks:xml:b': './description=d'})
            self.assertEqual(expected, got, (before, after))

    def test_nothing_to_apply_is_novas_text(self):
        calls = []
        self.assertEqual('nova', self.engine_.customize_tree(
            _nova_tree(base.nova_xml()), lambda: calls.append(1) or 'nova',
            {}))
        self.assertEqual([1], calls)

    def test_skipped_error_is_novas_text_not_the_changed_tree(self):
        self.flags(on_error='skip')
        engine_ = self.engine()
        xml = base.nova_xml()
        root = _nova_tree(xml)
        out = engine_.customize_tree(root, lambda: xml, {
            'xmlhooks:xml:a': './description=changed',
            'xmlhooks:xml:b': './devices/interface/model/@type=virtio'})
        self.assertIs(xml, out)

    def test_image_profiles_fall_back_on_novas_text(self):
        self.flags(on_error='skip')
        self.write_profile('p.yaml', 'p:\n  image_selectable: true\n  xml:\n'
                           '    - ./devices/interface/model/@type=virtio\n')
        engine_ = self.engine()
        xml = base.nova_xml()
        out = engine_.customize_tree(
            _nova_tree(xml), lambda: xml,
            {'xmlhooks:xml:a': './description=kept'}, ['p'])
        self.assertIn('<description>kept</description>', out)


class GuestXmlTest(base.TestCase):
    """compat.customised_guest_xml, with nova's way of building the XML."""

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml()
        self.config = _Config(lambda: _nova_tree(self.xml))
        self.instance = object()
        self.calls = []

    def _customize(self, root, nova_xml):
        self.calls.append(('tree', root.tag, nova_xml()))
        return 'from the tree'

    def _customize_text(self, xml):
        self.calls.append(('text', xml))
        return 'from the text'

    def _nova(self, instance=None):
        # NOTE(xmlhooks): what nova's _get_guest_xml does.
        config = compat.guest_config(self.config, instance or self.instance)
        return config.to_xml()

    def test_tree_handed_over(self):
        self.assertEqual('from the tree', compat.customised_guest_xml(
            self._nova, self.instance, self._customize,
            self._customize_text))
        self.assertEqual([('tree', 'domain', _nova_text(
            _nova_tree(self.xml)))], self.calls)

    def test_text_when_nova_builds_it_another_way(self):
        self.assertEqual('from the text', compat.customised_guest_xml(
            self.config.to_xml, self.instance, self._customize,
            self._customize_text))
        self.assertEqual('text', self.calls[0][0])

    def test_other_instances_and_second_configs_untouched(self):
        def nova():
            other = compat.guest_config(self.config, object())
            first = compat.guest_config(self.config, self.instance)
            second = compat.guest_config(self.config, self.instance)
            self.assertIs(self.config, other)
            self.assertIs(self.config, second)
            return first.to_xml()
        compat.customised_guest_xml(nova, self.instance, self._customize,
                                    self._customize_text)
        self.assertEqual(1, len(self.calls))
        self.assertIs(self.config, compat.guest_config(self.config,
                                                       self.instance))

    def test_errors_pass_through(self):
        def refuse(root, nova_xml):
            raise exception.RuleError('xmlhooks:xml:a', 'no')
        self.assertRaises(exception.RuleError, compat.customised_guest_xml,
                          self._nova, self.instance, refuse,
                          self._customize_text)
        self.assertIs(self.config, compat.guest_config(self.config,
                                                       self.instance))

    def test_other_attributes_are_novas(self):
        self.config.memory = 1024
        compat.customised_guest_xml(
            lambda: compat.guest_config(self.config, self.instance).memory,
            self.instance, self._customize, self._customize_text)
        self.assertEqual([('text', 1024)], self.calls)

    def test_novas_to_xml_serialises_format_dom(self):
        # NOTE(xmlhooks): what customised_guest_xml relies on, checked on
        # a configuration object of the nova that is installed.
        clock = nova_config.LibvirtConfigGuestClock()
        clock.offset = 'utc'
        timer = nova_config.LibvirtConfigGuestTimer()
        timer.name = 'rtc'
        clock.add_timer(timer)
        self.assertEqual(etree.tostring(clock.format_dom(),
                                        encoding='unicode',
                                        pretty_print=True), clock.to_xml())
