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

"""The checks read only what the rules changed, and judge the same.

Each customiser declares the parts of the domain its rules may change
(``touches``); the guard and the schema check read those parts only.
These tests hold both promises against generated rules: a declaration
covers every change its rules make, on Nova's documents and on shapes
libvirt writes; and on any rule set, the checks that read the changed
parts refuse exactly what the checks that read whole documents refuse,
with the same message, and accept the same bytes.
"""

import copy
import os

import fixtures
import hypothesis
from hypothesis import strategies as st
from lxml import etree
from nova.virt.libvirt import config as nova_config

from nova_xmlhooks import checks
from nova_xmlhooks.conf import xmlhooks as conf_opts
from nova_xmlhooks.customizers import base as customizer_base
from nova_xmlhooks import engine
from nova_xmlhooks import exception
from nova_xmlhooks import metadata
from nova_xmlhooks import xpath_edit
from tests.unit import base
from tests.unit import odd_shapes

SETTINGS = hypothesis.settings(
    max_examples=250, deadline=None, derandomize=True,
    suppress_health_check=[hypothesis.HealthCheck.too_slow,
                           hypothesis.HealthCheck.function_scoped_fixture])

DOCUMENTS = ['nova-basic', 'nova-two-disks', 'nova-windows'] + sorted(
    odd_shapes.ODD_SHAPES)
TYPED = {
    'xmlhooks:hyperv:relaxed': ['on', 'off'],
    'xmlhooks:hyperv:spinlocks': ['8191', 'off', 'on'],
    'xmlhooks:hyperv:vendor_id': ['KVMKVMKVM', 'off', 'on'],
    'xmlhooks:hyperv:mode': ['custom', 'passthrough'],
    'xmlhooks:hyperv:stimer.direct': ['on', 'off'],
    # what Hyper-V enlightenments need, for the check of their pairs
    'xmlhooks:hyperv:vpindex': ['on', 'off'],
    'xmlhooks:hyperv:synic': ['on'],
    'xmlhooks:timer:hypervclock': ['present=no', 'present=yes'],
    'xmlhooks:kvm:hidden': ['on', 'off'],
    'xmlhooks:kvm:dirty-ring': ['4096', 'off', 'on'],
    'xmlhooks:cpu:feature.vmx': ['disable', 'require'],
    'xmlhooks:cpu:feature.pcid': ['require', 'forbid'],
    'xmlhooks:timer:rtc': ['tickpolicy=catchup', 'tickpolicy=delay'],
    'xmlhooks:timer:hpet': ['present=no', 'present=yes'],
    'xmlhooks:timer:pit': ['tickpolicy=discard'],
    'xmlhooks:smbios:system.manufacturer': ['ACME'],
    'xmlhooks:smbios:chassis.asset': ['{flavor_name}'],
    'xmlhooks:smbios:bios.vendor': ['B', '{hostname}'],
    'xmlhooks:smbios:oem.1': ['x', '{instance_uuid}'],
    'xmlhooks:qemu:arg.0': ['-S', '-unknown'],
    'xmlhooks:qemu:arg.1': ['parameter'],
    'xmlhooks:qemu:env.FOO': ['1', ''],
}
EDITS = [
    # tuning, valid, in one device kind or one part
    './devices/disk/driver/@cache=none',
    './devices/disk/driver/@io=native',
    './devices/graphics/@keymap=en-us',
    './devices/memballoon/stats/@period=30',
    './devices/video/model/@heads=1',
    "xpath.delete=./devices/input[@type='tablet']",
    'xpath.create=./devices/panic',
    './devices/panic/@model=isa',
    './features/pmu/@state=off',
    './features/vmport/@state=off',
    './features/pmu/@state=',
    # unsets that leave an element empty, which stays
    './features/acpi/@state=',
    './devices/memballoon/stats/@period=',
    './clock/@offset=localtime',
    "./clock/timer[@name='rtc']/@track=guest",
    "xpath.delete=./clock/timer[@name='hypervclock']",
    './pm/suspend-to-mem/@enabled=no',
    './description=d',
    './title=t',
    './cpu/cache/@mode=passthrough',
    "./sysinfo/system/entry[@name='product']=x",
    './os/smbios/@mode=host',
    './on_crash=restart',
    './pm/suspend-to-disk/@enabled=no',
    # sensitive
    './devices/disk/driver/@type=qcow2',
    './devices/disk/source/@file=/etc/shadow',
    './devices/disk/backingStore/@type=file',
    'xpath.create=./devices/hostdev',
    'xpath.create=./devices/shmem',
    './devices/graphics/@listen=0.0.0.0',
    './devices/serial/@type=tcp',
    './on_crash=coredump-restart',
    './memory=1024',
    './vcpu=4',
    'xpath.create=./seclabel',
    './seclabel/@type=none',
    './qemu:commandline/qemu:arg/@value=-x',
    'xpath.create=./qemu:commandline/qemu:env',
    # refused by the schema
    './devices/video/model/@bogus=1',
    './features/bogus/@state=on',
    './clock/@offset=sometimes',
    './devices/disk/@device=bogus',
    'xpath.create=./devices/bogus',
    './title=',
    './bogus=1',
    # where the grouped parts of <domain> sit
    './title=other',
    'xpath.create=./genid',
    'xpath.delete=./description',
    'xpath.delete=./features',
    'xpath.delete=./devices/disk',
    'xpath.delete=./devices',
    # not attributable: every part
    './/driver/@io=threads',
    './*/model/@type=virtio',
    './@id=7',
    './devices/*/@bogus=1',
]
SPECS = st.dictionaries(
    st.one_of(st.sampled_from(sorted(TYPED)),
              st.builds('xmlhooks:xml:e{:02d}'.format,
                        st.integers(0, len(EDITS) - 1))),
    st.just(None), max_size=5)
