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
    The ``openstack flavor set`` command of one example, then what it does
    to Nova's XML as a unified diff: the whole excerpt, the lines
    nova-xmlhooks adds marked ``+`` and those it removes ``-``. Both are
    read from ``doc/source/cookbook/examples``, whose XML excerpts
    ``tests/unit/test_docs.py`` checks against the engine.

NOTE(xmlhooks): the diff is made when the docs are built, from the
before and after excerpts the tests check, so it cannot go stale, with
the standard library's :mod:`difflib` rather than a diff of its own.
"""

import difflib
import os

#: the directory of the examples, relative to the docs source
EXAMPLES_DIR = os.path.join('cookbook', 'examples')
#: how the two sides of a diff are labelled
BEFORE_LABEL = "Nova's XML"
AFTER_LABEL = 'after nova-xmlhooks'


def example_files(name):
    """The files of one example, relative to the docs source.

    :returns: a dict with ``command``, ``before`` and ``after``
    """
    base = os.path.join(EXAMPLES_DIR, name)
    return {'command': base + '.sh', 'before': base + '.before.xml',
            'after': base + '.after.xml'}


def diff_lines(before, after):
    """A unified diff of two excerpts that keeps every line as context.

    NOTE(xmlhooks): excerpts are a few dozen lines; showing all of them
    keeps each change inside the element it belongs to.

    :param before: the excerpt of Nova's XML
    :param after: the same excerpt after the customisations
    :returns: the lines of the diff, without line ends
    """
    old, new = before.splitlines(), after.splitlines()
    return list(difflib.unified_diff(old, new, BEFORE_LABEL, AFTER_LABEL,
                                     n=max(len(old), len(new)),
                                     lineterm=''))


def example_rst(name, read):
    """The reStructuredText that shows one example.

    :param name: the example's name
    :param read: a function that returns the text of a file, given its
        path relative to the docs source
    :returns: a list of lines
    """
    files = example_files(name)
    diff = diff_lines(read(files['before']), read(files['after']))
    lines = ['.. literalinclude:: /%s' % files['command'].replace(os.sep, '/'),
             '   :language: console',
             '   :caption: Flavor command', '',
             '.. code-block:: diff',
             "   :caption: Nova's XML (excerpt) and what nova-xmlhooks "
             'changes', '']
    return lines + [('   ' + line).rstrip() for line in diff] + ['']


def setup(app):
    """Register the directive with Sphinx."""
    # NOTE(xmlhooks): imported here so that the rest of this module works
    # without Sphinx.
    from sphinx.util import docutils as sphinx_docutils

    class ExampleDirective(sphinx_docutils.SphinxDirective):
        required_arguments = 1

        def _read(self, path):
            full = os.path.join(self.env.srcdir, path)
            if not os.path.isfile(full):
                raise self.error('cookbook example %s has no file %s'
                                 % (self.arguments[0], path))
            self.env.note_dependency(full)
            with open(full) as handle:
                return handle.read()

        def run(self):
            name = self.arguments[0]
            self._read(example_files(name)['command'])
            return self.parse_text_to_nodes('\n'.join(
                example_rst(name, self._read)))

    app.add_directive('xmlhooks-example', ExampleDirective)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
