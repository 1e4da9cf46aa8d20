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

"""The functional harness: Nova in-process, with this driver on the computes.

Everything between the REST API and the libvirt driver is Nova's real code
(API, conductor, scheduler, placement, compute manager, libvirt driver)
from ``nova.tests.functional.libvirt.base.ServersTestBase``; only libvirt
itself is Nova's fake. Computes load the driver by name, through nova's own
``load_compute_driver``, exactly as ``compute_driver =
xmlhooks.LibvirtDriver`` in nova.conf would.

NOTE(xmlhooks): the fake libvirt's ``XMLDesc`` renders a canned template
from a few parsed fields, not the document it was given, so asking the fake
domain for its XML proves nothing. The harness records every document Nova
hands to the fake connection (``defineXML`` for persistent domains,
``createXML`` for transient ones such as the destination of a live
migration) and every launch of a defined domain, per host.
"""

import dataclasses
import os
import sys
import weakref

import fixtures
from lxml import etree
from nova.api.validation.extra_specs import validators as spec_validators
from nova import conf as nova_conf
from nova.tests.fixtures import libvirt as fakelibvirt
from nova.tests.functional.libvirt import base as libvirt_base
from nova import utils as nova_utils
from nova.virt.libvirt import utils as libvirt_utils
from oslo_utils import fileutils

from nova_xmlhooks import metadata
from nova_xmlhooks import xpath_edit
from tests.functional import compat

CONF = nova_conf.CONF

#: prefixes known to :meth:`XmlHooksTestBase.xpath`
NAMESPACES = dict(xpath_edit.NAMESPACES,
                  nova=metadata.NOVA_NS,
                  xmlhooks=metadata.XMLHOOKS_NS)

#: the first microversion at which nova validates flavor extra specs
SPEC_VALIDATION_MICROVERSION = '2.86'

DEFINE = 'define'
CREATE = 'create'
LAUNCH = 'launch'


@dataclasses.dataclass(frozen=True)
class DomainEvent:
    """One thing Nova asked of a fake libvirt connection.

    :ivar seq: position in the order of all events of the test
    :ivar kind: ``define`` (``defineXML``), ``create`` (``createXML``, a
        transient domain started from XML) or ``launch`` (a defined domain
        started)
    :ivar host: the compute host whose connection got the call
    :ivar uuid: the domain (instance) uuid
    :ivar xml: the document Nova passed; for a launch, the document the
        launched domain was defined from
    """

    seq: int
    kind: str
    host: str
    uuid: str
    xml: str

    def tree(self):
        """The document, parsed."""
        return etree.fromstring(self.xml.encode('utf-8'))


def use_installed_api_paste(test):
    """Point nova-api at the api-paste.ini of the installed nova.

    Call it before nova's ``TestCase.setUp``: the API fixture reads the
    file there.

    NOTE(xmlhooks): nova's own tree finds api-paste.ini relative to its
    source checkout; installed from a wheel, it lives under sys.prefix.

    :param test: a test of nova's ``nova.test.TestCase`` family
    """
    test.flags(api_paste_config=os.path.join(
        sys.prefix, 'etc/nova/api-paste.ini'), group='wsgi')


class DomainRecorder(fixtures.Fixture):
    """Records the domain documents Nova gives to every fake connection.

    It also makes a fake domain's ``XMLDesc`` return the document the
    domain was defined from, as real libvirt does.

    NOTE(xmlhooks): the stock fake renders a template from a few parsed
    fields instead. Code that reads the current definition back (the
    driver's preflight before a hard reboot, nova's live migration, which
    sends the source's own XML to the destination) would otherwise see a
    document nova never wrote, without the customisations or the elements
    they edit.
    """

    def _setUp(self):
        self.events = []
        # NOTE(xmlhooks): the fake Domain keeps only a few parsed fields,
        # so the document each domain object came from is kept here.
        self._sources = weakref.WeakKeyDictionary()
        recorder = self
        orig_define = fakelibvirt.Connection.defineXML
        orig_create = fakelibvirt.Connection.createXML
        orig_launch = fakelibvirt.Domain.createWithFlags
        orig_xmldesc = fakelibvirt.Domain.XMLDesc

        def defineXML(conn, xml):
            dom = orig_define(conn, xml)
            recorder._add(DEFINE, conn, dom, xml)
            return dom

        def createXML(conn, xml, flags):
            dom = orig_create(conn, xml, flags)
            recorder._add(CREATE, conn, dom, xml)
            return dom

        def createWithFlags(dom, flags):
            result = orig_launch(dom, flags)
            recorder._add(LAUNCH, dom._connection, dom,
                          recorder._sources.get(dom, ''))
            return result

        def XMLDesc(dom, flags):
            source = recorder._sources.get(dom)
            return source if source else orig_xmldesc(dom, flags)

        for cls, name, func in (
                (fakelibvirt.Domain, 'XMLDesc', XMLDesc),
                (fakelibvirt.Connection, 'defineXML', defineXML),
                (fakelibvirt.Connection, 'createXML', createXML),
                (fakelibvirt.Domain, 'createWithFlags', createWithFlags)):
            self.useFixture(fixtures.MonkeyPatch(
                '%s.%s.%s' % (cls.__module__, cls.__name__, name), func))

    def _add(self, kind, conn, dom, xml):
        if kind != LAUNCH:
            self._sources[dom] = xml
        self.events.append(DomainEvent(
            seq=len(self.events), kind=kind, host=conn.hostname,
            uuid=dom.UUIDString(), xml=xml))

    def select(self, uuid=None, kinds=(DEFINE, CREATE), host=None, since=0):
        """Events matching every given criterion, oldest first.

        :param uuid: an instance uuid, or None for all
        :param kinds: event kinds to keep
        :param host: a compute host name, or None for all
        :param since: keep events whose ``seq`` is at least this
        :returns: a list of :class:`DomainEvent`
        """
        return [e for e in self.events[since:]
                if e.kind in kinds and
                (uuid is None or e.uuid == uuid) and
                (host is None or e.host == host)]