CONFIGURATIONS = {
    'default': [],
    'qemu allowed': ['qemu_passthrough'],
    'all allowed': list(conf_opts.SENSITIVE_CATEGORIES),
}


def _document(name):
    if name in odd_shapes.ODD_SHAPES:
        return odd_shapes.ODD_SHAPES[name]
    return base.nova_xml(name)


def _specs(draw_keys, data):
    specs = {}
    for key in draw_keys:
        if key.startswith('xmlhooks:xml:'):
            specs[key] = EDITS[int(key[-2:])]
        else:
            specs[key] = data.draw(st.sampled_from(TYPED[key]))
    return specs


def _outcome(engine_, xml, specs):
    try:
        return engine_.customize(xml, specs)
    except exception.XmlHooksError as e:
        return type(e).__name__, e.format_message()


class RegionsRead(fixtures.Fixture):
    """Records the region of each change the checks are given."""

    def _setUp(self):
        self.regions = []
        change = checks.Snapshot.change

        def record(snapshot, *args, **kwargs):
            result = change(snapshot, *args, **kwargs)
            self.regions.append(result.region)
            return result
        self.useFixture(fixtures.MonkeyPatch(
            'nova_xmlhooks.checks.Snapshot.change', record))


class _WholeChecks(fixtures.Fixture):
    """Make the checks read the whole documents, as they always did."""

    def _setUp(self):
        take = checks.Snapshot.take.__func__
        self.useFixture(fixtures.MonkeyPatch(
            'nova_xmlhooks.checks.Snapshot.take',
            classmethod(lambda cls, root, region: take(cls, root, None))))


