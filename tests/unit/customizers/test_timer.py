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

from nova import exception as nova_exception

from tests.unit import base
from tests.unit import customizers


class TimerTest(customizers.CustomizerTests, base.TestCase):

    FAMILY = 'timer'
    #: written out rather than taken from the module, so that a timer
    #: dropped from it is noticed
    TIMERS = ('rtc', 'pit', 'hpet', 'kvmclock', 'hypervclock')
    #: the timers whose ``present`` libvirt reads
    PRESENT = ('hpet', 'kvmclock', 'hypervclock')
    GOOD = tuple(
        [('xmlhooks:timer:%s' % name, 'present=%s' % p)
         for name in PRESENT for p in ('yes', 'no')]
        + [('xmlhooks:timer:rtc', 'tickpolicy=catchup'),
           ('xmlhooks:timer:rtc', 'tickpolicy=delay'),
           ('xmlhooks:timer:pit', 'tickpolicy=discard'),
           ('xmlhooks:timer:pit', 'tickpolicy=delay'),
           ('xmlhooks:timer:pit', 'tickpolicy=catchup')])
    #: libvirt keeps these and ignores them: refused for new flavors,
    #: read from the flavors of servers built before
    API_ONLY = (
        ('xmlhooks:timer:rtc', 'present=no'),
        ('xmlhooks:timer:rtc', 'present=yes,tickpolicy=delay'),
        ('xmlhooks:timer:pit', 'tickpolicy=discard,present=yes'),
        ('xmlhooks:timer:pit', 'present=no'),
        ('xmlhooks:timer:tsc', 'present=yes'))
    BAD = (
        ('xmlhooks:timer:hpet', 'tickpolicy=delay'),
        ('xmlhooks:timer:rtc', 'present=maybe'),
        ('xmlhooks:timer:rtc', 'yes'),
        ('xmlhooks:timer:rtc', ''),
        ('xmlhooks:timer:rtc', 'present=yes,present=no'),
        ('xmlhooks:timer:rtc', 'present=yes, tickpolicy=delay'),
        ('xmlhooks:timer:rtc', 'track=guest'),
        ('xmlhooks:timer:rtc', 'tickpolicy=merge'),
        ('xmlhooks:timer:rtc', 'tickpolicy=discard'),
        ('xmlhooks:timer:rtc', 'tickpolicy=slew'),
        ('xmlhooks:timer:pit', 'tickpolicy=merge'),
        ('xmlhooks:timer:kvmclock', 'tickpolicy=delay'),
        ('xmlhooks:timer:hypervclock', 'present=yes,tickpolicy=catchup'),
        ('xmlhooks:timer:platform', 'present=yes'),
        ('xmlhooks:timer:armvtimer', 'present=yes'),
    )

    def _timers(self, xml, name, attr):
        return self.xpath(xml, "./clock/timer[@name='%s']/@%s"
                          % (name, attr))

    def test_novas_timer_is_changed_in_place(self):
        xml = base.nova_xml(self.FIXTURE)
        self.assertEqual(['catchup'], self._timers(xml, 'rtc', 'tickpolicy'))
        self.assertEqual(['no'], self._timers(xml, 'hpet', 'present'))
        out = self.customize({'xmlhooks:timer:rtc': 'tickpolicy=delay',
                              'xmlhooks:timer:hpet': 'present=yes'})
        self.assertEqual(['delay'], self._timers(out, 'rtc', 'tickpolicy'))
        self.assertEqual(['yes'], self._timers(out, 'hpet', 'present'))
        self.assertEqual(len(self.xpath(xml, './clock/timer')),
                         len(self.xpath(out, './clock/timer')))

    def test_unset_attributes_keep_novas_value(self):
        rtc = '<timer name="rtc" tickpolicy="catchup"/>'
        xml = base.nova_xml(self.FIXTURE)
        self.assertIn(rtc, xml)
        xml = xml.replace(rtc, '<timer name="rtc" tickpolicy="catchup" '
                          'track="guest"/>')
        out = self.customize({'xmlhooks:timer:rtc': 'tickpolicy=delay'},
                             xml=xml)
        self.assertEqual(['delay'], self._timers(out, 'rtc', 'tickpolicy'))
        self.assertEqual(['guest'], self._timers(out, 'rtc', 'track'))

    def test_new_timers_are_added(self):
        out = self.customize({'xmlhooks:timer:kvmclock': 'present=no'})
        self.assertEqual(['no'], self._timers(out, 'kvmclock', 'present'))

    def test_what_libvirt_ignores_is_refused_for_new_flavors(self):
        # NOTE(xmlhooks): libvirt 9.0 reads only the tick policy of rtc
        # and pit, and only the frequency of tsc.
        for name in ('rtc', 'pit'):
            e = self.assertRaises(nova_exception.ValidationError,
                                  customizers.api_validate, self.conf,
                                  'xmlhooks:timer:%s' % name, 'present=no')
            self.assertIn('the %s timer does not take present with QEMU: '
                          'libvirt ignores it (takes: tickpolicy)' % name,
                          str(e))
        self.assertRefused('xmlhooks:timer:hpet', 'tickpolicy=delay',
                           'allowed: none')
        e = self.assertRaises(nova_exception.ValidationError,
                              customizers.api_validate, self.conf,
                              'xmlhooks:timer:tsc', 'present=yes')
        self.assertIn('unknown timer', str(e))
        # NOTE(xmlhooks): a server built before keeps starting, with what
        # it was built with.
        out = self.customize({'xmlhooks:timer:rtc': 'present=no',
                              'xmlhooks:timer:tsc': 'present=yes'})
        self.assertEqual(['no'], self._timers(out, 'rtc', 'present'))
        self.assertEqual(['yes'], self._timers(out, 'tsc', 'present'))

    def test_windows_hypervclock(self):
        xml = base.nova_xml('nova-windows')
        self.assertEqual(['yes'], self._timers(xml, 'hypervclock', 'present'))
        out = self.customize({'xmlhooks:timer:hypervclock': 'present=no'},
                             xml=xml)
        self.assertEqual(['no'], self._timers(out, 'hypervclock', 'present'))
        self.assertEqual(1, len(self.xpath(
            out, "./clock/timer[@name='hypervclock']")))
        self.assertEqual(self.xpath(xml, './clock/@offset'),
                         self.xpath(out, './clock/@offset'))

    def test_errors_name_the_reason(self):
        self.assertRefused('xmlhooks:timer:rtc', 'tickpolicy=merge',
                           'allowed: delay, catchup')
        self.assertRefused('xmlhooks:timer:kvmclock', 'tickpolicy=delay',
                           'does not take tickpolicy')
        self.assertRefused('xmlhooks:timer:hpet', 'present=on',
                           "'yes' or 'no'")
        self.assertRefused('xmlhooks:timer:pit', 'tickpolicy=slew',
                           'tickpolicy must be one of: delay, catchup, '
                           'merge, discard')

    def test_clock_is_created_before_devices(self):
        out = self.customize({'xmlhooks:xml:noclock': 'xpath.delete=./clock',
                              'xmlhooks:timer:rtc': 'tickpolicy=catchup'})
        self.assertEqual(['utc'], self.xpath(out, './clock/@offset'))
        self.assertEqual(['rtc'], self.xpath(out, './clock/timer/@name'))
        self.assertEqual(['catchup'], self._timers(out, 'rtc', 'tickpolicy'))
        self.assertEqual(['devices'], [c.tag for c in self.xpath(
            out, './clock/following-sibling::*[1]')])
        # NOTE(xmlhooks): an edit may have deleted <devices> as well.
        out = self.customize({'xmlhooks:xml:noclock': 'xpath.delete=./clock',
                              'xmlhooks:xml:nodevices':
                              'xpath.delete=./devices',
                              'xmlhooks:timer:rtc': 'tickpolicy=catchup'})
        self.assertEqual(['catchup'], self._timers(out, 'rtc', 'tickpolicy'))
        self.assertEqual('clock', self.xpath(out, './*[last()]')[0].tag)

    def test_duplicate_timers_are_merged(self):
        # NOTE(xmlhooks): libvirt keeps duplicate timers as they are;
        # the rule's settings must be the only ones left.
        rtc = '<timer name="rtc" tickpolicy="catchup"/>'
        xml = base.nova_xml(self.FIXTURE)
        self.assertIn(rtc, xml)
        xml = xml.replace(rtc, rtc + '\n    <timer name="rtc" present="no"/>'
                          '\n    <timer name="rtc" tickpolicy="delay"/>')
        out = self.customize({'xmlhooks:timer:rtc': 'tickpolicy=delay'},
                             xml=xml)
        self.assertEqual(1, len(self.xpath(
            out, "./clock/timer[@name='rtc']")))
        self.assertEqual([], self._timers(out, 'rtc', 'present'))
        self.assertEqual(['delay'], self._timers(out, 'rtc', 'tickpolicy'))
        self.assertEqual(len(self.xpath(xml, './clock/timer')) - 2,
                         len(self.xpath(out, './clock/timer')))

    def test_catchup_settings_go_with_the_catchup_policy(self):
        rtc = '<timer name="rtc" tickpolicy="catchup"/>'
        xml = base.nova_xml(self.FIXTURE)
        self.assertIn(rtc, xml)
        xml = xml.replace(rtc, '<timer name="rtc" tickpolicy="catchup">'
                          '<catchup threshold="123" slew="120" '
                          'limit="10000"/></timer>')
        kept = self.customize({'xmlhooks:timer:rtc': 'tickpolicy=catchup'},
                              xml=xml)
        self.assertEqual(['123'], self.xpath(
            kept, "./clock/timer[@name='rtc']/catchup/@threshold"))
        out = self.customize({'xmlhooks:timer:rtc': 'tickpolicy=delay'},
                             xml=xml)
        self.assertEqual(['delay'], self._timers(out, 'rtc', 'tickpolicy'))
        self.assertEqual([], self.xpath(
            out, "./clock/timer[@name='rtc']/catchup"))
