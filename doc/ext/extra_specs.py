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
import dataclasses
import importlib.metadata
import re

from oslo_config import cfg

from nova_xmlhooks import api_validation
from nova_xmlhooks.conf import xmlhooks as xmlhooks_opts
from nova_xmlhooks import loader

#: the longest inline literal the reference writes. Browsers do not break
#: a literal, so a longer one would overflow the column; a pattern that
#: does not fit is split at its top-level ``|`` or shown as a literal
#: block, which scrolls.
MAX_LITERAL = 40

#: one alternative of a pattern that matches a single fixed string: no
#: metacharacter, or one escaped
_FIXED_RE = re.compile(r'(?:[^\\.^$*+?{}\[\]()|]|\\[^A-Za-z0-9])+')
#: the tokens that decide where a pattern's top level is
_TOKEN_RE = re.compile(r'\\.|\[\^?\]?(?:\\.|[^\]\\])*\]|[()|]|[^\\\[()|]+')


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


def split_alternatives(pattern):
    """Split a regular expression at its top-level ``|``.

    ``'|'.join()`` of the result is ``pattern`` again.
    """
    parts, current, depth = [], [], 0
    for token in _TOKEN_RE.findall(pattern):
        if token == '|' and not depth:
            parts.append(''.join(current))
            current = []
            continue
        depth += {'(': 1, ')': -1}.get(token, 0)
        current.append(token)
    return parts + [''.join(current)]


def fixed_values(pattern):
    """The strings a pattern matches, if it only lists fixed strings.

    :returns: the strings, or ``None`` for any other pattern
    """
    alternatives = split_alternatives(pattern)
    if not all(_FIXED_RE.fullmatch(alt) for alt in alternatives):
        return None
    values = [re.sub(r'\\(.)', r'\1', alt) for alt in alternatives]
    # NOTE(xmlhooks): the strings are shown instead of the pattern, so
    # make sure the pattern accepts each of them.
    if not all(re.fullmatch(pattern, value) for value in values):
        return None
    return values


def _literals(items):
    return ', '.join('``%s``' % item for item in items)


@dataclasses.dataclass(frozen=True)
class PatternText:
    """How the reference shows a pattern.

    :ivar text: a phrase for the running text, e.g. ``matches ``[0-9]+````
    :ivar block: lines of a literal block to follow the paragraph, for a
        pattern that fits nowhere else
    :ivar enumerated: whether ``text`` lists every accepted value
    """

    text: str
    block: tuple = ()
    enumerated: bool = False


def pattern_text(pattern):
    """Show a pattern in a form that fits the column.

    Fixed strings are listed; a short pattern is one literal; a long one
    is split at its top-level ``|``; what is still too long goes into a
    literal block of its own.

    :returns: a :class:`PatternText`
    """
    values = fixed_values(pattern)
    if values is not None:
        return PatternText('one of ' + _literals(values), enumerated=True)
    if len(pattern) <= MAX_LITERAL:
        return PatternText('matches ``%s``' % pattern)
    alternatives = split_alternatives(pattern)
    if len(alternatives) > 1 and max(map(len, alternatives)) <= MAX_LITERAL:
        return PatternText('matches any of ' + _literals(alternatives))
    return PatternText('matches the pattern below',
                       ('', '  ::', '', '    ' + pattern, ''))


def _integer_text(value):
    bounds = []
    if 'min' in value:
        bounds.append('at least ``%d``' % value['min'])
    if 'max' in value:
        bounds.append('at most ``%d``' % value['max'])
    text = 'an integer'
    if bounds:
        text += ' ' + ' and '.join(bounds)
    return text


def _value_text(value):
    """The ``:Value:`` field of a key: a :class:`PatternText`."""
    if value['type'] is bool:
        return PatternText('a boolean (``true`` or ``false``)')
    if value['type'] is int:
        return PatternText(_integer_text(value))
    if 'enum' in value:
        return PatternText('one of ' + _literals(value['enum']),
                           enumerated=True)
    if 'pattern' not in value:
        return PatternText('a string')
    shown = pattern_text(value['pattern'])
    if shown.enumerated:
        return shown
    return dataclasses.replace(shown, text='a string that ' + shown.text)


def _field_lines(label, shown, description):
    """One field of a field list: the value, then its description.

    NOTE(xmlhooks): a list of every accepted value already says everything
    about it; a description would repeat the list.
    """
    text = ':%s: %s.' % (label, shown.text)
    if description and not shown.enumerated:
        text += ' ' + ' '.join(description.split())
    return [text] + list(shown.block)


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


def _parameter_rst(declaration, param):
    name, description = _field(param, 'name'), _field(param, 'description')
    if not (description or '').strip():
        raise ValueError('parameter {%s} of key %s has no description'
                         % (name, declaration.name))
    return _field_lines('``{%s}``' % name,
                        pattern_text(_field(param, 'pattern')), description)


def _key_rst(declaration):
    if not (declaration.description or '').strip():
        raise ValueError('key %s has no description' % declaration.name)
    lines = ['.. _%s:' % anchor(declaration.name), '']
    lines += _underline('``%s``' % declaration.name, '~')
    if declaration.deprecated:
        lines += ['.. warning:: This key is deprecated.', '']
    lines += [' '.join(declaration.description.split()), '']
    value = declaration.value
    lines += _field_lines('Value', _value_text(value),
                          value.get('description'))
    for param in declaration.parameters or ():
        lines += _parameter_rst(declaration, param)
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
