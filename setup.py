# Copyright (c) 2026 The nova-xmlhooks authors
#
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

import os

import setuptools
from setuptools.command import build_py

# NOTE(xmlhooks): equal to _nova_xmlhooks_shim.PTH_NAME and PTH_LINE
# (tests/unit/test_packaging.py checks it); that module is not importable
# here, before the project is built.
PTH_NAME = 'nova-xmlhooks-shim.pth'
PTH_LINE = 'import _nova_xmlhooks_shim; _nova_xmlhooks_shim.install()\n'


class BuildPy(build_py.build_py):
    """Also write the ``.pth`` file that registers the driver's finder.

    NOTE(xmlhooks): a ``.pth`` file must sit at the top of the site
    directory, where no package data can go. It is written into the build
    directory, so the wheel carries it and pip records it, and removes it
    on uninstall. See _nova_xmlhooks_shim.py for why the finder is needed.
    """

    def run(self):
        super().run()
        with open(os.path.join(self.build_lib, PTH_NAME), 'w') as handle:
            handle.write(PTH_LINE)

    def get_outputs(self, include_bytecode=True):
        return super().get_outputs(include_bytecode) + [
            os.path.join(self.build_lib, PTH_NAME)]


class Distribution(setuptools.Distribution):
    """Runs :class:`BuildPy` for ``build_py``.

    NOTE(xmlhooks): pbr replaces ``cmdclass`` with its own commands when it
    reads setup.cfg, so the command is chosen here instead.
    """

    def get_command_class(self, command):
        if command == 'build_py':
            return BuildPy
        return super().get_command_class(command)


setuptools.setup(
    setup_requires=['pbr>=6.0.0'],
    pbr=True,
    distclass=Distribution)
