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

"""Images select only the profiles the operator made image_selectable."""

import copy

from oslo_utils import uuidutils

from tests.functional import helpers

PROFILES = """
selectable:
  image_selectable: true
  xml:
    - ./features/pmu/@state=off
operator-only:
  xml:
    - ./features/vmport/@state=off
"""


def image_with_profile(glance, profile):
    """Create an image whose owner set the xmlhooks_profile property.

    :param glance: the test's fake glance
    :param profile: the property's value
    :returns: the image id
    """
    image = copy.deepcopy(next(iter(glance.images.values())))
    image['id'] = uuidutils.generate_uuid()
    image['properties'] = dict(image.get('properties', {}),
                               xmlhooks_profile=profile)
    return glance.create(None, image)['id']


class ImageProfileTest(helpers.FaultTestBase):

    def setUp(self):
        super().setUp()
        self.write_profile('profiles.yaml', PROFILES)
        self.start_compute(hostname='host1')
        self.start_compute(hostname='host2')

    def _image(self, profile):
        return image_with_profile(self.glance, profile)

    def _boot_fails_once(self, image_id, specs=None, *expected):
        server = self.boot(specs, image_uuid=image_id,
                           expected_state='ERROR')
        message = server['fault']['message']
        for text in ('image property xmlhooks_profile',) + expected:
            self.assertIn(text, message)
        self.assertEqual(1, len(self.notifications('instance.create.start',
                                                   server)))
        self.assertEqual([], self.domain_events(server))
        return server

    def test_image_selects_selectable_profile(self):
        server = self.boot(image_uuid=self._image('selectable'))
        # NOTE(xmlhooks): nova keeps every image property in the
        # instance's system metadata as image_<name>; that is where the
        # driver reads it.
        sysmeta = self.instance(server).system_metadata
        self.assertEqual('selectable', sysmeta['image_xmlhooks_profile'])
        self.assertEqual(['off'], self.xpath(server, './features/pmu/@state'))
        self.assertEqual([], self.xpath(server, './features/vmport'))
        sources = self.xpath(server, './metadata/xmlhooks:customization/'
                                     'xmlhooks:rule/@source')
        self.assertEqual(['profile:selectable'], sources)

    def test_image_cannot_select_operator_only_profile(self):
        self._boot_fails_once(self._image('operator-only'), None,
                              "'operator-only' is not a profile that images "
                              "may select")

    def test_image_cannot_select_unknown_profile(self):
        self._boot_fails_once(self._image('nosuch'), None,
                              "'nosuch' is not a profile that images may "
                              "select")

    def test_owner_cannot_tell_unknown_from_operator_only(self):
        # NOTE(xmlhooks): faults are shown to the server's owner, who set
        # the image property; a different message would let them list the
        # operator's profiles by trying names.
        faults = []
        for name in ('operator-only', 'nosuch'):
            server = self._boot_fails_once(self._image(name))
            seen = self.api_fixture.api.get_server(server['id'])['fault']
            faults.append(seen['message'].replace(name, 'NAME').replace(
                server['id'], 'UUID'))
        self.assertEqual(faults[0], faults[1])
        self.assertEqual("Build of instance UUID aborted: xmlhooks: invalid "
                         "spec 'image property xmlhooks_profile': 'NAME' is "
                         "not a profile that images may select", faults[0])

    def test_flavor_forbids_image_selection(self):
        self._boot_fails_once(
            self._image('selectable'),
            {'xmlhooks:image_profiles': 'forbidden'},
            'xmlhooks:image_profiles=forbidden')

    def test_flavor_allows_image_selection_explicitly(self):
        server = self.boot({'xmlhooks:image_profiles': 'allowed',
                            'xmlhooks:profile': 'operator-only'},
                           image_uuid=self._image('selectable'))
        self.assertEqual(['off'], self.xpath(server, './features/pmu/@state'))
        self.assertEqual(['off'],
                         self.xpath(server, './features/vmport/@state'))

    def test_image_without_property_is_unaffected(self):
        server = self.boot()
        self.assertNotIn('image_xmlhooks_profile',
                         self.instance(server).system_metadata)
        self.assertEqual([], self.xpath(server, './features/pmu'))


class ImageProfileSkipTest(helpers.FaultTestBase):
    """Under on_error = skip, a user's bad image property drops only itself.

    The host's default profiles and the flavor's own rules are the
    operator's policy; they still apply.
    """

    def setUp(self):
        super().setUp()
        self.write_profile('profiles.yaml', PROFILES + """
host-policy:
  xml:
    - ./features/pvspinlock/@state=off
""")
        self.flags(on_error='skip', default_profiles=['host-policy'],
                   group='xmlhooks')
        self.start_compute(hostname='host1')

    def _image(self, profile):
        return image_with_profile(self.glance, profile)

    def _assert_operator_policy(self, server, image_applied):
        self.assertEqual(['off'],
                         self.xpath(server, './features/pvspinlock/@state'))
        self.assertEqual(['localtime'], self.xpath(server, './clock/@offset'))
        self.assertEqual(['off'] if image_applied else [],
                         self.xpath(server, './features/pmu/@state'))
        self.assertEqual([], self.xpath(server, './features/vmport'))

    def test_bad_image_property_keeps_host_and_flavor_policy(self):
        for name, specs in (
                ('nosuch', {}),
                ('operator-only', {}),
                ('selectable', {'xmlhooks:image_profiles': 'forbidden'})):
            specs = dict(specs, **{
                'xmlhooks:xml:clock': './clock/@offset=localtime'})
            server = self.boot(specs, image_uuid=self._image(name))
            self._assert_operator_policy(server, image_applied=False)
            self.assertEqual(
                ['profile:host-policy', 'flavor'],
                self.xpath(server, './metadata/xmlhooks:customization/'
                                   'xmlhooks:rule/@source'))
            self.assertIn('Ignoring the profiles the image selects (%s)'
                          % name, self.stdlog.logger.output)

    def test_good_image_property_still_applies(self):
        server = self.boot({'xmlhooks:xml:clock': './clock/@offset=localtime'},
                           image_uuid=self._image('selectable'))
        self._assert_operator_policy(server, image_applied=True)
