#!/bin/bash
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

# The real libvirt and QEMU tier (tox -e libvirt). Arguments go to
# "stestr run" (a test filter, say).
#
# Without libvirt on the host it skips with a message, unless
# XMLHOOKS_REQUIRE_LIBVIRT=1 (as in .ci/run), which makes that a failure.

set -euo pipefail

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$TOOLS_DIR/.."

HINT="to enable it: install the packages in bindep.txt (on Debian: bindep -b test \
| xargs apt-get install -y), then run 'sudo tools/libvirt-host-setup.sh'"

missing=()
pkg-config --exists libvirt 2>/dev/null || missing+=("libvirt headers (pkg-config libvirt)")
command -v libvirtd >/dev/null || [ -x /usr/sbin/libvirtd ] || missing+=("libvirtd")
command -v qemu-img >/dev/null || missing+=("qemu-img")
if [ ${#missing[@]} -gt 0 ]; then
    reason="libvirt tier: missing ${missing[*]}"
    if [ "${XMLHOOKS_REQUIRE_LIBVIRT:-0}" = 1 ]; then
        echo "$reason; XMLHOOKS_REQUIRE_LIBVIRT=1 makes this a failure;" \
             "$HINT" >&2
        exit 1
    fi
    echo "$reason: skipping the tier; $HINT"
    exit 0
fi

# NOTE(xmlhooks): libvirt-python is built against the host's libvirt
# headers, so it cannot be a plain requirement of the tox env; it obeys
# the env's upper constraints (tox.ini sets TOX_CONSTRAINTS_FILE).
if ! python -c 'import libvirt' 2>/dev/null; then
    python -m pip install --quiet ${TOX_CONSTRAINTS_FILE:+-c "$TOX_CONSTRAINTS_FILE"} \
        libvirt-python
fi

if [ "$(id -u)" = 0 ]; then
    bash "$TOOLS_DIR/libvirt-host-setup.sh"
fi

start=$(date +%s)
status=0
stestr --test-path=./tests/libvirt run "$@" || status=$?
stestr slowest || true
# NOTE(xmlhooks): the unit tests of the customisers and of the command use
# libvirt's in-process test:///default driver when libvirt-python is
# installed (the customisers' results go through libvirt's own domain
# parser) and skip or do less in the py3 env, which has no libvirt-python.
# Here they run again with it; no other unit test imports libvirt, and
# the py3 env already ran them.
if [ $# -eq 0 ]; then
    stestr --test-path=./tests/unit run 'tests\.unit\.(customizers|cmd)\.' ||
        status=$?
fi
echo "libvirt tier: wall time $(( $(date +%s) - start )) s"
exit $status
