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

"""Nova's libvirt driver, with xmlhooks applied to every generated XML.

Enable it in nova.conf on compute hosts::

    [DEFAULT]
    compute_driver = xmlhooks.LibvirtDriver

NOTE(xmlhooks): ``LibvirtDriver._get_guest_xml`` is the one place where
Nova turns its guest config into XML, for spawn (and so rebuild, evacuate
and unshelve), hard reboot (and power on), rescue, finish_migration and
finish_revert_migration. Overriding it is enough to apply the
customisations on every path that regenerates the definition. Soft reboot
and live migration do not call it: the first restarts the defined domain,
the second moves the domain's own XML, which already carries the
customisations.

``_get_guest_config`` is overridden too, only so that the engine gets the
tree Nova builds rather than parsing the text Nova makes of it (see
:func:`nova_xmlhooks.compat.customised_guest_xml`). The other overrides
check the customisations before Nova tears a guest down
(:mod:`nova_xmlhooks.preflight`, :mod:`nova_xmlhooks.reboot`); the
reference's dependencies page lists every one.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
import functools
import typing as ty

from oslo_log import log as logging

from nova.virt.libvirt import driver as libvirt_driver

from nova_xmlhooks import compat
from nova_xmlhooks import conf as xmlhooks_conf
from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import exception
from nova_xmlhooks import instance_specs
from nova_xmlhooks import preflight
from nova_xmlhooks import reboot

if ty.TYPE_CHECKING:
    from nova import context as nova_context
    from nova.network import model as network_model
    from nova import objects
    from nova.virt import virtapi as virtapi_mod

LOG = logging.getLogger(__name__)
CONF = xmlhooks_conf.CONF


class LibvirtDriver(reboot.HardRebootMixin, preflight.PreflightMixin,
                    libvirt_driver.LibvirtDriver):
    """Nova's libvirt driver with per-flavor XML customisation."""

    def __init__(self, virtapi: virtapi_mod.VirtAPI,
                 read_only: bool = False) -> None:
        super().__init__(virtapi, read_only=read_only)
        compat.warn_if_untested()
        # NOTE(xmlhooks): profiles are read, parsed and their XPath compiled
        # here, once. A broken profile or a missing customiser raises and
        # nova-compute refuses to start, naming the file and the entry,
        # rather than failing guests one by one later; so does a bad
        # [xmlhooks] option value.
        xmlhooks_conf.check_values(CONF)
        self.xmlhooks = engine_mod.Engine.from_conf(CONF)
        LOG.info('nova-xmlhooks enabled: customizers %(customizers)s, '
                 '%(count)d profile(s)',
                 {'customizers': ', '.join(self.xmlhooks.customizers),
                  'count': len(self.xmlhooks.profiles)})

    def _get_guest_xml(self, context: nova_context.RequestContext,
                       instance: objects.Instance,
                       network_info: network_model.NetworkInfo,
                       disk_info: dict[str, ty.Any],
                       image_meta: objects.ImageMeta, *args: ty.Any,
                       **kwargs: ty.Any) -> str:
        planned = self._xmlhooks_planned_xml(instance, network_info,
                                             disk_info, args, kwargs)
        if planned is not None:
            return planned
        generate = functools.partial(
            super()._get_guest_xml, context, instance, network_info,
            disk_info, image_meta, *args, **kwargs)
        specs = instance.flavor.extra_specs
        images = instance_specs.image_profiles(instance)
        if not self._xmlhooks_applies(specs, images):
            return generate()
        # NOTE(xmlhooks): rescue follows image_meta in every series.
        rescue = kwargs.get('rescue', args[0] if args else None) is not None
        return self._xmlhooks_generate(generate, instance, specs, images,
                                       rescue)

    def _xmlhooks_generate(self, generate: Callable[[], str],
                           instance: objects.Instance,
                           specs: Mapping[str, str], images: Sequence[str],
                           rescue: bool = False) -> str:
        """Run Nova's generation, customising the tree it builds.

        Also used by the hard reboot's plan (see
        :class:`~nova_xmlhooks.reboot.HardRebootMixin`).

        :param generate: a callable running nova's ``_get_guest_xml``
        :param instance: the instance the XML is for
        :param specs: the flavor's extra specs
        :param images: the profile names the image selects
        :param rescue: whether Nova is building the rescue domain
        :returns: the customised XML
        :raises: nova_xmlhooks.exception.XmlHooksError under ``on_error =
            fail``
        """
        engine = self.xmlhooks
        return compat.customised_guest_xml(
            generate, instance,
            functools.partial(engine.customize_tree, extra_specs=specs,
                              image_profiles=images, instance=instance,
                              rescue=rescue),
            functools.partial(engine.customize, extra_specs=specs,
                              image_profiles=images, instance=instance,
                              rescue=rescue))

    def _xmlhooks_applies(self, specs: Mapping[str, str],
                          images: Sequence[str]) -> bool:
        """Whether there is anything to apply, or an error to report.

        NOTE(xmlhooks): resolving is cached per flavor and image; most
        guests of a host have nothing to apply and keep Nova's own XML.
        """
        try:
            return bool(self.xmlhooks.resolve(specs, images))
        except exception.XmlHooksError:
            return True

    def _get_guest_config(self, instance: objects.Instance, *args: ty.Any,
                          **kwargs: ty.Any) -> compat.GuestConfig:
        return compat.guest_config(
            super()._get_guest_config(instance, *args, **kwargs), instance)
