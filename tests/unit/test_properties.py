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

import os

import hypothesis
from hypothesis import strategies as st
from lxml import etree
import yaml

from nova_xmlhooks import engine
from nova_xmlhooks import exception
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