class XmlHooksTestBase(libvirt_base.ServersTestBase):
    """Nova in-process, computes running ``xmlhooks.LibvirtDriver``.

    Computes are not started by ``setUp``: write profiles
    (:meth:`write_profile`) and set ``[xmlhooks]`` options
    (``self.flags(..., group='xmlhooks')``) first, because the driver reads
    them when it is built, then call ``self.start_compute(hostname=...)``.

    Requests go through the admin API at the latest microversion, so flavor
    extra specs are validated by Nova (2.86 and later) and move operations
    are allowed. Nova-api's validators are rebuilt from this test's
    ``[xmlhooks]`` options (:meth:`reload_api_validators`).

    The documents Nova gives libvirt are in ``self.domains``; read them with
    :meth:`defined_xml`, :meth:`xpath` and :meth:`domain_events`, and use
    :meth:`mark` to look only at what an operation did.

    Beyond nova's ``ServersTestBase``, three things differ from the stock
    harness, each closer to a real host: a fake domain's ``XMLDesc``
    returns its definition (:class:`DomainRecorder`), the stand-in for
    ``_create_image`` creates the instance directory, and nova's
    ``migrate_disk_and_power_off`` (disk copies) is replaced as nova's own
    libvirt functional tests do.
    """

    #: the ``[DEFAULT] compute_driver`` of the computes
    COMPUTE_DRIVER = 'xmlhooks.LibvirtDriver'
    #: the ``[xmlhooks] customizers`` of the computes and the API; None
    #: keeps the option's default, every built-in customiser
    CUSTOMIZERS = None
    ADMIN_API = True
    microversion = 'latest'

    def setUp(self):
        use_installed_api_paste(self)
        super().setUp()
        self.profile_dir = self.useFixture(fixtures.TempDir()).path
        self.flags(profile_dirs=[self.profile_dir], group='xmlhooks')
        if self.CUSTOMIZERS is not None:
            self.flags(customizers=list(self.CUSTOMIZERS), group='xmlhooks')
        self.domains = self.useFixture(DomainRecorder())
        self._stub_disk_io()
        self.reload_api_validators()

    def _stub_disk_io(self):
        # NOTE(xmlhooks): nova's harness replaces _create_image, which
        # would download images and write disks, with a no-op. The real
        # one first creates the instance directory, where rescue saves the
        # definition that unrescue restores, so the stand-in does that.
        def create_image(driver, context, instance, *args, **kwargs):
            fileutils.ensure_tree(libvirt_utils.get_instance_path(instance))
            return False, False

        self.useFixture(fixtures.MonkeyPatch(
            'nova.virt.libvirt.LibvirtDriver._create_image', create_image))
        # NOTE(xmlhooks): the parent's migrate_disk_and_power_off copies
        # disk files the fake hypervisor never wrote; nova's own libvirt
        # functional tests replace it the same way. It is patched on
        # nova's class, so this driver's override (the resize preflight)
        # still runs before it.
        self.useFixture(fixtures.MockPatch(
            'nova.virt.libvirt.driver.LibvirtDriver'
            '.migrate_disk_and_power_off', return_value='{}'))

    def force_down(self, hostname):
        """Stop a compute service and mark it forced down, for evacuate.

        :param hostname: the compute host
        """
        self.computes[hostname].stop()
        service = self.admin_api.get_services(binary='nova-compute',
                                              host=hostname)[0]
        self.admin_api.put_service_force_down(service['id'], True)

    def _setup_compute_service(self):
        # NOTE(xmlhooks): as in nova's ServersTestBase, computes are
        # started by the tests; only the driver name is set here.
        self.flags(compute_driver=self.COMPUTE_DRIVER)

    def reload_api_validators(self):
        """Make nova-api's extra spec validators follow this test's config.

        NOTE(xmlhooks): nova-api collects the validators of every
        ``nova.api.extra_spec_validators`` entry point once, when its
        validators module is first imported, from the configuration of
        that moment. A real API host reads the same ``[xmlhooks]``
        options as the computes; this rebuilds the registry, for this
        test only, from the options the test set. Call it again after
        changing ``customizers``.
        """
        for name, value in (('VALIDATORS', {}), ('NAMESPACES', set())):
            self.useFixture(fixtures.MonkeyPatch(
                '%s.%s' % (spec_validators.__name__, name), value))
        spec_validators.load_validators()

    def write_profile(self, filename, text):
        """Write a profile file into the computes' profile directory.

        :param filename: a file name such as ``test.yaml``
        :param text: the YAML text
        :returns: the file's path
        """
        path = os.path.join(self.profile_dir, filename)
        with open(path, 'w') as handle:
            handle.write(text)
        return path

    def create_flavor(self, extra_specs=None, name=None, memory_mb=512,
                      vcpu=1, disk=1, ephemeral=0, swap=0):
        """Create a flavor and set its extra specs through the admin API.

        The specs are set at a microversion where Nova validates them, so
        an invalid ``xmlhooks:`` spec fails here with HTTP 400.

        :param extra_specs: a dict of extra specs, or None
        :returns: the flavor id
        """
        flavor_id = compat.create_flavor(
            self, name=name, memory_mb=memory_mb, vcpu=vcpu, disk=disk,
            ephemeral=ephemeral, swap=swap)
        api = self.admin_api
        if extra_specs:
            with nova_utils.temporary_mutation(
                    api, microversion=self._spec_microversion(api)):
                api.post_extra_spec(flavor_id,
                                    {'extra_specs': dict(extra_specs)})
        return flavor_id

    @staticmethod
    def _spec_microversion(api):
        version = api.microversion
        if version and version != 'latest':
            major, minor = (int(x) for x in version.split('.'))
            if (major, minor) >= (2, 86):
                return version
            return SPEC_VALIDATION_MICROVERSION
        return version or SPEC_VALIDATION_MICROVERSION

    def boot(self, extra_specs=None, flavor_id=None, image_uuid=None,
             host=None, expected_state='ACTIVE', server_name=None,
             **flavor_kwargs):
        """Boot a server, creating a flavor with the given specs.

        :param extra_specs: specs of a new flavor (ignored with flavor_id)
        :param flavor_id: an existing flavor instead
        :param image_uuid: the image, by default the first fake image
        :param host: a compute host to boot on
        :param expected_state: the server status to wait for
        :param server_name: the server name, random by default
        :param flavor_kwargs: passed to :meth:`create_flavor`
        :returns: the server, as the API shows it
        """
        if flavor_id is None:
            flavor_id = self.create_flavor(extra_specs, **flavor_kwargs)
        return self._create_server(
            name=server_name, flavor_id=flavor_id, image_uuid=image_uuid,
            host=host, networks='none', expected_state=expected_state)

    def mark(self):
        """A position in the recorded events, for ``since=``."""
        return len(self.domains.events)

    def domain_events(self, server, kinds=(DEFINE, CREATE), host=None,
                      since=0):
        """Recorded events of one server; see :meth:`DomainRecorder.select`.

        :param server: a server dict from the API
        """
        return self.domains.select(server['id'], kinds, host, since)

    def defined_xml(self, server, host=None, since=0):
        """The latest document Nova defined (or created) for a server.

        :param server: a server dict from the API
        :param host: only look at this compute host
        :param since: only look at events from this mark on
        :returns: the XML as a str
        """
        events = self.domain_events(server, host=host, since=since)
        self.assertTrue(events, 'no domain XML was given to libvirt for '
                        'server %s on %s' % (server['id'], host or 'any host'))
        return events[-1].xml

    def xpath(self, server, expression, host=None, since=0):
        """Evaluate an XPath on the latest document defined for a server.

        The prefixes ``qemu``, ``nova`` and ``xmlhooks`` are known.

        :returns: the lxml result (a list of nodes or strings, or a scalar)
        """
        root = etree.fromstring(
            self.defined_xml(server, host, since).encode('utf-8'))
        return root.xpath(expression, namespaces=NAMESPACES)
