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

"""Exceptions raised by nova-xmlhooks.

NOTE(xmlhooks): every error derives from nova's ``InvalidInput``. Nova's
compute manager turns an ``InvalidInput`` raised during a build into a
``BuildAbortException``: the build stops at once, is not rescheduled to
other hosts, and the instance fault carries our message. Any other
exception would be retried on other hosts and the user would only see
"Exceeded maximum number of retries". Messages are one line, name the key
or file, and never carry file contents.

NOTE(xmlhooks): the classes are defined in a private module that this one
loads the first time one of them is named (PEP 562). Deriving from
``InvalidInput`` means importing ``nova.exception``, and with it WebOb:
about 30 ms, a tenth of what ``nova-xmlhooks render`` takes in all,
although the command needs the classes only when something fails.
nova-compute and nova-api have ``nova.exception`` loaded long before.
Names are looked up when a ``raise`` or an ``except`` clause is run,
so code reads ``exception.RuleError`` as with any module.
"""

from __future__ import annotations

import importlib
import typing as ty

if ty.TYPE_CHECKING:
    # NOTE(xmlhooks): what type checkers read; at run time the names are
    # bound on first use, below.
    from nova_xmlhooks import _exception_classes as _classes

    XmlHooksError = _classes.XmlHooksError
    InvalidSpec = _classes.InvalidSpec
    UnknownProfile = _classes.UnknownProfile
    ProfileError = _classes.ProfileError
    RuleError = _classes.RuleError
    CustomizerLoadError = _classes.CustomizerLoadError
    GuardError = _classes.GuardError
    SchemaError = _classes.SchemaError
    DoctypeError = _classes.DoctypeError

# NOTE(xmlhooks): not ``__all__``: the names are bound on first use, and
# flake8 rightly refuses an ``__all__`` naming what the module lacks.
#: the names of the errors, each a subclass of ``XmlHooksError``
ERRORS = (
    'XmlHooksError',
    'InvalidSpec',
    'UnknownProfile',
    'ProfileError',
    'RuleError',
    'CustomizerLoadError',
    'GuardError',
    'SchemaError',
    'DoctypeError',
)


def __getattr__(name: str) -> type[XmlHooksError]:
    """Load the classes on first use.

    :param name: the attribute asked for
    :returns: the class of that name
    :raises: AttributeError if it is not one of :data:`ERRORS`
    """
    if name not in ERRORS:
        raise AttributeError('module %r has no attribute %r'
                             % (__name__, name))
    classes = importlib.import_module('nova_xmlhooks._exception_classes')
    # NOTE(xmlhooks): once bound here, later look-ups never come back.
    globals().update((each, getattr(classes, each)) for each in ERRORS)
    return globals()[name]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(ERRORS))