class SameVerdictTest(base.TestCase):
    """Checks of the changed parts judge as checks of whole documents."""

    def setUp(self):
        super().setUp()
        self.flags(validate_schema=None)

    def _compare(self, allowed, data):
        self.flags(allow_sensitive=allowed)
        engine_ = engine.Engine.from_conf(self.conf)
        name = data.draw(st.sampled_from(DOCUMENTS))
        specs = _specs(data.draw(SPECS), data)
        xml = _document(name)
        parts = _outcome(engine_, xml, specs)
        with _WholeChecks():
            whole = _outcome(engine_, xml, specs)
        self.assertEqual(whole, parts, '%s %s' % (name, specs))

    @SETTINGS
    @hypothesis.given(st.data())
    def test_default(self, data):
        self._compare(CONFIGURATIONS['default'], data)

    @SETTINGS
    @hypothesis.given(st.data())
    def test_qemu_allowed(self, data):
        self._compare(CONFIGURATIONS['qemu allowed'], data)

    @SETTINGS
    @hypothesis.given(st.data())
    def test_all_allowed(self, data):
        self._compare(CONFIGURATIONS['all allowed'], data)

    def test_reads_the_parts(self):
        # NOTE(xmlhooks): the comparison above would pass if every change
        # fell back to whole documents; most of them must not.
        engine_ = engine.Engine.from_conf(self.conf)
        seen = self.useFixture(RegionsRead()).regions
        engine_.customize(base.nova_xml('nova-windows'), {
            'xmlhooks:hyperv:relaxed': 'on',
            'xmlhooks:xml:a': './devices/graphics/@keymap=en-us'})
        self.assertEqual([(('devices', frozenset(['graphics'])),
                           ('features', frozenset(['hyperv'])),
                           ('metadata', frozenset([metadata._RECORD])))],
                         [region.parts for region in seen])

    def test_typed_families_read_their_element(self):
        # NOTE(xmlhooks): each typed family changes one element; reading
        # the whole documents for it would only cost time.
        engine_ = engine.Engine.from_conf(self.conf)
        for specs, (tag, child) in (
                ({'xmlhooks:kvm:hidden': 'on'}, ('features', 'kvm')),
                ({'xmlhooks:timer:rtc': 'tickpolicy=delay'},
                 ('clock', 'timer')),
                ({'xmlhooks:cpu:feature.vmx': 'disable'}, ('cpu', 'feature'))):
            seen = self.useFixture(RegionsRead()).regions
            engine_.customize(base.nova_xml(), specs)
            self.assertEqual([((tag, frozenset([child])),
                               ('metadata', frozenset([metadata._RECORD])))],
                             [region.parts for region in seen], specs)


def _children(parent, tags=None):
    return [(child.tag, etree.tostring(child, with_tail=False))
            for child in parent if tags is None or child.tag not in tags]


def _shell(element):
    return element.tag, element.items(), element.text


class DeclarationTest(base.TestCase):
    """A customiser's declaration covers every change its rules make."""

    def setUp(self):
        super().setUp()
        self.flags(allow_sensitive=list(conf_opts.SENSITIVE_CATEGORIES))
        self.engine_ = engine.Engine.from_conf(self.conf)

    def _assert_within(self, before, after, region, why):
        self.assertEqual(_children(before, region.tags),
                         _children(after, region.tags), why)
        for tag, inner in region.parts:
            old = list(before.iterchildren(tag))
            new = list(after.iterchildren(tag))
            if inner is None or len(old) != len(new):
                # NOTE(xmlhooks): created or removed: compared whole.
                continue
            for one, other in zip(old, new):
                self.assertEqual(_shell(one), _shell(other), why)
                self.assertEqual(_children(one, inner),
                                 _children(other, inner), why)

    @SETTINGS
    @hypothesis.given(st.data())
    def test_declarations_hold(self, data):
        name = data.draw(st.sampled_from(DOCUMENTS))
        specs = _specs(data.draw(SPECS), data)
        try:
            ruleset = self.engine_.resolve(specs)
        except exception.XmlHooksError:
            return
        before = engine.parse_domain(_document(name))
        context = metadata.domain_context(before)
        for family, rules in ruleset.plan.by_family:
            customizer = self.engine_.customizers[family]
            declared = customizer.touches(rules)
            after = copy.deepcopy(before)
            try:
                customizer.apply(after, rules, context)
            except exception.XmlHooksError:
                continue
            if declared is not None:
                self._assert_within(before, after,
                                    checks.Region.of(declared),
                                    '%s %s %s' % (name, family, specs))

    def test_the_record_is_declared(self):
        before = engine.parse_domain(base.nova_xml())
        after = copy.deepcopy(before)
        ruleset = self.engine_.resolve({'xmlhooks:kvm:hidden': 'on'})
        metadata.record(after, ruleset)
        self._assert_within(before, after,
                            checks.Region.of(metadata.RECORD_PLACE), '')

    def test_xml_edits_declare_their_first_steps(self):
        def touched(*edits):
            return self.engine_.customizers['xml'].touches([
                self.engine_.parse_spec('xmlhooks:xml:a', edit, 'flavor')
                for edit in edits])
        self.assertEqual([('devices', 'disk'), ('clock',)], touched(
            "./devices/disk[@device='disk']/driver/@cache=none",
            './clock/@offset=utc'))
        self.assertEqual([('{%s}commandline' % xpath_edit.QEMU_NS,
                           '{%s}arg' % xpath_edit.QEMU_NS)],
                         touched('./qemu:commandline/qemu:arg/@value=-S'))
        for anything in ('.//driver/@io=native', './*/x/@a=1', './@id=1',
                         './devices/disk[1][2]/@a=1'):
            declared = touched('./clock/@offset=utc', anything)
            self.assertTrue(declared is None or declared[-1] == (
                'devices',), anything)
        self.assertEqual([('devices',)],
                         touched('./devices//driver/@io=native'))


