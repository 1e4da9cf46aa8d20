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

"""Domain documents of shapes libvirt writes and Nova does not.

NOTE(xmlhooks): these documents are written for these tests; they
reproduce the shapes of documents in libvirt's own test suite
(``genid.xml``, ``qemu-ns.xml``, ``cpu-cache-disable.xml``) without
copying them.
"""

ODD_SHAPES = {
    'genid-without-metadata': """\
<domain type='qemu' id='1'>
  <name>guest</name>
  <uuid>0d9f3c2e-7a51-4e8b-9c3d-2f6a1b5e8c47</uuid>
  <genid>5b1e8c47-0d9f-4e8b-9c3d-2f6a3c2e7a51</genid>
  <memory unit='KiB'>262144</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <features>
    <acpi/>
  </features>
  <cpu mode='host-model'/>
  <clock offset='utc'/>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <memballoon model='none'/>
  </devices>
</domain>
""",
    'blank-containers': """\
<domain type='qemu'>
  <name>guest</name>
  <uuid>0d9f3c2e-7a51-4e8b-9c3d-2f6a1b5e8c47</uuid>
  <memory unit='KiB'>262144</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <features>
  </features>
  <cpu mode='host-passthrough'>
    <cache mode='disable'/>
  </cpu>
  <clock offset='utc'>
  </clock>
  <devices>
  </devices>
</domain>
""",
    'qemu-namespace': """\
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>guest</name>
  <uuid>0d9f3c2e-7a51-4e8b-9c3d-2f6a1b5e8c47</uuid>
  <memory unit='KiB'>262144</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <cpu mode='custom' match='exact'>
    <model>qemu64</model>
  </cpu>
  <clock offset='utc'/>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-unknown'/>
    <qemu:arg value='parameter'/>
    <qemu:env name='NS' value='ns0'/>
    <qemu:env name='BAR'/>
  </qemu:commandline>
</domain>
""",
    'title-description-comments': """\
<?xml version='1.0' encoding='UTF-8'?>
<!-- written by hand -->
<domain type='qemu'>
  <name>guest</name>
  <uuid>0d9f3c2e-7a51-4e8b-9c3d-2f6a1b5e8c47</uuid>
  <title>A title</title>
  <description>  spaces kept  </description>
  <!-- between elements -->
  <memory unit='KiB'>262144</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <cpu mode='host-passthrough'/>
  <clock offset='utc'/>
  <devices>
    <!-- inside a container -->
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
  </devices>
</domain>
""",
    'blank-metadata-name-only': """\
<domain type='qemu'>
  <name>guest</name>
  <metadata>
  </metadata>
  <memory unit='KiB'>262144</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <cpu mode='host-model'>
  </cpu>
  <clock offset='utc'/>
  <devices/>
</domain>
""",
}
