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

"""Where nova's functional harness differs between the supported series.

The functional tests run on the nova of every supported series (2024.1,
nova 29, to 2026.2, nova 34; see doc/source/install/support-matrix.rst).
Every difference of nova's test harness between those series that the
tests meet is handled here, and only here, keyed on what nova provides
rather than spread through the tests as version checks.

Facts, checked on the nova 29.4.0, 31.3.1, 32.2.1, 33.0.2 and 34.0.0
wheels:

* nova's ``test_vif_model`` libvirt functional module first shipped in
  nova 31 (2025.1); nova 29 and 30 have ``test_uefi`` only.
* ``integrated_helpers.InstanceHelperMixin._live_migrate`` takes a
  ``host`` from nova 32 on; ``_rescue_server`` and ``_unrescue_server``
  first shipped in nova 31. :func:`live_migrate`, :func:`rescue` and
  :func:`unrescue` do the same with the API client and waiters that
  every series has.
* The domain metadata names the instance's image in ``<nova:image>``
  from nova 32 on; ``<nova:root type="image" uuid="...">`` is there in
  every series (:data:`IMAGE_UUID_XPATH`).
* nova patches eventlet when ``nova.monkey_patch`` is imported up to nova
  31, and when its ``patch()`` is called from nova 32 on; nova 32's
  ``nova.tests.functional`` package does neither (:func:`patch_eventlet`).
* nova 34's fake libvirt reports TPM support only when its vTPM tests
  patch in ``_domain_capability_tpm_supported``, which nova 29 to 33 do
  not have (nor need); nova 33 and later ask the key manager for
  the vTPM secret as the nova service user
  (``nova.context.get_nova_service_user_context``). :func:`enable_vtpm`
  sets up what the running series needs.
* nova 31 and later create a vGPU's mediated device through libvirt
  (``LibvirtDriver._create_mdev``), nova 29 and 30 through
  ``nova.privsep.libvirt.create_mdev``, which nova 34 no longer has;
  :func:`enable_mdevs` fakes whichever the running series calls.
* ``_build_flavor`` and ``_create_flavor`` of
  ``nova.tests.functional.integrated_helpers`` take the same arguments in
  every series (only the ``rxtx_factor`` default changed, 1.0 to None, in
  33), so flavors are made through ``_create_flavor`` (:func:`create_flavor`)
  with nova's own defaults of the running series.
"""

import dataclasses
import importlib.metadata
import re

from oslo_utils import uuidutils
from oslo_utils import versionutils


def patch_eventlet():
    """Patch eventlet as the installed nova's own services and tests do.

    Call it before anything imports oslo.db: ``tests/functional``'s
    ``__init__`` does.
    """
    # NOTE(xmlhooks): nova 29 to 31 patch when the module is imported.
    from nova import monkey_patch
    patch = getattr(monkey_patch, 'patch', None)
    if patch is not None:
        patch()


#: the installed nova's version, e.g. ``'29.4.0'``
NOVA_VERSION = importlib.metadata.version('nova')


@dataclasses.dataclass(frozen=True)
class NovaOwnModule:
    """One of nova's functional test modules run with this driver.

    :ivar name: the module's dotted name
    :ivar since: the first nova version that ships it
    """

    name: str
    since: str

    def present(self, nova_version=NOVA_VERSION):
        """Whether the given nova version ships this module."""
        return versionutils.is_compatible(self.since, nova_version,
                                          same_major=False)


#: nova's own modules that ``tests.functional.test_nova_own`` runs
NOVA_OWN_MODULES = (
    NovaOwnModule('nova.tests.functional.libvirt.test_uefi', '29.0.0'),
    NovaOwnModule('nova.tests.functional.libvirt.test_vif_model', '31.0.0'),
)


def nova_own_modules(nova_version=NOVA_VERSION):
    """Nova's own modules this nova ships, and those it predates.

    :param nova_version: a nova version, by default the installed one
    :returns: a pair of tuples of :class:`NovaOwnModule`: present, absent
    """
    present = tuple(m for m in NOVA_OWN_MODULES if m.present(nova_version))
    absent = tuple(m for m in NOVA_OWN_MODULES if m not in present)
    return present, absent


def create_flavor(test, **kwargs):
    """Create a flavor through the API with nova's own helper.

    :param test: a test of nova's ``ServersTestBase`` family
    :param kwargs: ``name``, ``memory_mb``, ``vcpu``, ``disk``,
        ``ephemeral``, ``swap``: the arguments every supported series'
        ``_create_flavor`` takes
    :returns: the flavor id
    """
    return test._create_flavor(**kwargs)


#: the image uuid in nova's domain metadata, in every series
IMAGE_UUID_XPATH = "./metadata/nova:instance/nova:root[@type='image']/@uuid"


def live_migrate(test, server, host):
    """Live migrate a server to a host and wait until it is ACTIVE there.

    :param test: a test of nova's ``ServersTestBase`` family
    :param server: the server, as the API shows it
    :param host: the destination compute host
    :returns: the server, as the API shows it afterwards
    """
    test.api.post_server_action(server['id'], {'os-migrateLive': {
        'host': host, 'block_migration': 'auto'}})
    test._wait_for_migration_status(server, ['completed'])
    return test._wait_for_state_change(server, 'ACTIVE')


