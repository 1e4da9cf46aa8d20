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


class ImageProfileTest(helpers.FaultTestBase):

    def setUp(self):
        super().setUp()
        self.write_profile('profiles.yaml', PROFILES)
        self.start_compute(hostname='host1')
        self.start_compute(hostname='host2')

    def _image(self, profile):
        """An image whose owner set the xmlhooks_profile property."""
        image = copy.deepcopy(next(iter(self.glance.images.values())))
        image['id'] = uuidutils.generate_uuid()
        image['properties'] = dict(image.get('properties', {}),
                                   xmlhooks_profile=profile)
        return self.glance.create(None, image)['id']

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
                              "'operator-only' is not image_selectable")

    def test_image_cannot_select_unknown_profile(self):
        self._boot_fails_once(self._image('nosuch'), None,
                              "unknown profile 'nosuch'")

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
