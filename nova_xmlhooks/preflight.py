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

"""Checks run before Nova tears a guest down.

NOTE(xmlhooks): Nova's ``_hard_reboot`` destroys and undefines the domain
before it regenerates the XML, resize powers the guest off on the source
before the destination builds the new XML (a cross-cell resize too,
without ``migrate_disk_and_power_off``), rebuild destroys before it
spawns, and rescue powers the guest off before it builds the rescue XML.
A revert, which destroys the resized guest before the source builds the
old flavor's XML, is not checked: see how-it-works. A live migration
regenerates nothing, and carries the checks of the host the XML was
built on to a host that may allow less: the destination checks the
rules under its own ``[xmlhooks]`` options before the guest moves.
An error found only when the XML is generated would leave a guest that
was running down, or undefined. These overrides resolve the
instance's customisations and try them first: a failure raises before
Nova has touched the guest, and the compute manager records an instance
fault and leaves the instance in its state.

They are tried on the XML Nova builds for the guest as it is, as a hard
reboot would build it (for a rebuild, with the rebuild's image): the
current definition already holds the effects of the rules the guest has,
so a rule that a category ``allow_sensitive`` no longer allows would pass
there unseen, and fail only after the destroy or the power off. For a
resize it is built with the new flavor and the resize's claims, as the
destination will build it after the power off, or, when Nova cannot build
that here, with the old flavor. When Nova cannot build any, they are tried
on the current definition. The hard reboot has its own, exact check: see
:mod:`nova_xmlhooks.reboot`.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
import contextvars
import dataclasses
import functools
import typing as ty

from oslo_log import log as logging

from nova.compute import task_states
from nova.console import serial as serial_console
from nova import exception as nova_exception
from nova.network import model as network_model
from nova import objects
from nova.virt import driver as virt_driver

from nova_xmlhooks import exception
from nova_xmlhooks import instance_specs

if ty.TYPE_CHECKING:
    from nova import context as nova_context
    from nova.objects import migrate_data as migrate_data_obj
    from nova.virt.libvirt import driver as libvirt_driver

    from nova_xmlhooks import engine as engine_mod

    # NOTE(xmlhooks): for type checkers, the mixin is the driver it is
    # mixed into; at run time it derives from nothing.
    _DriverBase: ty.TypeAlias = libvirt_driver.LibvirtDriver
    LiveMigrateData: ty.TypeAlias = migrate_data_obj.LibvirtLiveMigrateData
else:
    _DriverBase = object

LOG = logging.getLogger(__name__)

#: the uuid of the instance whose resize ``migrate_disk_and_power_off``
#: checked, while it runs in this thread or green thread
_RESIZING: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    'xmlhooks_resizing', default=None)


@dataclasses.dataclass(frozen=True)
class RecordedDevices:
    """What Nova records of a guest's devices, read as its manager does.

    :ivar context: the instance's request context
    :ivar network_info: the instance's network info, from its info cache
    :ivar block_device_info: the block device info of its BDMs
    """

    context: nova_context.RequestContext
    network_info: network_model.NetworkInfo
    block_device_info: dict[str, ty.Any] | None


def _release_listen_ports(migrate_data: LiveMigrateData) -> None:
    """Give back the serial console ports a live migration's preparation took.

    :param migrate_data: the ``LibvirtLiveMigrateData`` Nova's
        ``pre_live_migration`` returned on the destination
    """
    if not migrate_data.obj_attr_is_set('serial_listen_ports'):
        return
    for port in migrate_data.serial_listen_ports:
        serial_console.release_port(host=migrate_data.serial_listen_addr,
                                    port=port)


def _resized(instance: objects.Instance,
             flavor: objects.Flavor) -> objects.Instance:
    """A copy of the instance as the resize's destination will build it.

    NOTE(xmlhooks): as Nova's ``_finish_resize`` changes the instance
    before ``finish_migration`` builds the XML: the new flavor, its sizes,
    and what the destination claimed (NUMA topology, PCI devices,
    resources). A copy, so that nothing of it can be saved with the
    instance.

    :param instance: the instance being resized
    :param flavor: the flavor it is resized to
    :returns: the copy
    """
    resized = instance.obj_clone()
    resized.flavor = flavor
    for field in ('vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb'):
        setattr(resized, field, flavor[field])
    resized.apply_migration_context()
    return resized


class PreflightMixin(_DriverBase):
    """Adds the preflight checks to a libvirt driver class.

    The class must set ``self.xmlhooks`` to an engine, and provide
    ``_xmlhooks_current_xml`` and ``_xmlhooks_nova_xml`` (see
    :class:`~nova_xmlhooks.reboot.HardRebootMixin`).
    """

    #: the engine, which the driver sets
    xmlhooks: engine_mod.Engine

    def _xmlhooks_preflight(self, instance: objects.Instance,
                            extra_specs: Mapping[str, str], operation: str,
                            nova_xml: Callable[[], str | None] | None = None,
                            resolve_only: bool = False,
                            skippable: bool = True) -> None:
        """Check that the customisations apply, before the guest is touched.

        :param instance: the instance
        :param extra_specs: the extra specs of the flavor the operation
            will use
        :param operation: a word for the logs, e.g. ``resize``
        :param nova_xml: a callable returning Nova's own XML to try the
            rules on, or None when it cannot be built; without it, or
            when it gives None, the rules are tried on the current
            definition
        :param resolve_only: only resolve the rules (their profiles and
            specs), without trying them on any XML
        :param skippable: whether ``on_error = skip`` lets the operation
            go on, as it does where Nova's own XML would be defined
        :raises: nova_xmlhooks.exception.XmlHooksError under
            ``on_error = fail``, or whatever ``on_error`` when not
            skippable
        """
        engine = self.xmlhooks
        try:
            ruleset = engine.resolve(extra_specs,
                                     instance_specs.image_profiles(instance))
            if not ruleset or resolve_only:
                return
            xml = nova_xml() if nova_xml is not None else None
            if xml is None:
                xml = self._xmlhooks_current_xml(instance)
            if xml is not None:
                engine.check(xml, ruleset)
            elif nova_xml is not None:
                # NOTE(xmlhooks): as on a live migration's destination,
                # which has no definition, when Nova's generation fails
                # there (say, a vPMEM namespace of the source's that the
                # destination does not have): the rules are not tried.
                LOG.warning('The xmlhooks rules could not be tried before '
                            '%s: Nova cannot build the XML for the guest '
                            'here (the debug log says why) and the guest '
                            'has no definition here', operation,
                            instance=instance)
        except exception.XmlHooksError as e:
            if skippable and engine.on_error != 'fail':
                return
            LOG.error('Refusing %(operation)s before it touches the guest: '
                      '%(error)s', {'operation': operation,
                                    'error': e},
                      instance=instance)
            raise

    def _xmlhooks_preflight_or_rollback(
            self, instance: objects.Instance, extra_specs: Mapping[str, str],
            operation: str, nova_xml: Callable[[], str | None] | None = None,
            resolve_only: bool = False) -> None:
        # NOTE(xmlhooks): the compute manager puts an instance in ERROR when
        # resize or rebuild fails with an ordinary exception, although the
        # guest was not touched. InstanceFaultRollback makes it keep the
        # instance's state (and, for resize, return the allocations and
        # mark the migration failed); the fault still carries our error.
        try:
            self._xmlhooks_preflight(instance, extra_specs, operation,
                                     nova_xml, resolve_only)
        except exception.XmlHooksError as e:
            raise nova_exception.InstanceFaultRollback(inner_exception=e)

    def power_off(self, instance: objects.Instance, timeout: int = 0,
                  retry_interval: int = 0) -> None:
        # NOTE(xmlhooks): Nova's rescue powers the guest off before it asks
        # the driver for the rescue XML, and any error puts the instance
        # in ERROR (rescue has no rollback); checked here first, a refused
        # rule leaves the guest running. The rescue's disks are not known
        # here: the rules are tried on Nova's XML for the guest as it is.
        # getattr: one caller of Nova's passes the context first, which the
        # libvirt driver fails on as it did before.
        task_state = getattr(instance, 'task_state', None)
        if task_state == task_states.RESCUING:
            self._xmlhooks_preflight(
                instance, instance.flavor.extra_specs, 'rescue',
                functools.partial(self._xmlhooks_recorded_xml, instance))
        elif (task_state == task_states.RESIZE_MIGRATING and
                _RESIZING.get() != instance.uuid):
            self._xmlhooks_cross_cell_preflight(instance)
        return super().power_off(instance, timeout, retry_interval)

    def _xmlhooks_cross_cell_preflight(self,
                                       instance: objects.Instance) -> None:
        """Try the new flavor's rules before a cross-cell resize's power off.

        NOTE(xmlhooks): a cross-cell resize never calls
        ``migrate_disk_and_power_off``: the source's
        ``prep_snapshot_based_resize_at_source`` powers the guest off
        first, in this call, then snapshots and destroys it, and the
        target cell's compute spawns it with the new flavor's XML. The
        conductor has given the instance its ``new_flavor`` and the
        destination's claims (``migration_context``) before. The power off
        is the first driver call that knows the new flavor while the guest
        runs (the destination's ``prep_snapshot_based_resize_at_dest``
        claims resources without asking the driver anything), and the
        only other one with this task state is the one Nova's own
        ``migrate_disk_and_power_off`` makes, after its own preflight.
        The compute manager turns any error here into
        ``InstancePowerOffFailure`` (so InstanceFaultRollback would add
        nothing but its own words to the fault): it marks the migration
        ``error`` and clears the task state, and the conductor's rollback
        gives the allocations back and keeps the instance's vm state.
        The rules' own error is raised, which the fault quotes.

        :param instance: the instance, as the source cell has it
        :raises: nova_xmlhooks.exception.XmlHooksError under ``on_error =
            fail``
        """
        flavor = instance.new_flavor or instance.flavor
        self._xmlhooks_preflight(
            instance, flavor.extra_specs, 'cross-cell resize',
            functools.partial(self._xmlhooks_recorded_xml, instance, flavor))

    def _xmlhooks_recorded_devices(
            self, instance: objects.Instance) -> RecordedDevices | None:
        """The guest's devices, from what Nova records of the instance.

        NOTE(xmlhooks): ``power_off`` is given the instance, not the
        network and block device info the other preflights are given; they
        are read from what Nova records of the instance, as the compute
        manager reads them.

        :param instance: the instance, with its request context
        :returns: the devices, or None when they cannot be read now
        """
        try:
            # NOTE(xmlhooks): the manager's context is not given either;
            # the instance's own is the request's.
            context = instance._context
            bdms = objects.BlockDeviceMappingList.get_by_instance_uuid(
                context, instance.uuid)
            return RecordedDevices(
                context=context,
                network_info=instance.get_network_info(),
                block_device_info=virt_driver.get_block_device_info(
                    instance, bdms))
        except Exception as e:
            LOG.debug('Could not read the guest\'s devices before touching '
                      'it (%s); trying the rules on the current definition',
                      e, instance=instance)
            return None

    def _xmlhooks_recorded_xml(
            self, instance: objects.Instance,
            flavor: objects.Flavor | None = None) -> str | None:
        """Nova's XML for the guest, from the instance alone.

        NOTE(xmlhooks): the current definition will not do: it holds the
        effects of the guest's rules, and a rule that rewrites what it
        matches (``./clock[@offset='utc']/@offset=localtime``) matches
        nothing there, or adds a second element, and is refused.

        :param instance: the instance, with its request context
        :param flavor: the flavor it is resized to, for the XML of the
            guest resized (see :meth:`_xmlhooks_resized_xml`); None for
            the guest as it is
        :returns: the XML, or None when it cannot be built now
        """
        devices = self._xmlhooks_recorded_devices(instance)
        if devices is None:
            return None
        if flavor is not None:
            return self._xmlhooks_resized_xml(
                devices.context, instance, flavor, devices.network_info,
                devices.block_device_info)
        return self._xmlhooks_nova_xml(devices.context, instance,
                                       devices.network_info,
                                       devices.block_device_info)

    def spawn(self, context: nova_context.RequestContext,
              instance: objects.Instance, image_meta: objects.ImageMeta,
              *args: ty.Any, **kwargs: ty.Any) -> None:
        # NOTE(xmlhooks): libvirt's spawn makes the guest's directory and
        # disks before it asks for the XML, and a failed unshelve or
        # evacuation leaves them on the host (where they block a later
        # live migration to it). What resolving refuses, it refuses first;
        # resolving is cached, and the generation finds it done.
        self._xmlhooks_preflight(instance, instance.flavor.extra_specs,
                                 'spawn', resolve_only=True)
        return super().spawn(context, instance, image_meta, *args, **kwargs)

    def migrate_disk_and_power_off(
            self, context: nova_context.RequestContext,
            instance: objects.Instance, dest: str, flavor: objects.Flavor,
            network_info: network_model.NetworkInfo,
            block_device_info: dict[str, ty.Any] | None = None, *args: ty.Any,
            **kwargs: ty.Any) -> str:
        # NOTE(xmlhooks): the new flavor's XML is built on the destination,
        # after the power off, and what Nova writes from the flavor (CPU
        # tuning, a watchdog, a TPM) can make a rule pass on the old
        # flavor's XML and be refused there. It is built here first.
        nova_xml = functools.partial(self._xmlhooks_resized_xml, context,
                                     instance, flavor, network_info,
                                     block_device_info)
        self._xmlhooks_preflight_or_rollback(instance, flavor.extra_specs,
                                             'resize', nova_xml)
        # NOTE(xmlhooks): Nova's method powers the guest off through
        # power_off, with the task state a cross-cell resize's power off
        # has; checked already, it is not checked again there.
        token = _RESIZING.set(instance.uuid)
        try:
            return super().migrate_disk_and_power_off(
                context, instance, dest, flavor, network_info,
                block_device_info, *args, **kwargs)
        finally:
            _RESIZING.reset(token)

    def _xmlhooks_resized_xml(
            self, context: nova_context.RequestContext,
            instance: objects.Instance, flavor: objects.Flavor,
            network_info: network_model.NetworkInfo,
            block_device_info: dict[str, ty.Any] | None) -> str | None:
        """Nova's XML for the guest once resized, or else as it is.

        :param context: the request context
        :param instance: the instance, which is left as it is
        :param flavor: the flavor the resize is to
        :param network_info: the instance's network info
        :param block_device_info: the instance's block device info
        :returns: Nova's XML with the new flavor, or with the old one when
            Nova cannot build that here (say, for a vPMEM namespace the
            destination claimed), or None when it cannot build either
        """
        try:
            resized = _resized(instance, flavor)
        except Exception as e:
            # NOTE(xmlhooks): reading the migration context may fail as
            # any database read may; the old flavor's XML still comes
            # closest.
            LOG.debug('Could not read the resize\'s claims (%s)', e,
                      instance=instance)
        else:
            xml = self._xmlhooks_nova_xml(context, resized, network_info,
                                          block_device_info)
            if xml is not None:
                return xml
        return self._xmlhooks_nova_xml(context, instance, network_info,
                                       block_device_info)

    def pre_live_migration(self, context: nova_context.RequestContext,
                           instance: objects.Instance,
                           block_device_info: dict[str, ty.Any] | None,
                           network_info: network_model.NetworkInfo,
                           disk_info: str | None,
                           migrate_data: LiveMigrateData) -> LiveMigrateData:
        # NOTE(xmlhooks): a live migration moves the domain's own XML,
        # customised and checked under the source's [xmlhooks] options, to
        # a host whose allow_sensitive may not allow what it holds. Here,
        # on the destination, with the volumes connected and the ports
        # plugged by Nova's own preparation, Nova's XML for the guest can
        # be built and the rules tried on it under this host's options. A
        # refusal goes the way of any failed preparation: Nova disconnects
        # the volumes here and rolls back on the source, where the guest
        # keeps running, and the fault carries the error; what else the
        # preparation left here is undone first. on_error = skip cannot
        # apply: it defines Nova's own XML instead, and the XML a live
        # migration moves is the customised one, as it is.
        migrate_data = super().pre_live_migration(
            context, instance, block_device_info, network_info, disk_info,
            migrate_data)
        try:
            self._xmlhooks_preflight(
                instance, instance.flavor.extra_specs, 'live migration',
                functools.partial(self._xmlhooks_nova_xml, context, instance,
                                  network_info, block_device_info),
                skippable=False)
        except exception.XmlHooksError:
            self._xmlhooks_undo_preparation(instance, network_info,
                                            migrate_data)
            raise
        return migrate_data

    def _xmlhooks_undo_preparation(
            self, instance: objects.Instance,
            network_info: network_model.NetworkInfo,
            migrate_data: LiveMigrateData) -> None:
        """Undo what Nova's rollback leaves of a refused preparation.

        NOTE(xmlhooks): the compute manager disconnects the volumes, but
        Nova's rollback comes back here only when there is something it
        knows to clean (an instance path not shared, mdevs, vTPM, CPU
        power management), so the VIFs the preparation plugged stay
        plugged; and it is given the source's migrate_data, not the one
        returned here, which alone holds the ports the preparation took
        for the guest's serial consoles. Unplugging twice is harmless:
        Nova's own cleanup ignores the errors, as this does.

        :param instance: the instance
        :param network_info: the network info given to the preparation
        :param migrate_data: the ``LibvirtLiveMigrateData`` it returned
        """
        if 'vifs' in migrate_data and migrate_data.vifs:
            # NOTE(xmlhooks): as _pre_live_migration_plug_vifs chose them.
            network_info = network_model.NetworkInfo(
                vif.get_dest_vif() for vif in migrate_data.vifs)
        self._unplug_vifs(instance, network_info, True)
        _release_listen_ports(migrate_data)

    def rebuild(self, context: nova_context.RequestContext,
                instance: objects.Instance, *args: ty.Any,
                **kwargs: ty.Any) -> ty.NoReturn:
        # NOTE(xmlhooks): the libvirt driver has no rebuild of its own;
        # raising NotImplementedError makes the compute manager fall back
        # to destroy plus spawn, after our check. nova-api has already
        # given the instance the rebuild's image, and the compute manager
        # passes every argument by name. An evacuation rebuilds a guest
        # that is not on this host, whose XML cannot be built here: its
        # rules are only resolved, which, refused, leaves the instance on
        # its host rather than in ERROR.
        evacuate = kwargs.get('evacuate')
        nova_xml = None if evacuate else functools.partial(
            self._xmlhooks_nova_xml, context, instance,
            kwargs.get('network_info'), kwargs.get('block_device_info'))
        try:
            self._xmlhooks_preflight_or_rollback(
                instance, instance.flavor.extra_specs, 'rebuild', nova_xml)
        except nova_exception.InstanceFaultRollback:
            # NOTE(xmlhooks): Nova's rebuild_instance removes the instance's
            # allocation on its node on any failed rebuild, as it would a
            # failed evacuation's, though the guest still runs here.
            if evacuate:
                raise
            LOG.warning('Nova removes the allocation of an instance whose '
                        'rebuild fails; restore it with nova-manage '
                        'placement heal_allocations --instance %s',
                        instance.uuid, instance=instance)
            raise
        raise NotImplementedError()
