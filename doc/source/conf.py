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

"""Sphinx configuration of the nova-xmlhooks documentation.

NOTE(xmlhooks): the configuration reference, the sample file, the extra
spec reference and the list of customisers are all rendered from the
installed package at build time, so the docs cannot drift from the code.
The project's own extensions live in ``doc/ext``, as nova's do.
"""

import os
import sys

# NOTE(xmlhooks): doc/ goes on the path so that the extensions in doc/ext
# import as ext.*; they are part of the docs, not of the installed package.
sys.path.insert(0, os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

extensions = [
    'sphinx.ext.graphviz',
    'openstackdocstheme',
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
    'stevedore.sphinxext',
    'ext.extra_specs',
    'ext.cookbook',
]

# sphinx.ext.graphviz: SVG scales with the page and keeps its text
# searchable; the dot command comes from the graphviz package (bindep.txt,
# profile doc).
graphviz_output_format = 'svg'

# openstackdocstheme
openstackdocs_repo_name = 'x/nova-xmlhooks'
openstackdocs_bug_project = 'nova-xmlhooks'
openstackdocs_bug_tag = 'doc'
openstackdocs_auto_name = False
openstackdocs_use_storyboard = False

# oslo_config.sphinxconfiggen writes _static/nova-xmlhooks.conf.sample at
# build time (a build artefact; configuration/sample.rst includes it)
config_generator_config_file = (
    '../../etc/oslo-config-generator/nova-xmlhooks.conf')
sample_config_basename = '_static/nova-xmlhooks'

project = 'nova-xmlhooks'
copyright = 'The nova-xmlhooks authors'
master_doc = 'index'
exclude_patterns = ['_build']
pygments_style = 'native'
html_theme = 'openstackdocs'
