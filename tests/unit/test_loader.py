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

from nova_xmlhooks.customizers import xml
from nova_xmlhooks import exception
from nova_xmlhooks import loader
from tests.unit import base


class LoaderTest(base.TestCase):

    def test_loads_in_configured_order(self):
        customizers = loader.load_customizers(self.conf, ['xml'])
        self.assertEqual(['xml'], list(customizers))
        self.assertIsInstance(customizers['xml'], xml.XmlCustomizer)

    def test_missing_customizer_stops(self):
        e = self.assertRaises(exception.CustomizerLoadError,
                              loader.load_customizers, self.conf,
                              ['xml', 'doesnotexist'])
        self.assertIn("'doesnotexist'", e.format_message())

    def test_listed_twice(self):
        self.assertRaises(exception.CustomizerLoadError,
                          loader.load_customizers, self.conf, ['xml', 'xml'])