class _ThirdParty(customizer_base.Customizer):
    """A customiser of another package: keys of its family, any value."""

    def declarations(self):
        return [customizer_base.KeyValidator(
            name='xmlhooks:%s:{x}' % self.family, description='d',
            value={'type': str, 'description': 'v'},
            parameters=[{'name': 'x', 'pattern': '[a-z]+',
                         'description': 'x'}])]

    def parse(self, key, value):
        return value


class _Silent(_ThirdParty):
    """A third-party customiser that declares nothing."""

    family = 'silent'

    def apply(self, root, rules, context):
        # NOTE(xmlhooks): outside any part it could have declared.
        root.find('devices/disk/source').set('file', rules[0].payload)


class ThirdPartyTestCase(base.TestCase):

    def refused(self, customizer, key, value):
        """Apply a third-party customiser's rule, which the guard refuses.

        :returns: ``(ruleset, error)``
        """
        customizers = dict(self.engine().customizers,
                           **{customizer.family: customizer})
        engine_ = engine.Engine(customizers, {}, checks=checks.load_checks(
            self.conf, customizers))
        ruleset = engine_.resolve({key: value})
        error = self.assertRaises(exception.GuardError, engine_.apply,
                                  base.nova_xml(), ruleset)
        self.assertIn(key, error.format_message())
        return ruleset, error


class UndeclaredTest(ThirdPartyTestCase):

    def test_read_whole_and_refused(self):
        ruleset, _error = self.refused(_Silent(self.conf),
                                       'xmlhooks:silent:a', '/etc/shadow')
        self.assertIsNone(ruleset.plan.region)


