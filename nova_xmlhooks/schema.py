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

"""Validation of customised domain XML against libvirt's RelaxNG schema.

The schema is the compute host's own (``[xmlhooks] schema_path``, the
``domain.rng`` that libvirt installs next to the files it includes), so a
customisation is checked against exactly the libvirt that will define the
guest. It is compiled once per process.

NOTE(xmlhooks): the schema checks structure, not safety: a disk pointing
at any host file is valid XML. See ``[xmlhooks] allow_sensitive``.
"""

import os
import queue
import threading

from lxml import etree
from oslo_log import log as logging

from nova_xmlhooks import exception
from nova_xmlhooks import messages

LOG = logging.getLogger(__name__)

#: Rule keys named in an error message; more are counted, not listed.
MAX_RULES_NAMED = 10
#: At most this many validators per check validate at the same time.
MAX_VALIDATORS = 4

_compiled = {}
_compile_lock = threading.Lock()


def _compile(path):
    # NOTE(xmlhooks): the schema is the host's own file, but it is still
    # parsed without network access; includes are resolved relative to it
    # by libxml2.
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    try:
        return etree.RelaxNG(etree.parse(path, parser))
    except (OSError, etree.XMLSyntaxError, etree.RelaxNGParseError) as e:
        raise exception.XmlHooksError(
            reason='[xmlhooks] schema_path %s cannot be compiled: %s'
                   % (path, messages.one_line(str(e))))


def compile_schema(path):
    """Compile a RelaxNG schema, once per path and process.

    :param path: the path of ``domain.rng``
    :returns: an ``lxml.etree.RelaxNG``
    :raises: nova_xmlhooks.exception.XmlHooksError if it cannot be read or
        compiled
    """
    with _compile_lock:
        schema = _compiled.get(path)
        if schema is None:
            schema = _compiled[path] = _compile(path)
        return schema


class SchemaCheck:
    """A check that refuses customised XML the schema does not accept.

    It is a callable ``check(nova_root, result_root, ruleset)`` for the
    engine; one instance serves every thread.
    """

    def __init__(self, schema, path=None, max_validators=MAX_VALIDATORS):
        """Wrap a compiled schema.

        :param schema: an ``lxml.etree.RelaxNG``
        :param path: the file it was compiled from; when given, up to
            ``max_validators`` validators are compiled from it so that
            threads validate at the same time
        :param max_validators: the most validators to hold
        """
        # NOTE(xmlhooks): libxml2 validates with a fresh context per call,
        # but lxml keeps the error log on the validator object, so one
        # validator serves one thread at a time: validating and reading its
        # errors happen while the thread holds it. libxml2 validates
        # without the GIL, so threads holding validators of their own
        # validate in parallel; each costs a few MB, hence the bound.
        self._schema = schema
        self._path = path
        self._free = queue.LifoQueue()
        self._free.put(schema)
        self._spare = max(0, max_validators - 1) if path else 0
        self._spare_lock = threading.Lock()

    def _validator(self):
        try:
            return self._free.get_nowait()
        except queue.Empty:
            pass
        with self._spare_lock:
            grow = self._spare > 0
            if grow:
                self._spare -= 1
        if grow:
            try:
                return _compile(self._path)
            except exception.XmlHooksError as e:
                # NOTE(xmlhooks): the file was read at start-up; if it
                # cannot be read now, the validators there are enough.
                LOG.warning('Validating with fewer validators: %s',
                            e.format_message())
        return self._free.get()

    def _errors(self, root):
        validator = self._validator()
        try:
            if validator.validate(root):
                return None
            return list(validator.error_log)
        finally:
            self._free.put(validator)

    def __call__(self, nova_root, result_root, ruleset):
        """Validate a customised document.

        :param nova_root: Nova's own document, or None
        :param result_root: the customised ``<domain>`` element
        :param ruleset: the rules that were applied
        :raises: nova_xmlhooks.exception.SchemaError naming the rules and
            the schema's first error
        """
        errors = self._errors(result_root)
        if errors is None:
            return
        if nova_root is not None and self._errors(nova_root) is not None:
            # NOTE(xmlhooks): when Nova's own XML already fails this host's
            # schema, the customisation cannot be blamed; refusing it would
            # stop guests that boot fine without the plugin.
            LOG.warning("Nova's own domain XML does not match libvirt's "
                        "schema at %s; not validating the customisation",
                        self._where(errors))
            return
        keys = [rule.key for rule in ruleset]
        if len(keys) > MAX_RULES_NAMED:
            keys = keys[:MAX_RULES_NAMED] + [
                'and %d more' % (len(keys) - MAX_RULES_NAMED)]
        raise exception.SchemaError(keys, '%s: %s' % (
            self._where(errors), messages.one_line(errors[0].message)))

    @staticmethod
    def _where(errors):
        # NOTE(xmlhooks): the element path, not the file name and line:
        # the document is built in memory and users must not see host
        # paths. libxml2 leaves the path out of some errors (those about
        # an interleave), so the first one given is used.
        for error in errors:
            if error.path:
                return error.path
        return '/domain'


def from_conf(conf):
    """Build the schema check that ``[xmlhooks]`` asks for.

    :param conf: the service's ``oslo_config.cfg.ConfigOpts``
    :returns: a :class:`SchemaCheck`, or None when validation is off
    :raises: nova_xmlhooks.exception.XmlHooksError if ``validate_schema``
        is true and the schema cannot be compiled
    """
    group = conf.xmlhooks
    if group.validate_schema is False:
        return None
    path = group.schema_path
    if group.validate_schema is None:
        if not os.path.exists(path):
            LOG.info('libvirt schema %s not found; customised domain XML '
                     'is not validated', path)
            return None
        try:
            return SchemaCheck(compile_schema(path), path)
        except exception.XmlHooksError as e:
            LOG.warning('Not validating customised domain XML: %s',
                        e.format_message())
            return None
    if not os.path.exists(path):
        raise exception.XmlHooksError(
            reason='[xmlhooks] validate_schema is true but schema_path %s '
                   'does not exist' % path)
    return SchemaCheck(compile_schema(path), path)
