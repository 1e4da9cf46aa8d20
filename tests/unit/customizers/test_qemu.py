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

import dataclasses

from lxml import etree
from nova import exception as nova_exception

from nova_xmlhooks.customizers import qemu
from nova_xmlhooks import engine
from nova_xmlhooks import exception
from nova_xmlhooks import metadata
from tests.unit import base
from tests.unit import customizers
from tests.unit import odd_shapes

FW_CFG = 'name=opt/ovmf/X-PciMmio64Mb,string=65536'
#: a document with QEMU arguments and variables of its own
OWN_ARGS = odd_shapes.ODD_SHAPES['qemu-namespace']


class QemuRefusedTest(base.TestCase):
    """Without qemu_passthrough allowed, every key is refused."""

    def test_refused_at_the_compute_and_the_api(self):
        eng = engine.Engine.from_conf(self.conf)
        for key, value in (('xmlhooks:qemu:arg.0', '-fw_cfg'),
                           ('xmlhooks:qemu:env.FOO', 'bar')):
            error = self.assertRaises(exception.InvalidSpec, eng.resolve,
                                      {key: value})
            message = error.format_message()
            self.assertIn("'%s'" % key, message)
            self.assertIn('needs qemu_passthrough in [xmlhooks] '
                          'allow_sensitive', message)
            api_error = self.assertRaises(
                nova_exception.ValidationError, customizers.api_validate,
                self.conf, key, value)
            self.assertIn(key, str(api_error))
            self.assertIn('qemu_passthrough', str(api_error))

    def test_xml_edits_that_write_qemu_are_refused_alike(self):
        # NOTE(xmlhooks): a set or a create along qemu: steps writes QEMU
        # passthrough on any document; nova-api used to accept it and the
        # compute's guard to refuse it at every boot.
        eng = engine.Engine.from_conf(self.conf)
        key = 'xmlhooks:xml:a'
        for value in ('./qemu:commandline/qemu:arg/@value=-x',
                      'xpath.create=./qemu:commandline/qemu:env',
                      'xpath.set=./devices/qemu:x=1'):
            error = self.assertRaises(exception.InvalidSpec, eng.resolve,
                                      {key: value})
            self.assertIn('needs qemu_passthrough in [xmlhooks] '
                          'allow_sensitive', error.format_message())
            api_error = self.assertRaises(
                nova_exception.ValidationError, customizers.api_validate,
                self.conf, key, value)
            self.assertIn('qemu_passthrough', str(api_error))
        # Removing passthrough, or unsetting it, only narrows it.
        for value in ('xpath.delete=./qemu:commandline',
                      './qemu:commandline/qemu:arg/@value='):
            eng.resolve({key: value})
            customizers.api_validate(self.conf, key, value)
        self.flags(allow_sensitive=['qemu_passthrough'])
        engine.Engine.from_conf(self.conf).resolve(
            {key: './qemu:commandline/qemu:arg/@value=-x'})
        customizers.api_validate(self.conf, key,
                                 './qemu:commandline/qemu:arg/@value=-x')

    def test_other_categories_do_not_allow_it(self):
        self.flags(allow_sensitive=['host_paths', 'resources'])
        eng = engine.Engine.from_conf(self.conf)
        self.assertRaises(exception.InvalidSpec, eng.resolve,
                          {'xmlhooks:qemu:arg.0': '-S'})