class RegionTest(base.TestCase):
    """What a region holds, from what customisers declare."""

    def test_of_keeps_a_whole_tag_whole(self):
        region = checks.Region.of([('devices', 'disk'), 'devices',
                                   ('devices', 'graphics'), ('clock',)])
        self.assertEqual((('clock', None), ('devices', None)), region.parts)

    def test_union_merges_children_and_keeps_whole_tags_whole(self):
        region = checks.Region.of([('devices', 'disk'), 'clock'])
        merged = region.union(checks.Region.of([('devices', 'graphics'),
                                                ('clock', 'timer')]))
        self.assertEqual((('clock', None),
                          ('devices', frozenset(['disk', 'graphics']))),
                         merged.parts)
        self.assertEqual((('devices', None),), checks.Region.of(
            [('devices', 'disk')]).union(checks.Region.of(
                ['devices'])).parts)
        # NOTE(xmlhooks): a tag already whole takes nothing more, and the
        # tags after it are still merged.
        self.assertEqual((('clock', None), ('devices', None),
                          ('features', frozenset(['hyperv']))),
                         checks.Region.of(['devices']).union(
                             checks.Region.of(['clock', ('devices', 'disk'),
                                               ('features', 'hyperv')])).parts)

    def test_union_with_the_whole_document_is_the_whole_document(self):
        self.assertIsNone(checks.Region.of(['clock']).union(None))

    def test_widened_takes_the_tags_whole(self):
        region = checks.Region.of([('devices', 'disk'), ('pm', 'x')])
        self.assertIs(region, region.widened([]))
        self.assertEqual((('devices', frozenset(['disk'])), ('pm', None)),
                         region.widened(['pm']).parts)

    def test_nodes_are_the_covered_elements_in_document_order(self):
        root = etree.fromstring(
            '<domain xmlns:x="urn:x"><clock/><!--devices--><x:devices/>'
            '<devices><disk n="1"/><!--disk--><graphics/><x:disk/>'
            '<disk n="2"/></devices><features><pae/></features>'
            '<clock n="2"><timer/></clock><devices><disk n="3"/>'
            '</devices></domain>')
        region = checks.Region.of([('devices', 'disk'), 'clock',
                                   ('features', 'acpi'), ('pm', 'x')])
        shallow, deep = region.nodes(root)
        self.assertEqual(['devices', 'features', 'devices'],
                         [node.tag for node in shallow])
        self.assertEqual([('clock', None), ('disk', '1'), ('disk', '2'),
                          ('clock', '2'), ('disk', '3')],
                         [(node.tag, node.get('n')) for node in deep])
        self.assertEqual(([], []), checks.Region().nodes(root))


class _PmCustomizer(_ThirdParty):
    """Creates a ``<pm>`` with more in it than it declares."""

    family = 'pm'

    def touches(self, rules):
        return [('pm', 'suspend-to-mem')]

    def apply(self, root, rules, context):
        pm = etree.SubElement(root, 'pm')
        etree.SubElement(pm, 'suspend-to-mem', enabled='no')
        etree.SubElement(pm, rules[0].payload)


class CreatedElementTest(base.TestCase):
    """An element of <domain> that the rules create is checked whole."""

    def setUp(self):
        super().setUp()
        self.flags(validate_schema=None)
        self.engine_ = engine.Engine.from_conf(self.conf)

    def test_created_parent_is_read_whole_and_the_rest_in_parts(self):
        # NOTE(xmlhooks): Nova writes no <pm>; the edit creates it, which
        # adds a child to <domain> inside the declared region.
        seen = self.useFixture(RegionsRead()).regions
        out = self.engine_.customize(base.nova_xml(), {
            'xmlhooks:xml:a': './pm/suspend-to-mem/@enabled=no'})
        self.assertIn('<suspend-to-mem enabled="no"/>', out)
        self.assertEqual(1, len(seen))
        self.assertIsNotNone(seen[0], 'read whole, not in parts')
        self.assertIsNone(seen[0].children['pm'])
        self.assertEqual(frozenset([metadata._RECORD]),
                         seen[0].children['metadata'])

    def test_created_parent_with_undeclared_children_is_refused(self):
        if not os.path.exists(self.conf.xmlhooks.schema_path):
            self.skipTest('libvirt schema is not installed')
        customizers = dict(self.engine_.customizers,
                           pm=_PmCustomizer(self.conf))
        engine_ = engine.Engine(customizers, {}, checks=checks.load_checks(
            self.conf, customizers))
        ruleset = engine_.resolve({'xmlhooks:pm:extra': 'bogus'})
        self.assertIsNotNone(ruleset.plan.region)
        self.assertRaises(exception.SchemaError, engine_.apply,
                          base.nova_xml(), ruleset)
        self.assertIn('<suspend-to-disk/>', engine_.apply(
            base.nova_xml(),
            engine_.resolve({'xmlhooks:pm:extra': 'suspend-to-disk'})))


