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

"""Make ``nova.virt.xmlhooks`` importable wherever nova is installed.

NOTE(xmlhooks): nova loads a compute driver only by a name below
``nova.virt`` (``importutils.import_object('nova.virt.%s' % name)``), and
``nova`` is a regular package: Python searches only the directory that
holds nova's ``__init__.py``. A module file shipped at
``nova/virt/xmlhooks.py`` is therefore never found when pip installs this
project in another site directory than nova's, which is the rule with
distribution packages (pip's ``/usr/local/lib/python3*/dist-packages``
next to Debian's ``/usr/lib/python3/dist-packages``).

Instead, a one-line ``.pth`` file installed next to this module calls
:func:`install` when the interpreter starts, the way setuptools' editable
installs register their finders. It appends :class:`ShimFinder` to
``sys.meta_path``: the finder answers for ``nova.virt.xmlhooks`` only, and
only after Python's own finders have not found it, so it costs nothing
until nova asks for the driver. Uninstalling the package removes the
``.pth`` file with it.

This module must stay tiny and import nothing at module level beyond
``sys``: every Python process of the environment imports it at start. It
is a top-level module, outside the ``nova_xmlhooks`` package, so that
importing it does not import the package before ``sys.path`` is complete.
"""

import sys

#: the module nova imports for ``compute_driver = xmlhooks.LibvirtDriver``
MODULE = 'nova.virt.xmlhooks'
#: the line of the ``.pth`` file that registers the finder
PTH_LINE = 'import _nova_xmlhooks_shim; _nova_xmlhooks_shim.install()\n'
#: the name of that file in the site directory
PTH_NAME = 'nova-xmlhooks-shim.pth'


class ShimLoader:
    """Builds ``nova.virt.xmlhooks`` from the project's driver module."""

    @staticmethod
    def create_module(spec):
        """Use the default module creation.

        :param spec: the module spec
        :returns: None
        """
        return None

    @staticmethod
    def exec_module(module):
        """Re-export the driver, which imports nova's libvirt driver.

        :param module: the new ``nova.virt.xmlhooks`` module
        """
        from nova_xmlhooks import driver
        module.LibvirtDriver = driver.LibvirtDriver


class ShimFinder:
    """A meta path finder for ``nova.virt.xmlhooks`` alone."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        """Find the shim module.

        :param fullname: the module being imported
        :param path: the parent package's ``__path__``
        :param target: unused
        :returns: a module spec for :data:`MODULE`, else None
        """
        if fullname != MODULE:
            return None
        # NOTE(xmlhooks): imported here, not at interpreter start.
        from importlib import machinery
        return machinery.ModuleSpec(fullname, ShimLoader(),
                                    origin=__name__)

    @staticmethod
    def invalidate_caches():
        """Nothing is cached."""


def install():
    """Register :class:`ShimFinder`, once, after Python's own finders.

    NOTE(xmlhooks): appended, not inserted: a ``nova/virt/xmlhooks.py``
    that an operator linked by hand, or an older release installed, is
    still found first, by Python's path finder.
    """
    if ShimFinder not in sys.meta_path:
        sys.meta_path.append(ShimFinder)
