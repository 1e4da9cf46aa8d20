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

"""Nova's own libvirt functional tests, passed by this driver unchanged.

The transparency proof: with no ``xmlhooks:`` spec, the driver must
behave exactly as nova's ``libvirt.LibvirtDriver``. Nova's own
``test_uefi`` and ``test_vif_model`` modules (the ones the installed nova
ships, see :mod:`tests.functional.compat`) assert on the domain XML that
nova generates; here each of their test classes runs with the computes
loading ``xmlhooks.LibvirtDriver``, set the way ``nova.conf`` sets it, and
each test also checks that every driver nova loaded really was this
project's, so the proof cannot silently pass on the stock driver.

Their ids are ``tests.functional.test_nova_own.<nova class>.<test>``; a
filter such as ``tox -e functional -- test_nova_own.UEFI`` selects them.
"""

import importlib
import inspect
import unittest

import fixtures
from nova.virt import driver as virt_driver
import testtools
from testtools import content

from nova_xmlhooks import driver as xmlhooks_driver
from tests.functional import base
from tests.functional import compat


class DriverSpy(fixtures.Fixture):
    """Records every compute driver nova's ``load_compute_driver`` returns."""

    def _setUp(self):
        self.loaded = []
        original = virt_driver.load_compute_driver

        def load_compute_driver(virtapi, compute_driver=None):
            driver = original(virtapi, compute_driver)
            self.loaded.append(driver)
            return driver

        self.useFixture(fixtures.MonkeyPatch(
            'nova.virt.driver.load_compute_driver', load_compute_driver))


class SwappedDriverMixin:
    """Makes one of nova's ``ServersTestBase`` tests run on this driver."""

    def setUp(self):
        base.use_installed_api_paste(self)
        spy = self.useFixture(DriverSpy())
        super().setUp()
        # NOTE(xmlhooks): cleanups run last in, first out: this one runs
        # after the test's own (computes started by the test included)
        # and before nova's TestCase clears the test's attributes.
        self.addCleanup(self._assert_driver_swapped, spy.loaded)

    def _setup_compute_service(self):
        # NOTE(xmlhooks): nova's ServersTestBase sets compute_driver =
        # libvirt.LibvirtDriver here; the computes are started later, by
        # the tests, and read the option then.
        super()._setup_compute_service()
        self.flags(compute_driver=base.XmlHooksTestBase.COMPUTE_DRIVER)

    def _assert_driver_swapped(self, loaded):
        drivers = list(loaded)
        drivers += [service.manager.driver
                    for service in self.computes.values()]
        self.assertTrue(drivers, 'the test started no compute service, so '
                        'it proves nothing about this driver')
        for driver in drivers:
            cls = type(driver)
            self.assertIsInstance(
                driver, xmlhooks_driver.LibvirtDriver,
                'nova loaded %s.%s, not xmlhooks.LibvirtDriver' % (
                    cls.__module__, cls.__qualname__))


def nova_classes(module, mixin, into, what):
    """Subclasses, named as nova names them, of a module's test classes.

    :param module: one of nova's test modules
    :param mixin: the class put before each of nova's
    :param into: the name of the module the subclasses belong to
    :param what: how their docstrings end
    """
    for name, cls in inspect.getmembers(module, inspect.isclass):
        if (cls.__module__ == module.__name__ and
                issubclass(cls, unittest.TestCase)):
            yield type(name, (mixin, cls), {
                '__module__': into,
                '__doc__': '%s.%s %s' % (module.__name__, name, what)})


def _absent(module, into):
    """A skipped placeholder for a module the installed nova predates."""
    reason = 'nova %s predates %s (nova %s and later)' % (
        compat.NOVA_VERSION, module.name, module.since)
    return testtools.PlaceHolder(
        '%s.%s' % (into, module.name.rpartition('.')[2]),
        outcome='addSkip', details={'reason': content.text_content(reason)})


def nova_tests(loader, standard_tests, mixin, into, what):
    """Add nova's own tests, each class with a mixin first.

    :param loader: the test loader
    :param standard_tests: the suite to add them to
    :param mixin: the class put before each of nova's
    :param into: the name of the module the tests belong to
    :param what: how the classes' docstrings end
    :returns: the suite
    """
    present, absent = compat.nova_own_modules()
    for module in present:
        for cls in nova_classes(importlib.import_module(module.name), mixin,
                                into, what):
            standard_tests.addTests(loader.loadTestsFromTestCase(cls))
    for module in absent:
        standard_tests.addTest(_absent(module, into))
    return standard_tests


def load_tests(loader, standard_tests, pattern):
    return nova_tests(loader, standard_tests, SwappedDriverMixin, __name__,
                      'on xmlhooks.LibvirtDriver')
