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

"""Shared pieces of the unit tests."""

import os

import fixtures
from lxml import etree
from oslo_config import fixture as config_fixture
from oslotest import base as oslo_base

from nova_xmlhooks import conf as xmlhooks_conf
from nova_xmlhooks import engine
from nova_xmlhooks import problems
from nova_xmlhooks import profiles
from nova_xmlhooks import xpath_edit

#: seconds a unit test may run when OS_TEST_TIMEOUT does not say; the
#: slowest takes about 15 s
TIMEOUT = 240
FIXTURES_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)),
                            'fixtures')


def nova_xml(name='nova-basic'):
    """Domain XML that Nova generated, captured by tools/capture_fixtures.

    :param name: the fixture name, without ``.xml``
    :returns: the XML as a str
    """
    with open(os.path.join(FIXTURES_DIR, name + '.xml')) as handle:
        return handle.read()


def xpath(xml, expression):
    """Evaluate an XPath on an XML string, with the qemu prefix known."""
    return etree.fromstring(xml.encode()).xpath(
        expression, namespaces=xpath_edit.NAMESPACES)


def load_profiles(directories, errors=None):
    """Read every profile file in some directories, as a dict.

    NOTE(xmlhooks): the services and commands read profiles through
    :func:`nova_xmlhooks.profiles.read_directories` and the engine; the
    tests want the profiles by name.

    :param directories: directories to read
    :param errors: if a list, problems are appended to it and reading goes
        on; otherwise the first problem is raised
    :returns: a dict of profile name to
        :class:`~nova_xmlhooks.profiles.Profile`, without those with a
        problem
    :raises: nova_xmlhooks.exception.ProfileError
    """
    return {profile.name: profile
            for profile in profiles.read_directories(
                directories, problems.sink(errors))
            if profile.complete}


class NativeError(Exception):
    """libvirt-python's ``libvirtError``, as far as it is read here.

    By default, what libvirt reports for a definition it refuses
    (VIR_ERR_CONFIG_UNSUPPORTED, from its QEMU driver).
    """

    def __init__(self, message, code=67, domain=10):
        """An error as libvirt reports it.

        :param message: libvirt's message
        :param code: a ``VIR_ERR_*`` number (see :data:`NATIVE_LIBVIRT`)
        :param domain: a ``VIR_FROM_*`` number
        """
        super().__init__(message)
        self.code = code
        self.domain = domain

    def get_error_message(self):
        return self.args[0]

    def get_error_code(self):
        return self.code

    def get_error_domain(self):
        return self.domain


#: the ``libvirt`` module as nova_xmlhooks.native reads it, with
#: libvirt-python's numbers (9.0)
NATIVE_LIBVIRT = type('libvirt', (), {
    'libvirtError': NativeError,
    'VIR_ERR_INTERNAL_ERROR': 1, 'VIR_ERR_NO_SUPPORT': 3,
    'VIR_ERR_INVALID_CONN': 6, 'VIR_ERR_INVALID_ARG': 8,
    'VIR_ERR_XML_ERROR': 27, 'VIR_ERR_OPERATION_DENIED': 29,
    'VIR_ERR_XML_DETAIL': 35, 'VIR_ERR_SYSTEM_ERROR': 38,
    'VIR_ERR_NO_STORAGE_POOL': 49, 'VIR_ERR_NO_STORAGE_VOL': 50,
    'VIR_ERR_NO_SECRET': 66, 'VIR_ERR_CONFIG_UNSUPPORTED': 67,
    'VIR_ERR_OPERATION_UNSUPPORTED': 84,
    'VIR_FROM_RPC': 7, 'VIR_FROM_QEMU': 10, 'VIR_FROM_REMOTE': 13,
    'VIR_FROM_DOMAIN': 20})


class NativeConnection:
    """A ``virConnect`` whose ``domainXMLToNative`` refuses marked XML.

    :ivar formats: the native formats asked for, in order
    :ivar asked: the documents asked about, in order
    """

    def __init__(self, *markers, code=67, domain=10):
        """A connection refusing documents with a marker.

        :param markers: texts that make a document refused
        :param code: the ``VIR_ERR_*`` number libvirt reports then
        :param domain: the ``VIR_FROM_*`` number libvirt reports then
        """
        self.markers = markers
        self.code = code
        self.domain = domain
        self.formats = []
        self.asked = []

    def domainXMLToNative(self, native_format, xml, flags):
        self.formats.append(native_format)
        self.asked.append(xml)
        for marker in self.markers:
            if marker in xml:
                raise NativeError('unsupported configuration:\nrefused '
                                  'for %s' % marker, self.code, self.domain)
        return '/usr/bin/qemu-system-x86_64 -name guest=x'


class TestCase(oslo_base.BaseTestCase):
    """A test case with the config and a profile directory of its own."""

    def setUp(self):
        super().setUp()
        if not os.environ.get('OS_TEST_TIMEOUT'):
            # NOTE(xmlhooks): a test that hangs (a read loop that never
            # ends, a lock never released) fails with its traceback
            # rather than using up CI's time.
            self.useFixture(fixtures.Timeout(TIMEOUT, gentle=True))
        self.conf = self.useFixture(
            config_fixture.Config(xmlhooks_conf.CONF)).conf
        self.profile_dir = self.useFixture(fixtures.TempDir()).path
        self.flags(profile_dirs=[self.profile_dir])

    def flags(self, **kwargs):
        """Override ``[xmlhooks]`` options for this test."""
        for name, value in kwargs.items():
            self.conf.set_override(name, value, group='xmlhooks')

    def write_profile(self, name, text):
        """Write a profile file into this test's profile directory."""
        path = os.path.join(self.profile_dir, name)
        with open(path, 'w') as handle:
            handle.write(text)
        return path

    def engine(self, **flags):
        """Build the engine from the config, as the driver does."""
        self.flags(**flags)
        return engine.Engine.from_conf(self.conf)
