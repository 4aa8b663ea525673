"""On PostgreSQL, the audit table refuses UPDATE and DELETE outright.

TRUNCATE stays possible for a database owner (test suites flush with it)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION baton_audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'cms_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS cms_auditevent_append_only ON cms_auditevent;
CREATE TRIGGER cms_auditevent_append_only
    BEFORE UPDATE OR DELETE ON cms_auditevent
    FOR EACH ROW EXECUTE FUNCTION baton_audit_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS cms_auditevent_append_only ON cms_auditevent;
DROP FUNCTION IF EXISTS baton_audit_event_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("cms", "0002_handovers")]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP)),
    ]
