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

# Prepare a Debian host (or CI container) without systemd for the real
# libvirt and QEMU tier: make sure libvirtd and virtlogd run and that
# qemu:///system answers. Safe to run again; run it as root after
# installing the packages in bindep.txt.

set -euo pipefail

URI=qemu:///system
QEMU_CONF=/etc/libvirt/qemu.conf

log() {
    echo "libvirt-host-setup: $*"
}

if [ "$(id -u)" != 0 ]; then
    echo "libvirt-host-setup: must run as root" >&2
    exit 1
fi
for binary in libvirtd virtlogd virsh; do
    if ! command -v "$binary" >/dev/null; then
        echo "libvirt-host-setup: $binary not found; install the packages" \
             "in bindep.txt (bindep -b test | xargs apt-get install -y)" >&2
        exit 1
    fi
done

mkdir -p /var/log/libvirt/qemu /var/lib/libvirt/qemu /run/libvirt

# NOTE(xmlhooks): the Debian package creates libvirt-qemu in its postinst;
# a minimal image built without it gets QEMU run as root instead.
if ! getent passwd libvirt-qemu >/dev/null; then
    if ! grep -qE '^user *= *"root"' "$QEMU_CONF" 2>/dev/null; then
        log "no libvirt-qemu user: running QEMU as root ($QEMU_CONF)"
        printf 'user = "root"\ngroup = "root"\n' >> "$QEMU_CONF"
    fi
fi

# NOTE(xmlhooks): the tier runs TCG guests only (type='qemu'). On the
# nested machines CI runs on, /dev/kvm exists but KVM is not usable for
# guests, and libvirt 9.0 was seen probing QEMU's capabilities again (two
# QEMU launches) on nearly every defineXML: 70 s per define, minutes
# under load. With /dev/kvm gone it probes once and defines take 0.02 s.
# XMLHOOKS_HIDE_KVM=1 (set by .ci/run, on a throwaway machine) moves
# /dev/kvm aside before libvirtd starts, so libvirt never considers KVM.
if [ "${XMLHOOKS_HIDE_KVM:-0}" = 1 ] && [ -e /dev/kvm ]; then
    log "hiding /dev/kvm from libvirtd (XMLHOOKS_HIDE_KVM=1): TCG only"
    mv /dev/kvm /dev/kvm.xmlhooks-hidden
    if pgrep -x libvirtd >/dev/null; then
        pkill -x libvirtd
        for _ in $(seq 1 20); do
            pgrep -x libvirtd >/dev/null || break
            sleep 0.5
        done
    fi
fi

# NOTE(xmlhooks): no systemd here, so the daemons are started directly;
# pgrep -x matches the exact process name, never a command line.
if ! pgrep -x virtlogd >/dev/null; then
    log "starting virtlogd"
    virtlogd -d
fi
if ! pgrep -x libvirtd >/dev/null; then
    log "starting libvirtd"
    libvirtd -d
fi

for _ in $(seq 1 60); do
    if virsh -c "$URI" version >/dev/null 2>&1; then
        log "$URI is ready: $(virsh -c "$URI" version | grep -i running)"
        exit 0
    fi
    sleep 0.5
done
echo "libvirt-host-setup: $URI did not answer within 30 s:" >&2
virsh -c "$URI" version >&2 || true
exit 1
