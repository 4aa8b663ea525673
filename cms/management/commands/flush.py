"""Django's ``flush``, aware that the audit tables refuse TRUNCATE on PostgreSQL.

Production keeps the refusal: flushing a database that holds an audit trail
fails, as it should. Test databases (``BATON_AUDIT_FLUSH_ALLOWED``) are emptied
between transactional tests, so there the flush runs with the session in
replica mode, which skips the append-only triggers for this one transaction
and takes a database superuser: exactly what an attacker would need too."""

from django.conf import settings
from django.core.management.commands import flush
from django.db import connections, transaction


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        allowed = getattr(settings, "BATON_AUDIT_FLUSH_ALLOWED", False)
        if connection.vendor != "postgresql" or not allowed:
            return super().handle(**options)
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
            return super().handle(**options)
