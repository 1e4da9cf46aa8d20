# NOTE(xmlhooks): nova's load_compute_driver() only imports names below
# nova.virt, so "compute_driver = xmlhooks.LibvirtDriver" resolves here.
# This shim only re-exports; all code lives in the nova_xmlhooks package.
from nova_xmlhooks.driver import LibvirtDriver  # noqa: F401
