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

"""The administrator guide documents the JSON keys the commands write.

Each ``--format json`` report is built on Nova's XML with every list and
optional part filled, so that every documented key, however deep, is
compared with a real one.
"""

import json
import os
import re
import subprocess

from lxml import etree

from nova_xmlhooks.cmd import audit
from nova_xmlhooks.cmd import config
from nova_xmlhooks.cmd import show
from tests.unit import base
from tests.unit.cmd import base as cmd_base

CLI_RST = os.path.join(cmd_base.REPO_DIR, 'doc', 'source', 'admin',
                       'cli.rst')
CLOCK = './clock/@offset=localtime'


def documented_example(title):
    """The JSON example of a section of the administrator guide."""
    with open(CLI_RST) as handle:
        text = handle.read()
    section = text[text.index('\n%s\n' % title):]
    match = re.search(r'^\.\. code-block:: json\n\n((?:   .*\n|\n)+)',
                      section, re.M)
    return json.loads(match.group(1))


class JsonDocTestCase(cmd_base.CommandTestCase):

    def assertSameKeys(self, documented, real, where):
        if isinstance(documented, dict):
            self.assertIsInstance(real, dict, where)
            self.assertEqual(sorted(documented), sorted(real), where)
            for key in documented:
                if key in ('hidden', 'fields', 'extra_specs'):
                    # NOTE(xmlhooks): free-form maps, not schema keys.
                    continue
                self.assertSameKeys(documented[key], real[key],
                                    '%s.%s' % (where, key))
        elif documented and isinstance(documented, list) and isinstance(
                documented[0], dict):
            self.assertNotEqual([], real, where)
            self.assertSameKeys(documented[0], real[0], where + '[0]')

    def assertDocumented(self, title, real):
        # NOTE(xmlhooks): the keys as JSON writes them.
        self.assertSameKeys(documented_example(title),
                            json.loads(json.dumps(real)), title)


class ListValidateJsonTest(JsonDocTestCase):

    def test_list(self):
        self.write_profile('w.yaml', 'windows:\n  description: w\n'
                           '  specs:\n    xmlhooks:hyperv:relaxed: "on"\n')
        self.write_config(customizers='xml,hyperv')
        status, out, err = self.run_command('list', '--format', 'json')
        self.assertEqual(0, status, err)
        report = json.loads(out)
        # the documented example is of the hyperv customiser
        report['customizers'] = report['customizers'][1:]
        self.assertDocumented('List JSON output', report)

    def test_validate(self):
        self.write_profile('w.yaml', 'windows:\n  specs:\n'
                           '    xmlhooks:hyperv:relaxd: "on"\n'
                           'linux:\n  description: l\n')
        self.write_config(customizers='xml,hyperv',
                          profile_dirs='%s,%s/none' % (self.profile_dir,
                                                       self.tempdir))
        status, out, _err = self.run_command('validate', '--format', 'json')
        self.assertEqual(1, status)
        report = json.loads(out)
        for key in ('problems', 'warnings', 'notes'):
            self.assertNotEqual([], report[key], key)
        self.assertDocumented('Validate JSON output', report)


class AuditShowJsonTest(JsonDocTestCase, base.TestCase):

    def setUp(self):
        super().setUp()
        self.flags(customizers=['xml', 'hyperv'])
        specs = {'xmlhooks:xml:clock': CLOCK,
                 'xmlhooks:hyperv:relaxed': 'on'}
        self.customised = self.engine().customize(
            cmd_base.with_extra_specs(base.nova_xml(), specs), specs)

    def test_audit(self):
        root = etree.fromstring(self.customised.encode())
        root.find('clock').set('offset', 'utc')
        edited = etree.tostring(root, encoding='unicode')
        report = audit.audit_domain(
            self.engine(customizers=['xml']),
            {'name': 'instance-00000001', 'uuid': 'u', 'state': 'running',
             'persistent': edited, 'live': self.customised})
        self.assertEqual('drift', report['status'])
        for part in (report['rules'], report['drift'],
                     report['stale']['removed'],
                     report['stale']['unchecked']):
            self.assertNotEqual([], part)
        documented = documented_example('Audit JSON output')
        self.assertEqual(1, len(documented))
        self.assertDocumented('Audit JSON output', [report])
        self.assertSameKeys(documented[0]['rules'][0],
                            report['stale']['removed'][0], 'rule')

    def test_show(self):
        root = etree.fromstring(self.customised.encode())
        uuid = root.findtext('uuid')
        instances = os.path.join(self.tempdir, 'instances')
        os.makedirs(os.path.join(instances, uuid))
        disk = os.path.join(instances, uuid, 'disk')
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', disk,
                        '1M'], check=True)
        root.find("devices/disk[@device='disk']/source").set('file', disk)
        xml = etree.tostring(root, encoding='unicode')
        with open(self.config_file, 'a') as handle:
            handle.write('[DEFAULT]\ninstances_path = %s\n' % instances)
        self.write_config_customizers()
        configuration = config.Configuration(
            [config.Source('--config-file', self.config_file)])
        report = show.report(configuration, {
            'name': 'instance-00000001', 'uuid': uuid, 'state': 'running',
            'persistent': xml, 'live': xml.replace(
                "<devices>", "<devices><alias name='x'/>", 1)},
            'qemu:///system')
        self.assertEqual('instances_path',
                         report['instance_directory']['origin'])
        self.assertEqual('ok', report['audit']['status'])
        self.assertDocumented('Show JSON output', report)

    def write_config_customizers(self):
        with open(self.config_file, 'a') as handle:
            handle.write('[xmlhooks]\ncustomizers = xml,hyperv\n')
