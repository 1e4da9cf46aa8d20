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

"""Where nova's private interfaces differ between the supported series.

The driver overrides private methods of nova's libvirt driver. Those
differ between the series this project supports, and every difference is
handled here, and only here, by what the running nova offers rather than
by its version number:

======================  ==========================================
nova series             difference
======================  ==========================================
2025.1 (31) and later   ``_hard_reboot`` and ``_get_guest_xml`` take
                        ``share_info`` (virtiofs shares)
2025.2 (32) and later   the domain metadata records the flavor's
                        extra specs (``<nova:extraSpecs>``); see
                        :func:`nova_xmlhooks.metadata.flavor_extra_specs`
2026.1 (33) and later   ``_get_guest_xml`` takes ``old_guest``, the
                        definition before a hard reboot, read with
                        ``_get_existing_guest_config``
======================  ==========================================

In every series, ``_get_guest_xml`` builds the guest configuration with
``_get_guest_config`` and returns its ``to_xml()``, which is
``etree.tostring(self.format_dom(), encoding='unicode',
pretty_print=True)``: :func:`customised_guest_xml` relies on that to
hand the engine the tree Nova builds rather than its text.

:data:`TESTED_SERIES` names the series the project is tested with; on
another one, the driver still starts and logs one warning.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
import contextvars
import dataclasses
import functools
import inspect
import typing as ty

from oslo_log import log as logging

if ty.TYPE_CHECKING:
    from lxml import etree
    from nova import context as nova_context
    from nova.network import model as network_model
    from nova import objects
    from nova.virt.libvirt import config as vconfig
    from nova.virt.libvirt import driver as libvirt_driver

    #: ``customize(root, nova_xml)``: the XML for Nova's tree (see
    #: :meth:`~nova_xmlhooks.engine.Engine.customize_tree`)
    CustomizeTree: ty.TypeAlias = Callable[
        [etree._Element, Callable[[], str]], str]

LOG = logging.getLogger(__name__)

#: nova's major version and release series, for each series supported:
#: tested in CI, but for those in :data:`BEST_EFFORT`
TESTED_SERIES = {
    29: '2024.1',
    30: '2024.2',
    31: '2025.1',
    32: '2025.2',
    33: '2026.1',
    34: '2026.2',
}
#: series supported on a best-effort basis: no CI job tests them, as this
#: project keeps no upper constraints for them
BEST_EFFORT = frozenset([30])


def nova_major() -> int | None:
    """The major version of the nova that is installed.

    :returns: an int, e.g. ``34``; None if nova cannot tell
    """
    from nova import version
    text = version.version_string()
    major = text.split('.', 1)[0]
    return int(major) if major.isdigit() else None


def tested_range() -> str:
    """The tested series as one phrase, e.g. for a warning.

    :returns: e.g. ``nova 29 to 34 (2024.1 to 2026.2)``
    """
    first, last = min(TESTED_SERIES), max(TESTED_SERIES)
    return 'nova %d to %d (%s to %s)' % (
        first, last, TESTED_SERIES[first], TESTED_SERIES[last])


def warn_if_untested(major: int | None = None) -> bool:
    """Log one warning when nova's series is not tested in CI.

    NOTE(xmlhooks): a newer nova is not refused: the driver is likely to
    work, and refusing would stop nova-compute on an upgrade. The warning
    tells the operator what was proven and what was not.

    :param major: nova's major version; the installed one by default
    :returns: True if a warning was logged
    """
    if major is None:
        major = nova_major()
    if major in BEST_EFFORT:
        LOG.warning('nova-xmlhooks supports nova %(running)s (%(series)s) '
                    'on a best-effort basis: no CI job tests this series.',
                    {'running': major, 'series': TESTED_SERIES[major]})
        return True
    if major in TESTED_SERIES:
        return False
    LOG.warning('nova-xmlhooks is tested with %(tested)s; this host runs '
                'nova %(running)s. The driver is loaded, but untested on '
                'this series.',
                {'tested': tested_range(),
                 'running': major if major is not None else 'of an unknown '
                 'version'})
    return True


@dataclasses.dataclass(frozen=True)
class HardReboot:
    """The arguments of one ``_hard_reboot`` call, whatever the series.

    :ivar share_info: ``None`` on a series whose ``_hard_reboot`` has no
        ``share_info``
    """

    context: nova_context.RequestContext
    instance: objects.Instance
    network_info: network_model.NetworkInfo
    share_info: objects.ShareMappingList | None = None
    block_device_info: dict[str, ty.Any] | None = None
    accel_info: list[dict[str, ty.Any]] | None = None


_HARD_REBOOT_FIELDS = tuple(field.name
                            for field in dataclasses.fields(HardReboot))


@functools.cache
def _signature(function: Callable[..., ty.Any]) -> inspect.Signature:
    return inspect.signature(function)


def _takes(function: Callable[..., ty.Any], name: str) -> bool:
    return name in _signature(function).parameters


@dataclasses.dataclass(frozen=True)
class _Parameters:
    """A function's parameters, to bind a call's arguments to.

    NOTE(xmlhooks): ``inspect``'s binding runs in Python and costs tens of
    microseconds, twice per hard reboot. Nova's methods take plain
    parameters (positional or keyword, no ``*args``), which a list of
    names and the defaults bind exactly as ``inspect`` does; any other
    signature is bound by ``inspect``.

    :ivar names: the parameters, in order
    :ivar defaults: ``{name: default}``
    :ivar plain: whether every parameter is positional or keyword
    """

    names: tuple[str, ...]
    defaults: dict[str, ty.Any]
    plain: bool

    @classmethod
    def of(cls, signature: inspect.Signature) -> _Parameters:
        plain = all(p.kind is p.POSITIONAL_OR_KEYWORD
                    for p in signature.parameters.values())
        return cls(tuple(signature.parameters), {
            name: p.default for name, p in signature.parameters.items()
            if p.default is not p.empty}, plain)

    def bind(self, args: Sequence[ty.Any],
             kwargs: Mapping[str, ty.Any]) -> dict[str, ty.Any]:
        """Every argument by name, defaults filled in.

        :raises: TypeError as calling the function would
        """
        if len(args) > len(self.names):
            raise TypeError('too many positional arguments')
        bound = dict(zip(self.names, args))
        for name, value in kwargs.items():
            if name in bound or name not in self.names:
                raise TypeError('unexpected or repeated argument %r' % name)
            bound[name] = value
        for name in self.names:
            if name not in bound:
                if name not in self.defaults:
                    raise TypeError('missing a required argument: %r'
                                    % name)
                bound[name] = self.defaults[name]
        return bound


@functools.cache
def _parameters(function: Callable[..., ty.Any]) -> _Parameters:
    return _Parameters.of(_signature(function))


def _bind(function: Callable[..., ty.Any], args: Sequence[ty.Any],
          kwargs: Mapping[str, ty.Any]) -> dict[str, ty.Any]:
    """Bind a call's arguments to a function's parameters, by name.

    :returns: a dict of every parameter, defaults filled in
    :raises: TypeError if they do not fit the signature
    """
    parameters = _parameters(function)
    if parameters.plain:
        return parameters.bind(args, kwargs)
    bound = _signature(function).bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def hard_reboot_args(nova_method: Callable[..., ty.Any],
                     driver: libvirt_driver.LibvirtDriver,
                     args: Sequence[ty.Any],
                     kwargs: Mapping[str, ty.Any]) -> HardReboot:
    """Read the arguments of a ``_hard_reboot`` call.

    :param nova_method: nova's own ``LibvirtDriver._hard_reboot``
    :param driver: the driver it is called on
    :param args: the positional arguments, without ``self``
    :param kwargs: the keyword arguments
    :returns: a :class:`HardReboot`
    :raises: TypeError if they do not fit nova's signature
    """
    arguments = _bind(nova_method, (driver, *args), kwargs)
    # NOTE(xmlhooks): an argument a later nova adds is passed on to nova
    # untouched; only the ones the preflight needs are read.
    return HardReboot(**{name: arguments[name]
                         for name in _HARD_REBOOT_FIELDS
                         if name in arguments})


def guest_xml_kwargs(nova_method: Callable[..., ty.Any],
                     driver: libvirt_driver.LibvirtDriver,
                     reboot: HardReboot) -> dict[str, ty.Any]:
    """The keyword arguments ``_hard_reboot`` passes to ``_get_guest_xml``.

    Only the ones this nova knows: ``share_info`` from 2025.1, and from
    2026.1 ``old_guest``, the definition as it is before the reboot.

    :param nova_method: nova's own ``LibvirtDriver._get_guest_xml``
    :param driver: the driver, still holding the guest's definition
    :param reboot: a :class:`HardReboot`
    :returns: a dict of keyword arguments
    """
    kwargs = {'block_device_info': reboot.block_device_info,
              'accel_info': reboot.accel_info}
    if _takes(nova_method, 'share_info'):
        kwargs['share_info'] = reboot.share_info
    if _takes(nova_method, 'old_guest'):
        kwargs['old_guest'] = driver._get_existing_guest_config(
            reboot.instance)
    return kwargs


def guest_xml_call(nova_method: Callable[..., ty.Any], args: Sequence[ty.Any],
                   kwargs: Mapping[str, ty.Any]) -> dict[str, ty.Any]:
    """Read the arguments of a ``_get_guest_xml`` call after ``image_meta``.

    :param nova_method: nova's own ``LibvirtDriver._get_guest_xml``
    :param args: the positional arguments after ``image_meta``
    :param kwargs: the keyword arguments
    :returns: a dict of every argument this nova takes after
        ``image_meta``, defaults filled in (``rescue``, ``mdevs``, ...)
    :raises: TypeError if they do not fit nova's signature
    """
    names = _parameters(nova_method).names
    first = names.index('image_meta') + 1
    # NOTE(xmlhooks): the parameters up to image_meta are given apart.
    arguments = _bind(nova_method, (*([None] * first), *args), kwargs)
    return {name: arguments[name] for name in names[first:]}


@dataclasses.dataclass
class _GuestXmlRequest:
    """One ``_get_guest_xml`` call whose tree the engine wants.

    :ivar instance: the instance the XML is for
    :ivar customize: ``customize(root, nova_xml)`` returns the XML for
        Nova's tree; ``nova_xml()`` returns Nova's own XML
    :ivar taken: whether a guest configuration was wrapped for it
    :ivar served: whether the wrapper gave the XML
    """

    instance: objects.Instance
    customize: CustomizeTree
    taken: bool = False
    served: bool = False


_REQUEST: contextvars.ContextVar[_GuestXmlRequest | None] = (
    contextvars.ContextVar('xmlhooks_guest_xml', default=None))


class _CustomisedConfig:
    """Nova's guest configuration, whose XML the engine customises.

    Everything but ``to_xml`` is the configuration's own.
    """

    def __init__(self, config: vconfig.LibvirtConfigGuest,
                 request: _GuestXmlRequest) -> None:
        self._config = config
        self._request = request

    def __getattr__(self, name: str) -> ty.Any:
        return getattr(self._config, name)

    def to_xml(self, pretty_print: bool = True) -> str:
        config = self._config
        if not pretty_print:
            # NOTE(xmlhooks): Nova does not ask for it; the text is then
            # customised as it is.
            return config.to_xml(pretty_print=pretty_print)
        result = self._request.customize(config.format_dom(),
                                         config.to_xml)
        self._request.served = True
        return result


def customised_guest_xml(generate: Callable[[], str],
                         instance: objects.Instance, customize: CustomizeTree,
                         customize_text: Callable[[str], str]) -> str:
    """Run nova's ``_get_guest_xml``, customising the tree it builds.

    NOTE(xmlhooks): Nova serialises the tree it builds, and the engine
    would parse that text again. While ``generate`` runs,
    :func:`guest_config` wraps the configuration that nova's
    ``_get_guest_config`` returns for ``instance``, so that its
    ``to_xml`` hands the tree to ``customize``. Should a nova build the
    XML another way, the wrapper is not asked for it, and the text it
    returns is customised instead: the result is the same either way.

    :param generate: a callable running nova's ``_get_guest_xml`` and
        returning its XML
    :param instance: the instance
    :param customize: ``customize(root, nova_xml)``, see
        :meth:`~nova_xmlhooks.engine.Engine.customize_tree`
    :param customize_text: ``customize_text(xml)``, see
        :meth:`~nova_xmlhooks.engine.Engine.customize`
    :returns: the customised XML
    """
    request = _GuestXmlRequest(instance, customize)
    token = _REQUEST.set(request)
    try:
        xml = generate()
    finally:
        _REQUEST.reset(token)
    return xml if request.served else customize_text(xml)


def guest_config(config: vconfig.LibvirtConfigGuest,
                 instance: objects.Instance) -> GuestConfig:
    """What the driver's ``_get_guest_config`` returns.

    :param config: what nova's ``_get_guest_config`` returned
    :param instance: the instance it is for
    :returns: ``config``; wrapped, when it is the configuration of a
        :func:`customised_guest_xml` call
    """
    request = _REQUEST.get()
    if request is None or request.taken or request.instance is not instance:
        return config
    request.taken = True
    return _CustomisedConfig(config, request)


if ty.TYPE_CHECKING:
    #: what the driver's ``_get_guest_config`` returns
    GuestConfig: ty.TypeAlias = vconfig.LibvirtConfigGuest | _CustomisedConfig
