# NOTE(xmlhooks): nova's functional harness expects eventlet to be patched
# before oslo.db, oslo.messaging or threading are imported, and patches it
# when its nova.tests.functional package is imported (nova 29 to 33 on
# "import nova.monkey_patch", nova 34 through monkey_patch.patch()). In
# nova's tree that package is always imported first; here the tests'
# own imports come first, so import it before them. Unpatched, oslo.db's
# transaction state is shared between green threads, and nova 29's live
# migration monitor fails with "Can't upgrade a READER transaction to a
# WRITER mid-transaction".
import nova.tests.functional  # noqa: F401
