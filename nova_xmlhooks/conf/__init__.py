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
from nova_xmlhooks import exception
from nova_xmlhooks import messages

CONF = cfg.CONF

xmlhooks.register_opts(CONF)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    """Return the options for oslo-config-generator and the docs.

    :returns: a list of ``(group, [options])`` pairs
    """
    return [(group, opts) for group, opts in xmlhooks.list_opts().items()]


def check_values(conf: cfg.ConfigOpts) -> None:
    """Read every ``[xmlhooks]`` option, so that a bad value stops a start.

    NOTE(xmlhooks): oslo.config checks a value only when it is read. An
    option read only by some operation (``preflight_asks_libvirt``, by a
    hard reboot) would otherwise let nova-compute start and fail that
    operation on every guest with oslo.config's error, traceback included.

    :param conf: the service's ``oslo_config.cfg.ConfigOpts``
    :raises: nova_xmlhooks.exception.XmlHooksError naming the option
    """
    group = conf.xmlhooks
    for opt in xmlhooks.ALL_OPTS:
        try:
            getattr(group, opt.dest)
        except cfg.ConfigSourceValueError as e:
            raise exception.XmlHooksError(
                reason='[xmlhooks] %s is not valid: %s'
                % (opt.name, value_reason(e)))


def value_reason(error: cfg.ConfigSourceValueError) -> str:
    """Why oslo.config refused an option's value, in one line.

    NOTE(xmlhooks): oslo.config raises the error from within the handler
    of the type's own ``ValueError``, which it chains as the context; that
    object holds the reason, and oslo's text is not parsed.

    :param error: the ``cfg.ConfigSourceValueError``
    :returns: the reason
    """
    cause = error.__cause__ or error.__context__
    return messages.one_line(cause if isinstance(cause, ValueError)
                             else error)
