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

"""The differences between nova series, handled in one place.

NOTE(xmlhooks): the signatures below are those of nova 29 (2024.1), 31
(2025.1) and 33 (2026.1), copied from their wheels; the functional suite
runs against each series' real nova (tox -e functional-<series>).
"""

import inspect
from unittest import mock

import fixtures
from nova.virt.libvirt import driver as libvirt_driver

from nova_xmlhooks import compat
from tests.unit import base


class Nova29:
    def _hard_reboot(self, context, instance, network_info,
                     block_device_info=None, accel_info=None):
        pass

    def _get_guest_xml(self, context, instance, network_info, disk_info,
                       image_meta, rescue=None, block_device_info=None,
                       mdevs=None, accel_info=None):
        pass


class Nova31(Nova29):
    def _hard_reboot(self, context, instance, network_info, share_info,
                     block_device_info=None, accel_info=None):
        pass

    def _get_guest_xml(self, context, instance, network_info, disk_info,
                       image_meta, rescue=None, block_device_info=None,
                       mdevs=None, accel_info=None, share_info=None):
        pass


class Nova33(Nova31):
    def _get_guest_xml(self, context, instance, network_info, disk_info,
                       image_meta, rescue=None, block_device_info=None,
                       mdevs=None, accel_info=None, share_info=None,
                       old_guest=None):
        pass

    def _get_existing_guest_config(self, instance):
        return 'old guest of %s' % instance


class HardRebootArgsTest(base.TestCase):

    def test_nova_29_has_no_share_info(self):
        # NOTE(xmlhooks): nova 29's compute manager passes
        # block_device_info positionally, where nova 31 has share_info.
        reboot = compat.hard_reboot_args(
            Nova29._hard_reboot, Nova29(), ('ctx', 'inst', 'nw', 'bdi'),
            {'accel_info': 'acc'})
        self.assertEqual(compat.HardReboot('ctx', 'inst', 'nw', None, 'bdi',
                                           'acc'), reboot)

    def test_nova_31_share_info(self):
        reboot = compat.hard_reboot_args(
            Nova31._hard_reboot, Nova31(), ('ctx', 'inst', 'nw', 'share'),
            {'block_device_info': 'bdi'})
        self.assertEqual(compat.HardReboot('ctx', 'inst', 'nw', 'share',
                                           'bdi', None), reboot)

    def test_argument_of_a_later_nova_is_ignored(self):
        def _hard_reboot(self, context, instance, network_info, share_info,
                         block_device_info=None, accel_info=None,
                         later=None):
            pass
        reboot = compat.hard_reboot_args(
            _hard_reboot, object(), ('c', 'i', 'n', 's'), {'later': 1})
        self.assertEqual('s', reboot.share_info)

    def test_arguments_that_do_not_fit(self):
        self.assertRaises(TypeError, compat.hard_reboot_args,
                          Nova29._hard_reboot, Nova29(), ('c',), {})

    def test_installed_nova(self):
        # NOTE(xmlhooks): whatever series runs these tests, the installed
        # nova's own signature is read.
        method = libvirt_driver.LibvirtDriver._hard_reboot
        kwargs = {'block_device_info': mock.sentinel.bdi}
        if compat._takes(method, 'share_info'):
            kwargs['share_info'] = mock.sentinel.share_info
        reboot = compat.hard_reboot_args(
            method, mock.sentinel.driver,
            (mock.sentinel.context, mock.sentinel.instance,
             mock.sentinel.network_info), kwargs)
        self.assertIs(mock.sentinel.instance, reboot.instance)
        self.assertIs(mock.sentinel.bdi, reboot.block_device_info)


class GuestXmlKwargsTest(base.TestCase):

    REBOOT = compat.HardReboot('ctx', 'inst', 'nw', 'share', 'bdi', 'acc')

    def test_nova_29(self):
        self.assertEqual(
            {'block_device_info': 'bdi', 'accel_info': 'acc'},
            compat.guest_xml_kwargs(Nova29._get_guest_xml, Nova29(),
                                    self.REBOOT))

    def test_nova_31(self):
        self.assertEqual(
            {'block_device_info': 'bdi', 'accel_info': 'acc',
             'share_info': 'share'},
            compat.guest_xml_kwargs(Nova31._get_guest_xml, Nova31(),
                                    self.REBOOT))

    def test_nova_33_reads_the_old_definition(self):
        self.assertEqual(
            {'block_device_info': 'bdi', 'accel_info': 'acc',
             'share_info': 'share', 'old_guest': 'old guest of inst'},
            compat.guest_xml_kwargs(Nova33._get_guest_xml, Nova33(),
                                    self.REBOOT))

    def test_kwargs_fit_the_installed_nova(self):
        method = libvirt_driver.LibvirtDriver._get_guest_xml
        driver = mock.Mock(spec=['_get_existing_guest_config'])
        kwargs = compat.guest_xml_kwargs(method, driver, self.REBOOT)
        compat._signature(method).bind(
            'self', 'ctx', 'inst', 'nw', 'disk', 'image', **kwargs)


class SeriesWarningTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(
            name='nova_xmlhooks.compat'))

    def test_tested_series_is_quiet(self):
        for major in set(compat.TESTED_SERIES) - compat.BEST_EFFORT:
            self.assertFalse(compat.warn_if_untested(major))
        self.assertEqual('', self.log.output)

    def test_best_effort_series_warns(self):
        # NOTE(xmlhooks): as the DevStack plugin says at install time.
        self.assertTrue(compat.warn_if_untested(30))
        self.assertEqual(['nova-xmlhooks supports nova 30 (2024.2) on a '
                          'best-effort basis: no CI job tests this series.'],
                         self.log.output.splitlines())

    def test_newer_series_warns_once_naming_the_range(self):
        self.assertTrue(compat.warn_if_untested(35))
        lines = self.log.output.splitlines()
        self.assertEqual(1, len(lines), lines)
        self.assertIn('nova 29 to 34 (2024.1 to 2026.2)', lines[0])
        self.assertIn('nova 35', lines[0])

    def test_older_series_warns(self):
        self.assertTrue(compat.warn_if_untested(28))
        self.assertIn('nova 28', self.log.output)

    def test_installed_nova_is_tested(self):
        self.assertIn(compat.nova_major(), compat.TESTED_SERIES)


def _inspect_bind(function, args, kwargs):
    try:
        bound = inspect.signature(function).bind(*args, **kwargs)
    except TypeError:
        return TypeError
    bound.apply_defaults()
    return dict(bound.arguments)


def _fast_bind(function, args, kwargs):
    try:
        return compat._bind(function, args, kwargs)
    except TypeError:
        return TypeError


class BindTest(base.TestCase):
    """compat binds arguments as inspect does, without its cost."""

    CALLS = [
        ((1, 2, 3, 4), {}), ((1, 2, 3), {}), ((1, 2, 3, 4, 5, 6), {}),
        ((1, 2, 3, 4, 5, 6, 7), {}), ((1, 2), {}),
        ((1, 2, 3), {'block_device_info': 5}),
        ((1, 2, 3, 4), {'share_info': 4}), ((1,), {'context': 2}),
        ((1, 2, 3), {'nosuch': 1}),
        ((), {'self': 1, 'context': 2, 'instance': 3, 'network_info': 4,
              'share_info': 5}),
    ]

    def test_same_as_inspect(self):
        functions = [Nova29._hard_reboot, Nova31._hard_reboot,
                     Nova29._get_guest_xml, Nova33._get_guest_xml,
                     libvirt_driver.LibvirtDriver._hard_reboot,
                     libvirt_driver.LibvirtDriver._get_guest_xml]
        for function in functions:
            self.assertTrue(compat._parameters(function).plain, function)
            for args, kwargs in self.CALLS:
                self.assertEqual(_inspect_bind(function, args, kwargs),
                                 _fast_bind(function, args, kwargs),
                                 (function, args, kwargs))

    def test_other_signatures_are_bound_by_inspect(self):
        def keywords(self, context, *, instance=None, **kwargs):
            pass
        self.assertFalse(compat._parameters(keywords).plain)
        for args, kwargs in self.CALLS + [((1, 2), {'extra': 3})]:
            self.assertEqual(_inspect_bind(keywords, args, kwargs),
                             _fast_bind(keywords, args, kwargs))

    def test_guest_xml_call_on_each_series(self):
        for nova in (Nova29, Nova31, Nova33):
            call = compat.guest_xml_call(nova._get_guest_xml, (),
                                         {'mdevs': [1]})
            self.assertEqual([1], call['mdevs'])
            self.assertIsNone(call['rescue'])
            self.assertNotIn('image_meta', call)
        self.assertRaises(TypeError, compat.guest_xml_call,
                          Nova29._get_guest_xml, (), {'share_info': 1})
