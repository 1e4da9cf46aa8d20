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

"""``nova-xmlhooks render`` on Nova's own domain XML."""

from lxml import etree

from nova_xmlhooks import metadata
from nova_xmlhooks import xpath_edit
from tests.unit.cmd import base

CLOCK = 'xmlhooks:xml:clock=./clock/@offset=localtime'
NO_TABLET = "xpath.delete=./devices/input[@type='tablet']"


def _xpath(xml, expression):
    return etree.fromstring(xml.encode()).xpath(
        expression, namespaces=xpath_edit.NAMESPACES)


class RenderTest(base.CommandTestCase):

    def setUp(self):
        super().setUp()
        self.xml_file = self.write_xml(self.nova_xml())

    def render(self, *argv, xml_file=None):
        return self.run_command('render', '--xml', xml_file or self.xml_file,
                                *argv)

    def test_diff_by_default(self):
        status, out, err = self.render('--spec', CLOCK)
        self.assertEqual(0, status, err)
        self.assertEqual('', err)
        self.assertTrue(out.startswith('--- %s\n+++ %s (customised)\n'
                                       % (self.xml_file, self.xml_file)))
        self.assertIn('\n-  <clock offset="utc">\n', out)
        self.assertIn('\n+  <clock offset="localtime">\n', out)
        # the record of what was applied shows in the diff too
        self.assertIn('+      <xmlhooks:rule key="xmlhooks:xml:clock"', out)

    def test_output_xml(self):
        status, out, err = self.render('--spec', CLOCK, '--output', 'xml')
        self.assertEqual(0, status, err)
        root = etree.fromstring(out.encode())
        self.assertEqual('localtime', root.find('clock').get('offset'))
        _profiles, rules = metadata.recorded(root)
        self.assertEqual(['xmlhooks:xml:clock'], [r.key for r in rules])
        # everything else is Nova's
        self.assertEqual(len(_xpath(self.nova_xml(), '//*')) + 2,
                         len(root.xpath('//*')))

    def test_recorded_extra_specs_are_used_without_spec(self):
        xml = base.with_extra_specs(self.nova_xml(), {
            'xmlhooks:xml:tablet': NO_TABLET,
            'hw:cpu_policy': 'shared',
        })
        status, out, err = self.render('--output', 'xml',
                                       xml_file=self.write_xml(xml))
        self.assertEqual(0, status, err)
        self.assertEqual([], _xpath(out, "./devices/input[@type='tablet']"))
        self.assertEqual(1, len(_xpath(self.nova_xml(),
                                       "./devices/input[@type='tablet']")))

    def test_spec_replaces_recorded_extra_specs(self):
        xml = base.with_extra_specs(self.nova_xml(),
                                    {'xmlhooks:xml:tablet': NO_TABLET})
        status, out, err = self.render('--spec', CLOCK, '--output', 'xml',
                                       xml_file=self.write_xml(xml))
        self.assertEqual(0, status, err)
        self.assertEqual(1, len(_xpath(out,
                                       "./devices/input[@type='tablet']")))
        self.assertEqual(['localtime'], _xpath(out, './clock/@offset'))

    def test_profile_adds_to_recorded_profiles(self):
        self.write_profile('a.yaml', 'notablet:\n  description: no tablet\n'
                           '  xml:\n    - "%s"\n' % NO_TABLET)
        self.write_profile('b.yaml', 'localclock:\n  specs:\n'
                           '    xmlhooks:xml:clock: ./clock/@offset=localtime'
                           '\n')
        xml = base.with_extra_specs(self.nova_xml(),
                                    {'xmlhooks:profile': 'notablet'})
        status, out, err = self.render('--profile', 'localclock',
                                       '--output', 'xml',
                                       xml_file=self.write_xml(xml))
        self.assertEqual(0, status, err)
        self.assertEqual([], _xpath(out, "./devices/input[@type='tablet']"))
        self.assertEqual(['localtime'], _xpath(out, './clock/@offset'))
        profiles, _rules = metadata.recorded(etree.fromstring(out.encode()))
        self.assertEqual(['notablet', 'localclock'], profiles)

    def test_every_match_changes(self):
        xml_file = self.write_xml(self.nova_xml('nova-two-disks'))
        disks = _xpath(self.nova_xml('nova-two-disks'),
                       "./devices/disk[@device='disk']")
        self.assertEqual(2, len(disks))
        status, out, err = self.render(
            '--spec', "xmlhooks:xml:cache=./devices/disk[@device='disk']"
            "/driver/@cache=writeback", '--output', 'xml', xml_file=xml_file)
        self.assertEqual(0, status, err)
        self.assertEqual(['writeback', 'writeback'], _xpath(
            out, "./devices/disk[@device='disk']/driver/@cache"))

    def test_nothing_to_apply(self):
        status, out, err = self.render()
        self.assertEqual(0, status)
        self.assertEqual('', out)
        self.assertEqual('no xmlhooks rule changes this XML\n', err)

    def test_unreadable_file(self):
        status, out, err = self.render(
            xml_file=self.tempdir + '/missing.xml')
        self.assertEqual(1, status)
        self.assertEqual('', out)
        self.assertOneLineError(err, 'missing.xml',
                                'No such file or directory')

    def test_not_xml(self):
        status, _out, err = self.render(
            xml_file=self.write_xml('<domain>\n  <name>x</name\n</domain>',
                                    'broken.xml'))
        self.assertEqual(1, status)
        self.assertOneLineError(err, 'broken.xml',
                                'is not a valid XML document (line 3,')

    def test_xml_beyond_the_parser_limits(self):
        # NOTE(xmlhooks): well-formed, but deeper than lxml parses without
        # huge_tree; saying only "not valid XML" would send the operator
        # looking for a syntax error that is not there.
        deep = self.nova_xml().replace(
            '</domain>', '<description>%s%s</description></domain>'
            % ('<a>' * 300, '</a>' * 300))
        status, _out, err = self.render(
            xml_file=self.write_xml(deep, 'deep.xml'))
        self.assertEqual(1, status)
        self.assertOneLineError(err, 'deep.xml', 'a limit of the XML parser',
                                'line ')

    def test_not_a_domain(self):
        status, _out, err = self.render(
            xml_file=self.write_xml('<network/>', 'net.xml'))
        self.assertEqual(1, status)
        self.assertOneLineError(err, 'net.xml', '<network>')

    def test_bad_spec_syntax(self):
        status, _out, err = self.render('--spec', 'xmlhooks:xml:clock')
        self.assertEqual(1, status)
        self.assertOneLineError(err, "'xmlhooks:xml:clock'", 'KEY=VALUE')

    def test_invalid_spec(self):
        status, _out, err = self.render('--spec', 'xmlhooks:xml:x=nonsense')
        self.assertEqual(1, status)
        self.assertOneLineError(err, "invalid spec 'xmlhooks:xml:x'")

    def test_unknown_family(self):
        status, _out, err = self.render('--spec', 'xmlhooks:nosuch:x=1')
        self.assertEqual(1, status)
        self.assertOneLineError(err, "'xmlhooks:nosuch:x'",
                                "no customizer handles 'xmlhooks:nosuch'")

    def test_unknown_profile(self):
        status, _out, err = self.render('--profile', 'ghost')
        self.assertEqual(1, status)
        self.assertOneLineError(err, "unknown profile 'ghost'")

    def test_broken_profile_file(self):
        path = self.write_profile('bad.yaml', 'p:\n  xml: [nonsense]\n')
        status, _out, err = self.render('--spec', CLOCK)
        self.assertEqual(1, status)
        self.assertOneLineError(err, path, "profile 'p'", "entry 'xml[0]'",
                                'nova-xmlhooks validate')

    def test_bad_config_value(self):
        self.write_config(on_error='sometimes')
        status, _out, err = self.render('--spec', CLOCK)
        self.assertEqual(1, status)
        self.assertOneLineError(err, 'on_error', 'sometimes')

    def test_missing_config_file(self):
        status, _out, err = self.command.run(
            '--config-file', self.tempdir + '/nope.conf', 'render', '--xml',
            self.xml_file)
        self.assertEqual(1, status)
        self.assertOneLineError(err, 'nope.conf')

    def test_standard_input(self):
        status, out, err = self.run_command(
            'render', '--xml', '-', '--spec', CLOCK, '--output', 'xml',
            stdin=self.nova_xml().encode())
        self.assertEqual(0, status, err)
        self.assertEqual(['localtime'], _xpath(out, './clock/@offset'))
        status, out, err = self.run_command('render', '--xml', '-',
                                            '--spec', CLOCK,
                                            stdin=self.nova_xml().encode())
        self.assertEqual(0, status, err)
        self.assertTrue(out.startswith('--- standard input\n'), out)
        status, _out, err = self.run_command('render', '--xml', '-',
                                             stdin=b'<network/>')
        self.assertEqual(1, status)
        self.assertOneLineError(err, 'standard input', '<network>')

    def test_warns_when_input_is_already_customised(self):
        status, customised, err = self.render('--spec', CLOCK, '--output',
                                              'xml')
        self.assertEqual(0, status, err)
        self.assertEqual('', err)
        again = self.write_xml(customised, 'again.xml')
        status, _out, err = self.render('--spec', CLOCK, xml_file=again)
        self.assertEqual(0, status, err)
        self.assertEqual(
            ['warning: %s already carries an xmlhooks record (1 rule(s), '
             'profiles: none): the rules apply on top of their effects; '
             'render the XML Nova generated, or use "nova-xmlhooks audit" '
             'on a running host' % again,
             'no xmlhooks rule changes this XML'], err.splitlines())

    def test_a_hand_edited_record_is_read_without_its_nameless_parts(self):
        # NOTE(xmlhooks): the record is in the domain's definition, which
        # an administrator may edit; a profile without a name is not ours.
        status, customised, err = self.render('--spec', CLOCK, '--output',
                                              'xml')
        self.assertEqual(0, status, err)
        root = etree.fromstring(customised.encode())
        record = root.find('metadata/xmlhooks:customization',
                           {'xmlhooks': metadata.XMLHOOKS_NS})
        etree.SubElement(record, '{%s}profile' % metadata.XMLHOOKS_NS)
        again = self.write_xml(etree.tostring(root, encoding='unicode'),
                               'edited.xml')
        status, _out, err = self.render('--spec', CLOCK, xml_file=again)
        self.assertEqual(0, status, err)
        self.assertIn('already carries an xmlhooks record (1 rule(s), '
                      'profiles: none)', err)
        self.assertEqual([], metadata.recorded(root)[0])

    def test_warns_when_an_xpath_matches_nothing(self):
        delete = "xmlhooks:xml:nosound=xpath.delete=./devices/sound"
        status, out, err = self.render('--spec', delete, '--spec', CLOCK)
        self.assertEqual(0, status, err)
        self.assertEqual(
            ["warning: rule 'xmlhooks:xml:nosound' (flavor): XPath "
             "'./devices/sound' matches nothing in %s; the rule changes "
             "nothing" % self.xml_file], err.splitlines())
        # NOTE(xmlhooks): it is still recorded, as the driver records it.
        self.assertIn('key="xmlhooks:xml:nosound"', out)

    def test_matching_rules_do_not_warn(self):
        status, _out, err = self.render(
            '--spec', 'xmlhooks:xml:t=' + NO_TABLET, '--spec',
            "xmlhooks:xml:c=xpath.create=./devices/sound[@model='ich9']")
        self.assertEqual(0, status, err)
        self.assertEqual('', err)

    def test_suggests_the_key(self):
        self.write_config(customizers='xml,hyperv')
        status, _out, err = self.render('--spec',
                                        'xmlhooks:hyperv:relaxd=on')
        self.assertEqual(1, status)
        self.assertOneLineError(
            err, "invalid spec 'xmlhooks:hyperv:relaxd': unknown key",
            "did you mean 'xmlhooks:hyperv:relaxed'?",
            '(see nova-xmlhooks list)')

    def test_suggests_the_family(self):
        self.write_config(customizers='xml,hyperv')
        status, _out, err = self.render('--spec',
                                        'xmlhooks:hyperb:relaxed=on')
        self.assertEqual(1, status)
        self.assertOneLineError(err, "did you mean 'xmlhooks:hyperv'?")
        status, _out, err = self.render('--spec',
                                        'xmlhooks:smbios:oem.0=x')
        self.assertEqual(1, status)
        self.assertOneLineError(err, "customizer 'smbios' is installed but "
                                "not enabled: add it to [xmlhooks] "
                                "customizers")

    def test_suggests_the_profile(self):
        self.write_profile('w.yaml', 'windows:\n  description: w\n'
                           'linux:\n  description: l\n')
        status, _out, err = self.render('--profile', 'windos')
        self.assertEqual(1, status)
        self.assertOneLineError(err, "unknown profile 'windos'",
                                "did you mean 'windows'?")
        status, _out, err = self.render('--profile', 'zzz')
        self.assertOneLineError(err, "unknown profile 'zzz'",
                                'see nova-xmlhooks list for the profiles')

    def test_no_suggestion_for_a_bad_value(self):
        self.write_config(customizers='xml,hyperv')
        status, _out, err = self.render('--spec',
                                        'xmlhooks:hyperv:relaxed=maybe')
        self.assertEqual(1, status)
        self.assertOneLineError(err, "invalid spec 'xmlhooks:hyperv:relaxed'")
        self.assertNotIn('did you mean', err)

    def test_values_are_escaped_in_the_diff(self):
        status, out, err = self.render(
            '--spec', 'xmlhooks:xml:d=./description=a\u202eb\u009bc')
        self.assertEqual(0, status, err)
        self.assertIn('a\\u202eb\\u009bc', out)
        self.assertNotIn('\u202e', out)
        self.assertNotIn('\u009b', out)

    def test_usage_errors(self):
        status, _out, err = self.run_command('render')
        self.assertEqual(2, status)
        self.assertIn('--xml', err)
        status, _out, err = self.render('--output', 'json')
        self.assertEqual(2, status)
        self.assertIn("invalid choice: 'json'", err)
        self.assertNotIn('Traceback', err)


