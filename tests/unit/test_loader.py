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

from importlib import metadata as importlib_metadata

import fixtures
from stevedore import extension
from stevedore import named

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

    def test_listed_twice_is_reported_once_and_loaded_once(self):
        errors = []
        customizers = loader.load_customizers(self.conf, ['xml', 'xml'],
                                              errors=errors)
        self.assertEqual(['xml'], list(customizers))
        self.assertEqual(["customizer 'xml,xml' cannot be loaded: a "
                          "customizer is listed twice"],
                         [e.format_message().removeprefix('xmlhooks: ')
                          for e in errors])

    def test_application_order_is_the_configured_order(self):
        # NOTE(xmlhooks): neither the entry points' order nor the
        # alphabet: the order of [xmlhooks] customizers is the order the
        # customisers edit the XML in.
        for names in (['timer', 'xml', 'cpu'], ['cpu', 'timer', 'xml']):
            self.assertEqual(names, list(loader.load_customizers(
                self.conf, names)))

    def test_none_configured(self):
        self.assertEqual({}, loader.load_customizers(self.conf, []))

    def test_entry_point_that_fails_to_load_is_reported_once(self):
        # NOTE(xmlhooks): as when a customiser's module cannot be imported
        # on this host; stevedore would log it and carry on without it.
        broken = importlib_metadata.EntryPoint(
            'broken', 'nova_xmlhooks.customizers.nosuchmodule:Customizer',
            loader.CUSTOMIZER_NAMESPACE)
        real = extension.ExtensionManager.list_entry_points
        self.useFixture(fixtures.MonkeyPatch(
            'stevedore.extension.ExtensionManager.list_entry_points',
            lambda manager: real(manager) + [broken]))
        errors = []
        customizers = loader.load_customizers(
            self.conf, ['xml', 'broken'], errors=errors)
        self.assertEqual(['xml'], list(customizers))
        self.assertEqual(1, len(errors), errors)
        self.assertTrue(errors[0].format_message().startswith(
            "xmlhooks: customizer 'broken' cannot be loaded: "
            "ModuleNotFoundError: "), errors[0].format_message())


class _Other(xml.XmlCustomizer):
    """A second customiser claiming the ``xml`` family."""


class _Familyless(xml.XmlCustomizer):
    """A customiser that forgot to set its family."""

    family = None


class ManagerTest(base.TestCase):
    """The loader's checks, on customisers a test manager hands over."""

    def manager(self, **classes):
        return named.NamedExtensionManager.make_test_instance([
            extension.Extension(name, None, cls, cls(self.conf))
            for name, cls in classes.items()])

    def test_customizers_come_from_the_manager(self):
        customizers = loader.load_customizers(
            self.conf, ['xml'], manager=self.manager(xml=xml.XmlCustomizer))
        self.assertEqual(['xml'], list(customizers))

    def test_every_problem_once_each(self):
        manager = self.manager(xml=xml.XmlCustomizer, other=_Other,
                               plain=lambda conf: object())
        errors = []
        customizers = loader.load_customizers(
            self.conf, ['xml', 'other', 'xml', 'plain'], errors=errors,
            manager=manager)
        self.assertEqual(['xml'], list(customizers))
        self.assertEqual([
            "customizer 'xml,other,xml,plain' cannot be loaded: a "
            "customizer is listed twice",
            "customizer 'other' cannot be loaded: family 'xml' is already "
            "handled",
            "customizer 'plain' cannot be loaded: is not a nova_xmlhooks "
            "Customizer",
        ], [e.format_message().removeprefix('xmlhooks: ') for e in errors])

    def test_customizer_without_family_is_reported(self):
        # NOTE(xmlhooks): it was loaded under None, and listing the loaded
        # families raised a TypeError that named no customiser.
        errors = []
        customizers = loader.load_customizers(
            self.conf, ['xml', 'nameless'], errors=errors,
            manager=self.manager(xml=xml.XmlCustomizer, nameless=_Familyless))
        self.assertEqual(['xml'], list(customizers))
        self.assertEqual(["customizer 'nameless' cannot be loaded: sets no "
                          "family"],
                         [e.format_message().removeprefix('xmlhooks: ')
                          for e in errors])
        self.assertRaises(
            exception.CustomizerLoadError, loader.load_customizers,
            self.conf, ['nameless'],
            manager=self.manager(nameless=_Familyless))

    def test_first_problem_raised(self):
        e = self.assertRaises(
            exception.CustomizerLoadError, loader.load_customizers,
            self.conf, ['xml', 'other'],
            manager=self.manager(xml=xml.XmlCustomizer, other=_Other))
        self.assertIn("'other'", e.format_message())
