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

"""What an instance asks of xmlhooks, read from nova's objects."""

from __future__ import annotations

import typing as ty

from nova_xmlhooks import engine

if ty.TYPE_CHECKING:
    from nova import objects

#: the image property that selects image_selectable profiles
IMAGE_PROFILE_PROPERTY = 'xmlhooks_profile'


def image_profiles(instance: objects.Instance) -> list[str]:
    """Profile names selected by the instance's image.

    NOTE(xmlhooks): nova's ImageMetaProps drops properties it does not
    know, but nova keeps every image property in the instance's system
    metadata as ``image_<name>``.

    :param instance: a ``nova.objects.Instance``
    :returns: a list of profile names, possibly empty
    """
    value = (instance.system_metadata or {}).get(
        'image_%s' % IMAGE_PROFILE_PROPERTY, '')
    return engine.split_names(value)
