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

"""Where the start-up path reports what is wrong.

The path from the configuration to a ready engine (customisers, checks,
profile files, their shape, their compiled rules) is walked once, and every
problem found on the way goes to one *sink*: nova-compute, nova-api and the
other commands raise the first problem, ``nova-xmlhooks validate`` collects
every problem, once each, and goes on with what is left.
"""

from __future__ import annotations

from collections.abc import Callable
import typing as ty

if ty.TYPE_CHECKING:
    from nova_xmlhooks import exception

    #: where the start-up path reports each problem it finds
    Sink: ty.TypeAlias = Callable[[exception.XmlHooksError], None]


def sink(errors: list[exception.XmlHooksError] | None = None) -> Sink:
    """The sink for a list, or the one that raises.

    :param errors: None to raise the first problem; a list to append every
        problem to
    :returns: a callable taking an
        :class:`~nova_xmlhooks.exception.XmlHooksError`
    """
    if errors is None:
        return raise_first
    return errors.append


def raise_first(error: exception.XmlHooksError) -> ty.NoReturn:
    """The sink of the services: the first problem stops everything.

    :param error: an :class:`~nova_xmlhooks.exception.XmlHooksError`
    :raises: the error
    """
    raise error
