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

"""Shared pieces of the typed customiser tests.

Every test applies rules through the real engine, built from the config
with the real customisers, to domain XML that Nova generated. Each result
is checked for idempotence, against the host's libvirt RelaxNG schema and
with libvirt's own domain parser (the ``test:///default`` driver, which
needs no daemon).
"""

import os
import re

from lxml import etree
from nova import exception as nova_exception

from nova_xmlhooks import api_validation
from nova_xmlhooks import engine
from nova_xmlhooks import exception
from nova_xmlhooks import schema
from tests.unit import base

try:
    import libvirt
except ImportError:  # pragma: no cover - libvirt-python is a test need
    libvirt = None


def api_validate(conf, key, value):
    """Validate a spec the way nova-api does, with our validators.

    :raises: nova.exception.ValidationError
    """
    for validator in api_validation.validators(conf):
        if re.fullmatch(validator.name_regex, key):
            validator.validate(key, value)
            return
    raise nova_exception.ValidationError(
        "Validation failed; extra spec '%s' does not appear to be a valid "
        "extra spec." % key)


def libvirt_parse(xml):
    """Have libvirt's own domain parser read a document.

    NOTE(xmlhooks): the test driver shares libvirt's domain XML parser
    and post-parse checks with the QEMU driver (spinlock retries, vendor
    id values, dirty ring sizes, CPU features without a model...), so
    this catches what the schema cannot, without a libvirtd.

    :returns: the XML libvirt formats back
    :raises: libvirt.libvirtError
    """
    root = etree.fromstring(xml.encode())
    root.set('type', 'test')
    conn = libvirt.open('test:///default')
    try:
        dom = conn.defineXMLFlags(etree.tostring(root, encoding='unicode'),
                                  libvirt.VIR_DOMAIN_DEFINE_VALIDATE)
        try:
            return dom.XMLDesc()
        finally:
            dom.undefine()
    finally:
        conn.close()


