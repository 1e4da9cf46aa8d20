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

"""Watch nova-xmlhooks work inside a real, in-process Nova.

``tox -e demo`` runs Nova's API, conductor, scheduler, placement and one
compute with ``xmlhooks.LibvirtDriver`` over Nova's fake libvirt (the
functional test harness of this project), then boots, hard reboots, soft
reboots and resizes a server whose flavor uses an example profile from
``etc/xmlhooks.d``, an inline ``xmlhooks:xml:*`` edit and, when the
``smbios`` customiser is installed, a typed spec. It first shows the
flavor's specs and what the profiles they name contain. After each step it
shows which customisations are in the XML Nova gave libvirt, and a unified
diff, with context lines, against the XML stock Nova generated for the same
step. The last line is the verdict; the exit status follows it.
"""

import argparse
import difflib
import functools
import importlib.metadata
import logging
import os
import sys
import time
import unittest

import fixtures
from lxml import etree

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from nova_xmlhooks import engine  # noqa: E402
from nova_xmlhooks import metadata  # noqa: E402
from tests.functional import base  # noqa: E402

EXAMPLES = os.path.join(ROOT, 'etc', 'xmlhooks.d')
OUT = sys.stdout
#: lines of context around each change in the diffs
CONTEXT = 2
#: the longest diff shown for one step
MAX_DIFF_LINES = 60

#: (label, XPath that must select something, spec key, spec value)
INLINE = ('inline xml edit', "./features/vmport[@state='off']",
          'xmlhooks:xml:vmport', './features/vmport/@state=off')
INLINE_RESIZED = ('inline xml edit (new flavor)',
                  "./features/pmu[@state='off']", 'xmlhooks:xml:pmu',
                  './features/pmu/@state=off')
TYPED = ('typed smbios spec',
         "./sysinfo/baseBoard/entry[@name='serial'][.='DEMO-0001']",
         'xmlhooks:smbios:baseboard.serial', 'DEMO-0001')
PROFILE_CHECKS = {
    'no-tablet': ('profile no-tablet',
                  "not(./devices/input[@type='tablet'])"),
    'licensing': ('profile licensing',
                  "./sysinfo/baseBoard/entry[@name='manufacturer']"),
}


def _say(text=''):
    OUT.write(text + '\n')
    OUT.flush()


def _installed_customizers():
    return {ep.name for ep in importlib.metadata.entry_points(
        group='nova_xmlhooks.customizers')}


def _pretty(root):
    return etree.tostring(root, encoding='unicode', pretty_print=True)


def split_record(xml):
    """Take the record of the applied rules out of a domain XML.

    NOTE(xmlhooks): the record in ``<metadata>`` repeats the specs; the
    diff leaves it out and counts its lines instead. Both sides of a diff
    are printed by lxml alike, so only real changes show.

    :returns: ``(the XML without the record, the record's lines)``
    """
    parser = etree.XMLParser(remove_blank_text=True)
    root = etree.fromstring(xml.encode('utf-8'), parser)
    lines = 0
    for node in root.iterfind('metadata/{%s}customization'
                              % metadata.XMLHOOKS_NS):
        lines += len(_pretty(node).splitlines())
        node.getparent().remove(node)
    return _pretty(root), lines


def diff_against_stock(stock, xml):
    """A unified diff from stock Nova's XML to the customised one.

    :returns: ``(diff lines, lines of rule record left out)``
    """
    old, _ = split_record(stock)
    new, record = split_record(xml)
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(),
                                'stock nova', 'nova-xmlhooks', n=CONTEXT,
                                lineterm='')
    return list(diff), record


def profile_text(path):
    """A profile file as the operator wrote it, less its comments."""
    with open(path) as handle:
        return [line.rstrip('\n') for line in handle
                if line.strip() and not line.lstrip().startswith('#')]


