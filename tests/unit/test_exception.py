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

"""The exception module: classes loaded on first use, nova's base kept."""

import json
import pickle
import subprocess
import sys

from nova import exception as nova_exception
from oslotest import base as oslo_base

from nova_xmlhooks import exception
from tests.unit.cmd import base as cmd_base


class ExceptionModuleTest(oslo_base.BaseTestCase):

    def test_every_error_aborts_a_build(self):
        for name in exception.ERRORS:
            cls = getattr(exception, name)
            self.assertTrue(issubclass(cls, exception.XmlHooksError), name)
            self.assertTrue(issubclass(cls, nova_exception.InvalidInput),
                            name)

    def test_named_after_the_public_module(self):
        for name in exception.ERRORS:
            cls = getattr(exception, name)
            self.assertEqual('nova_xmlhooks.exception', cls.__module__)
            self.assertIs(cls, pickle.loads(pickle.dumps(cls)))

    def test_unknown_names(self):
        self.assertRaises(AttributeError, getattr, exception, 'NoSuchError')
        with self.assertRaises(ImportError):
            from nova_xmlhooks.exception import NoSuchError  # noqa: F401

    def test_every_class_is_named(self):
        from nova_xmlhooks import _exception_classes as classes
        defined = {name for name, value in vars(classes).items()
                   if isinstance(value, type)
                   and issubclass(value, classes.XmlHooksError)}
        self.assertEqual(defined, set(exception.ERRORS))

    def test_listed(self):
        self.assertLessEqual(set(exception.ERRORS), set(dir(exception)))

    def test_loaded_when_first_named(self):
        script = '\n'.join((
            'import json, sys',
            'from nova_xmlhooks import exception',
            'before = "nova.exception" in sys.modules',
            'try:',
            '    raise exception.RuleError("k", "r")',
            'except exception.XmlHooksError as e:',
            '    message = str(e)',
            'print(json.dumps([before, "nova.exception" in sys.modules,',
            '                  message]))',
        ))
        out = subprocess.run(
            [sys.executable, '-c', script], cwd=cmd_base.REPO_DIR,
            check=True, capture_output=True, text=True, timeout=120).stdout
        self.assertEqual([False, True, "xmlhooks: rule 'k' failed: r"],
                         json.loads(out))
