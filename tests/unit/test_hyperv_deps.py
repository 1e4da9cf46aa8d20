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

"""Hyper-V enlightenments that QEMU refuses to start without others."""

from lxml import etree
import testscenarios

from nova_xmlhooks import checks
from nova_xmlhooks import exception
from nova_xmlhooks import hyperv_deps
from tests.unit import base

load_tests = testscenarios.load_tests_apply_scenarios

#: QEMU's table (target/i386/kvm/kvm.c), written out here rather than
#: taken from the module, so that an entry dropped from it is noticed:
#: the keys that switch each enlightenment on, and what each needs
QEMU_NEEDS = [
    ('synic', {'xmlhooks:hyperv:synic': 'on'}, ['vpindex']),
    ('stimer', {'xmlhooks:hyperv:stimer': 'on'}, ['synic', 'time']),
    ('stimer direct', {'xmlhooks:hyperv:stimer.direct': 'on'},
     ['synic', 'time']),
    ('tlbflush', {'xmlhooks:hyperv:tlbflush': 'on'}, ['vpindex']),
    ('ipi', {'xmlhooks:hyperv:ipi': 'on'}, ['vpindex']),
    ('evmcs', {'xmlhooks:hyperv:evmcs': 'on'}, ['vapic']),
    ('tlbflush direct', {
        'xmlhooks:xml:d': "./features/hyperv/tlbflush/direct/@state=on",
        'xmlhooks:hyperv:tlbflush': 'on'}, ['vapic', 'vpindex']),
    ('tlbflush extended', {
        'xmlhooks:xml:e': "./features/hyperv/tlbflush/extended/@state=on",
        'xmlhooks:xml:t': "./features/hyperv/tlbflush/@state=on"},
     ['vpindex']),
]
#: the rules that satisfy each need
GIVES = {
    'vpindex': {'xmlhooks:hyperv:vpindex': 'on'},
    'synic': {'xmlhooks:hyperv:synic': 'on',
              'xmlhooks:hyperv:vpindex': 'on'},
    'time': {'xmlhooks:timer:hypervclock': 'present=yes'},
    'vapic': {'xmlhooks:hyperv:vapic': 'on'},
}
#: how the error names each need
NAMED = {'time': 'the hypervclock timer'}


def _gaps(xml):
    return hyperv_deps.gaps(etree.fromstring(xml.encode()))


class NeedsTest(base.TestCase):
    """Each enlightenment alone is refused, and passes with its needs."""

    # NOTE(xmlhooks): Nova enables no enlightenment for a Linux guest.
    scenarios = [(name, {'specs': specs, 'needs': needs})
                 for name, specs, needs in QEMU_NEEDS]

    def setUp(self):
        super().setUp()
        self.engine_ = self.engine(validate_schema=False)
        self.xml = base.nova_xml('nova-basic')

    def test_refused_without_each_need(self):
        for missing in self.needs:
            specs = dict(self.specs)
            for need in self.needs:
                if need != missing:
                    specs.update(GIVES[need])
            with self.subTest(missing=missing):
                error = self.assertRaises(exception.RuleError,
                                          self.engine_.customize,
                                          self.xml, specs)
                self.assertIn(' without %s' % NAMED.get(missing, missing),
                              error.format_message())
                self.assertIn('which QEMU needs for it',
                              error.format_message())

    def test_passes_with_its_needs(self):
        specs = dict(self.specs)
        for need in self.needs:
            specs.update(GIVES[need])
        self.assertFalse(_gaps(self.engine_.customize(self.xml, specs)))


class HypervDependencyTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.engine_ = self.engine(validate_schema=False)

    def customize(self, specs, fixture='nova-basic', xml=None):
        return self.engine_.customize(xml or base.nova_xml(fixture), specs)

    def assertRefused(self, specs, key, text, fixture='nova-basic',
                      xml=None):
        error = self.assertRaises(exception.RuleError, self.customize,
                                  specs, fixture, xml)
        self.assertEqual(key, error.key)
        self.assertIn(text, error.format_message())
        return error

    def test_message_names_the_key_and_every_need(self):
        error = self.assertRefused({'xmlhooks:hyperv:stimer': 'on'},
                                   'xmlhooks:hyperv:stimer', '')
        self.assertEqual(
            "xmlhooks: rule 'xmlhooks:hyperv:stimer' failed: it leaves "
            "Hyper-V stimer on without synic and the hypervclock timer, "
            "which QEMU needs for it: a KVM guest would not start",
            error.format_message())

    def test_switching_a_need_off_names_that_rule(self):
        # Nova's Windows guest has ipi, synic and tlbflush, which need it.
        self.assertRefused({'xmlhooks:hyperv:relaxed': 'off',
                            'xmlhooks:hyperv:vpindex': 'off'},
                           'xmlhooks:hyperv:vpindex',
                           'it leaves Hyper-V ipi on without vpindex, which',
                           fixture='nova-windows')

    def test_removing_the_clock_names_that_rule(self):
        xml = base.nova_xml('nova-windows').replace(
            '<synic state="on"/>', '<synic state="on"/><stimer state="on"/>')
        self.assertRefused({'xmlhooks:xml:c': "xpath.delete=./clock/timer"
                                              "[@name='hypervclock']"},
                           'xmlhooks:xml:c',
                           'Hyper-V stimer on without the hypervclock timer',
                           xml=xml)

    def test_a_later_rule_may_satisfy_an_earlier_one(self):
        # NOTE(xmlhooks): typed rules apply family by family, hyperv
        # first; the timer comes after the stimer that needs it.
        out = self.customize({'xmlhooks:hyperv:stimer': 'on',
                              'xmlhooks:hyperv:synic': 'on',
                              'xmlhooks:hyperv:vpindex': 'on',
                              'xmlhooks:timer:hypervclock': 'present=yes'})
        self.assertEqual(['on'], base.xpath(
            out, './features/hyperv/stimer/@state'))

    def test_the_first_rule_that_keeps_the_gap_is_named(self):
        # NOTE(xmlhooks): XPath edits apply in the order of their keys:
        # the gap opens, closes, and opens again for good.
        self.assertRefused({'xmlhooks:xml:a':
                            './features/hyperv/synic/@state=on',
                            'xmlhooks:xml:b':
                            './features/hyperv/vpindex/@state=on',
                            'xmlhooks:xml:c':
                            './features/hyperv/vpindex/@state=off'},
                           'xmlhooks:xml:c', 'synic on without vpindex')

    def test_what_nova_wrote_is_not_the_rules_doing(self):
        xml = base.nova_xml('nova-windows').replace(
            '<vpindex state="on"/>', '')
        self.assertTrue(_gaps(xml))
        out = self.customize({'xmlhooks:hyperv:relaxed': 'off',
                              'xmlhooks:hyperv:stimer': 'on'}, xml=xml)
        self.assertEqual(['on'], base.xpath(
            out, './features/hyperv/stimer/@state'))

    def test_a_new_gap_beside_novas_is_refused(self):
        xml = base.nova_xml('nova-windows').replace(
            '<vpindex state="on"/>', '')
        self.assertRefused({'xmlhooks:hyperv:vapic': 'off',
                            'xmlhooks:hyperv:evmcs': 'on'},
                           'xmlhooks:hyperv:vapic',
                           'evmcs on without vapic', xml=xml)

    def test_tcg_guests_are_not_checked(self):
        # NOTE(xmlhooks): QEMU checks the pairs only under KVM; a TCG
        # guest with stimer alone starts (the libvirt tier runs one).
        xml = base.nova_xml().replace('<domain type="kvm">',
                                      '<domain type="qemu">')
        out = self.customize({'xmlhooks:hyperv:stimer': 'on'}, xml=xml)
        self.assertEqual(['on'], base.xpath(
            out, './features/hyperv/stimer/@state'))

    def test_a_rule_making_the_guest_kvm_is_checked(self):
        xml = base.nova_xml().replace(
            '<domain type="kvm">', '<domain type="qemu">').replace(
            '<features>', '<features><hyperv><stimer state="on"/></hyperv>')
        # NOTE(xmlhooks): the guard watches the domain type.
        self.engine_ = self.engine(allow_sensitive=['host_resources'])
        self.customize({'xmlhooks:hyperv:relaxed': 'on'}, xml=xml)
        self.assertRefused({'xmlhooks:hyperv:relaxed': 'on',
                            'xmlhooks:xml:k': './@type=kvm'},
                           'xmlhooks:xml:k', 'stimer on without', xml=xml)

    def test_passthrough_is_not_checked(self):
        out = self.customize({'xmlhooks:xml:s':
                              './features/hyperv/stimer/@state=on',
                              'xmlhooks:xml:p':
                              './features/hyperv/@mode=passthrough'})
        self.assertEqual(['passthrough'], base.xpath(
            out, './features/hyperv/@mode'))

    def test_switched_off_needs_nothing(self):
        out = self.customize({'xmlhooks:hyperv:stimer': 'off',
                              'xmlhooks:hyperv:synic': 'off',
                              'xmlhooks:hyperv:evmcs': 'off'})
        self.assertEqual(['off'], base.xpath(
            out, './features/hyperv/synic/@state'))

    def test_direct_counts_only_under_stimer_on(self):
        # NOTE(xmlhooks): libvirt reads <direct> only when stimer is on.
        out = self.customize({'xmlhooks:hyperv:stimer.direct': 'off'})
        self.assertEqual(['off'], base.xpath(
            out, './features/hyperv/stimer/@state'))
        self.assertFalse(_gaps(base.nova_xml().replace(
            '<features>', '<features><hyperv><stimer state="off">'
            '<direct state="on"/></stimer></hyperv>')))


