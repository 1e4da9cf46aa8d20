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

"""A server's default hostname, derived from its name the way Nova does.

NOTE(xmlhooks): this is ``nova.utils.sanitize_hostname``, the same in
every nova series from 29 to 34. Importing ``nova.utils`` for it costs
0.7 s or more (it pulls in nova's whole configuration and the OpenStack
SDK), which ``nova-xmlhooks render`` would pay at every run; a unit test
checks that both give the same hostname for the same names.
"""

from __future__ import annotations

import re

from oslo_log import log as logging

LOG = logging.getLogger(__name__)
#: the longest hostname Nova keeps (dnsmasq's limit)
MAX_LENGTH = 63


def _truncate(name: str) -> str:
    if len(name) > MAX_LENGTH:
        LOG.warning('Hostname %(hostname)s is longer than %(max)d, '
                    'truncate it to %(truncated_name)s',
                    {'hostname': name, 'max': MAX_LENGTH,
                     'truncated_name': name[:MAX_LENGTH]})
    return name[:MAX_LENGTH]


def sanitize_hostname(hostname: str, default_name: str | None = None) -> str:
    """Turn a server name into a hostname, as Nova does.

    :param hostname: the server's display name
    :param default_name: what to return when nothing is left of it
    :returns: a hostname of at most 63 characters
    """
    if isinstance(hostname, str):
        # Characters outside U+0000-U+00FF are dropped, as Nova does.
        hostname = hostname.encode('latin-1', 'ignore').decode('latin-1')
    hostname = _truncate(hostname)
    hostname = re.sub(r'[ _\.]', '-', hostname)
    hostname = re.sub(r'[^\w.-]+', '', hostname)
    hostname = hostname.lower()
    hostname = hostname.strip('.-')
    if hostname == '' and default_name is not None:
        return _truncate(default_name)
    return hostname


def default_hostname(display_name: str, instance_uuid: str) -> str:
    """The hostname Nova gives a server created without one.

    NOTE(xmlhooks): nova.compute.api.API._populate_instance_names falls
    back to ``Server-<uuid>`` when nothing is left of the name (a name
    in Cyrillic, say); a unit test checks that both agree. Of servers
    created together Nova names each ``<name>-<n>`` after it made the
    hostname, so for them (``Сервер-2``) this gives ``2`` where Nova
    gave ``Server-<uuid>``: the domain does not say how they were made.

    :param display_name: the server's display name
    :param instance_uuid: the server's UUID
    :returns: the hostname
    """
    return sanitize_hostname(display_name) or 'Server-%s' % instance_uuid