class Demo(base.XmlHooksTestBase):
    """One scripted scenario on the functional harness."""

    verbose = False
    failures = []

    def setUp(self):
        installed = _installed_customizers()
        self.CUSTOMIZERS = tuple(
            name for name in ('xml', 'smbios') if name in installed)
        super().setUp()
        if self.verbose:
            handler = logging.StreamHandler(sys.stderr)
            handler.setLevel(logging.INFO)
            logging.getLogger().addHandler(handler)
            self.addCleanup(logging.getLogger().removeHandler, handler)
        self.stock = []
        # NOTE(xmlhooks): the driver customises the tree Nova builds
        # before Nova serialises it, so what Nova's _get_guest_xml
        # returns is already customised. Nova's own XML is observed,
        # unchanged, where the engine receives it: as a tree, whose
        # nova_xml() serialises it the way Nova would, or as text (the
        # hard reboot's plan).
        self.useFixture(fixtures.MonkeyPatch(
            'nova_xmlhooks.engine.Engine.customize_tree',
            self._recording(engine.Engine.customize_tree,
                            lambda root, nova_xml, *rest: nova_xml())))
        self.useFixture(fixtures.MonkeyPatch(
            'nova_xmlhooks.engine.Engine.customize',
            self._recording(engine.Engine.customize, lambda xml, *rest: xml)))

    def _recording(self, func, stock_xml):
        """Wrap an engine method to keep Nova's XML before it customises.

        :param func: ``Engine.customize_tree`` or ``Engine.customize``
        :param stock_xml: ``stock_xml(*args)``: Nova's XML, from the
            method's positional arguments
        """
        @functools.wraps(func)
        def wrapper(hooks, *args, **kwargs):
            self.stock.append(stock_xml(*args))
            return func(hooks, *args, **kwargs)
        return wrapper

    def _profiles(self):
        """Install the example profiles.

        :returns: ``{name: where it comes from}``
        """
        chosen = {}
        for name in ('no-tablet', 'licensing'):
            path = os.path.join(EXAMPLES, name + '.yaml')
            if name == 'licensing' and 'smbios' not in self.CUSTOMIZERS:
                continue
            if os.path.exists(path):
                with open(path) as handle:
                    self.write_profile(name + '.yaml', handle.read())
                chosen[name] = os.path.relpath(path, ROOT)
        if not chosen:
            self.write_profile('no-tablet.yaml', (
                'no-tablet:\n  xml:\n'
                "    - xpath.delete=./devices/input[@type='tablet']\n"))
            chosen['no-tablet'] = ('built in: no example profile in '
                                   'etc/xmlhooks.d')
        return chosen

    def _show_profiles(self, profiles):
        for name, source in profiles.items():
            _say('Profile %s (%s):' % (name, source))
            path = os.path.join(self.profile_dir, name + '.yaml')
            for line in profile_text(path):
                _say('   ' + line)

    def _report(self, step, xml, checks, stock=None):
        _say('== %s' % step)
        ok = True
        root = base.etree.fromstring(xml.encode('utf-8'))
        for label, expression in checks:
            found = bool(root.xpath(expression, namespaces=base.NAMESPACES))
            ok = ok and found
            _say('   %s %-32s %s' % ('\u2713' if found else '\u2717', label,
                                     expression))
        if stock is not None:
            self._show_diff(step, stock, xml)
        if not ok:
            self.failures.append(step)

    def _show_diff(self, step, stock, xml):
        diff, record = diff_against_stock(stock, xml)
        _say('   diff against stock nova (%d lines of rule record in '
             '<metadata> left out):' % record)
        if not diff:
            # NOTE(xmlhooks): every step applies rules that change the
            # document; no difference means stock Nova's XML was not
            # what the demo observed.
            _say("     \u2717 none: the demo did not see stock Nova's own "
                 'XML')
            self.failures.append('%s: no diff against stock nova' % step)
        for line in diff[:MAX_DIFF_LINES]:
            _say('     ' + line)
        if len(diff) > MAX_DIFF_LINES:
            _say('     ... %d more' % (len(diff) - MAX_DIFF_LINES))

    def _step_defined(self, step, server, mark, checks):
        events = self.domain_events(server, since=mark)
        if not events:
            self.failures.append(step)
            _say('== %s\n   \u2717 Nova defined no XML' % step)
            return
        stock = self.stock[-1] if self.stock else None
        self._report(step, events[-1].xml, checks, stock)

    def test_demo(self):
        profiles = self._profiles()
        specs = {'xmlhooks:profile': ','.join(profiles), INLINE[2]: INLINE[3]}
        checks = [PROFILE_CHECKS[name] for name in profiles]
        checks.append(INLINE[:2])
        if 'smbios' in self.CUSTOMIZERS:
            specs[TYPED[2]] = TYPED[3]
            checks.append(TYPED[:2])
        else:
            _say('  (the smbios customiser is not installed; no typed spec)')
        _say('Flavor extra specs:')
        for key in sorted(specs):
            _say('   %s = %s' % (key, specs[key]))
        self._show_profiles(profiles)
        self.flags(allow_resize_to_same_host=True)
        self.start_compute(hostname='compute1')

        mark = self.mark()
        server = self.boot(specs)
        self._step_defined('boot', server, mark, checks)

        mark = self.mark()
        self._reboot_server(server, hard=True)
        self._step_defined('hard reboot (XML regenerated)', server, mark,
                           checks)

        mark = self.mark()
        self._reboot_server(server, hard=False)
        launches = self.domain_events(server, kinds=(base.LAUNCH,),
                                      since=mark)
        if launches and not self.domain_events(server, since=mark):
            self._report('soft reboot (defined domain relaunched)',
                         launches[-1].xml, checks)
        else:
            self.failures.append('soft reboot')
            _say('== soft reboot\n   \u2717 not a relaunch of the defined '
                 'domain')

        new_specs = dict(specs)
        del new_specs[INLINE[2]]
        new_specs[INLINE_RESIZED[2]] = INLINE_RESIZED[3]
        new_checks = [c for c in checks if c != INLINE[:2]]
        new_checks += [INLINE_RESIZED[:2],
                       ('old inline edit gone',
                        "not(./features/vmport)")]
        flavor = self.create_flavor(new_specs, memory_mb=1024)
        mark = self.mark()
        server = self._resize_server(server, flavor)
        self._confirm_resize(server)
        self._step_defined('resize to a flavor with other specs', server,
                           mark, new_checks)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--verbose', action='store_true',
                        help="show nova's logs on stderr")
    args = parser.parse_args(argv)
    Demo.verbose = args.verbose
    if not args.verbose:
        # NOTE(xmlhooks): Nova logs to stdout as services stop, after the
        # harness's log capture is gone; keep the demo's output readable.
        logging.disable(logging.WARNING)
    started = time.monotonic()
    _say('nova-xmlhooks demo: an in-process Nova with xmlhooks.LibvirtDriver')
    case = Demo('test_demo')
    result = unittest.TestResult()
    case.run(result)
    elapsed = time.monotonic() - started
    problems = [str(err[1]).strip().splitlines()[-1]
                for err in result.errors + result.failures]
    # NOTE(xmlhooks): unittest counts a skipped test as run; a demo that
    # checked nothing must not pass.
    problems += ['skipped: %s' % reason for _case, reason in result.skipped]
    if problems or Demo.failures or not result.testsRun:
        _say('DEMO FAILED: %s (%.0f s)' % (
            '; '.join(problems + Demo.failures) or 'did not run', elapsed))
        return 1
    _say('DEMO PASSED: every customisation was in the XML Nova defined at '
         'boot, hard reboot, soft reboot and resize (%.0f s)' % elapsed)
    return 0


if __name__ == '__main__':
    sys.exit(main())