class CustomizerTests:
    """Mixin for a ``base.TestCase``: apply specs and check the result.

    Subclasses list a valid and an invalid example for every key their
    customiser declares, so a key added without tests fails
    :meth:`test_every_declared_key_has_examples`.
    """

    #: the family under test
    FAMILY = None
    #: ``(key, value)`` pairs that must be accepted
    GOOD = ()
    #: ``(key, value)`` pairs that must be refused
    BAD = ()
    #: what the compute still reads and nova-api refuses
    API_ONLY = ()
    #: the Nova fixture used by :meth:`customize`
    FIXTURE = 'nova-basic'
    #: keys of elements newer than some supported libvirt's schema, which
    #: the schema check may refuse, naming them
    NEWER_THAN_SCHEMA = ()
    #: ``{fixture: {(key, value)}}``: good examples that leave that guest
    #: with something QEMU refuses to start under KVM, which a check
    #: refuses, naming the key (see nova_xmlhooks.hyperv_deps)
    NEEDS_OTHERS = {}
    #: the categories ``[xmlhooks] allow_sensitive`` lists, for a family
    #: whose keys can write a sensitive item (tests/unit/test_guard.py
    #: tests the guard on them; these test the customiser)
    ALLOW_SENSITIVE = ()

    def setUp(self):
        super().setUp()
        self.flags(validate_schema=os.path.exists(
            self.conf.xmlhooks.schema_path),
            allow_sensitive=list(self.ALLOW_SENSITIVE))
        self.engine = engine.Engine.from_conf(self.conf)

    def assertApplyRefused(self, specs, *fragments, fixture=None):
        """Applying specs to Nova's XML fails, saying each fragment.

        :returns: the error's message
        """
        ruleset = self.engine.resolve(specs)
        error = self.assertRaises(exception.RuleError, self.engine.apply,
                                  base.nova_xml(fixture or self.FIXTURE),
                                  ruleset)
        message = error.format_message()
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message

    def customize(self, specs, xml=None, fixture=None):
        """Apply specs to Nova's XML and check the result.

        :returns: the customised XML
        """
        if xml is None:
            xml = base.nova_xml(fixture or self.FIXTURE)
        ruleset = self.engine.resolve(specs)
        out = self.engine.apply(xml, ruleset)
        self.assertEqual(out, self.engine.apply(out, ruleset),
                         'applying the rules again changed the XML')
        if os.path.exists(self.conf.xmlhooks.schema_path):
            validator = schema.compile_schema(self.conf.xmlhooks.schema_path)
            self.assertTrue(validator.validate(etree.fromstring(out.encode())),
                            validator.error_log)
        if libvirt is not None:
            libvirt_parse(out)
        return out

    def assertRefused(self, key, value, fragment=None):
        """Assert the compute and the API both refuse a spec, naming it."""
        error = self.assertRaises(exception.InvalidSpec,
                                  self.engine.resolve, {key: value})
        self.assertIn("'%s'" % key, error.format_message())
        self.assertNotIn('\n', error.format_message())
        if fragment is not None:
            self.assertIn(fragment, error.format_message())
        api_error = self.assertRaises(nova_exception.ValidationError,
                                      api_validate, self.conf, key, value)
        self.assertIn(key, str(api_error))
        return error

    xpath = staticmethod(base.xpath)

    def test_good_examples_are_accepted(self):
        for key, value in self.GOOD:
            rule = self.engine.resolve({key: value})[0]
            self.assertEqual(self.FAMILY, rule.family)
            api_validate(self.conf, key, value)

    def test_good_examples_alone_give_what_libvirt_defines(self):
        """Each good example, alone, on each of Nova's guests.

        NOTE(xmlhooks): a value nova-api accepts must give a document
        that libvirt defines, whatever Nova wrote there before: libvirt's
        parser refuses some documents its schema lets through (a
        ``<stimer>`` without a state, say), and then the guest fails to
        boot after its flavor was accepted. libvirt's parser runs where
        libvirt-python is installed (the libvirt tier runs these tests
        again); the schema check and idempotence run everywhere.
        """
        for fixture in ('nova-basic', 'nova-windows'):
            for key, value in self.GOOD:
                with self.subTest(fixture=fixture, key=key, value=value):
                    self._customize_alone(key, value, fixture)

    def _customize_alone(self, key, value, fixture):
        needs_others = (key, value) in self.NEEDS_OTHERS.get(fixture, ())
        try:
            self.customize({key: value}, fixture=fixture)
        except exception.RuleError as e:
            if not needs_others:
                raise
            self.assertEqual(key, e.key)
            self.assertIn('which QEMU needs for it', e.format_message())
        except exception.SchemaError as e:
            if key not in self.NEWER_THAN_SCHEMA:
                raise
            # NOTE(xmlhooks): the host's schema is older than the key;
            # the rule is refused by name, before libvirt sees it.
            self.assertEqual((key,), e.rules)
        else:
            self.assertFalse(needs_others, 'applied alone on %s' % fixture)

    def test_bad_examples_are_refused(self):
        for key, value in self.BAD:
            self.assertRefused(key, value)

    def test_values_of_older_flavors_are_read_and_refused_anew(self):
        # NOTE(xmlhooks): Nova's copy of a server's flavor keeps what an
        # older release took; nova-api refuses it for new flavors.
        for key, value in self.API_ONLY:
            self.assertEqual(self.FAMILY,
                             self.engine.resolve({key: value})[0].family)
            api_error = self.assertRaises(nova_exception.ValidationError,
                                          api_validate, self.conf, key,
                                          value)
            self.assertIn(key, str(api_error))

    def test_every_declared_key_has_examples(self):
        customizer = self.engine.customizers[self.FAMILY]
        for validator in customizer.validators():
            for examples in (self.GOOD, self.BAD):
                self.assertTrue(
                    any(re.fullmatch(validator.name_regex, key)
                        for key, _ in examples),
                    'no example for %s' % validator.name)
