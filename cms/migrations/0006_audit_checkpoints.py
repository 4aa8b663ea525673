"""Signed checkpoints of the audit trail, and on PostgreSQL the triggers that
keep the trail and its checkpoints from being emptied or rolled back.

- cms_auditevent: TRUNCATE refused too (UPDATE and DELETE already are, 0003).
- cms_auditchaincheckpoint: DELETE and TRUNCATE refused; UPDATE only to move
  a checkpoint forward (a longer chain of the same handover).
- cms_auditdatabasecheckpoint: UPDATE, DELETE and TRUNCATE refused.

Chains that exist already are anchored where they stand. On SQLite (the demo)
there are no triggers; the checkpoints still make removals visible."""

import django.db.models.deletion
from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION baton_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION baton_audit_checkpoint_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.handover_id = OLD.handover_id
            AND NEW.length > OLD.length THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused (a checkpoint only moves forward)',
        TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS cms_auditevent_no_truncate ON cms_auditevent;
CREATE TRIGGER cms_auditevent_no_truncate
    BEFORE TRUNCATE ON cms_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION baton_append_only();

DROP TRIGGER IF EXISTS cms_auditchaincheckpoint_forward_only
    ON cms_auditchaincheckpoint;
CREATE TRIGGER cms_auditchaincheckpoint_forward_only
    BEFORE UPDATE OR DELETE ON cms_auditchaincheckpoint
    FOR EACH ROW EXECUTE FUNCTION baton_audit_checkpoint_forward_only();
DROP TRIGGER IF EXISTS cms_auditchaincheckpoint_no_truncate
    ON cms_auditchaincheckpoint;
CREATE TRIGGER cms_auditchaincheckpoint_no_truncate
    BEFORE TRUNCATE ON cms_auditchaincheckpoint
    FOR EACH STATEMENT EXECUTE FUNCTION baton_append_only();

DROP TRIGGER IF EXISTS cms_auditdatabasecheckpoint_append_only
    ON cms_auditdatabasecheckpoint;
CREATE TRIGGER cms_auditdatabasecheckpoint_append_only
    BEFORE UPDATE OR DELETE ON cms_auditdatabasecheckpoint
    FOR EACH ROW EXECUTE FUNCTION baton_append_only();
DROP TRIGGER IF EXISTS cms_auditdatabasecheckpoint_no_truncate
    ON cms_auditdatabasecheckpoint;
CREATE TRIGGER cms_auditdatabasecheckpoint_no_truncate
    BEFORE TRUNCATE ON cms_auditdatabasecheckpoint
    FOR EACH STATEMENT EXECUTE FUNCTION baton_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS cms_auditdatabasecheckpoint_no_truncate
    ON cms_auditdatabasecheckpoint;
DROP TRIGGER IF EXISTS cms_auditdatabasecheckpoint_append_only
    ON cms_auditdatabasecheckpoint;
DROP TRIGGER IF EXISTS cms_auditchaincheckpoint_no_truncate
    ON cms_auditchaincheckpoint;
DROP TRIGGER IF EXISTS cms_auditchaincheckpoint_forward_only
    ON cms_auditchaincheckpoint;
DROP TRIGGER IF EXISTS cms_auditevent_no_truncate ON cms_auditevent;
DROP FUNCTION IF EXISTS baton_audit_checkpoint_forward_only();
DROP FUNCTION IF EXISTS baton_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


def anchor_existing_chains(apps, schema_editor):
    """A checkpoint for each chain written before checkpoints existed, signed
    with the server key (loaded, or generated on first use, as signatures do).
    A database without events (a new one, the test database) signs nothing."""
    from django.db.models import OuterRef, Subquery

    Handover = apps.get_model("cms", "Handover")
    AuditEvent = apps.get_model("cms", "AuditEvent")
    AuditChainCheckpoint = apps.get_model("cms", "AuditChainCheckpoint")
    if not AuditEvent.objects.exists():
        return
    from cms.services.audit.chain import chain_checkpoint_sign

    last_events = AuditEvent.objects.filter(handover=OuterRef("pk")).order_by(
        "-sequence"
    )
    heads = (
        Handover.objects.annotate(
            last_sequence=Subquery(last_events.values("sequence")[:1]),
            last_hash=Subquery(last_events.values("hash")[:1]),
        )
        .filter(last_sequence__isnull=False)
        .order_by("pk")
        .values_list("pk", "last_sequence", "last_hash")
    )
    AuditChainCheckpoint.objects.bulk_create(
        [
            AuditChainCheckpoint(
                handover_id=handover_id,
                **chain_checkpoint_sign(
                    handover_id=handover_id, length=length, head_hash=head_hash
                ),
            )
            for handover_id, length, head_hash in heads
        ],
        batch_size=2_000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0005_item_ordering_by_column"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditDatabaseCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("created_at", models.DateTimeField()),
                ("chains", models.PositiveIntegerField()),
                ("events", models.PositiveBigIntegerField()),
                ("last_event_id", models.BigIntegerField()),
                ("heads_hash", models.CharField(max_length=64)),
                ("previous_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64, unique=True)),
                ("signature", models.CharField(max_length=128)),
                ("key_id", models.CharField(max_length=32)),
            ],
            options={
                "verbose_name": "audit database checkpoint",
                "verbose_name_plural": "audit database checkpoints",
                "ordering": ["pk"],
            },
        ),
        migrations.CreateModel(
            name="AuditChainCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("length", models.PositiveIntegerField()),
                ("head_hash", models.CharField(max_length=64)),
                ("signature", models.CharField(max_length=128)),
                ("key_id", models.CharField(max_length=32)),
                ("updated_at", models.DateTimeField()),
                (
                    "handover",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="audit_checkpoint",
                        to="cms.handover",
                    ),
                ),
            ],
            options={
                "verbose_name": "audit chain checkpoint",
                "verbose_name_plural": "audit chain checkpoints",
            },
        ),
        migrations.RunPython(anchor_existing_chains, migrations.RunPython.noop),
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP)),
    ]