def _domain(hyperv='', clock='', kind='kvm'):
    return ('<domain type="%s"><features><hyperv>%s</hyperv></features>'
            '<clock>%s</clock></domain>' % (kind, hyperv, clock))


class GapsTest(base.TestCase):
    """What QEMU is given, read the way libvirt reads the document."""

    def gaps(self, *args, **kwargs):
        return {(gap.feature, gap.needed)
                for gap in _gaps(_domain(*args, **kwargs))}

    def test_nothing_on_needs_nothing(self):
        self.assertEqual(set(), self.gaps())
        self.assertEqual(set(), _gaps('<domain type="kvm"/>'))

    def test_stimer_and_its_direct_mode(self):
        self.assertEqual({('stimer', 'synic'),
                          ('stimer', hyperv_deps.TIME)},
                         self.gaps('<stimer state="on"/>'))
        self.assertEqual(set(), self.gaps(
            '<stimer state="on"><direct state="on"/></stimer>'
            '<synic state="on"/><vpindex state="on"/>',
            '<timer name="hypervclock" present="yes"/>'))

    def test_the_timer_must_be_present(self):
        hyperv = ('<stimer state="on"/><synic state="on"/>'
                  '<vpindex state="on"/>')
        self.assertEqual(set(), self.gaps(
            hyperv, '<timer name="hypervclock" present="yes"/>'))
        for timer in ('<timer name="hypervclock" present="no"/>',
                      '<timer name="hypervclock"/>',
                      '<timer name="hpet" present="yes"/>'):
            with self.subTest(timer=timer):
                self.assertEqual({('stimer', hyperv_deps.TIME)},
                                 self.gaps(hyperv, timer))

    def test_a_later_element_overrides_an_earlier_one(self):
        self.assertEqual(set(), self.gaps(
            '<synic state="on"/><synic state="off"/>'))
        self.assertEqual({('synic', 'vpindex')}, self.gaps(
            '<synic state="on"/><vpindex state="on"/>'
            '<vpindex state="off"/>'))

    def test_attributes_in_any_namespace(self):
        # NOTE(xmlhooks): libvirt's xmlGetProp reads the local name.
        self.assertEqual({('synic', 'vpindex')}, self.gaps(
            '<synic xmlns:x="urn:x" x:state="on"/>'))
        self.assertEqual(set(), self.gaps(
            '<synic xmlns:x="urn:x" x:state="on"/>'
            '<vpindex xmlns:y="urn:y" y:state="on"/>'))

    def test_elements_in_any_namespace(self):
        # NOTE(xmlhooks): libvirt finds them by their local names.
        self.assertEqual({('stimer', 'synic')}, {
            (gap.feature, gap.needed) for gap in _gaps(
                '<domain type="kvm" xmlns:x="urn:x"><x:features><x:hyperv>'
                '<x:stimer state="on"/></x:hyperv></x:features><x:clock>'
                '<x:timer name="hypervclock" present="yes"/></x:clock>'
                '</domain>')})
        self.assertEqual({('tlbflush/direct', 'vapic')}, self.gaps(
            '<vpindex state="on"/><tlbflush state="on">'
            '<x:direct xmlns:x="urn:x" state="on"/></tlbflush>'))

    def test_other_states_are_off(self):
        self.assertEqual(set(), self.gaps('<synic state="yes"/>'))
        self.assertEqual(set(), self.gaps('<synic/>'))

    def test_nested_needs_only_under_their_parent_on(self):
        self.assertEqual(set(), self.gaps(
            '<tlbflush state="off"><extended state="on"/>'
            '<direct state="on"/></tlbflush>'))
        self.assertEqual({('tlbflush', 'vpindex'),
                          ('tlbflush/direct', 'vapic')}, self.gaps(
            '<tlbflush state="on"><extended state="on"/>'
            '<direct state="on"/></tlbflush>'))

    def test_only_kvm_and_not_passthrough(self):
        self.assertEqual(set(), self.gaps('<stimer state="on"/>',
                                          kind='qemu'))
        self.assertEqual(set(), _gaps(
            '<domain type="kvm"><features><hyperv mode="passthrough">'
            '<stimer state="on"/></hyperv></features></domain>'))
        self.assertEqual({hyperv_deps.Gap('stimer', 'synic'),
                          hyperv_deps.Gap('stimer', hyperv_deps.TIME)},
                         _gaps('<domain type="kvm"><features><hyperv '
                               'mode="custom"><stimer state="on"/></hyperv>'
                               '</features></domain>'))

    def test_comments_are_skipped(self):
        self.assertEqual({('synic', 'vpindex')}, self.gaps(
            '<!-- c --><synic state="on"><!-- d --></synic>'))


