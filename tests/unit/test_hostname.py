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

"""The {hostname} of a guest is the one Nova derives from its name."""

import hypothesis
from hypothesis import strategies
from oslotest import base as oslo_base

from nova import utils as nova_utils
from nova_xmlhooks import hostname

NAMES = ('web01', 'My Server_1.example', ' -.leading and trailing.- ',
         'ÄÖÜ ß', 'emoji \U0001f600 name', 'x' * 70, 'a.' * 40, '', '---',
         'tab\tand\nnewline', 'ümlaut-' * 12)


class SanitizeHostnameTest(oslo_base.BaseTestCase):

    def test_same_as_nova(self):
        for name in NAMES:
            for default in (None, 'server-1', 'y' * 80):
                self.assertEqual(
                    nova_utils.sanitize_hostname(name, default),
                    hostname.sanitize_hostname(name, default), repr(name))

    def test_default_hostname_same_as_novas(self):
        # NOTE(xmlhooks): Nova's own code, on the instance nova-api
        # builds for a single server without a requested hostname.
        from nova.compute import api as compute_api
        from nova import objects
        objects.register_all()
        uuid = '0d1f2e3c-4b5a-4978-8a6b-5c4d3e2f1a0b'
        for name in NAMES + ('Сервер', '服务器', '\U0001f600'):
            instance = objects.Instance(display_name=name, uuid=uuid)
            compute_api.API._populate_instance_names(None, instance, 1, 0)
            self.assertEqual(instance.hostname,
                             hostname.default_hostname(name, uuid),
                             repr(name))
        self.assertEqual('Server-' + uuid,
                         hostname.default_hostname('Сервер', uuid))

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(strategies.text(max_size=100))
    def test_same_as_nova_for_any_name(self, name):
        self.assertEqual(nova_utils.sanitize_hostname(name),
                         hostname.sanitize_hostname(name))
