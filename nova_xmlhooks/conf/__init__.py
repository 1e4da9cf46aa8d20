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

"""Configuration options of nova-xmlhooks.

Like ``nova.conf``, every option group lives in a module of its own and this
package registers them all on the global ``CONF`` object.
"""

from __future__ import annotations

from oslo_config import cfg

from nova_xmlhooks.conf import xmlhooks

CONF = cfg.CONF

xmlhooks.register_opts(CONF)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    """Return the options for oslo-config-generator and the docs.

    :returns: a list of ``(group, [options])`` pairs
    """
    return [(group, opts) for group, opts in xmlhooks.list_opts().items()]
