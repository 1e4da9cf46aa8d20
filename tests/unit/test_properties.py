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

"""Generated specs and profiles: applied idempotently, or refused cleanly.

Whatever hypothesis generates, the engine either returns well-formed XML
that it leaves unchanged when applied to again, or raises the project's
own error with a one-line message. Nothing else.
"""

import copy
import os
import time

import elementpath
import hypothesis
from hypothesis import strategies as st
from lxml import etree
import yaml

from nova_xmlhooks import engine
from nova_xmlhooks import exception
from nova_xmlhooks import guard
from nova_xmlhooks import xpath_edit
from tests.unit import base
from tests.unit import odd_shapes

SETTINGS = hypothesis.settings(
    max_examples=150, deadline=None, derandomize=True,
    suppress_health_check=[hypothesis.HealthCheck.too_slow,
                           hypothesis.HealthCheck.function_scoped_fixture])

# Any character, lone surrogates and control characters included.
ANY_TEXT = st.text(st.characters(blacklist_categories=()), max_size=40)
VALUES = st.one_of(
    ANY_TEXT,
    st.sampled_from(['on', 'off', 'yes', '', '8191', 'ACME', 'require',
                     'disable', 'present=yes', 'tickpolicy=delay',
                     'custom', '<a>&amp;', '{instance_uuid}',
                     'x' * 255]))
NAMES = st.sampled_from(['clock', 'devices', 'disk', 'driver', 'sysinfo',
                         'system', 'entry', 'features', 'hyperv',
                         'relaxed', 'description', 'input', 'memballoon',
                         'stats', 'timer', 'pm', 'on_crash', 'cpu',
                         'feature', 'qemu:commandline', 'vcpu', 'title'])
STEPS = st.one_of(
    NAMES,
    st.builds('{}[1]'.format, NAMES),
    st.builds("{}[@name='{}']".format, NAMES,
              st.sampled_from(['rtc', 'a', 'manufacturer'])))
XPATHS = st.builds(lambda steps, attr: './' + '/'.join(steps) + (
    '/@' + attr if attr else ''),
    st.lists(STEPS, min_size=1, max_size=4),
    st.sampled_from([None, None, 'offset', 'state', 'cache', 'name',
                     'period', 'x']))
EDITS = st.one_of(
    st.builds('{}={}'.format, XPATHS, VALUES),
    st.builds('xpath.set={}={}'.format, XPATHS, VALUES),
    st.builds('xpath.create={}'.format, XPATHS),
    st.builds('xpath.delete={}'.format, XPATHS),
    ANY_TEXT)
FAMILY_KEYS = st.sampled_from([
    'xmlhooks:hyperv:relaxed', 'xmlhooks:hyperv:stimer',
    'xmlhooks:hyperv:spinlocks', 'xmlhooks:hyperv:vendor_id',
    'xmlhooks:hyperv:mode', 'xmlhooks:smbios:system.manufacturer',
    'xmlhooks:smbios:baseboard.serial', 'xmlhooks:smbios:oem.1',
    'xmlhooks:cpu:feature.vmx', 'xmlhooks:kvm:hidden',
    'xmlhooks:kvm:dirty-ring', 'xmlhooks:timer:rtc', 'xmlhooks:timer:hpet',
    'xmlhooks:qemu:arg.0', 'xmlhooks:nosuch:x', 'xmlhooks:hyperv:bogus'])
SPECS = st.dictionaries(
    st.one_of(st.builds('xmlhooks:xml:{}'.format,
                        st.from_regex(r'[a-z0-9]{1,6}', fullmatch=True)),
              FAMILY_KEYS),
    st.one_of(EDITS, VALUES), max_size=6)


class PropertyTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.xml = base.nova_xml('nova-windows')
        self.engine_ = self.engine()

    def check(self, engine_, specs):
        try:
            out = engine_.customize(self.xml, specs)
        except exception.XmlHooksError as e:
            message = e.format_message()
            self.assertTrue(message.startswith('xmlhooks: '), message)
            self.assertNotIn('\n', message)
            return
        etree.fromstring(out.encode())
        self.assertEqual(out, engine_.customize(out, specs))

    @SETTINGS
    @hypothesis.given(SPECS)
    def test_specs(self, specs):
        self.check(self.engine_, specs)

    @SETTINGS
    @hypothesis.given(st.dictionaries(
        st.from_regex(r'[a-z][a-z0-9-]{0,8}', fullmatch=True),
        st.fixed_dictionaries({}, optional={
            'description': st.one_of(ANY_TEXT, st.integers()),
            'specs': SPECS,
            'xml': st.lists(EDITS, max_size=4),
            'image_selectable': st.booleans()}),
        min_size=1, max_size=3))
    def test_profiles(self, document):
        path = os.path.join(self.profile_dir, 'generated.yaml')
        try:
            text = yaml.safe_dump(document, allow_unicode=True)
        except yaml.YAMLError:
            hypothesis.reject()
        # Some generated characters cannot be written as UTF-8 at all.
        data = text.encode('utf-8', 'surrogatepass')
        with open(path, 'wb') as handle:
            handle.write(data)
        try:
            engine_ = engine.Engine.from_conf(self.conf)
        except exception.ProfileError as e:
            self.assertIn('generated.yaml', e.format_message())
            self.assertNotIn('\n', e.format_message())
            return
        finally:
            os.unlink(path)
        self.check(engine_, {'xmlhooks:profile': ','.join(document)})


