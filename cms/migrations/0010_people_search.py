"""Indexes for the people pickers (``cms.admin_views.intake.people``).

The pickers match any part of a name, employee number or email, in any case:
Django writes that as ``UPPER(col::text) LIKE UPPER('%term%')``, which a
B-tree index cannot serve. A GIN index of ``pg_trgm`` trigrams over exactly
those expressions can, so a lookup reads a few hundred rows instead of every
employee and every user. When thousands match (a letter typed, a whole
department), the closest come first without sorting them all: names starting
with what was typed through a prefix index, the rest by walking the name
order's index until the page is full.

PostgreSQL only (``pg_trgm`` is a trusted extension from PostgreSQL 13: the
database owner may create it); elsewhere nothing to do. Indexes only, no model
state: the expressions mirror the lookups, not a field.
"""

from django.conf import settings
from django.db import migrations

# (index, table, kind, columns): "trgm" any part, "prefix" the start (both
# of UPPER(column)), "order" the columns as they are sorted.
EMPLOYEE = "employee"
USER = "user"
INDEXES = (
    (
        "cms_employee_search_trgm",
        EMPLOYEE,
        "trgm",
        ("name", "employee_number", "work_email"),
    ),
    ("cms_employee_name_prefix", EMPLOYEE, "prefix", ("name",)),
    ("cms_employee_name_order", EMPLOYEE, "order", ("name", "id")),
    (
        "cms_user_search_trgm",
        USER,
        "trgm",
        ("username", "first_name", "last_name", "email"),
    ),
    ("cms_user_first_name_prefix", USER, "prefix", ("first_name",)),
    ("cms_user_last_name_prefix", USER, "prefix", ("last_name",)),
    ("cms_user_username_prefix", USER, "prefix", ("username",)),
    (
        "cms_user_name_order",
        USER,
        "order",
        ("first_name", "last_name", "username", "id"),
    ),
)


def _index_sql(quote, name, table, kind, columns) -> str:
    if kind == "trgm":
        method = "gin"
        expressions = [f"(UPPER({quote(c)}::text)) gin_trgm_ops" for c in columns]
    elif kind == "prefix":
        method = "btree"
        expressions = [f"(UPPER({quote(c)}::text)) text_pattern_ops" for c in columns]
    else:
        method = "btree"
        expressions = [quote(c) for c in columns]
    return (
        f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} "
        f"USING {method} ({', '.join(expressions)})"
    )


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    tables = {
        EMPLOYEE: apps.get_model("cms", "Employee")._meta.db_table,
        USER: apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table,
    }
    for name, table, kind, columns in INDEXES:
        schema_editor.execute(
            _index_sql(schema_editor.quote_name, name, tables[table], kind, columns)
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _kind, _columns in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0009_intake"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
