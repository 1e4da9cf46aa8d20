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

"""An example customiser: what libvirt does when the guest crashes."""

from lxml import etree

from nova_xmlhooks.customizers import base

ACTIONS = ('destroy', 'restart', 'preserve', 'rename-restart',
           'coredump-destroy', 'coredump-restart')


class CrashCustomizer(base.Customizer):
    """Sets the domain's ``<on_crash>`` action."""

    family = 'crash'

    def declarations(self):
        # One declaration, a plain frozen dataclass, serves the compute's
        # checks, nova-api's validation and the extra spec reference.
        return [base.KeyValidator(
            name='xmlhooks:crash:action',
            description='What libvirt does when the guest crashes; '
                        '``preserve`` keeps a crashed guest for debugging.',
            value={'type': str, 'enum': list(ACTIONS)},
        )]

    def parse(self, key, value):
        # The enum is already checked; nothing more to parse. A customiser
        # raises ValueError here for anything its declaration cannot say.
        return value

    def apply(self, root, rules, context):
        # Rules arrive in order; the last one for the key wins.
        action = rules[-1].payload
        node = root.find('on_crash')
        if node is None:
            node = etree.SubElement(root, 'on_crash')
        node.text = action