class QemuTest(customizers.CustomizerTests, base.TestCase):

    FAMILY = 'qemu'
    GOOD = (
        ('xmlhooks:qemu:arg.0', '-fw_cfg'),
        ('xmlhooks:qemu:arg.999', FW_CFG),
        ('xmlhooks:qemu:arg.1', '<&>"\''),
        ('xmlhooks:qemu:env.FOO', 'bar'),
        ('xmlhooks:qemu:env._x1', ''),
        ('xmlhooks:qemu:env.' + 'A' * 64, 'x'),
    )
    BAD = (
        ('xmlhooks:qemu:arg.0', ''),
        ('xmlhooks:qemu:arg.x', '-S'),
        ('xmlhooks:qemu:arg.1000', '-S'),
        ('xmlhooks:qemu:arg.0', '-S\n-daemonize'),
        ('xmlhooks:qemu:arg.0', 'a\x00'),
        ('xmlhooks:qemu:env.1FOO', 'bar'),
        ('xmlhooks:qemu:env.FOO-BAR', 'bar'),
        ('xmlhooks:qemu:env.', 'bar'),
        ('xmlhooks:qemu:env.FOO', 'a\x1bb'),
        ('xmlhooks:qemu:commandline', '-S'),
        # NOTE(xmlhooks): nova builds the key's regular expression without
        # escaping the '.', which then matches any character.
        ('xmlhooks:qemu:arg00', '-S'),
        ('xmlhooks:qemu:env.' + 'A' * 65, 'x'),
    )

    def setUp(self):
        super().setUp()
        self.flags(allow_sensitive=[qemu.CATEGORY])
        self.engine = engine.Engine.from_conf(self.conf)

    def _args(self, xml):
        return self.xpath(xml, './qemu:commandline/qemu:arg/@value')

    def test_args_are_ordered_numerically(self):
        out = self.customize({'xmlhooks:qemu:arg.10': 'ten',
                              'xmlhooks:qemu:arg.2': 'two',
                              'xmlhooks:qemu:arg.0': 'zero'})
        self.assertEqual(['zero', 'two', 'ten'], self._args(out))

    def test_namespace(self):
        out = self.customize({'xmlhooks:qemu:arg.0': '-fw_cfg',
                              'xmlhooks:qemu:arg.1': FW_CFG,
                              'xmlhooks:qemu:env.FOO': 'b a r'})
        self.assertEqual(['-fw_cfg', FW_CFG], self._args(out))
        root = self.xpath(out, '/*')[0]
        commandline = root.find('{%s}commandline' % qemu.QEMU_NS)
        self.assertIsNotNone(commandline)
        self.assertEqual('qemu', commandline.prefix)
        self.assertEqual(['FOO'], self.xpath(
            out, './qemu:commandline/qemu:env/@name'))
        self.assertEqual(['b a r'], self.xpath(
            out, './qemu:commandline/qemu:env/@value'))

    def test_reapplying_other_rules_replaces_the_recorded_args(self):
        first = self.customize({'xmlhooks:qemu:arg.0': '-fw_cfg',
                                'xmlhooks:qemu:arg.1': FW_CFG,
                                'xmlhooks:qemu:env.FOO': 'bar'})
        out = self.customize({'xmlhooks:qemu:arg.0': '-no-hpet',
                              'xmlhooks:qemu:env.BAZ': '1'}, xml=first)
        self.assertEqual(['-no-hpet'], self._args(out))
        self.assertEqual(['BAZ'], self.xpath(
            out, './qemu:commandline/qemu:env/@name'))

    def test_no_rules_of_the_family_left(self):
        first = self.customize({'xmlhooks:qemu:arg.0': '-no-hpet'})
        out = self.customize({'xmlhooks:qemu:env.BAZ': '1'}, xml=first)
        self.assertEqual([], self._args(out))

    def test_args_already_present_are_not_added_twice(self):
        # NOTE(xmlhooks): the same arguments written by an xml edit (no
        # record of ours) are recognised rather than repeated.
        out = self.customize({
            'xmlhooks:xml:a': './qemu:commandline/qemu:arg/@value=-S',
            'xmlhooks:qemu:arg.0': '-S'})
        self.assertEqual(['-S'], self._args(out))

    def test_env_overrides_one_of_the_same_name(self):
        out = self.customize({
            'xmlhooks:xml:a':
                "./qemu:commandline/qemu:env[@name='FOO']/@value=old",
            'xmlhooks:qemu:env.FOO': 'new'})
        self.assertEqual(['new'], self.xpath(
            out, './qemu:commandline/qemu:env/@value'))

    def _commandline(self, xml):
        return [(etree.QName(node).localname, node.get('name'),
                 node.get('value'))
                for node in self.xpath(xml, './qemu:commandline/*')]

    def _added(self, xml, key):
        _profiles, rules = metadata.recorded(engine.parse_domain(xml))
        return {rule.key: rule.added for rule in rules}[key]

    def test_own_args_are_not_recorded_as_added(self):
        out = self.customize({'xmlhooks:qemu:arg.0': '-unknown'},
                             xml=OWN_ARGS)
        self.assertEqual(self._commandline(OWN_ARGS),
                         self._commandline(out))
        self.assertFalse(self._added(out, 'xmlhooks:qemu:arg.0'))
        self.assertEqual(['no'], self.xpath(
            out, './metadata/*/*[@key="xmlhooks:qemu:arg.0"]/@added'))

    def test_other_rules_keep_the_documents_own_args(self):
        first = self.customize({'xmlhooks:qemu:arg.0': '-unknown'},
                               xml=OWN_ARGS)
        out = self.customize({'xmlhooks:qemu:arg.0': '-no-hpet'},
                             xml=first)
        self.assertEqual([('arg', None, '-unknown'),
                          ('arg', None, 'parameter'),
                          ('arg', None, '-no-hpet'),
                          ('env', 'NS', 'ns0'), ('env', 'BAR', None)],
                         self._commandline(out))
        self.assertTrue(self._added(out, 'xmlhooks:qemu:arg.0'))
        # and what was added goes away again, the document's own stays
        out = self.customize({'xmlhooks:qemu:env.X': '1'}, xml=out)
        self.assertEqual(self._commandline(OWN_ARGS) + [('env', 'X', '1')],
                         self._commandline(out))

    def test_args_go_before_the_variables(self):
        # NOTE(xmlhooks): where libvirt writes them, so that its own
        # output is the same document.
        out = self.customize({'xmlhooks:qemu:arg.1': '-S',
                              'xmlhooks:qemu:arg.0': '-no-hpet'},
                             xml=OWN_ARGS)
        self.assertEqual([('arg', None, '-unknown'),
                          ('arg', None, 'parameter'),
                          ('arg', None, '-no-hpet'), ('arg', None, '-S'),
                          ('env', 'NS', 'ns0'), ('env', 'BAR', None)],
                         self._commandline(out))

    def test_args_go_before_the_variables_of_a_document_without_args(self):
        out = self.customize({
            'xmlhooks:xml:a': "./qemu:commandline/qemu:env[@name='X']"
                              "/@value=1",
            'xmlhooks:qemu:arg.0': '-S',
            'xmlhooks:qemu:arg.1': '-no-hpet'})
        self.assertEqual([('arg', None, '-S'), ('arg', None, '-no-hpet'),
                          ('env', 'X', '1')], self._commandline(out))

    def test_parse_checks_the_key_on_its_own(self):
        # NOTE(xmlhooks): nova-xmlhooks audit parses the keys of a domain's
        # record, which may have been edited by hand, without matching
        # them against the declarations first.
        parse = self.engine.customizers['qemu'].parse
        for key, reason in (
                ('xmlhooks:qemu:arg', 'must be arg.<n> or env.<NAME>'),
                ('xmlhooks:qemu:arg.x', 'position must be a number'),
                ('xmlhooks:qemu:arg.\u0663', 'position must be a number'),
                ('xmlhooks:qemu:env.1FOO', 'letters, digits'),
                ('xmlhooks:qemu:env.A:B', 'letters, digits')):
            error = self.assertRaises(ValueError, parse, key, '-S')
            self.assertIn(reason, str(error))

    def test_a_recorded_arg_without_a_position_is_not_taken_as_added(self):
        first = self.customize({'xmlhooks:qemu:arg.0': '-S'})
        root = engine.parse_domain(first)
        rule = root.find('./metadata/*/*[@key="xmlhooks:qemu:arg.0"]')
        rule.set('key', 'xmlhooks:qemu:arg.x')
        out = self.customize({'xmlhooks:qemu:arg.0': '-no-hpet'},
                             xml=etree.tostring(root, encoding='unicode'))
        self.assertEqual(['-S', '-no-hpet'], self._args(out))

    def test_a_recorded_rule_without_a_key_is_not_taken_as_added(self):
        # NOTE(xmlhooks): the record is in the domain's definition, which
        # an operator may edit (nova-xmlhooks audit and render read it).
        first = self.customize({'xmlhooks:qemu:arg.0': '-S'})
        root = engine.parse_domain(first)
        rule = root.find('./metadata/*/*[@key="xmlhooks:qemu:arg.0"]')
        del rule.attrib['key']
        out = self.customize({'xmlhooks:qemu:arg.0': '-no-hpet'},
                             xml=etree.tostring(root, encoding='unicode'))
        self.assertEqual(['-S', '-no-hpet'], self._args(out))

    def test_payloads_are_frozen_dataclasses(self):
        arg = self.engine.resolve({'xmlhooks:qemu:arg.7': '-S'})[0].payload
        env = self.engine.resolve({'xmlhooks:qemu:env.FOO': ''})[0].payload
        self.assertEqual(qemu.Arg(position=7, value='-S'), arg)
        self.assertEqual(qemu.Env(name='FOO', value=''), env)
        self.assertRaises(dataclasses.FrozenInstanceError, setattr, arg,
                          'value', '-daemonize')
