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

"""What a measurement runs with."""

import contextlib

from oslo_config import cfg

from nova_xmlhooks import conf as xmlhooks_conf  # noqa: F401
from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import instance_specs

CONF = cfg.CONF

#: repetitions per mode: of an engine application, of Nova's
#: _get_guest_xml, of the separate-process hook, of start-up, of
#: applications per thread count, and of calls profiled for a missed target
REPS = {
    'full': {'engine': 3000, 'nova': 1000, 'hook': 60, 'startup': 5,
             'threads': 1600, 'profile': 300},
    'quick': {'engine': 250, 'nova': 100, 'hook': 10, 'startup': 1,
              'threads': 240, 'profile': 100},
}


class Context:
    """Nova's XML for one booted server, and engines built as Nova would.

    :ivar mode: ``full`` or ``quick``
    :ivar reps: the repetitions of the mode (see :data:`REPS`)
    :ivar work_dir: a directory for profile files, removed afterwards
    :ivar instance: the booted instance
    :ivar nova_xml: the domain XML Nova generated for it
    :ivar images: the profiles the instance's image selects
    :ivar nova_call: generates the XML again, as Nova did
    :ivar workload: the rule sets (a
        :class:`tools.bench.workloads.Workload`), once prepared
    """

    def __init__(self, case, mode, work_dir, instance, nova_xml, nova_call):
        self._case = case
        self.mode = mode
        self.reps = REPS[mode]
        self.work_dir = work_dir
        self.instance = instance
        self.nova_xml = nova_xml
        self.images = instance_specs.image_profiles(instance)
        self.nova_call = nova_call
        self.workload = None

    def engine(self, profile_dir):
        """An engine built from the configuration, as the driver builds it.

        :param profile_dir: the only profile directory
        """
        self._case.flags(profile_dirs=[profile_dir], group='xmlhooks')
        return engine_mod.Engine.from_conf(CONF)

    @contextlib.contextmanager
    def options(self, **options):
        """Set ``[xmlhooks]`` options for the engines built inside."""
        self._case.flags(group='xmlhooks', **options)
        try:
            yield
        finally:
            for option in options:
                CONF.clear_override(option, group='xmlhooks')

    def customize(self, engine, specs):
        """What the driver adds to ``_get_guest_xml``, as it calls it."""
        instance = self.instance
        xml = self.nova_xml
        image_profiles = instance_specs.image_profiles
        return lambda: engine.customize(xml, specs, image_profiles(instance),
                                        instance=instance)
