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

"""The hard reboot: customised before the guest goes down, generated once.

NOTE(xmlhooks): Nova's ``_hard_reboot`` destroys and undefines the domain
before it generates the new XML, so a rule refused only then would leave a
running guest down and undefined. Hard reboot, the fallback of a failed
soft reboot, power on and resume after a host reboot all come here.

Before Nova touches the guest, :class:`HardRebootMixin` builds the XML
exactly as ``_hard_reboot`` will (same arguments, read before the destroy
as Nova reads them) and customises it: the guard and the schema check
judge the very document the reboot defines, and a refusal raises while the
guest still runs. The result is kept for the length of the call. When
Nova then asks ``_get_guest_xml`` for the XML with the same inputs, it gets
that document instead of a second generation, so the check costs nothing
on top of what the reboot does anyway. Whatever changed in between (Nova
allocates vGPU or Cyborg devices after the destroy, or a later Nova passes
other inputs) makes the inputs differ, and the XML is generated again as
usual.

With ``[xmlhooks] preflight_asks_libvirt``, libvirt is asked about the
customised XML too (see :mod:`nova_xmlhooks.native`), since it refuses
some documents that the engine's checks let through.

The reads Nova makes before the destroy (``_get_all_assigned_mediated_
devices`` and, from 2026.1, ``_get_existing_guest_config``) return what the
check read a moment before, for the same reason: they are not done twice.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
import contextvars
import dataclasses
import functools
import typing as ty

from oslo_log import log as logging

import nova.conf
from nova.console import serial as serial_console
from nova import exception as nova_exception
from nova.virt.libvirt import blockinfo
from nova.virt.libvirt import driver as libvirt_driver

from nova_xmlhooks import compat
from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import exception
from nova_xmlhooks import guard
from nova_xmlhooks import instance_specs
from nova_xmlhooks import native

if ty.TYPE_CHECKING:
    from nova import context as nova_context
    from nova.network import model as network_model
    from nova import objects
    from nova.virt.libvirt import config as vconfig

    # NOTE(xmlhooks): for type checkers, the mixin is the driver it is
    # mixed into; at run time it derives from nothing.
    _DriverBase: ty.TypeAlias = libvirt_driver.LibvirtDriver
else:
    _DriverBase = object

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

#: the plan of the hard reboot running in this thread or green thread
_PLAN: contextvars.ContextVar[RebootPlan | None] = contextvars.ContextVar(
    'xmlhooks_hard_reboot', default=None)
#: the serial ports of the XML being planned in this (green) thread
_PLANNING: contextvars.ContextVar[SerialPorts | None] = contextvars.ContextVar(
    'xmlhooks_serial_ports', default=None)
_UNSET = object()


@dataclasses.dataclass
class SerialPorts:
    """Serial console ports Nova took for XML that may not be defined.

    NOTE(xmlhooks): with ``[serial_console] enabled``, Nova's generation
    takes a TCP port for each serial console of a guest not defined on the
    host (``_serial_ports_already_defined``), and gives the ports back
    when it destroys the guest. XML built before the guest is touched is
    built as it will be after the destroy, ports included, so that the
    rules are tried on the whole document; its ports are given back here,
    and XML that holds some is never defined (see
    :meth:`HardRebootMixin._xmlhooks_planned_xml`).

    :ivar uuid: the instance the XML is built for
    :ivar taken: the ``(host, port)`` pairs Nova took for it
    """

    uuid: str
    taken: list[tuple[str, int]] = dataclasses.field(default_factory=list)

    def release(self) -> None:
        """Give back the ports of XML that was not defined."""
        taken, self.taken = self.taken, []
        for host, port in taken:
            serial_console.release_port(host=host, port=port)


@dataclasses.dataclass(frozen=True)
class RebootPlan:
    """What a hard reboot will generate, read before the guest goes down.

    :ivar reboot: the arguments of the ``_hard_reboot`` call
    :ivar disk_info: the disk mapping the XML was built for
    :ivar mdevs: ``_get_all_assigned_mediated_devices``'s answer
    :ivar old_guest: ``_get_existing_guest_config``'s answer, or unset on
        a nova that has no such method
    :ivar xml: the customised XML, ready to be defined
    :ivar ports: the serial console ports Nova took for the XML
    """

    reboot: compat.HardReboot
    disk_info: dict[str, ty.Any]
    mdevs: dict[str, str]
    old_guest: object
    xml: str
    ports: SerialPorts = dataclasses.field(compare=False, repr=False)

    def serves(self, instance: objects.Instance,
               network_info: network_model.NetworkInfo,
               disk_info: dict[str, ty.Any],
               call: Mapping[str, ty.Any]) -> bool:
        """Whether a ``_get_guest_xml`` call asks for this XML.

        :param instance: the call's instance
        :param network_info: the call's network info
        :param disk_info: the call's disk mapping
        :param call: the rest, from :func:`compat.guest_xml_call`
        :returns: True if every input is the one the plan was built from
        """
        reboot = self.reboot
        same_objects = (
            network_info is reboot.network_info and
            call.get('block_device_info') is reboot.block_device_info and
            call.get('accel_info') is reboot.accel_info and
            call.get('share_info') is reboot.share_info and
            call.get('old_guest', _UNSET) is self.old_guest)
        return (instance.uuid == reboot.instance.uuid and
                call.get('rescue') is None and same_objects and
                disk_info == self.disk_info and
                list(call.get('mdevs') or ()) == list(self.mdevs))


class HardRebootMixin(_DriverBase):
    """Checks a hard reboot first, and generates its XML once.

    The class must set ``self.xmlhooks`` to an engine, customise Nova's
    generation with ``_xmlhooks_generate`` (see
    :class:`nova_xmlhooks.driver.LibvirtDriver`) and be a nova
    ``LibvirtDriver``.
    """

    #: the engine, which the driver sets
    xmlhooks: engine_mod.Engine

    def _hard_reboot(self, *args: ty.Any, **kwargs: ty.Any) -> None:
        # NOTE(xmlhooks): the arguments differ between nova series;
        # compat reads them, and they are passed on untouched.
        reboot = compat.hard_reboot_args(
            libvirt_driver.LibvirtDriver._hard_reboot, self, args, kwargs)
        ports = SerialPorts(reboot.instance.uuid)
        try:
            token = _PLAN.set(self._xmlhooks_plan_reboot(reboot, ports))
            try:
                return super()._hard_reboot(*args, **kwargs)
            finally:
                _PLAN.reset(token)
        finally:
            # NOTE(xmlhooks): a plan holding ports is never defined (see
            # _xmlhooks_planned_xml); here they are given back when it was
            # refused, or never asked for.
            ports.release()

    def _xmlhooks_plan_reboot(self, reboot: compat.HardReboot,
                              ports: SerialPorts) -> RebootPlan | None:
        """Customise the XML the reboot will define, or refuse.

        :param reboot: a :class:`~nova_xmlhooks.compat.HardReboot`
        :param ports: a :class:`SerialPorts` to record the serial console
            ports Nova takes for the XML in
        :returns: a :class:`RebootPlan`, or None when there is nothing to
            customise or Nova's XML could not be built now
        :raises: nova_xmlhooks.exception.XmlHooksError under
            ``on_error = fail``, before the guest is touched
        """
        instance = reboot.instance
        engine = self.xmlhooks
        specs = instance.flavor.extra_specs
        images = instance_specs.image_profiles(instance)
        try:
            ruleset = engine.resolve(specs, images)
            if not ruleset:
                return None
            asks_libvirt = CONF.xmlhooks.preflight_asks_libvirt
            # NOTE(xmlhooks): libvirt is asked about the customised XML
            # beside Nova's own, so the engine then customises Nova's
            # text; otherwise it customises the tree Nova builds, as on
            # every other generation, sparing a parse of Nova's text.
            build = None if asks_libvirt else functools.partial(
                self._xmlhooks_generate, instance=instance, specs=specs,
                images=images)
            plan = self._xmlhooks_nova_plan(reboot, ports, build)
            if plan is None:
                self._xmlhooks_check_current(instance, ruleset)
                return None
            if not asks_libvirt:
                return plan
            customised = engine.customize(plan.xml, specs, images,
                                          instance=instance)
            # NOTE(xmlhooks): when the engine skipped an error and gave
            # Nova's own XML back, there is nothing of the rules' to ask
            # libvirt about.
            if customised != plan.xml:
                customised = self._xmlhooks_ask_libvirt(
                    instance, plan.xml, customised, ruleset)
            return dataclasses.replace(plan, xml=customised)
        except exception.XmlHooksError as e:
            if engine.on_error != 'fail':
                return None
            LOG.error('Refusing hard reboot before it touches the guest: '
                      '%s', e, instance=instance)
            raise

    def _xmlhooks_ask_libvirt(self, instance: objects.Instance, nova_xml: str,
                              customised: str,
                              ruleset: engine_mod.RuleSet) -> str:
        """Ask libvirt whether it takes the XML the reboot will define.

        See :mod:`nova_xmlhooks.native`.

        :param nova_xml: Nova's own XML for the reboot
        :param customised: the customised XML
        :param ruleset: the rules applied
        :returns: the XML to define: ``customised`` when libvirt takes
            it, Nova's own when it does not, under ``on_error = skip``
        :raises: nova_xmlhooks.exception.RuleError naming the first rule
            from which libvirt refuses it, under ``on_error = fail``
        """
        connection = self._host.get_connection()
        libvirt = libvirt_driver.libvirt
        try:
            reason = native.refusal(connection, libvirt, nova_xml,
                                    customised)
        except native.NotAnswered as e:
            # NOTE(xmlhooks): libvirt unreachable, a read-only connection,
            # a driver without the call: the engine's checks passed, and
            # no answer must neither refuse the reboot nor take the
            # customisation away.
            LOG.warning('libvirt did not say whether it takes the '
                        'customised domain XML for this hard reboot; '
                        'going on without its answer: %s', e,
                        instance=instance)
            return customised
        if reason is None:
            return customised
        if self.xmlhooks.on_error != 'fail':
            LOG.warning('Skipping xmlhooks customisation for this hard '
                        'reboot: libvirt refuses the customised domain '
                        'XML: %s', reason, instance=instance)
            return nova_xml
        # NOTE(xmlhooks): libvirt's reason may name host paths; it goes to
        # the log, and the instance fault only names the rule.
        LOG.error('libvirt refuses the customised domain XML for the hard '
                  'reboot: %s', reason, instance=instance)
        key = guard.culprit(
            self.xmlhooks.customizers,
            lambda root: native.refuses(connection, libvirt,
                                        engine_mod.serialize(root)),
            engine_mod.parse_domain(nova_xml), ruleset, settled=True)
        raise exception.RuleError(
            key, "libvirt refuses the domain XML it gives (the compute "
                 "host's log says why)")

    def _xmlhooks_nova_plan(
            self, reboot: compat.HardReboot, ports: SerialPorts,
            build: Callable[[Callable[[], str]], str] | None = None,
    ) -> RebootPlan | None:
        """Build Nova's XML as ``_hard_reboot`` will, with its inputs.

        As after the destroy, Nova's generation does not find the guest's
        serial consoles defined, and takes ports for them.

        :param reboot: a :class:`~nova_xmlhooks.compat.HardReboot`
        :param ports: a :class:`SerialPorts` to record the ports in
        :param build: ``build(generate)``, given a callable running Nova's
            ``_get_guest_xml``, returns the XML to plan; None plans Nova's
            own XML
        :returns: a :class:`RebootPlan` holding the XML, or None if Nova
            cannot build it now
        :raises: nova_xmlhooks.exception.XmlHooksError from ``build``
        """
        instance = reboot.instance
        nova_method = libvirt_driver.LibvirtDriver._get_guest_xml
        try:
            disk_info = blockinfo.get_disk_info(
                CONF.libvirt.virt_type, instance, instance.image_meta,
                reboot.block_device_info)
            mdevs = self._get_all_assigned_mediated_devices(instance)
            kwargs = compat.guest_xml_kwargs(nova_method, self, reboot)
            generate = functools.partial(
                nova_method, self, reboot.context, instance,
                reboot.network_info, disk_info, instance.image_meta,
                mdevs=list(mdevs), **kwargs)
            token = _PLANNING.set(ports)
            try:
                xml = generate() if build is None else build(generate)
            finally:
                _PLANNING.reset(token)
        except exception.XmlHooksError:
            # NOTE(xmlhooks): the rules refused, not Nova's generation.
            raise
        except Exception as e:
            # NOTE(xmlhooks): Nova's own generation failing is Nova's to
            # report, on its own path, after the destroy.
            LOG.debug('Could not build the XML before touching the guest '
                      '(%s); trying the rules on the current definition',
                      e, instance=instance)
            return None
        return RebootPlan(reboot=reboot, disk_info=disk_info, mdevs=mdevs,
                          old_guest=kwargs.get('old_guest', _UNSET), xml=xml,
                          ports=ports)

    def _xmlhooks_nova_xml(
            self, context: nova_context.RequestContext,
            instance: objects.Instance,
            network_info: network_model.NetworkInfo,
            block_device_info: dict[str, ty.Any] | None) -> str | None:
        """Nova's own XML for the guest as it is, as a hard reboot builds it.

        Used by the rebuild's and the resize's preflights (see
        :class:`~nova_xmlhooks.preflight.PreflightMixin`).

        :returns: the XML, or None if Nova cannot build it now
        """
        ports = SerialPorts(instance.uuid)
        try:
            plan = self._xmlhooks_nova_plan(compat.HardReboot(
                context=context, instance=instance,
                network_info=network_info,
                block_device_info=block_device_info), ports)
        finally:
            # NOTE(xmlhooks): this XML is only tried, never defined.
            ports.release()
        return None if plan is None else plan.xml

    def _xmlhooks_current_xml(self, instance: objects.Instance) -> str | None:
        """The guest's current definition, or None if it has none here.

        Also used by the preflights (see
        :class:`~nova_xmlhooks.preflight.PreflightMixin`).
        """
        try:
            guest = self._host.get_guest(instance)
        except nova_exception.InstanceNotFound:
            return None
        return guest.get_xml_desc()

    def _xmlhooks_check_current(self, instance: objects.Instance,
                                ruleset: engine_mod.RuleSet) -> None:
        xml = self._xmlhooks_current_xml(instance)
        if xml is not None:
            self.xmlhooks.check(xml, ruleset)

    def _xmlhooks_planned(self,
                          instance: objects.Instance) -> RebootPlan | None:
        plan = _PLAN.get()
        if plan is None or plan.reboot.instance.uuid != instance.uuid:
            return None
        return plan

    def _xmlhooks_planned_xml(self, instance: objects.Instance,
                              network_info: network_model.NetworkInfo,
                              disk_info: dict[str, ty.Any],
                              args: Sequence[ty.Any],
                              kwargs: Mapping[str, ty.Any]) -> str | None:
        """The planned XML, if this ``_get_guest_xml`` call asks for it.

        :returns: the customised XML, or None to generate it as usual
        """
        plan = self._xmlhooks_planned(instance)
        if plan is None:
            return None
        call = compat.guest_xml_call(
            libvirt_driver.LibvirtDriver._get_guest_xml, args, kwargs)
        if not plan.serves(instance, network_info, disk_info, call):
            LOG.debug('The hard reboot asks for the XML with other inputs '
                      'than the ones read before the destroy; generating '
                      'it again', instance=instance)
        elif not plan.ports.taken:
            return plan.xml
        # NOTE(xmlhooks): the ports of the plan's serial consoles were
        # taken while the old definition held its own; the destroy has
        # just given those back, and may have given back the plan's with
        # them (a guest powered off gave its ports back then, and the plan
        # took the same free ones). Nova's generation, which follows,
        # takes ports as it does after any destroy; the plan's are given
        # back first, as they may be the very ones it takes. It differs
        # from the plan in the port numbers only.
        plan.ports.release()
        return None

    def _get_all_assigned_mediated_devices(
            self, instance: objects.Instance | None = None) -> dict[str, str]:
        plan = None if instance is None else self._xmlhooks_planned(instance)
        if plan is None:
            return super()._get_all_assigned_mediated_devices(instance)
        return dict(plan.mdevs)

    def _serial_ports_already_defined(self,
                                      instance: objects.Instance) -> bool:
        ports = _PLANNING.get()
        if ports is not None and ports.uuid == instance.uuid:
            # NOTE(xmlhooks): the XML planned before the destroy is the one
            # Nova builds after it, when the guest is no longer defined.
            return False
        return super()._serial_ports_already_defined(instance)

    def _create_serial_consoles(self, guest_cfg: vconfig.LibvirtConfigGuest,
                                *args: ty.Any, **kwargs: ty.Any) -> None:
        before = len(guest_cfg.devices)
        result = super()._create_serial_consoles(guest_cfg, *args, **kwargs)
        ports = _PLANNING.get()
        if ports is not None:
            ports.taken.extend(
                (device.listen_host, device.listen_port)
                for device in guest_cfg.devices[before:]
                if getattr(device, 'listen_port', None) is not None)
        return result

    def _get_existing_guest_config(
            self,
            instance: objects.Instance) -> vconfig.LibvirtConfigGuest | None:
        plan = self._xmlhooks_planned(instance)
        if plan is None or plan.old_guest is _UNSET:
            return super()._get_existing_guest_config(instance)
        return plan.old_guest
