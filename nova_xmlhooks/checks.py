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

"""The checks run on every customised document before it reaches Nova."""

from nova_xmlhooks import guard as guard_mod
from nova_xmlhooks import schema as schema_mod


def load_checks(conf, customizers=None):
    """Build the checks the configuration asks for.

    :param conf: the service's ``oslo_config.cfg.ConfigOpts``
    :param customizers: the engine's customisers, which the guard uses to
        name the rule behind a refused change
    :returns: a list of callables ``check(nova_root, result_root, ruleset)``
    """
    checks = []
    # NOTE(xmlhooks): the guard runs first: a refused change is reported
    # as such, not as whatever schema error it may also cause.
    guard = guard_mod.from_conf(conf, customizers)
    if guard is not None:
        checks.append(guard)
    schema = schema_mod.from_conf(conf)
    if schema is not None:
        checks.append(schema)
    return checks