# XPath 1.0 built from its parts, allowed or not, for XPathGrammarTest.
_AXES = st.one_of(
    st.just(''),
    st.sampled_from(['', 'child::', 'self::', 'attribute::', '@',
                     'descendant::', 'descendant-or-self::', 'parent::',
                     'ancestor::', 'following::', 'preceding-sibling::',
                     'namespace::']))
_NODE_TESTS = st.sampled_from(
    ['devices', 'disk', 'driver', 'source', 'target', 'clock', 'timer',
     'features', 'hyperv', 'name', 'type', 'device', '*', 'node()',
     'text()', 'qemu:commandline', 'qemu:*', 'xml:lang', 'div', 'count'])
_LITERALS = st.sampled_from(["'disk'", '"x"', "'file'", "''"])


def _xpath_expressions(paths):
    """Expressions over ``paths``, for predicates and function arguments."""
    atoms = st.one_of(
        paths, paths, _LITERALS,
        st.sampled_from(['.', '1', '2', '0.5', 'last()', 'position()',
                         'true()', 'name()', 'local-name()']),
        st.sampled_from(['..', '$v', '/', '/domain', 'nosuch()']))
    patterns = st.one_of(_LITERALS, _LITERALS, atoms)
    return st.recursive(atoms, lambda inner: st.one_of(
        st.builds('{} {} {}'.format, inner,
                  st.sampled_from(['=', '!=', '<', '>=', 'and', 'or', '+',
                                   '-', '*', 'div', 'mod', '|']), inner),
        st.builds('({})'.format, inner),
        st.builds('not({})'.format, inner),
        st.builds('count({})'.format, inner),
        st.builds('string({})'.format, inner),
        st.builds('contains({}, {})'.format, inner, patterns),
        st.builds('translate({}, {}, {})'.format, inner, patterns,
                  patterns),
        st.builds('concat({})'.format, st.lists(inner, min_size=2,
                                                max_size=4).map(', '.join)),
    ), max_leaves=4)


_STEPS = st.recursive(
    st.builds('{}{}'.format, _AXES, _NODE_TESTS),
    lambda step: st.builds(
        '{}[{}]'.format, step,
        _xpath_expressions(st.builds('{}{}'.format, _AXES, _NODE_TESTS))),
    max_leaves=3)
_RELATIVE_PATHS = st.lists(
    st.tuples(st.sampled_from(['/', '/', '/', '//']), _STEPS),
    min_size=1, max_size=4).map(
        lambda steps: '.' + ''.join(sep + step for sep, step in steps))
XPATH_EXPRESSIONS = st.one_of(
    _RELATIVE_PATHS,
    st.builds('{} | {}'.format, _RELATIVE_PATHS, _RELATIVE_PATHS))


class XPathGrammarTest(base.TestCase):
    """What the grammar check accepts is what lxml evaluates, cheaply.

    NOTE(xmlhooks): the check reads elementpath's syntax tree, lxml
    evaluates its own: both must see the same expression. Whatever
    XPath 1.0 hypothesis builds is either refused in one line, or both
    select the same nodes of Nova's XML, and it costs little on a
    document 30 times as large.
    """

    def setUp(self):
        super().setUp()
        self.root = engine.parse_domain(base.nova_xml('nova-windows'))
        self.large = engine.parse_domain(base.nova_xml('nova-basic'))
        devices = self.large.find('devices')
        while len(self.large.xpath('//*')) < 2000:
            disk = etree.SubElement(devices, 'disk', type='file')
            etree.SubElement(disk, 'driver', name='qemu').text = 'x' * 20
            etree.SubElement(disk, 'target', dev='vdz').text = 'y' * 20

    def _same_selection(self, edit):
        try:
            selected = elementpath.select(
                self.root, edit.element_xpath,
                namespaces=xpath_edit.NAMESPACES,
                parser=elementpath.XPath1Parser)
        except elementpath.ElementPathError:
            # NOTE(xmlhooks): elementpath evaluates stricter than
            # libxml2 (types, node kinds); only its parse matters here.
            return
        try:
            ours = edit._compiled(self.root)
        except etree.XPathEvalError:
            # NOTE(xmlhooks): a type error such as count('disk'), refused
            # when applied (RuleError).
            return
        if isinstance(ours, list) and isinstance(selected, list) and all(
                isinstance(node, etree._Element) for node in ours):
            self.assertEqual(ours, [node for node in selected
                                    if isinstance(node, etree._Element)])

    @SETTINGS
    @hypothesis.given(XPATH_EXPRESSIONS)
    def test_refused_in_one_line_or_the_same_for_lxml(self, xpath):
        try:
            edit = xpath_edit.parse('xpath.delete=' + xpath)
        except xpath_edit.EditError as e:
            self.assertNotIn('\n', str(e))
            return
        self._same_selection(edit)
        start = time.process_time()
        edit._compiled(self.large)
        self.assertLess(time.process_time() - start, 5.0, xpath)


