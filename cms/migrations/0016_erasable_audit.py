"""Erasable audit events and signatures (format 2), erased certificate PDFs.

- Audit events and signatures get ``format``, ``erasable_hash``,
  ``erasure_salt`` and ``erased_at``; signatures keep their first server
  signature in ``original_server_signature``. Certificates record when and
  under which policy their PDF was erased.
- Every chain and signature that verifies is converted to format 2
  (``cms.services.audit.conversion``): each converted chain ends with an
  ``audit.format_converted`` event naming its old head, its checkpoint moves
  forward to it, and a database checkpoint is signed when there were any.
- On PostgreSQL the audit table's trigger now lets exactly one UPDATE through:
  erasing a format-2 event not erased yet — ``details``, ``ip_address`` and the
  salt blanked, ``actor_name`` blank or a pseudonym (``pseudonym.…``),
  ``erased_at`` set, every other column unchanged. DELETE and any other UPDATE
  are still refused. The conversion itself runs with the trigger disabled,
  inside this migration's transaction.
"""

from django.db import migrations, models

ERASABLE_TRIGGER = """
CREATE OR REPLACE FUNCTION baton_audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
            AND OLD.format = 2 AND OLD.erased_at IS NULL
            AND NEW.erased_at IS NOT NULL
            AND (NEW.actor_name = '' OR NEW.actor_name LIKE 'pseudonym.%')
            AND NEW.details = '{}'::jsonb
            AND NEW.ip_address IS NULL AND NEW.erasure_salt = ''
            AND (NEW.id, NEW.handover_id, NEW.sequence, NEW.actor_id, NEW.role,
                 NEW.action, NEW.object_type, NEW.object_id, NEW.before_hash,
                 NEW.after_hash, NEW.created_at, NEW.previous_hash, NEW.hash,
                 NEW.format, NEW.erasable_hash, NEW.original_hash)
                IS NOT DISTINCT FROM
                (OLD.id, OLD.handover_id, OLD.sequence, OLD.actor_id, OLD.role,
                 OLD.action, OLD.object_type, OLD.object_id, OLD.before_hash,
                 OLD.after_hash, OLD.created_at, OLD.previous_hash, OLD.hash,
                 OLD.format, OLD.erasable_hash, OLD.original_hash) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'cms_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

APPEND_ONLY_TRIGGER = """
CREATE OR REPLACE FUNCTION baton_audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'cms_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

_DISABLE = "ALTER TABLE cms_auditevent DISABLE TRIGGER cms_auditevent_append_only"
_ENABLE = "ALTER TABLE cms_auditevent ENABLE TRIGGER cms_auditevent_append_only"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


def convert(apps, schema_editor):
    AuditEvent = apps.get_model("cms", "AuditEvent")
    Signature = apps.get_model("cms", "Signature")
    if not AuditEvent.objects.exists() and not Signature.objects.exists():
        return
    from cms.services.audit.conversion import convert_to_erasable

    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(_DISABLE, params=None)
    convert_to_erasable(apps)
    if postgresql:
        # The new events' foreign-key checks are deferred: run them now, or
        # ALTER TABLE refuses a table with pending trigger events.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE", params=None)
        schema_editor.execute(_ENABLE, params=None)


class Migration(migrations.Migration):
    dependencies = [("cms", "0015_retention")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="format",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="erasable_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="erasure_salt",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="original_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="signature",
            name="format",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="signature",
            name="erasable_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="signature",
            name="erasure_salt",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AddField(
            model_name="signature",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="signature",
            name="original_server_signature",
            field=models.CharField(blank=True, default="", max_length=128),
        ),
        migrations.AddField(
            model_name="certificate",
            name="pdf_erased_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="certificate",
            name="pdf_erased_policy",
            field=models.CharField(blank=True, default="", max_length=100),
        ),
        migrations.RunPython(convert),
        migrations.RunPython(
            _on_postgresql(ERASABLE_TRIGGER), _on_postgresql(APPEND_ONLY_TRIGGER)
        ),
    ]
