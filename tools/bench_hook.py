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

"""The alternative the benchmark compares with: a hook in its own process.

libvirt's hook scripts and oVirt's VDSM hooks run one process for each
domain definition: it reads the domain XML on standard input, edits it and
writes it to standard output. This script is that hook, doing the same
edits as the in-process engine with the same lxml code, so the difference
the benchmark measures is the price of the process, not of the edits::

    python tools/bench_hook.py EDITS.json < domain.xml > customised.xml

``EDITS.json`` is a JSON list of edits in the ``virt-xml --xml`` grammar.
"""

import json
import os
import sys

from lxml import etree

# NOTE(xmlhooks): a hook script is run by path; put the repository first on
# the path so it edits with this tree's xpath_edit, like the benchmark.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from nova_xmlhooks import xpath_edit  # noqa: E402


def main(argv):
    """Apply the edits named on the command line to standard input.

    :param argv: the command line; ``argv[1]`` is the JSON file of edits
    :returns: the exit status
    """
    if len(argv) != 2:
        sys.stderr.write('usage: bench_hook.py EDITS.json < in.xml\n')
        return 2
    with open(argv[1]) as handle:
        edits = [xpath_edit.parse(text) for text in json.load(handle)]
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False,
                             no_network=True)
    root = etree.fromstring(sys.stdin.buffer.read(), parser)
    for edit in edits:
        edit.apply(root)
    sys.stdout.write(etree.tostring(root, encoding='unicode',
                                    pretty_print=True))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
