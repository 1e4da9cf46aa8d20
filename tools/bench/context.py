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
import itertools
import uuid

from lxml import etree
from oslo_config import cfg

from nova_xmlhooks import conf as xmlhooks_conf  # noqa: F401
from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import instance_specs

CONF = cfg.CONF

#: repetitions per mode: of an engine application, of Nova's
#: _get_guest_xml, of the separate-process hook, of start-up, of
#: applications per thread count, of calls profiled for a missed target,
#: of hard reboots, of applications per document size, and of nova-api
#: requests
REPS = {
    'full': {'engine': 3000, 'nova': 1000, 'hook': 60, 'startup': 5,
             'threads': 1600, 'profile': 300, 'reboots': 60,
             'documents': 200, 'api': 2000},
    'quick': {'engine': 250, 'nova': 100, 'hook': 10, 'startup': 1,
              'threads': 240, 'profile': 100, 'reboots': 10,
              'documents': 30, 'api': 200},
}


def guest(xml, instance, number):
    """Nova's XML for another guest of the same flavor.

    NOTE(xmlhooks): the schema check remembers parts it found valid, as
    written (see nova_xmlhooks.schema.RegionValidator); customising one
    document again and again would measure only that memory. Each guest
    has its own UUID, and so its own disk paths and SMBIOS serial, and its
    own name, as a new guest on a host has: what is shared by the guests
    of a flavor is remembered, what is a guest's own is validated.

    :param xml: Nova's XML for the booted instance
    :param instance: that instance
    :param number: the guest's number, for its name
    :returns: the XML, as a str
    """
    text = xml.replace(instance.uuid, str(uuid.uuid4()))
    return text.replace('<nova:name>%s</nova:name>' % instance.display_name,
                        '<nova:name>guest-%d</nova:name>' % number)


class Context:
    """Nova's XML for one booted server, and engines built as Nova would.

    :ivar mode: ``full`` or ``quick``
    :ivar reps: the repetitions of the mode (see :data:`REPS`)
    :ivar work_dir: a directory for profile files, removed afterwards
    :ivar instance: the booted instance
    :ivar nova_xml: the domain XML Nova generated for it
    :ivar images: the profiles the instance's image selects
    :ivar nova_call: generates the XML again, as Nova did
    :ivar hard_reboots: ``hard_reboots(engine, specs, count)`` hard
        reboots a server of a flavor with ``specs`` ``count`` times
        through Nova, and returns what each reboot timed (see
        :mod:`tools.bench.reboots`)
    :ivar workload: the rule sets (a
        :class:`tools.bench.workloads.Workload`), once prepared
    """

    def __init__(self, case, mode, work_dir, instance, nova_xml, nova_call,
                 hard_reboots=None):
        self._case = case
        self.mode = mode
        self.reps = REPS[mode]
        self.work_dir = work_dir
        self.instance = instance
        self.nova_xml = nova_xml
        self.images = instance_specs.image_profiles(instance)
        self.nova_call = nova_call
        self.hard_reboots = hard_reboots
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
        """:meth:`customize` on Nova's text of the booted guest, again.

        For what needs the same result each time (threads, the library
        size); the cost rows use :meth:`customize_tree`.
        """
        instance = self.instance
        xml = self.nova_xml
        image_profiles = instance_specs.image_profiles
        return lambda: engine.customize(xml, specs, image_profiles(instance),
                                        instance=instance)

    def customize_tree(self, engine, specs, xml=None):
        """What the driver adds to ``_get_guest_xml``, for new guests.

        The driver hands the engine the tree Nova builds (see
        :func:`nova_xmlhooks.compat.customised_guest_xml`); each call gets
        the tree of a new guest of the flavor (see :func:`guest`), built
        before the clock starts.

        :param xml: Nova's XML to make the guests from; that of the booted
            instance by default
        :returns: ``make()``, for :func:`tools.bench.stats.sample_each`
        """
        xml = xml or self.nova_xml
        parser = etree.XMLParser(remove_blank_text=True)
        instance = self.instance
        images = instance_specs.image_profiles(instance)
        numbers = itertools.count()

        def make():
            text = guest(xml, instance, next(numbers))
            root = etree.fromstring(text.encode('utf-8'), parser)

            def call():
                # NOTE(xmlhooks): the driver resolves first, to leave
                # guests with nothing to apply to Nova.
                if engine.resolve(specs, images):
                    return engine.customize_tree(
                        root, lambda: text, specs, images,
                        instance=instance)
                return text
            return call
        return make

    def customize_text(self, engine, specs):
        """:meth:`customize`, on Nova's text of a new guest each time.

        :returns: ``make()``, for :func:`tools.bench.stats.sample_each`
        """
        instance = self.instance
        images = instance_specs.image_profiles(instance)
        numbers = itertools.count()

        def make():
            text = guest(self.nova_xml, instance, next(numbers))
            return lambda: engine.customize(text, specs, images,
                                            instance=instance)
        return make

    def repeat(self, make):
        """One function calling ``make()()``, for cProfile and threads."""
        return lambda: make()()
