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

"""nova-compute builds many guests at once: one engine, many threads."""

from concurrent import futures
import itertools
import threading

from nova_xmlhooks import exception
from tests.unit import base
from tests.unit import odd_shapes

THREADS = 16
ROUNDS = 3000

PROFILES = """
windows:
  specs:
    xmlhooks:hyperv:vpindex: "on"
    xmlhooks:hyperv:synic: "on"
    xmlhooks:hyperv:stimer: "on"
    xmlhooks:timer:hypervclock: present=yes
    xmlhooks:hyperv:vendor_id: KVMKVMKVM
  xml:
    - ./clock/@offset=localtime
licensed:
  specs:
    xmlhooks:smbios:baseboard.manufacturer: ACME
    xmlhooks:smbios:system.serial: "{instance_uuid}"
"""

RULE_SETS = [
    {},
    {'xmlhooks:profile': 'windows'},
    {'xmlhooks:profile': 'licensed,windows',
     'xmlhooks:xml:cache': './devices/disk/driver/@cache=writeback'},
    {'xmlhooks:xml:tablet': "xpath.delete=./devices/input[@type='tablet']",
     'xmlhooks:kvm:hidden': 'on',
     'xmlhooks:cpu:feature.vmx': 'disable'},
    {'xmlhooks:timer:hpet': 'present=yes',
     'xmlhooks:xml:video': './devices/video/model/@type=vga',
     'xmlhooks:smbios:oem.1': 'tag-{instance_name}'},
    # Refusals must be just as stable as successes.
    {'xmlhooks:xml:vcpu': './vcpu=64'},
    {'xmlhooks:hyperv:relaxed': 'maybe'},
]
FIXTURES = ['nova-basic', 'nova-two-disks', 'nova-windows']


class ConcurrencyTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.write_profile('profiles.yaml', PROFILES)
        self.engine_ = self.engine()
        self.xmls = {name: base.nova_xml(name) for name in FIXTURES}
        self.cases = list(itertools.product(FIXTURES, range(len(RULE_SETS))))

    def run_case(self, case):
        name, index = case
        try:
            return self.engine_.customize(self.xmls[name], RULE_SETS[index])
        except exception.XmlHooksError as e:
            return 'error: %s' % e.format_message()

    def test_threads_give_the_serial_results(self):
        serial = {case: self.run_case(case) for case in self.cases}
        # Every rule set does something different, or is refused.
        applied = [out for out in serial.values()
                   if not out.startswith('error: ')]
        self.assertEqual(5 * len(FIXTURES), len(set(applied)))
        self.assertEqual(2 * len(FIXTURES), len(serial) - len(applied))
        start = threading.Barrier(THREADS)
        work = [self.cases[i % len(self.cases)] for i in range(ROUNDS)]

        def worker(part):
            start.wait()
            return [(case, self.run_case(case)) for case in part]

        with futures.ThreadPoolExecutor(THREADS) as pool:
            parts = [work[i::THREADS] for i in range(THREADS)]
            results = [item for done in pool.map(worker, parts)
                       for item in done]
        self.assertEqual(ROUNDS, len(results))
        wrong = [case for case, out in results if out != serial[case]]
        self.assertEqual([], wrong)


class OwnOutputConcurrencyTest(base.TestCase):
    """Records that differ by what was added, and image fallbacks, at once.

    NOTE(xmlhooks): one rule set gives different records on documents that
    already have its QEMU arguments and on documents that do not, and the
    records are cached per thread; an image's bad selection falls back to
    the host's and the flavor's rules under ``skip``.
    """

    def setUp(self):
        super().setUp()
        self.write_profile('profiles.yaml', PROFILES + """
mine:
  image_selectable: true
  xml:
    - ./features/pmu/@state=off
""")
        self.flags(allow_sensitive=['qemu_passthrough'], on_error='skip',
                   default_profiles=['licensed'])
        self.engine_ = self.engine()
        specs = {'xmlhooks:qemu:arg.0': '-unknown',
                 'xmlhooks:qemu:arg.1': 'parameter',
                 'xmlhooks:profile': 'windows'}
        own = odd_shapes.ODD_SHAPES['qemu-namespace']
        self.cases = [(xml, specs, images)
                      for xml in (own, base.nova_xml('nova-basic'))
                      for images in ((), ('mine',), ('windows',))]

    def run_case(self, index):
        xml, specs, images = self.cases[index]
        once = self.engine_.customize(xml, specs, images)
        return once, self.engine_.customize(once, specs, images)

    def test_threads_give_the_serial_results(self):
        serial = [self.run_case(i) for i in range(len(self.cases))]
        # A selection the image may not make gives the host's and the
        # flavor's customisation, as no selection does.
        self.assertEqual(serial[0], serial[2])
        self.assertEqual(serial[3], serial[5])
        self.assertEqual(4, len({once for once, _ in serial}))
        for once, twice in serial:
            self.assertEqual(once, twice)
        start = threading.Barrier(THREADS)

        def worker(offset):
            start.wait()
            return [(i % len(self.cases), self.run_case(i % len(self.cases)))
                    for i in range(offset, offset + 200)]

        with futures.ThreadPoolExecutor(THREADS) as pool:
            results = [item for done in pool.map(worker, range(THREADS))
                       for item in done]
        self.assertEqual([], [i for i, out in results if out != serial[i]])
