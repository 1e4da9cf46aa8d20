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

"""A spec that bypassed API validation fails its build once, clearly."""

from tests.functional import helpers

PROFILE = """
known:
  xml:
    - ./features/pmu/@state=off
private:
  xml:
    - "./devices/disk[source/@file='/srv/tenant-b/secret.img']/driver/%s"
""" % '@cache=none'


class _FailsOnceBase(helpers.FaultTestBase):
    """Two computes are up, so a reschedule would have somewhere to go."""

    HOSTS = ('host1', 'host2')

    def setUp(self):
        super().setUp()
        self.write_profile('known.yaml', PROFILE)
        for host in self.HOSTS:
            self.start_compute(hostname=host)

    def _boot_unvalidated(self, extra_specs):
        flavor_id = self.create_unvalidated_flavor(extra_specs)
        return self.boot(flavor_id=flavor_id, expected_state='ERROR')

    def _assert_failed_once(self, server, *expected):
        """ERROR, one build attempt, no domain, a fault naming the key."""
        self.assertEqual('ERROR', server['status'])
        message = server['fault']['message']
        for text in expected:
            self.assertIn(text, message)
        self.assertNotIn('Traceback', message)
        self.assertNotIn(self.profile_dir, message)

        # NOTE(xmlhooks): each attempt on a compute emits its own
        # instance.create.start and records its own build event; a
        # reschedule would show a second host here.
        starts = self.notifications('instance.create.start', server)
        self.assertEqual(1, len(starts), starts)
        self.assertEqual(1, len(self.notifications('instance.create.error',
                                                   server)))
        builds = [e for e in self.action_events(server, 'create')
                  if e['event'] == 'compute__do_build_and_run_instance']
        self.assertEqual(1, len(builds), builds)
        # Nothing half-customised reached libvirt on any host.
        self.assertEqual([], self.domain_events(server))
        for host in self.HOSTS:
            self.assertFalse(self.has_fake_domain(host, server))

        # NOTE(xmlhooks): users see the message but never the details.
        user_view = self.api_fixture.api.get_server(server['id'])
        self.assertEqual(message, user_view['fault']['message'])
        self.assertNotIn('details', user_view['fault'])
        return message


class BuildFaultTest(_FailsOnceBase):
    """A spec that bypassed API validation, on QEMU's computes."""

    def test_bad_xml_value_fails_once(self):
        server = self._boot_unvalidated({'xmlhooks:xml:x': 'not an xpath'})
        self._assert_failed_once(server, "'xmlhooks:xml:x'", 'XPATH=VALUE')

    def test_bad_xpath_fails_once(self):
        server = self._boot_unvalidated(
            {'xmlhooks:xml:x': './devices/disk[[1]]/@x=1'})
        self._assert_failed_once(server, "'xmlhooks:xml:x'", 'is invalid')

    def test_unknown_profile_fails_once(self):
        server = self._boot_unvalidated({'xmlhooks:profile': 'known,gone'})
        self._assert_failed_once(server, "'xmlhooks:profile'",
                                 "unknown profile 'gone'")

    def test_unknown_family_fails_once(self):
        server = self._boot_unvalidated({'xmlhooks:nosuch:key': 'on'})
        self._assert_failed_once(server, "'xmlhooks:nosuch:key'",
                                 'no customizer')

    def test_rule_that_cannot_apply_fails_once(self):
        # NOTE(xmlhooks): valid syntax, so the API would accept it too,
        # that only fails on Nova's XML: nothing matches and the path is
        # too complex to create.
        server = self._boot_unvalidated(
            {'xmlhooks:xml:x': './devices/nosuch[@a>1]/@x=1'})
        self._assert_failed_once(server, "'xmlhooks:xml:x'", 'matches nothing')

    def test_users_do_not_see_a_profiles_xpath(self):
        # NOTE(xmlhooks): a profile's XPath may name host paths and other
        # guests' values; the fault, which users see, names the rule, and
        # the compute log has the XPath for the operator.
        server = self._boot_unvalidated({'xmlhooks:profile': 'private'})
        message = self._assert_failed_once(
            server, "'xmlhooks:xml:private[0]'", 'its XPath matches nothing')
        self.assertNotIn('secret.img', message)
        self.assertNotIn('/srv/', message)
        self.assertIn("XPath './devices/disk[source/@file='/srv/tenant-b/"
                      "secret.img']/driver' matches nothing",
                      self.stdlog.logger.output)

    def test_enlightenment_qemu_cannot_start_fails_once(self):
        # NOTE(xmlhooks): nova-api accepts the key, as it must: only the
        # guest's XML shows that the stimer lacks what QEMU needs for it
        # under KVM (Nova enables no enlightenment for this image).
        server = self.boot({'xmlhooks:hyperv:stimer': 'on'},
                           expected_state='ERROR')
        self._assert_failed_once(server, "'xmlhooks:hyperv:stimer'",
                                 'without synic and the hypervclock timer')

    def test_valid_spec_builds_on_one_host(self):
        # The control: the same harness with a good spec builds once.
        flavor_id = self.create_unvalidated_flavor(
            {'xmlhooks:profile': 'known'})
        server = self.boot(flavor_id=flavor_id)
        self.assertEqual(1, len(self.notifications('instance.create.start',
                                                   server)))
        self.assertEqual(['off'], self.xpath(server, './features/pmu/@state'))


class OtherDriverFaultTest(_FailsOnceBase):
    """Computes of libvirt's LXC driver, as [libvirt] virt_type = lxc.

    NOTE(xmlhooks): the guard reasons from what libvirt's QEMU driver
    does with a document (see nova_xmlhooks.guard._refuse_other_drivers);
    a container's build fails once, before Nova prepares its root file
    system, and names the rule.
    """

    def setUp(self):
        # NOTE(xmlhooks): before the computes start, as a host is
        # configured.
        self.flags(virt_type='lxc', group='libvirt')
        super().setUp()

    def test_any_rule_on_a_container_fails_once(self):
        server = self.boot({'xmlhooks:xml:x': './description=a container'},
                           expected_state='ERROR')
        self._assert_failed_once(server, "'xmlhooks:xml:x'",
                                 "a domain of type 'lxc'")