class RenderOlderNovaTest(base.CommandTestCase):
    """XML of nova before 32, which does not record the extra specs."""

    def setUp(self):
        super().setUp()
        self.xml_file = self.write_xml(self.nova_xml('nova31-basic'))

    def test_asks_for_the_specs(self):
        status, out, err = self.run_command('render', '--xml', self.xml_file)
        self.assertEqual(1, status)
        self.assertEqual('', out)
        self.assertOneLineError(err, self.xml_file, 'does not record the '
                                "flavor's extra specs", '--spec KEY=VALUE',
                                '--profile NAME')

    def test_specs_given(self):
        status, out, err = self.run_command('render', '--xml', self.xml_file,
                                            '--spec', CLOCK, '--output',
                                            'xml')
        self.assertEqual(0, status, err)
        self.assertEqual(['localtime'], _xpath(out, './clock/@offset'))

    def test_profile_given(self):
        self.write_profile('p.yaml', 'notablet:\n  xml: ["%s"]\n'
                           % NO_TABLET)
        status, out, err = self.run_command('render', '--xml', self.xml_file,
                                            '--profile', 'notablet',
                                            '--output', 'xml')
        self.assertEqual(0, status, err)
        self.assertEqual([], _xpath(out, "./devices/input[@type='tablet']"))
