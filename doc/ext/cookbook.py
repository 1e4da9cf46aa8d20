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

"""The cookbook's worked examples.

``.. xmlhooks-example:: NAME``
    One example: the ``openstack flavor set`` command and the XML before
    and after, read from ``doc/source/cookbook/examples``. The same files
    are checked by ``tests/unit/test_docs.py``.
"""

import os

#: the directory of the examples, relative to the docs source
EXAMPLES_DIR = os.path.join('cookbook', 'examples')


def example_files(name):
    """The files of one example, relative to the docs source.

    :returns: a dict with ``command``, ``before`` and ``after``
    """
    base = os.path.join(EXAMPLES_DIR, name)
    return {'command': base + '.sh', 'before': base + '.before.xml',
            'after': base + '.after.xml'}


def setup(app):
    """Register the directive with Sphinx."""
    # NOTE(xmlhooks): imported here so that the rest of this module works
    # without Sphinx.
    from sphinx.util import docutils as sphinx_docutils

    class ExampleDirective(sphinx_docutils.SphinxDirective):
        required_arguments = 1

        def run(self):
            name = self.arguments[0]
            lines = []
            captions = {'command': ('console', 'Flavor command'),
                        'before': ('xml', "Nova's XML (excerpt)"),
                        'after': ('xml', 'After xmlhooks (excerpt)')}
            for part, path in example_files(name).items():
                full = os.path.join(self.env.srcdir, path)
                if not os.path.isfile(full):
                    raise self.error('cookbook example %s has no %s file %s'
                                     % (name, part, path))
                self.env.note_dependency(full)
                language, caption = captions[part]
                include = path.replace(os.sep, '/')
                lines += ['.. literalinclude:: /%s' % include,
                          '   :language: %s' % language,
                          '   :caption: %s' % caption, '']
            return self.parse_text_to_nodes('\n'.join(lines))

    app.add_directive('xmlhooks-example', ExampleDirective)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