class SnapshotTest(base.TestCase):
    """A snapshot copies the region's children, or the whole document."""

    def test_a_few_parts_are_copied_alone(self):
        root = engine.parse_domain(base.nova_xml())
        parts = ['clock', 'features', 'devices']
        self.assertEqual(checks.MAX_PART_COPIES, len(parts))
        snapshot = checks.Snapshot.take(root, checks.Region.of(parts))
        self.assertFalse(snapshot.whole)
        self.assertEqual(['features', 'clock', 'devices'],
                         [child.tag for child in snapshot.before])

    def test_more_parts_copy_the_document(self):
        root = engine.parse_domain(base.nova_xml())
        snapshot = checks.Snapshot.take(root, checks.Region.of(
            ['clock', 'features', 'devices', 'os']))
        self.assertTrue(snapshot.whole)
        self.assertEqual([child.tag for child in root],
                         [child.tag for child in snapshot.before])


def _with_cputune(xml):
    """Nova's document with the <cputune> Nova writes for CPU shares."""
    root = engine.parse_domain(xml)
    tune = nova_config.LibvirtConfigGuestCPUTune()
    tune.shares = 1024
    root.find('clock').addprevious(tune.format_dom())
    return engine.serialize(root)


class _Straying(_ThirdParty):
    """Declares <clock>, and adds a child of <domain> besides."""

    family = 'straying'

    def touches(self, rules):
        return ['clock']

    def apply(self, root, rules, context):
        root.find('clock').set('offset', 'utc')
        etree.SubElement(root, 'seclabel', type=rules[0].payload)


class ReadEnoughTest(base.TestCase):
    """The checks read all that changed, however it was declared."""

    def test_content_of_an_existing_parent_is_judged_whole(self):
        # NOTE(xmlhooks): the edit declares (cputune, shares); what the
        # guard watches is <cputune> as a whole.
        xml = _with_cputune(base.nova_xml())
        specs = {'xmlhooks:xml:a': './cputune/shares=4096'}
        error = self.assertRaises(exception.GuardError,
                                  self.engine().customize, xml, specs)
        self.assertIn('domain/cputune', error.format_message())
        out = self.engine(allow_sensitive=['resources']).customize(
            xml, specs)
        self.assertIn('<shares>4096</shares>', out)

    def test_a_child_added_outside_the_declaration_is_seen(self):
        customizers = dict(self.engine().customizers,
                           straying=_Straying(self.conf))
        engine_ = engine.Engine(customizers, {}, checks=checks.load_checks(
            self.conf, customizers))
        ruleset = engine_.resolve({'xmlhooks:straying:label': 'none'})
        self.assertIsNotNone(ruleset.plan.region)
        error = self.assertRaises(exception.GuardError, engine_.apply,
                                  base.nova_xml(), ruleset)
        self.assertIn('seclabel', error.format_message())


class _DeclaredQemu(_ThirdParty):
    """A third-party customiser that declares the QEMU command line."""

    family = 'declared'

    def touches(self, rules):
        return [('{%s}commandline' % xpath_edit.QEMU_NS,)]

    def apply(self, root, rules, context):
        line = etree.SubElement(
            root, '{%s}commandline' % xpath_edit.QEMU_NS,
            nsmap={'qemu': xpath_edit.QEMU_NS})
        etree.SubElement(line, '{%s}arg' % xpath_edit.QEMU_NS,
                         value=rules[0].payload)


class DeclaredQemuTest(ThirdPartyTestCase):
    """QEMU passthrough inside the declared region is still refused."""

    def test_read_in_parts_and_refused(self):
        # NOTE(xmlhooks): the qemu customiser refuses its own keys when
        # the category is not allowed, before the guard runs; a
        # customiser of another package must meet the guard.
        ruleset, error = self.refused(_DeclaredQemu(self.conf),
                                      'xmlhooks:declared:a', '-S')
        self.assertIsNotNone(ruleset.plan.region)
        self.assertIn(conf_opts.QEMU_PASSTHROUGH, error.format_message())
