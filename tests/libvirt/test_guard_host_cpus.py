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

"""What the guard reads of the host CPUs and TCG's cache, as libvirt does.

libvirt keeps, in the definition it formats, what it read: the pins of
every ``<cputune>`` merged into one, the I/O threads it added beyond
those ``<iothreadids>`` lists, a cpuset read from left to right and the
translation cache of the last ``<tcg>``. Each is defined here as Nova
defines (without libvirt's schema check) and compared with the guard's
own reading of the document submitted.
"""

from lxml import etree

from nova_xmlhooks import guard
from tests.libvirt import base

#: written twice where libvirt reads every one, as a rule could write
_SUBMITTED = ('</vcpu><cputune><shares>2048</shares></cputune>'
              '<cputune><vcpupin vcpu="0" cpuset="^0,0"/></cputune>'
              '<iothreads>3</iothreads>'
              '<iothreadids><iothread id="2"/></iothreadids>')
_TCG = ('<tcg><tb-cache unit="MiB">128</tb-cache></tcg>'
        '<tcg><tb-cache unit="MiB">512</tb-cache></tcg></features>')


class LibvirtReadingTest(base.LibvirtTestCase):

    def test_guard_reads_as_libvirt_keeps(self):
        xml = base.renamed(base.nova_xml(), self.guest_name()).replace(
            '</vcpu>', _SUBMITTED, 1).replace('</features>', _TCG, 1)
        guest = self.useFixture(base.Guest(self.conn, xml, self.workdir,
                                           start=False, validate=False))
        submitted = etree.fromstring(guest.xml.encode())
        kept = etree.fromstring(guest.defined_xml.encode())
        pins = kept.findall('cputune/vcpupin')
        self.assertEqual(1, len(kept.findall('cputune')))
        self.assertEqual([frozenset([0])], [guard._cpuset((pin.get('cpuset'),))
                                            for pin in pins])
        self.assertEqual(guard._cpuset(('^0,0',)),
                         guard._cpuset((pins[0].get('cpuset'),)))
        self.assertEqual({'1', '2', '3'},
                         {node.get('id') for node in
                          kept.iterfind('iothreadids/iothread')})
        self.assertEqual(guard._iothreads(submitted),
                         {node.get('id') for node in
                          kept.iterfind('iothreadids/iothread')})
        (cache,) = kept.iterfind('features/tcg/tb-cache')
        self.assertEqual(guard._tb_cache_size(submitted),
                         guard._scaled_bytes(cache.text, (cache.get('unit'),)))
        self.assertEqual(512 << 20, guard._tb_cache_size(submitted))