def rescue(test, server):
    """Rescue a server and wait for the RESCUE status.

    :param test: a test of nova's ``ServersTestBase`` family
    :param server: the server, as the API shows it
    :returns: the server, as the API shows it afterwards
    """
    test.api.post_server_action(server['id'], {'rescue': {}})
    return test._wait_for_state_change(server, 'RESCUE')


def unrescue(test, server):
    """Unrescue a server and wait until it is ACTIVE.

    :param test: a test of nova's ``ServersTestBase`` family
    :param server: the server, as the API shows it
    :returns: the server, as the API shows it afterwards
    """
    test.api.post_server_action(server['id'], {'unrescue': None})
    return test._wait_for_state_change(server, 'ACTIVE')


def enable_vtpm(test):
    """Let a compute started afterwards give guests an emulated TPM.

    As nova's own vTPM functional tests do: swtpm is enabled, secrets go
    to nova's fake key manager, and the host checks for swtpm users and
    binaries are skipped.

    :param test: an ``XmlHooksTestBase``; call before ``start_compute``
    """
    # NOTE(xmlhooks): imported here: this module is imported before
    # eventlet is patched (see patch_eventlet), and these import oslo.db.
    import fixtures
    from nova import context as nova_context
    from nova import crypto
    from nova.tests.fixtures import libvirt as fakelibvirt

    test.flags(swtpm_enabled=True, group='libvirt')
    test.flags(backend='nova.tests.functional.libvirt.test_vtpm'
               '.FakeKeyManager', group='key_manager')
    test.useFixture(fixtures.MockPatch(
        'nova.virt.libvirt.driver.LibvirtDriver._check_vtpm_support'))
    supported = getattr(fakelibvirt.virConnect,
                        '_domain_capability_tpm_supported', None)
    if supported is not None:
        test.useFixture(fixtures.MockPatchObject(
            fakelibvirt.virConnect, '_domain_capability_tpm', new=supported))
    if hasattr(nova_context, 'get_nova_service_user_context'):
        test.useFixture(fixtures.MockPatch(
            'nova.context.get_nova_service_user_context',
            lambda: nova_context.RequestContext(user_id='nova')))
    crypto._get_key_manager()


def enable_mdevs(test, mdev_type):
    """Let computes started afterwards create mediated devices (vGPUs).

    As nova's own vGPU functional tests do: the fake libvirt lists the
    mdev-capable GPUs given to ``start_compute`` (``pci_info`` with
    ``num_mdevcap``), and creating an mdev adds it to the fake
    connection, where nova's driver then finds it.

    NOTE(xmlhooks): nova 31 and later create an mdev through libvirt
    (``LibvirtDriver._create_mdev``, on libvirt 7.3 and later), nova 29
    and 30 through ``nova.privsep.libvirt.create_mdev``, which nova 34
    no longer has; each present one is replaced.

    :param test: an ``XmlHooksTestBase``; call before ``start_compute``
    :param mdev_type: the mdev type to enable, such as
        ``fakelibvirt.NVIDIA_11_VGPU_TYPE``
    """
    # NOTE(xmlhooks): imported here, as in enable_vtpm.
    import fixtures
    from nova.privsep import libvirt as privsep_libvirt
    from nova.tests.fixtures import libvirt as fakelibvirt
    from nova.virt.libvirt import driver as libvirt_driver
    from nova.virt.libvirt import utils as libvirt_utils

    test.flags(enabled_mdev_types=[mdev_type], group='devices')

    def add(connection, parent, type_id, uuid):
        uuid = uuid or uuidutils.generate_uuid()
        name = libvirt_utils.mdev_uuid2name(uuid)
        connection.mdev_info.devices[name] = fakelibvirt.FakeMdevDevice(
            dev_name=name, type_id=type_id, parent=parent)
        return uuid

    def create_mdev(driver, dev_name, type_id, uuid=None):
        return add(driver._host.get_connection(), dev_name, type_id, uuid)

    def privsep_create_mdev(physical_device, type_id, uuid=None):
        # NOTE(xmlhooks): nova passes the GPU's PCI address; the fake
        # lists it by its libvirt name. The call names no host: the test
        # has one compute.
        (compute,) = test.computes.values()
        parent = 'pci_' + re.sub('[.:]', '_', physical_device)
        return add(compute.driver._host.get_connection(), parent, type_id,
                   uuid)

    if hasattr(libvirt_driver.LibvirtDriver, '_create_mdev'):
        test.useFixture(fixtures.MonkeyPatch(
            'nova.virt.libvirt.driver.LibvirtDriver._create_mdev',
            create_mdev))
    if hasattr(privsep_libvirt, 'create_mdev'):
        test.useFixture(fixtures.MonkeyPatch(
            'nova.privsep.libvirt.create_mdev', privsep_create_mdev))