class ReadsWhatChangedTest(base.TestCase):
    """The check reads Nova's part from the snapshot, and only if needed."""

    def setUp(self):
        super().setUp()
        self.engine_ = self.engine(validate_schema=False)

    def test_only_hyperv_and_the_timers_are_read(self):
        # Nova's own gap, and rules elsewhere: nothing to judge.
        xml = base.nova_xml('nova-windows').replace(
            '<vpindex state="on"/>', '')
        read = []
        gaps = hyperv_deps.gaps
        self.patch(hyperv_deps, 'gaps',
                   lambda *args: read.append(args) or gaps(*args))
        for specs in ({'xmlhooks:xml:g': './devices/graphics/@keymap=en-us'},
                      {'xmlhooks:kvm:hidden': 'on'},
                      {'xmlhooks:xml:p': './features/pmu/@state=off'}):
            self.engine_.customize(xml, specs)
            self.assertEqual([], read, specs)
        for specs in ({'xmlhooks:timer:hpet': 'present=yes'},
                      {'xmlhooks:hyperv:relaxed': 'on'},
                      {'xmlhooks:xml:c': './clock/@offset=utc'},
                      {'xmlhooks:xml:f': 'xpath.delete=./features'}):
            del read[:]
            self.engine_.customize(xml, specs)
            self.assertTrue(read, specs)

    def test_novas_clock_comes_from_the_snapshot(self):
        # The rule removes the clock the stimer Nova wrote needs.
        xml = base.nova_xml('nova-windows').replace(
            '<synic state="on"/>', '<synic state="on"/><stimer state="on"/>')
        seen = []
        change = checks.Snapshot.change

        def record(snapshot, *args, **kwargs):
            result = change(snapshot, *args, **kwargs)
            seen.append(result.region)
            return result
        self.patch(checks.Snapshot, 'change', record)
        error = self.assertRaises(
            exception.RuleError, self.engine_.customize, xml,
            {'xmlhooks:timer:hypervclock': 'present=no'})
        self.assertEqual('xmlhooks:timer:hypervclock', error.key)
        self.assertIsNotNone(seen[0])
        self.assertEqual({'clock', 'metadata'}, set(seen[0].tags))