class OddShapePropertyTest(PropertyTest):
    """The same promise on documents of shapes Nova does not write."""

    @SETTINGS
    @hypothesis.given(SPECS, st.sampled_from(
        sorted(odd_shapes.ODD_SHAPES)))
    def test_specs_on_odd_shapes(self, specs, shape):
        self.xml = odd_shapes.ODD_SHAPES[shape]
        self.check(self.engine_, specs)

    # NOTE(xmlhooks): the inherited tests run once, in PropertyTest.
    test_specs = None
    test_profiles = None


#: text that XML can hold, without what a path could be made of alone
PATH_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e),
                    min_size=1, max_size=20)
NAMESPACES = st.sampled_from(['urn:x', 'http://example.com/ns',
                              'http://www.w3.org/XML/1998/namespace'])


def _split_text(node, cuts, tails=()):
    """Rewrite an element's text as text, comments and CDATA pieces."""
    text = node.text
    bounds = sorted(set(cut % (len(text) + 1) for cut in cuts))
    pieces = [text[start:end] for start, end in
              zip([0] + bounds, bounds + [len(text)])]
    node.text = pieces[0]
    for index, piece in enumerate(list(pieces[1:]) + list(tails)):
        comment = etree.Comment('x')
        comment.tail = etree.CDATA(piece) if index % 2 and piece else piece
        node.append(comment)


class GuardReadsAsLibvirtTest(base.TestCase):
    """The guard sees a document the way libvirt reads it.

    However Nova's host path text is split (comments, CDATA), and in
    whatever namespace Nova's host path attributes are written, libvirt
    reads the same values: the guard sees the same host paths. Any text
    added after a comment, or any other value in another namespace, is a
    change it refuses.

    NOTE(xmlhooks): a device's identity is its subtree as written, so a
    disk whose source attribute moved to another namespace is a new disk:
    stricter than libvirt, never looser.
    """

    def setUp(self):
        super().setUp()
        self.nova = etree.fromstring(base.nova_xml('nova-two-disks').encode())
        self.guard = guard.Guard()

    @SETTINGS
    @hypothesis.given(st.lists(st.integers(0, 40), max_size=5))
    def test_split_path_text_is_the_same_path(self, cuts):
        root = copy.deepcopy(self.nova)
        _split_text(root.find('devices/rng/backend'), cuts)
        self.assertEqual('/dev/urandom', root.xpath(
            'string(./devices/rng/backend)'))
        self.guard(self.nova, root, [])

    @SETTINGS
    @hypothesis.given(st.lists(st.integers(0, 40), max_size=5), PATH_TEXT)
    def test_text_after_a_comment_is_a_change(self, cuts, suffix):
        root = copy.deepcopy(self.nova)
        _split_text(root.find('devices/rng/backend'), cuts, [suffix])
        e = self.assertRaises(exception.GuardError, self.guard, self.nova,
                              root, [])
        self.assertEqual('host_paths', e.category)

    @SETTINGS
    @hypothesis.given(NAMESPACES, st.sampled_from([
        ('devices/disk/source', 'file'), ('devices/serial/log', 'file')]))
    def test_namespaced_attribute_is_the_same_value(self, namespace, place):
        path, name = place
        root = copy.deepcopy(self.nova)
        for node in root.iterfind(path):
            value = node.attrib.pop(name)
            node.set('{%s}%s' % (namespace, name), value)
        self.assertEqual(guard._collect(self.nova)[guard.HOST_PATHS],
                         guard._collect(root)[guard.HOST_PATHS])
        node = root.find(path)
        node.set('{%s}%s' % (namespace, name), '/etc/shadow')
        e = self.assertRaises(exception.GuardError, self.guard, self.nova,
                              root, [])
        self.assertEqual('host_paths', e.category)
