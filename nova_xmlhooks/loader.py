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

from oslo_log import log as logging
from stevedore import named

from nova_xmlhooks.customizers import base
from nova_xmlhooks import exception

LOG = logging.getLogger(__name__)

CUSTOMIZER_NAMESPACE = 'nova_xmlhooks.customizers'


def _raise_load_failure(manager, entrypoint, error):
    # NOTE(xmlhooks): stevedore logs and carries on by default. A compute
    # host that silently lost a customiser would boot guests without their
    # customisations, so a failed load stops the service instead.
    raise exception.CustomizerLoadError(entrypoint.name, '%s: %s' % (
        type(error).__name__, error))


def load_customizers(conf, names):
    """Load and instantiate the named customisers.

    :param conf: the service's ``oslo_config.cfg.ConfigOpts``
    :param names: entry point names, in application order
    :returns: a dict of family to customiser, in the order of ``names``
    :raises: nova_xmlhooks.exception.CustomizerLoadError
    """
    if len(set(names)) != len(names):
        raise exception.CustomizerLoadError(
            ','.join(names), 'a customizer is listed twice')
    if not names:
        return {}
    manager = named.NamedExtensionManager(
        CUSTOMIZER_NAMESPACE, names=names, name_order=True,
        invoke_on_load=True, invoke_args=(conf,),
        on_load_failure_callback=_raise_load_failure,
        on_missing_entrypoints_callback=_raise_missing)
    customizers = {}
    for extension in manager:
        customizer = extension.obj
        if not isinstance(customizer, base.Customizer):
            raise exception.CustomizerLoadError(
                extension.name, 'is not a nova_xmlhooks Customizer')
        if customizer.family in customizers:
            raise exception.CustomizerLoadError(
                extension.name, "family '%s' is already handled"
                % customizer.family)
        customizers[customizer.family] = customizer
    LOG.debug('Loaded xmlhooks customizers: %s', ', '.join(customizers))
    return customizers


def _raise_missing(names):
    raise exception.CustomizerLoadError(
        ', '.join(sorted(names)), 'no such entry point in %s'
        % CUSTOMIZER_NAMESPACE)
