# NOTE(xmlhooks): nova's functional harness expects eventlet to be patched
# before oslo.db, oslo.messaging or threading are imported: unpatched,
# oslo.db's transaction state is shared between green threads, and nova's
# live migration monitor fails with "Can't upgrade a READER transaction to
# a WRITER mid-transaction". In nova's tree the patch comes first; here the
# tests' own imports would, so it is applied before them, the way the
# installed nova series does it (see compat.patch_eventlet).
from tests.functional import compat

compat.patch_eventlet()
