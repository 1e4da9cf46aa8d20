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

"""Loading customisers with stevedore."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
import typing as ty

from oslo_log import log as logging
from stevedore import named

from nova_xmlhooks.customizers import base
from nova_xmlhooks import exception
from nova_xmlhooks import problems

if ty.TYPE_CHECKING:
    from importlib import metadata as importlib_metadata

    from oslo_config import cfg
    from stevedore import extension as stevedore_extension

LOG = logging.getLogger(__name__)

CUSTOMIZER_NAMESPACE = 'nova_xmlhooks.customizers'


def load_customizers(conf: cfg.ConfigOpts, names: Sequence[str],
                     errors: list[exception.XmlHooksError] | None = None,
                     manager: named.NamedExtensionManager | None = None
                     ) -> dict[str, base.Customizer]:
    """Load and instantiate the named customisers.

    :param conf: the service's ``oslo_config.cfg.ConfigOpts``
    :param names: entry point names, in application order
    :param errors: None to raise the first problem; a list to collect
        every problem in, once each, and return the customisers that loaded
    :param manager: a stevedore ``NamedExtensionManager`` to take the
        customisers from instead of the entry points, such as tests build
        with ``make_test_instance``
    :returns: a dict of family to customiser, in the order of ``names``
    :raises: nova_xmlhooks.exception.CustomizerLoadError
    """
    report = problems.sink(errors)
    if len(set(names)) != len(names):
        report(exception.CustomizerLoadError(
            ','.join(names), 'a customizer is listed twice'))
        names = list(dict.fromkeys(names))
    if manager is None:
        if not names:
            return {}
        manager = _manager(conf, names, report)
    customizers: dict[str, base.Customizer] = {}
    for extension in manager:
        try:
            family, customizer = _checked(extension, customizers)
        except exception.CustomizerLoadError as e:
            report(e)
        else:
            customizers[family] = customizer
    LOG.debug('Loaded xmlhooks customizers: %s', ', '.join(customizers))
    return customizers


def _checked(extension: stevedore_extension.Extension,
             customizers: base.Customizers) -> tuple[str, base.Customizer]:
    """A loaded extension's family and customiser, or why it is refused.

    :raises: nova_xmlhooks.exception.CustomizerLoadError
    """
    customizer = extension.obj
    if not isinstance(customizer, base.Customizer):
        raise exception.CustomizerLoadError(
            extension.name, 'is not a nova_xmlhooks Customizer')
    family = customizer.family
    # NOTE(xmlhooks): the base class's family is None; a customiser that
    # keeps it owns no key, and a family that is not a string cannot be
    # named in a message or a log line.
    if not isinstance(family, str) or not family:
        raise exception.CustomizerLoadError(extension.name, 'sets no family')
    if family in customizers:
        raise exception.CustomizerLoadError(
            extension.name, "family '%s' is already handled" % family)
    return family, customizer


def _manager(conf: cfg.ConfigOpts, names: Sequence[str],
             report: problems.Sink) -> named.NamedExtensionManager:
    """Load the named entry points, reporting each that fails once.

    NOTE(xmlhooks): stevedore logs and carries on by default. A compute
    host that silently lost a customiser would boot guests without their
    customisations, so a failed load is a problem for the sink: the
    services stop, ``nova-xmlhooks validate`` lists it.
    """
    failed: set[str] = set()

    def load_failed(manager: stevedore_extension.ExtensionManager,
                    entrypoint: importlib_metadata.EntryPoint,
                    error: BaseException) -> None:
        failed.add(entrypoint.name)
        report(exception.CustomizerLoadError(
            entrypoint.name, '%s: %s' % (type(error).__name__, error)))

    def missing(missing_names: Iterable[str]) -> None:
        # NOTE(xmlhooks): stevedore counts an entry point that failed to
        # load as missing too; that one was reported already.
        names = sorted(set(missing_names) - failed)
        if names:
            report(exception.CustomizerLoadError(
                ', '.join(names), 'no such entry point in %s'
                % CUSTOMIZER_NAMESPACE))

    return named.NamedExtensionManager(
        CUSTOMIZER_NAMESPACE, names=names, name_order=True,
        invoke_on_load=True, invoke_args=(conf,),
        on_load_failure_callback=load_failed,
        on_missing_entrypoints_callback=missing)
