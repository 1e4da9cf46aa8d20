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

"""The extra spec reference, rendered from the key declarations.

``.. xmlhooks-extra-specs::``
    Every key that nova-api accepts in the ``xmlhooks`` namespace, from the
    same declarations that nova-api and the compute validate with
    (:func:`nova_xmlhooks.api_validation.validators` and every customiser
    in the ``nova_xmlhooks.customizers`` namespace). Option
    ``:family: NAME`` renders one family only.

A declaration is any object with the fields ``name``, ``description``,
``value`` (a dict: ``type``, and ``enum``, ``pattern``, ``min``, ``max``,
``description`` as needed), ``parameters`` (each with ``name``,
``pattern`` and ``description``) and ``deprecated``: nova's
``ExtraSpecValidator`` has them, and so do the project's declarations.

NOTE(xmlhooks): the rendering (:func:`extra_spec_rst`) imports neither
Sphinx nor docutils, so the unit tests check the reference without a docs
toolchain; only :func:`setup` needs Sphinx.
"""

import collections.abc
import importlib.metadata

from oslo_config import cfg

from nova_xmlhooks import api_validation
from nova_xmlhooks.conf import xmlhooks as xmlhooks_opts
from nova_xmlhooks import loader


def register_private_opts(conf):
    """Register the ``[xmlhooks]`` options on a ConfigOpts of its own.

    NOTE(xmlhooks): oslo.config keeps overrides in the ``OptGroup`` object,
    and ``nova_xmlhooks.conf.xmlhooks.register_opts`` registers one shared,
    module-level group; a group of its own keeps this object's overrides
    from leaking into every other ``ConfigOpts``.

    :param conf: an ``oslo_config.cfg.ConfigOpts``
    """
    conf.register_opts(xmlhooks_opts.ALL_OPTS,
                       group=cfg.OptGroup(xmlhooks_opts.xmlhooks_group.name))


def _docs_conf():
    """A private configuration with the defaults and no profile files.

    NOTE(xmlhooks): the reference must not depend on what the machine that
    builds the docs has in ``/etc/nova``.
    """
    conf = cfg.ConfigOpts()
    register_private_opts(conf)
    conf([], project='nova-xmlhooks-docs', default_config_files=[],
         default_config_dirs=[])
    conf.set_override('profile_dirs', [], group='xmlhooks')
    return conf


def customizer_names():
    """Every customiser installed in the ``nova_xmlhooks.customizers`` group.

    :returns: names, the ``[xmlhooks] customizers`` default order first,
        then any others alphabetically
    """
    installed = {ep.name for ep in importlib.metadata.entry_points(
        group=loader.CUSTOMIZER_NAMESPACE)}
    default = [name for name in _docs_conf().xmlhooks.customizers
               if name in installed]
    return default + sorted(installed - set(default))


def sections(conf=None):
    """Collect the documented keys, grouped as in the reference.

    :param conf: an ``oslo_config.cfg.ConfigOpts`` with the ``[xmlhooks]``
        options; a private one with the defaults by default
    :returns: a list of ``(family, summary, declarations)``; family
        ``None`` holds the keys nova-api handles itself (profile selection)
    :raises: nova_xmlhooks.exception.CustomizerLoadError if an installed
        customiser cannot be loaded
    """
    conf = conf or _docs_conf()
    customizers = loader.load_customizers(conf, customizer_names())
    # NOTE(xmlhooks): with no customizers, the API's validators are the
    # keys it handles itself.
    conf.set_override('customizers', [], group='xmlhooks')
    general = api_validation.validators(conf)
    conf.clear_override('customizers', group='xmlhooks')
    result = [(None, 'Keys that select profiles.', general)]
    for family, customizer in customizers.items():
        doc = (type(customizer).__doc__ or '').strip().split('\n\n')[0]
        result.append((family, ' '.join(doc.split()),
                       customizer.validators()))
    return result


def anchor(name):
    """The reference label of a key, e.g. ``xmlhooks-spec-xml-label``."""
    slug = ''.join(c if c.isalnum() else '-' for c in name.lower())
    return 'xmlhooks-spec-' + '-'.join(filter(None, slug.split('-')))


def _field(item, name):
    """A field of a parameter, which is a dict or an object."""
    if isinstance(item, collections.abc.Mapping):
        return item.get(name)
    return getattr(item, name, None)


def _value_text(value):
    kind = value['type']
    if kind is bool:
        text = 'a boolean (``true`` or ``false``)'
    elif kind is int:
        bounds = []
        if 'min' in value:
            bounds.append('at least ``%d``' % value['min'])
        if 'max' in value:
            bounds.append('at most ``%d``' % value['max'])
        text = 'an integer' + (' ' + ' and '.join(bounds) if bounds else '')
    elif 'enum' in value:
        text = 'one of ' + ', '.join('``%s``' % v for v in value['enum'])
    elif 'pattern' in value:
        text = 'a string matching ``%s``' % value['pattern']
    else:
        text = 'a string'
    # NOTE(xmlhooks): an enum already says everything about the value.
    if value.get('description') and 'enum' not in value:
        text += '. ' + value['description']
    return text


def _underline(title, char):
    return [title, char * len(title), '']


def extra_spec_rst(groups, family=None):
    """Render the reference as reStructuredText.

    :param groups: what :func:`sections` returns
    :param family: render this family only
    :returns: a list of lines
    :raises: ValueError if a key or a parameter has no description, or if
        ``family`` is unknown
    """
    lines = []
    found = False
    for name, summary, declarations in groups:
        if family is not None and name != family:
            continue
        found = True
        title = ('Profile selection' if name is None
                 else '``xmlhooks:%s``' % name)
        lines += _underline(title, '-')
        if summary:
            lines += [summary, '']
        for declaration in declarations:
            lines += _key_rst(declaration)
    if not found:
        raise ValueError('no customizer family %r' % family)
    return lines


def _key_rst(declaration):
    if not (declaration.description or '').strip():
        raise ValueError('key %s has no description' % declaration.name)
    lines = ['.. _%s:' % anchor(declaration.name), '']
    lines += _underline('``%s``' % declaration.name, '~')
    if declaration.deprecated:
        lines += ['.. warning:: This key is deprecated.', '']
    lines += [' '.join(declaration.description.split()), '']
    lines += [':Value: ' + _value_text(declaration.value)]
    for param in declaration.parameters or ():
        name = _field(param, 'name')
        description = _field(param, 'description')
        if not (description or '').strip():
            raise ValueError('parameter {%s} of key %s has no description'
                             % (name, declaration.name))
        lines += [':``{%s}``: matches ``%s``. %s' % (
            name, _field(param, 'pattern'), ' '.join(description.split()))]
    return lines + ['']


def setup(app):
    """Register the directive with Sphinx."""
    # NOTE(xmlhooks): imported here so that the rest of this module works
    # without Sphinx (see the module docstring).
    from docutils.parsers.rst import directives
    from sphinx.util import docutils as sphinx_docutils

    class ExtraSpecsDirective(sphinx_docutils.SphinxDirective):
        option_spec = {'family': directives.unchanged}

        def run(self):
            try:
                lines = extra_spec_rst(sections(),
                                       self.options.get('family'))
            except Exception as e:
                raise self.error('cannot render the extra spec reference: '
                                 '%s' % e)
            return self.parse_text_to_nodes('\n'.join(lines),
                                            allow_section_headings=True)

    app.add_directive('xmlhooks-extra-specs', ExtraSpecsDirective)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
