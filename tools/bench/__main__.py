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

"""``python -m tools.bench``: run the benchmark (``tox -e bench``)."""

import os
import sys

# NOTE(xmlhooks): Nova is moving its services from eventlet to native
# threads; native threads are also the only way the concurrency figures
# show real preemption. Nova's functional tests choose between the two when
# first imported, before anything imports eventlet, so this happens first,
# and only when the benchmark runs (the unit tests import the package's
# modules for their building blocks).
os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')
from nova.tests import functional as nova_functional  # noqa: E402,F401

from tools.bench import cli  # noqa: E402

sys.exit(cli.main())
