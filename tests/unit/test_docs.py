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

"""Every example in the docs, checked against the code.

NOTE(xmlhooks): these tests read the files the docs include and load the
docs' own extensions from ``doc/ext`` by path (they are not part of the
installed package); they never import Sphinx, so they run with the unit
tests.

After a deliberate change of behaviour, rewrite the cookbook's XML excerpts
with ``python -m tests.unit.test_docs regenerate`` and review the diff.
"""

import configparser
import contextlib
import dataclasses
import glob
import importlib.util
import os
import re
import shlex
import shutil
import sys
import tempfile
import textwrap
import types

import fixtures
from lxml import etree
from nova import exception as nova_exception
from oslo_config import cfg
from oslotest import base as oslo_base
import testscenarios
import yaml

from nova_xmlhooks import api_validation
from nova_xmlhooks import checks as checks_mod
from nova_xmlhooks.conf import xmlhooks as xmlhooks_opts
from nova_xmlhooks import engine as engine_mod
from nova_xmlhooks import exception
from nova_xmlhooks import guard
from nova_xmlhooks import metadata
from nova_xmlhooks import xpath_edit
from tests.unit.cmd import base as cmd_base

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DOC = os.path.join(REPO, 'doc', 'source')


def load_doc_ext(name):
    """Import one of the docs' extensions from ``doc/ext`` by path."""
    spec = importlib.util.spec_from_file_location(
        'xmlhooks_doc_ext_' + name, os.path.join(REPO, 'doc', 'ext',
                                                 name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


extra_specs = load_doc_ext('extra_specs')
cookbook = load_doc_ext('cookbook')
# NOTE(xmlhooks): the name DeploymentSnippetTest knows the private option
# registration by.
sphinxext = extra_specs

EXAMPLES = os.path.join(DOC, cookbook.EXAMPLES_DIR)
SNIPPETS = os.path.join(DOC, 'install', 'snippets')
FIXTURES = os.path.join(REPO, 'tests', 'fixtures')
NAMESPACES = dict(xpath_edit.NAMESPACES, xmlhooks=metadata.XMLHOOKS_NS,
                  nova=metadata.NOVA_NS)

load_tests = testscenarios.load_tests_apply_scenarios


def make_conf(**overrides):
    """A private config with the project's options, as a service has."""
    conf = cfg.ConfigOpts()
    extra_specs.register_private_opts(conf)
    conf([], project='nova-xmlhooks-test', default_config_files=[],
         default_config_dirs=[])
    conf.set_override('profile_dirs', [], group='xmlhooks')
    for name, value in overrides.items():
        conf.set_override(name, value, group='xmlhooks')
    return conf


def load_examples():
    with open(os.path.join(EXAMPLES, 'examples.yaml')) as handle:
        return yaml.safe_load(handle)


def specs_from_command(path):
    """Read the extra specs an ``openstack flavor set`` command sets.

    :raises: ValueError if the file holds anything else
    """
    with open(path) as handle:
        words = shlex.split(handle.read().replace('\\\n', ' '))
    if words[:3] != ['openstack', 'flavor', 'set'] or len(words) % 2:
        raise ValueError('%s is not "openstack flavor set FLAVOR ..."'
                         % path)
    # NOTE(xmlhooks): the flavor comes first or last, as the client allows.
    options = words[4:] if not words[3].startswith('-') else words[3:-1]
    specs = {}
    for option, argument in zip(options[::2], options[1::2]):
        if option != '--property' or '=' not in argument:
            raise ValueError('%s: unexpected %s %s'
                             % (path, option, argument))
        key, value = argument.split('=', 1)
        specs[key] = value
    return specs


def excerpt(xml, paths):
    """The elements of a domain at the given XPaths, pretty-printed."""
    parser = etree.XMLParser(remove_blank_text=True)
    root = etree.fromstring(xml.encode(), parser)
    parts = []
    for path in paths:
        nodes = root.xpath(path, namespaces=NAMESPACES)
        if not nodes:
            parts.append('<!-- nothing at %s -->\n' % path)
        for node in nodes:
            parts.append(etree.tostring(node, encoding='unicode',
                                        pretty_print=True, with_tail=False))
    return ''.join(part if part.endswith('\n') else part + '\n'
                   for part in parts)


@contextlib.contextmanager
def example_conf(example):
    """The config an example runs with.

    ``profile_files`` names files of ``etc/xmlhooks.d`` to use alone.
    """
    overrides = dict(example.get('conf') or {})
    files = overrides.pop('profile_files', [])
    with tempfile.TemporaryDirectory() as profile_dir:
        for name in files:
            shutil.copy(os.path.join(REPO, 'etc', 'xmlhooks.d', name),
                        profile_dir)
        if files:
            overrides['profile_dirs'] = [profile_dir]
        yield make_conf(**overrides)


def run_example(name, example):
    """Apply an example's specs to its fixture with the real engine.

    :returns: ``(before, after)`` excerpts
    """
    with open(os.path.join(FIXTURES, example['fixture'])) as handle:
        xml = handle.read()
    specs = specs_from_command(os.path.join(EXAMPLES, name + '.sh'))
    with example_conf(example) as conf:
        engine = engine_mod.Engine.from_conf(conf)
    result = engine.apply(xml, engine.resolve(specs))
    return excerpt(xml, example['show']), excerpt(result, example['show'])


def read(path):
    with open(path) as handle:
        return handle.read()


class CookbookExampleTest(oslo_base.BaseTestCase):
    """Each example's specs give exactly the XML the docs show."""

    scenarios = sorted((name, {'name': name, 'example': example})
                       for name, example in load_examples().items())

    def test_before_and_after(self):
        before, after = run_example(self.name, self.example)
        files = cookbook.example_files(self.name)
        self.assertEqual(read(os.path.join(DOC, files['before'])), before)
        self.assertEqual(read(os.path.join(DOC, files['after'])), after)
        self.assertNotEqual(before, after, 'the example changes nothing')

    def test_diff_shows_the_whole_excerpt_and_marks_the_change(self):
        files = cookbook.example_files(self.name)
        before = read(os.path.join(DOC, files['before']))
        after = read(os.path.join(DOC, files['after']))
        diff = cookbook.diff_lines(before, after)
        self.assertEqual(['--- ' + cookbook.BEFORE_LABEL,
                          '+++ ' + cookbook.AFTER_LABEL], diff[:2])
        self.assertTrue(diff[2].startswith('@@ '), diff[2])
        body = diff[3:]
        self.assertEqual(before.splitlines(),
                         [line[1:] for line in body if line[0] in ' -'])
        self.assertEqual(after.splitlines(),
                         [line[1:] for line in body if line[0] in ' +'])
        self.assertTrue([line for line in body if line[0] in '+-'])

    def test_page_shows_the_command_and_the_diff(self):
        lines = cookbook.example_rst(
            self.name, lambda path: read(os.path.join(DOC, path)))
        text = '\n'.join(lines)
        self.assertIn('.. literalinclude:: /cookbook/examples/%s.sh\n'
                      % self.name, text)
        self.assertIn('\n.. code-block:: diff\n', text)
        self.assertNotIn('.xml', text)
        start = lines.index('.. code-block:: diff') + 3
        shown = [line[3:] for line in lines[start:-1]]
        files = cookbook.example_files(self.name)
        self.assertEqual(
            [line.rstrip() for line in cookbook.diff_lines(
                read(os.path.join(DOC, files['before'])),
                read(os.path.join(DOC, files['after'])))], shown)

    def test_specs_pass_api_validation(self):
        with example_conf(self.example) as conf:
            validators = api_validation.validators(conf)
        specs = specs_from_command(os.path.join(EXAMPLES,
                                                self.name + '.sh'))
        for key, value in specs.items():
            matching = [v for v in validators
                        if re.fullmatch(v.name_regex, key)]
            self.assertEqual(1, len(matching), key)
            matching[0].validate(key, value)


class CookbookIndexTest(oslo_base.BaseTestCase):

    def test_every_example_is_shown_and_every_shown_one_exists(self):
        shown = set()
        for path in glob.glob(os.path.join(DOC, '**', '*.rst'),
                              recursive=True):
            shown.update(re.findall(r'^\.\. xmlhooks-example:: (\S+)$',
                                    read(path), re.M))
        self.assertEqual(set(load_examples()), shown)

    def test_no_stray_example_files(self):
        names = set(load_examples())
        for path in os.listdir(EXAMPLES):
            if path == 'examples.yaml':
                continue
            self.assertIn(path.split('.')[0], names, path)

    def test_command_parser_refuses_other_commands(self):
        path = self.useFixture(fixtures.TempDir()).join('bad.sh')
        with open(path, 'w') as handle:
            handle.write('openstack flavor set --no-property m1.small\n')
        self.assertRaises(ValueError, specs_from_command, path)


@dataclasses.dataclass(frozen=True)
class Declaration:
    """A key declaration with the fields the reference reads, and no more."""

    name: str
    description: str
    value: dict
    parameters: tuple = ()
    deprecated: bool = False


def key_regex(declaration):
    """The regular expression of a declared key's name.

    NOTE(xmlhooks): computed from the fields every declaration has, as
    nova's validators compute theirs.
    """
    regex = re.escape(declaration.name)
    for param in declaration.parameters or ():
        regex = regex.replace(re.escape('{%s}' % param['name']),
                              '(?:%s)' % param['pattern'])
    return regex


def words_outside_literal_blocks(lines):
    """The words a browser may not break, less labels and literal blocks.

    :returns: ``(line number, word)`` pairs
    """
    words, block_indent = [], None
    for number, line in enumerate(lines, 1):
        indent = len(line) - len(line.lstrip())
        if block_indent is not None and (not line.strip()
                                         or indent > block_indent):
            continue
        block_indent = indent if line.strip() == '::' else None
        if line.startswith('.. _') or set(line) <= set('-~'):
            continue
        words += [(number, word) for word in line.split()]
    return words


def too_long(lines):
    """Words longer than the reference allows, as rendered.

    A literal's backticks are not shown; a punctuation mark after it
    sticks to it.
    """
    return [(number, word) for number, word
            in words_outside_literal_blocks(lines)
            if len(word.replace('``', '')) > extra_specs.MAX_LITERAL + 1]


class ExtraSpecReferenceTest(oslo_base.BaseTestCase):
    """The reference documents every key that nova-api accepts."""

    def setUp(self):
        super().setUp()
        self.groups = extra_specs.sections()
        self.lines = extra_specs.extra_spec_rst(self.groups)
        self.text = '\n'.join(self.lines)

    def render(self, *declarations):
        return extra_specs.extra_spec_rst([('test', '', declarations)])

    def test_every_api_key_is_documented(self):
        # All installed customisers enabled: everything nova-api could
        # accept on some deployment.
        conf = make_conf(customizers=extra_specs.customizer_names())
        for validator in api_validation.validators(conf):
            self.assertIn('.. _%s:' % extra_specs.anchor(validator.name),
                          self.text)
            self.assertIn('\n``%s``\n' % validator.name, self.text)

    def test_every_installed_customizer_has_a_section(self):
        families = [family for family, _, _ in self.groups if family]
        self.assertEqual(sorted(extra_specs.customizer_names()),
                         sorted(families))
        for family in families:
            self.assertIn('\n``xmlhooks:%s``\n' % family, self.text)

    def test_anchors_are_unique(self):
        anchors = re.findall(r'^\.\. _(\S+):$', self.text, re.M)
        self.assertEqual(len(anchors), len(set(anchors)))

    def test_reference_page_renders_everything(self):
        page = read(os.path.join(DOC, 'reference', 'extra-specs.rst'))
        self.assertRegex(page, r'(?m)^\.\. xmlhooks-extra-specs::\n(?!   :)')

    def test_undocumented_key_fails(self):
        undocumented = Declaration(name='xmlhooks:test:thing',
                                   description=' ', value={'type': str})
        error = self.assertRaises(ValueError, self.render, undocumented)
        self.assertIn('xmlhooks:test:thing has no description', str(error))

    def test_undocumented_parameter_fails(self):
        declaration = Declaration(
            name='xmlhooks:test:{n}', description='A thing.',
            value={'type': str},
            parameters=[{'name': 'n', 'pattern': '[0-9]'}])
        self.assertRaises(ValueError, self.render, declaration)

    def test_every_key_used_in_the_docs_is_documented(self):
        declarations = [d for _, _, ds in self.groups for d in ds]
        used = set()
        for path in glob.glob(os.path.join(EXAMPLES, '*.sh')):
            used.update(specs_from_command(path))
        for path in glob.glob(os.path.join(REPO, 'etc', 'xmlhooks.d',
                                           '*.yaml')):
            for profile in yaml.safe_load(read(path)).values():
                used.update((profile or {}).get('specs') or {})
        self.assertTrue(used)
        for key in used:
            self.assertTrue(
                any(re.fullmatch(key_regex(d), key) for d in declarations),
                '%s is not in the extra spec reference' % key)

    def test_no_word_overflows_the_column(self):
        # Browsers break lines between words only, and never inside an
        # inline literal: a longer one runs out of the column.
        self.assertEqual([], too_long(self.lines))

    def test_fixed_strings_are_listed(self):
        # The Hyper-V switches were a 142-character alternation.
        from nova_xmlhooks.customizers import hyperv
        self.assertEqual(list(hyperv.SWITCHES), extra_specs.fixed_values(
            '|'.join(re.escape(f) for f in hyperv.SWITCHES)))
        self.assertIn(':``{feature}``: one of ``relaxed``, ``vapic``,',
                      self.text)
        self.assertIn('``stimer.direct``', self.text)
        self.assertNotIn('relaxed|vapic', self.text)

    def test_listing_only_fixed_strings(self):
        for pattern in ('on|off|[0-9]{1,10}', '[a-z]+', 'a.b|c', r'a\d',
                        '(a|b)', 'a|', 'x?'):
            self.assertIsNone(extra_specs.fixed_values(pattern), pattern)
        self.assertEqual(['a.b', 'c-d', 'e'],
                         extra_specs.fixed_values(r'a\.b|c\-d|e'))

    def test_top_level_alternatives(self):
        for pattern, expected in (
                ('on|off|[0-9]+', ['on', 'off', '[0-9]+']),
                ('(a|b)c|d', ['(a|b)c', 'd']),
                (r'[|]x|\|y', ['[|]x', r'\|y']),
                ('[]|]|z', ['[]|]', 'z']),
                ('abc', ['abc'])):
            parts = extra_specs.split_alternatives(pattern)
            self.assertEqual(expected, parts)
            self.assertEqual(pattern, '|'.join(parts))

    def test_long_patterns_fit(self):
        short = '[a-z]{1,8}'
        alternation = '|'.join([short + str(i) * 30 for i in range(3)])
        single = '(' + alternation + ')'
        lines = self.render(Declaration(
            name='xmlhooks:test:{a}.{b}', description='A thing.',
            value={'type': str, 'pattern': single,
                   'description': 'Anything.'},
            parameters=[{'name': 'a', 'pattern': alternation,
                         'description': 'A.'},
                        {'name': 'b', 'pattern': short,
                         'description': 'B.'}]))
        text = '\n'.join(lines)
        self.assertEqual([], too_long(lines))
        self.assertIn(':``{b}``: matches ``%s``. B.' % short, text)
        self.assertIn(':``{a}``: matches any of ``%s``, ' % (
            alternation.split('|')[0]), text)
        # What fits nowhere else is shown whole, in a literal block.
        self.assertIn('\n  ::\n\n    %s\n' % single, text)

    def test_enumerations_replace_their_description(self):
        lines = self.render(Declaration(
            name='xmlhooks:test:thing', description='A thing.',
            value={'type': str, 'pattern': 'yes|no',
                   'description': 'yes or no.'}))
        self.assertIn(':Value: one of ``yes``, ``no``.', lines)

    def test_parameters_may_be_objects(self):
        param = types.SimpleNamespace(name='n', pattern='[0-9]',
                                      description='A digit.')
        lines = self.render(Declaration(
            name='xmlhooks:test:{n}', description='A thing.',
            value={'type': str}, parameters=(param,)))
        self.assertIn(':``{n}``: matches ``[0-9]``. A digit.', lines)


class ReadmeTest(oslo_base.BaseTestCase):

    def test_nova_conf_lines_are_the_reference_snippet(self):
        readme = read(os.path.join(REPO, 'README.rst'))
        block = re.search(r'::\n\n( {4}\[DEFAULT\]\n(?: {4}.*\n|\n)+)',
                          readme).group(1)
        self.assertEqual(read(os.path.join(SNIPPETS, 'nova.conf')),
                         textwrap.dedent(block).strip('\n') + '\n')


class HowItWorksPictureTest(oslo_base.BaseTestCase):
    """The picture follows a spec from the flavor to libvirt."""

    def test_every_step_is_on_the_path(self):
        page = read(os.path.join(DOC, 'admin', 'how-it-works.rst'))
        graph = re.search(r'^\.\. graphviz::\n.*?^   (digraph .*?^   \})$',
                          page, re.M | re.S).group(1)
        edges = {}
        for source, target in re.findall(r'^\s*(\w+) -> (\w+)', graph,
                                         re.M):
            edges.setdefault(source, set()).add(target)
        path = ['flavor', 'specs', 'rules', 'customizers', 'checks',
                'record', 'xml', 'libvirt']
        for source, target in zip(path, path[1:]):
            self.assertIn(target, edges.get(source, ()), source)
        self.assertIn('customizers', edges['tree'])
        self.assertIn('tree', edges['nova'])

    def test_graphviz_is_a_doc_package(self):
        lines = read(os.path.join(REPO, 'bindep.txt')).splitlines()
        self.assertIn('graphviz [doc]', lines)


class TroubleshootingTest(oslo_base.BaseTestCase):
    """Every error a user can see has an entry in troubleshooting."""

    def test_every_error_is_explained(self):
        page = read(os.path.join(DOC, 'admin', 'troubleshooting.rst'))
        errors = [getattr(exception, name) for name in exception.ERRORS]
        self.assertGreater(len(errors), 3)
        for cls in errors:
            self.assertIn(':class:`%s`' % cls.__name__, page)

    def test_documented_messages_match_the_code(self):
        """Each message quoted in the docs has the form the code gives."""
        patterns = []
        for name in exception.ERRORS:
            parts = re.split(r'%\(\w+\)s', getattr(exception, name).msg_fmt)
            patterns.append('.+'.join(re.escape(p) for p in parts))
        # nova-api's answer for a value the customiser's parser refused.
        patterns.append(r"Validation failed; '[^']+': .+")
        quoted = []
        for page in ('admin/troubleshooting.rst', 'admin/how-it-works.rst',
                     'admin/hardening.rst', 'reference/profiles.rst'):
            quoted += re.findall(r'^ {2,}((?:xmlhooks: |Validation failed;)'
                                 r'.*)$', read(os.path.join(DOC, page)),
                                 re.M)
        self.assertGreater(len(quoted), 8)
        for message in quoted:
            self.assertTrue(
                any(re.fullmatch(p, message) for p in patterns), message)


class DeploymentSnippetTest(oslo_base.BaseTestCase):
    """Every deployment tool's snippet makes the same settings.

    Each also uses only the tool's names recorded here, with the file and
    line that define them on the tool's master branch as read in November
    2026; the names were the same on every branch that the deployment
    guide lists. Nothing here reads the tools' repositories.
    """

    # NOTE(xmlhooks): openstack/kolla. kolla-build gives an image the
    # plugins of the sections named '^<image>-plugin-.+'
    # (kolla/image/kolla_worker.py:776-789); their options come from
    # kolla/common/config.py:304-328 (type is one of local, git, url), and
    # a git source needs a reference (kolla_worker.py:726-727).
    # kolla/docker/nova/nova-base/Dockerfile.j2:57-78 installs them with
    # pip; nova-api and nova-compute are built FROM nova-base (line 1 of
    # their Dockerfile.j2).
    KOLLA_PLUGIN_SECTION = r'^nova-base-plugin-.+'
    KOLLA_SOURCE_TYPES = ('local', 'git', 'url')
    # NOTE(xmlhooks): openstack/kolla-ansible. nova.conf is merged from
    # {{ node_custom_config }}/nova/{{ item.key }}.conf, item.key being the
    # service (ansible/roles/nova-cell/tasks/config.yml:136,
    # ansible/roles/nova/tasks/config.yml:66); node_custom_config is
    # /etc/kolla/config (doc/source/admin/advanced-configuration.rst:92).
    # Images and extra volumes: ansible/roles/nova/defaults/main.yml:126,
    # 226 and ansible/roles/nova-cell/defaults/main.yml:326, 517. Inventory
    # groups: nova-api (nova/defaults/main.yml:5) and compute
    # (nova_cell_compute_group, nova-cell/defaults/main.yml:119).
    KOLLA_CONFIG = '/etc/kolla/config/nova/%s.conf'
    KOLLA_VARIABLES = {'nova_api_image', 'nova_compute_image',
                       'nova_api_extra_volumes',
                       'nova_compute_extra_volumes'}
    KOLLA_GROUPS = {'nova-api', 'compute'}
    # NOTE(xmlhooks): openstack/puppet-nova. manifests/deps.pp:13-25 chains
    # these anchors and collects every package tagged nova-package into the
    # install phase (line 14), whose end restarts the services (line 79).
    # manifests/init.pp:480-484 declares Package['python-nova'] (Nova's
    # Python code, python_package_name in manifests/params.pp:23 and 75).
    # manifests/compute/libvirt.pp:292 takes compute_driver and writes
    # DEFAULT/compute_driver (line 401).
    PUPPET_ANCHORS = {'nova::install::begin', 'nova::install::end',
                      'nova::config::begin', 'nova::config::end',
                      'nova::db::begin', 'nova::db::end',
                      'nova::dbsync::begin', 'nova::dbsync::end',
                      'nova::service::begin', 'nova::service::end'}
    PUPPET_PACKAGE_TAG = 'nova-package'
    PUPPET_NOVA_PACKAGE = 'python-nova'
    PUPPET_COMPUTE_DRIVER = 'nova::compute::libvirt::compute_driver'
    # NOTE(xmlhooks): openstack/openstack-ansible-os_nova.
    # defaults/main.yml:569 declares nova_user_pip_packages, which
    # vars/main.yml:58 joins to the packages of the Nova virtualenv that
    # tasks/nova_install.yml:54-76 builds under the upper constraints (for
    # the default nova_install_method, source, defaults/main.yml:56);
    # defaults/main.yml:579 declares nova_nova_conf_overrides, merged into
    # nova.conf by tasks/nova_post_install.yml:42. The services' groups are
    # in defaults/main.yml:486 (nova-api-os-compute) and 497
    # (nova-compute).
    OSA_VARIABLES = {'nova_user_pip_packages', 'nova_nova_conf_overrides'}
    OSA_GROUPS = {'nova_api_os_compute', 'nova_compute'}

    def setUp(self):
        super().setUp()
        self.expected = self.ini(os.path.join(SNIPPETS, 'nova.conf'))

    def ini(self, path):
        parser = configparser.RawConfigParser()
        parser.optionxform = str
        parser.read(path)
        settings = {('DEFAULT', k): v for k, v in parser.defaults().items()}
        for section in parser.sections():
            settings.update(((section, k), v) for k, v in
                            parser.items(section, raw=True)
                            if k not in parser.defaults())
        return settings

    def api_settings(self):
        return {k: v for k, v in self.expected.items()
                if k != ('DEFAULT', 'compute_driver')}

    def project_url(self):
        """Where the project's git repository is, from its metadata.

        NOTE(xmlhooks): setup.cfg's home_page, or the first source or home
        page URL of pyproject.toml's [project.urls] (PEP 621).
        """
        setup = configparser.ConfigParser()
        setup.read(os.path.join(REPO, 'setup.cfg'))
        if setup.has_option('metadata', 'home_page'):
            return setup['metadata']['home_page']
        import tomllib
        with open(os.path.join(REPO, 'pyproject.toml'), 'rb') as handle:
            urls = tomllib.load(handle)['project']['urls']
        return next(urls[key] for key in
                    ('Source Code', 'Source', 'Repository', 'Homepage')
                    if key in urls)

    def profile_dir(self):
        return self.expected[('xmlhooks', 'profile_dirs')]

    def test_reference_snippet_is_valid_config(self):
        conf = cfg.ConfigOpts()
        sphinxext.register_private_opts(conf)
        conf.register_opt(cfg.StrOpt('compute_driver'))
        conf(['--config-file', os.path.join(SNIPPETS, 'nova.conf')],
             project='nova', default_config_files=[], default_config_dirs=[])
        self.assertEqual('xmlhooks.LibvirtDriver', conf.compute_driver)
        for (section, option), value in self.expected.items():
            if section == 'xmlhooks':
                default = conf.xmlhooks[option]
                self.assertEqual(value, ','.join(default)
                                 if isinstance(default, list) else default)

    def test_kolla_ansible_config(self):
        for service, expected in (('nova-compute', self.expected),
                                  ('nova-api', self.api_settings())):
            path = os.path.join(SNIPPETS, 'kolla-%s.conf' % service)
            self.assertEqual(expected, self.ini(path))
            self.assertEqual('# ' + self.KOLLA_CONFIG % service,
                             read(path).splitlines()[0])

    def test_kolla_build(self):
        # kolla-build.conf is read with oslo.config, as kolla-build reads it.
        path = os.path.join(SNIPPETS, 'kolla-build.conf')
        conf = cfg.ConfigOpts()
        conf(['--config-file', path], project='kolla',
             default_config_files=[], default_config_dirs=[])
        sections = sorted(conf.list_all_sections())
        self.assertEqual(['nova-base-plugin-nova-xmlhooks'], sections)
        self.assertRegex(sections[0], self.KOLLA_PLUGIN_SECTION)
        conf.register_opts(
            [cfg.StrOpt('type', choices=self.KOLLA_SOURCE_TYPES),
             cfg.StrOpt('location'), cfg.StrOpt('reference'),
             cfg.BoolOpt('enabled', default=True)], group=sections[0])
        source = conf[sections[0]]
        self.assertEqual('git', source.type)
        self.assertEqual(self.project_url(), source.location)
        self.assertTrue(source.reference)
        self.assertTrue(source.enabled)

    def test_kolla_ansible_profiles(self):
        variables = yaml.safe_load(read(os.path.join(SNIPPETS,
                                                     'kolla-globals.yml')))
        self.assertEqual(set(), set(variables) - self.KOLLA_VARIABLES)
        for service in ('nova_api', 'nova_compute'):
            self.assertTrue(variables[service + '_image'].endswith(
                '/' + service.replace('_', '-')))
        play = yaml.safe_load(read(os.path.join(SNIPPETS,
                                                'kolla-profiles.yml')))
        self.assertEqual(self.KOLLA_GROUPS, set(play[0]['hosts'].split(':')))
        copy = play[0]['tasks'][0]['ansible.builtin.copy']
        mount = '%s:%s:ro' % (copy['dest'].rstrip('/'), self.profile_dir())
        self.assertEqual(
            {'nova_api_extra_volumes': [mount],
             'nova_compute_extra_volumes': [mount]},
            {k: v for k, v in variables.items()
             if k.endswith('_extra_volumes')})

    def test_openstack_ansible(self):
        data = yaml.safe_load(read(os.path.join(SNIPPETS,
                                                'osa-user_variables.yml')))
        self.assertEqual(self.OSA_VARIABLES, set(data))
        settings = {(section, option): value for section, options in
                    data['nova_nova_conf_overrides'].items()
                    for option, value in options.items()}
        self.assertEqual(self.expected, settings)
        self.assertEqual(['nova-xmlhooks'], data['nova_user_pip_packages'])
        play = yaml.safe_load(read(os.path.join(SNIPPETS,
                                                'osa-profiles.yml')))
        self.assertEqual(self.OSA_GROUPS, set(play[0]['hosts'].split(':')))
        copy = play[0]['tasks'][0]['ansible.builtin.copy']
        self.assertEqual(self.profile_dir() + '/', copy['dest'])

    def puppet_resources(self, manifest):
        """The resources of a manifest: {(type, title): {attribute: text}}.

        Enough Puppet for the snippet: one resource per block, one
        attribute per line, comments on lines of their own.
        """
        lines = [line for line in manifest.splitlines()
                 if not line.lstrip().startswith('#')]
        resources = {}
        for kind, title, body in re.findall(
                r"^(\w+) \{ '([^']+)':\n(.*?)^\}", '\n'.join(lines),
                re.MULTILINE | re.DOTALL):
            resources[(kind, title)] = dict(re.findall(
                r'^\s+(\w+)\s+=>\s+(.*?),?$', body, re.MULTILINE))
        return resources

    def test_puppet(self):
        manifest = read(os.path.join(SNIPPETS, 'puppet-nova-xmlhooks.pp'))
        settings = {tuple(key.split('/')): value for key, value in
                    re.findall(r"'(\w+/\w+)':\s*value\s*=>\s*'([^']*)'",
                               manifest)}
        self.assertEqual(self.api_settings(), settings)
        hiera = yaml.safe_load(read(os.path.join(SNIPPETS,
                                                 'puppet-hiera.yaml')))
        self.assertEqual(
            {self.PUPPET_COMPUTE_DRIVER:
             self.expected[('DEFAULT', 'compute_driver')]}, hiera)

        resources = self.puppet_resources(manifest)
        self.assertEqual({('package', 'nova-xmlhooks'),
                          ('file', self.profile_dir())}, set(resources))
        package = resources[('package', 'nova-xmlhooks')]
        self.assertEqual("'pip3'", package['provider'])
        self.assertIn("'--break-system-packages'",
                      package['install_options'])
        # NOTE(xmlhooks): Puppet's pip3 provider needs the pip3 command.
        self.assertIn("ensure_packages(['python3-pip'])", manifest)
        self.assertEqual("[Package['%s'], Package['python3-pip']]"
                         % self.PUPPET_NOVA_PACKAGE, package['require'])
        self.assertIn("'%s'" % self.PUPPET_PACKAGE_TAG, package['tag'])
        # Only what puppet-nova declares on every Nova host: an API-only
        # host has no Service['nova-compute'].
        self.assertEqual(set(), set(re.findall(r"Anchor\['([^']+)'\]",
                                               manifest)) -
                         self.PUPPET_ANCHORS)
        self.assertEqual({self.PUPPET_NOVA_PACKAGE, 'python3-pip'},
                         set(re.findall(r"Package\['([^']+)'\]", manifest)))
        self.assertNotIn('Service[', manifest)
        profiles = resources[('file', self.profile_dir())]
        self.assertEqual("Anchor['nova::config::begin']",
                         profiles['require'])
        self.assertEqual("Anchor['nova::config::end']", profiles['notify'])

    def test_devstack(self):
        lines = read(os.path.join(SNIPPETS, 'local.conf')).splitlines()
        enable = [line for line in lines
                  if line.startswith('enable_plugin')]
        self.assertEqual(['enable_plugin nova-xmlhooks %s'
                          % self.project_url()], enable)
        settings = read(os.path.join(REPO, 'devstack', 'settings'))
        self.assertIn(enable[0], settings)
        # No branch: enable_plugin's default, master, serves every series.
        self.assertEqual(3, len(enable[0].split()))
        self.assertIn('\ndefine_plugin %s\n' % enable[0].split()[1],
                      settings)


class CustomizerExampleTest(oslo_base.BaseTestCase):
    """The example customiser of the developer guide works as shown."""

    def load_module(self):
        path = os.path.join(DOC, 'contributor', 'example',
                            'xmlhooks_example', 'crash.py')
        spec = importlib.util.spec_from_file_location('xmlhooks_crash', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def test_example_customizer(self):
        module = self.load_module()
        customizer = module.CrashCustomizer(make_conf())
        engine = engine_mod.Engine({'crash': customizer}, {})
        xml = read(os.path.join(FIXTURES, 'nova-basic.xml'))
        ruleset = engine.resolve({'xmlhooks:crash:action': 'preserve'})
        result = engine.apply(xml, ruleset)
        self.assertEqual(['preserve'], [node.text for node in etree.fromstring(
            result.encode()).findall('on_crash')])
        self.assertEqual(result, engine.apply(result, ruleset))
        error = self.assertRaises(exception.InvalidSpec, engine.resolve,
                                  {'xmlhooks:crash:action': 'explode'})
        self.assertIn("'xmlhooks:crash:action'", str(error))
        self.assertIn('xmlhooks:crash:action', '\n'.join(
            extra_specs.extra_spec_rst([('crash', '',
                                         customizer.validators())])))

    def test_guide_names_the_categories_the_example_needs(self):
        # NOTE(xmlhooks): the engine with the driver's checks: the guard
        # judges a third-party customiser's changes as any other's.
        page = read(os.path.join(DOC, 'contributor', 'customizers.rst'))
        allowed = sorted(literals(between(
            page, 'gives guests of that flavor', ':')) &
            set(xmlhooks_opts.SENSITIVE_CATEGORIES))
        self.assertTrue(allowed, 'the guide names no category')
        xml = read(os.path.join(FIXTURES, 'nova-basic.xml'))
        specs = {'xmlhooks:crash:action': 'preserve'}
        module = self.load_module()
        for categories in ([], allowed):
            conf = make_conf(validate_schema=False,
                             allow_sensitive=categories)
            customizers = {'crash': module.CrashCustomizer(conf)}
            engine = engine_mod.Engine(
                customizers, {},
                checks=checks_mod.load_checks(conf, customizers))
            if not categories:
                self.assertRaises(exception.GuardError, engine.apply, xml,
                                  engine.resolve(specs))
                continue
            result = engine.apply(xml, engine.resolve(specs))
            self.assertEqual(['preserve'], [node.text for node in
                                            etree.fromstring(
                                                result.encode()).findall(
                                                    'on_crash')])

    def test_entry_point_in_the_guide(self):
        setup = configparser.ConfigParser()
        setup.read(os.path.join(DOC, 'contributor', 'example', 'setup.cfg'))
        points = setup['entry_points']['nova_xmlhooks.customizers']
        self.assertEqual(
            'crash = xmlhooks_example.crash:CrashCustomizer',
            points.strip())


def code_blocks(page, language):
    """The ``code-block:: LANGUAGE`` blocks of a page, as their text."""
    return [textwrap.dedent(block) for block in re.findall(
        r'^\.\. code-block:: %s\n\n((?:(?: {3}.*)?\n)+)' % language, page,
        re.M)]


def literals(text):
    """The inline literals of some reStructuredText, as a set."""
    return set(re.findall(r'``([^`]+)``', text))


def between(page, start, end):
    """The text of a page from a phrase to the next phrase, lines joined."""
    text = ' '.join(page.split())
    found = re.search(re.escape(start) + '(.*?)' + re.escape(end), text)
    if found is None:
        raise AssertionError('no %r ... %r in the page' % (start, end))
    return found.group(1)


def flavor_set_commands(page):
    """The ``openstack flavor set`` lines of a page's console blocks.

    :returns: a list of ``(flavor, specs)``: the flavor each names and the
        extra specs it sets
    """
    commands = []
    for block in code_blocks(page, 'console'):
        for line in re.findall(r'^[#$] (openstack flavor set(?:.*\\\n)*.*)$',
                               block, re.M):
            words = shlex.split(line.replace('\\\n', ' '))
            commands.append((words[3], dict(
                argument.split('=', 1) for option, argument
                in zip(words, words[1:]) if option == '--property')))
    return commands


class FlavorCommandTest(oslo_base.BaseTestCase):
    """The flavor commands the pages show pass nova-api, and apply."""

    def test_every_flavor_set_command(self):
        commands = []
        for path in glob.glob(os.path.join(DOC, '**', '*.rst'),
                              recursive=True):
            commands += flavor_set_commands(read(path))
        self.assertTrue(commands)
        conf = make_conf(customizers=extra_specs.customizer_names())
        validators = api_validation.validators(conf)
        engine = engine_mod.Engine.from_conf(make_conf(validate_schema=False))
        for flavor, specs in commands:
            self.assertTrue(specs)
            # NOTE(xmlhooks): a Windows flavor's rules build on the Hyper-V
            # enlightenments Nova writes for Windows guests.
            xml = read(os.path.join(FIXTURES, 'nova-windows.xml' if
                                    flavor.startswith('win') else
                                    'nova-basic.xml'))
            for key, value in specs.items():
                matching = [v for v in validators
                            if re.fullmatch(v.name_regex, key)]
                self.assertEqual(1, len(matching), key)
                matching[0].validate(key, value)
            self.assertNotEqual(xml, engine.apply(xml, engine.resolve(specs)))

    def test_commands_are_found(self):
        page = ('.. code-block:: console\n\n'
                '   $ openstack flavor set f \\\n'
                "       --property 'xmlhooks:a:b=c d'\n")
        self.assertEqual([('f', {'xmlhooks:a:b': 'c d'})],
                         flavor_set_commands(page))


@dataclasses.dataclass(frozen=True)
class ShownError:
    """What makes an error the docs quote.

    :ivar specs: the flavor's extra specs
    :ivar images: the profile names the image selects
    :ivar shown: ``message`` when the docs quote the whole message,
        ``reason`` when they quote only what follows the key
    :ivar without: the elements to remove from Nova's document first,
        an XPath from ``<domain>``
    """

    specs: dict
    images: tuple = ()
    shown: str = 'message'
    without: str = ''


#: the errors the administrator guide quotes, and what makes each
SHOWN_ERRORS = (
    ShownError({'xmlhooks:hyperv:stimer': 'maybe'}),
    ShownError({'xmlhooks:qemu:arg.0': '-S'}),
    ShownError({}, images=('gold',)),
    ShownError({'xmlhooks:profile': 'windows-2025'}),
    ShownError({'xmlhooks:xml:t':
                './devices/disk[last()+1]/driver/@cache=none'}),
    ShownError({'xmlhooks:xml:t': './devices/interface/model/@type=virtio'},
               shown='reason', without='devices/interface'),
    ShownError({'xmlhooks:xml:s': './seclabel/@type=none'}),
    ShownError({'xmlhooks:xml:kernel': './os/kernel=/boot/vmlinuz'}),
)
#: nova-api's refusals the troubleshooting page quotes
SHOWN_API_ERRORS = (('xmlhooks:hyperv:stimer', 'maybe'),
                    ('xmlhooks:xml:clock', './clock[=1'))
ERROR_PAGES = ('admin/troubleshooting.rst', 'admin/how-it-works.rst',
               'admin/hardening.rst')


class ShownErrorTest(oslo_base.BaseTestCase):
    """The errors the guide quotes are the engine's, word for word."""

    def setUp(self):
        super().setUp()
        pages = [read(os.path.join(DOC, page)) for page in ERROR_PAGES]
        self.text = ' '.join(' '.join(page.split()) for page in pages)
        self.lines = [line for page in pages for line in re.findall(
            r'^ {2,}((?:xmlhooks: |Validation failed; ).*)$', page, re.M)]

    def assertShown(self, *messages):
        """The messages are in the pages, and every copy of one is whole.

        A copy is a quoted line that starts the same way, up to the key.

        :param messages: an error's message for users, and the whole one
            when it differs (see RuleError)
        """
        for message in messages:
            self.assertIn(message, self.text)
        message = messages[0]
        start = message[:message.index("'", message.index("'") + 1) + 1]
        for line in self.lines:
            if line.startswith(start):
                self.assertIn(line, messages)

    def error(self, shown):
        engine = engine_mod.Engine.from_conf(make_conf(validate_schema=False))
        root = etree.fromstring(read(os.path.join(
            FIXTURES, 'nova-basic.xml')).encode())
        if shown.without:
            for node in root.findall(shown.without):
                node.getparent().remove(node)
        xml = etree.tostring(root, encoding='unicode')
        try:
            engine.apply(xml, engine.resolve(shown.specs, shown.images))
        except exception.XmlHooksError as e:
            return e
        self.fail('%s applied' % (shown,))

    def test_engine_errors(self):
        for shown in SHOWN_ERRORS:
            error = self.error(shown)
            if shown.shown == 'message':
                self.assertShown(*dict.fromkeys([error.format_message(),
                                                 str(error)]))
            else:
                self.assertIn(str(error).split(': ', 2)[2], self.text)

    def test_api_errors(self):
        validators = api_validation.validators(make_conf())
        for key, value in SHOWN_API_ERRORS:
            validator, = [v for v in validators
                          if re.fullmatch(v.name_regex, key)]
            error = self.assertRaises(nova_exception.ValidationError,
                                      validator.validate, key, value)
            self.assertShown(str(error))


class ValidateExampleTest(oslo_base.BaseTestCase):
    """The validate run of the profile reference is the command's."""

    def test_profile_reference_example(self):
        page = read(os.path.join(DOC, 'reference', 'profiles.rst'))
        profile, = code_blocks(page, 'yaml')
        console, = [block for block in code_blocks(page, 'console')
                    if block.startswith('$ nova-xmlhooks validate')]
        command, *shown = console.strip('\n').split('\n')
        argv = shlex.split(command)[2:]
        self.assertEqual(['validate', '--config-file', '/etc/nova/nova.conf'],
                         argv)
        tempdir = self.useFixture(fixtures.TempDir()).path
        profile_dir = os.path.join(tempdir, 'xmlhooks.d')
        os.mkdir(profile_dir)
        with open(os.path.join(profile_dir, 'windows.yaml'), 'w') as handle:
            handle.write(profile)
        # NOTE(xmlhooks): what the page says: every customiser but xml.
        config_file = os.path.join(tempdir, 'nova.conf')
        customizers = next(opt for opt in xmlhooks_opts.ALL_OPTS
                           if opt.name == 'customizers').default
        with open(config_file, 'w') as handle:
            handle.write('[DEFAULT]\ncompute_driver = xmlhooks.LibvirtDriver\n'
                         '[xmlhooks]\nprofile_dirs = %s\ncustomizers = %s\n'
                         % (profile_dir, ','.join(
                             c for c in customizers if c != 'xml')))
        # NOTE(xmlhooks): an empty --config-dir keeps the host's
        # /etc/nova/nova.conf.d, if there is one, out of the files read.
        conf_dir = os.path.join(tempdir, 'nova.conf.d')
        os.mkdir(conf_dir)
        status, out, err = self.useFixture(cmd_base.CommandFixture()).run(
            'validate', '--config-file', config_file, '--config-dir',
            conf_dir)
        self.assertEqual(1, status, err)
        out = out.replace(profile_dir, '/etc/nova/xmlhooks.d').replace(
            config_file, '/etc/nova/nova.conf')
        self.assertEqual(shown, out.strip('\n').split('\n'))


class DevStackSettingsTest(oslo_base.BaseTestCase):
    """The deployment guide lists every DevStack setting and its default."""

    def settings(self):
        """The plugin's settings: ``{name: default}``."""
        text = read(os.path.join(REPO, 'devstack', 'settings'))
        found = dict(re.findall(r'^(NOVA_XMLHOOKS_\w+)=\$\{\1:-(.*)\}$',
                                text, re.M))
        found.update((name, default) for default, name in re.findall(
            r'^NOVA_XMLHOOKS_\w+=\$\(trueorfalse (\w+) (NOVA_XMLHOOKS_\w+)\)$',
            text, re.M))
        return found

    def entries(self):
        """The guide's definition list of settings: ``{name: text}``."""
        page = read(os.path.join(DOC, 'install', 'deployment-tools.rst'))
        entries = {}
        for terms, body in re.findall(r'^(``NOVA_XMLHOOKS_.*)\n((?:  .*\n)+)',
                                      page, re.M):
            for name in re.findall(r'``(NOVA_XMLHOOKS_\w+)``', terms):
                entries[name] = ' '.join(body.split())
        return entries

    def test_every_setting_is_documented_with_its_default(self):
        settings, entries = self.settings(), self.entries()
        self.assertGreater(len(settings), 10)
        self.assertEqual(sorted(settings), sorted(entries))
        for name, default in settings.items():
            if default:
                self.assertIn('``%s``' % default, entries[name], name)


class DriverOverridesTest(oslo_base.BaseTestCase):
    """The dependencies page names every method of Nova's it overrides."""

    def test_every_override_is_named(self):
        # NOTE(xmlhooks): imported here: nova's libvirt driver takes
        # seconds to import, and only this test needs it.
        from nova.virt.libvirt import driver as nova_driver

        from nova_xmlhooks import driver
        overrides = {name for cls in driver.LibvirtDriver.__mro__
                     if cls.__module__.startswith('nova_xmlhooks.')
                     for name in vars(cls)
                     if not name.startswith('__') and
                     hasattr(nova_driver.LibvirtDriver, name)}
        self.assertIn('_get_guest_xml', overrides)
        page = read(os.path.join(DOC, 'reference', 'dependencies.rst'))
        self.assertEqual([], sorted(name for name in overrides
                                    if '``%s``' % name not in page))


class HardeningPageTest(oslo_base.BaseTestCase):
    """The hardening guide lists what the guard reads, as the guard does."""

    def setUp(self):
        super().setUp()
        self.page = read(os.path.join(DOC, 'admin', 'hardening.rst'))

    def test_host_path_texts_and_resources(self):
        shown = literals(self.page)
        paths = {path.replace('domain/', '', 1)
                 for path in guard._PATH_TEXTS | guard._RESOURCES}
        self.assertEqual([], sorted(paths - shown))

    def test_listed_names_are_the_guards(self):
        for start, end, expected in (
                ('on any ``<source>`` element, at any depth',
                 ' attributes, and the text of its',
                 guard._SOURCE_PATH_ATTRS),
                ('set what is shown and how', '; a keymap',
                 guard._GRAPHICS_SETTINGS | guard._GRAPHICS_SETTING_ATTRS),
                ('a disk: everything but its', ', and its ``target',
                 guard._DISK_TUNING),
                ('and its ``target``\'s', '(what',
                 {name for _tag, names in guard._DISK_TARGET_TUNING
                  for name in names}),
                ('an interface: everything but its', '(so its type',
                 guard._INTERFACE_TUNING),
                ('a filesystem: everything but its', '(so its source',
                 guard._FILESYSTEM_TUNING)):
            self.assertEqual(set(expected),
                             literals(between(self.page, start, end)), start)

    def test_character_devices_guest_side(self):
        self.assertEqual(set(guard._CHARDEV_GUEST_SIDE), literals(between(
            self.page, 'and are the item; its', ', are not')))


def regenerate():
    """Rewrite every example's before and after excerpts."""
    for name, example in load_examples().items():
        before, after = run_example(name, example)
        files = cookbook.example_files(name)
        for part, text in (('before', before), ('after', after)):
            with open(os.path.join(DOC, files[part]), 'w') as handle:
                handle.write(text)
        print('wrote %s' % name)


if __name__ == '__main__':
    if sys.argv[1:] != ['regenerate']:
        sys.exit('usage: python -m tests.unit.test_docs regenerate')
    regenerate()
