"""Updating many rows at once, in time linear in the rows.

Django's ``bulk_update`` writes one ``UPDATE … SET col = CASE WHEN id = 1 THEN …
WHEN id = 2 THEN …`` per column: PostgreSQL evaluates the CASE arm by arm for
every row, so 10,000 rows cost 10,000 times 10,000 comparisons (the 14-minute
re-sync of issue 13). On PostgreSQL the rows go in as a ``VALUES`` list joined
by primary key instead; elsewhere (SQLite, the demo) ``bulk_update`` in small
batches is fast enough."""

from __future__ import annotations

from django.db import connection

__all__ = ["bulk_update_rows"]

# psycopg refuses more than 65,535 parameters in one statement.
MAX_PARAMETERS = 60_000
FALLBACK_BATCH_SIZE = 200


def bulk_update_rows(model, objects, fields: list[str]) -> int:
    """Write ``fields`` of ``objects`` (saved instances of ``model``); returns
    how many rows were given."""
    objects = list(objects)
    if not objects:
        return 0
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, fields, batch_size=FALLBACK_BATCH_SIZE)
        return len(objects)
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    placeholders = (
        "("
        + ", ".join(f"%s::{column.cast_db_type(connection)}" for column in columns)
        + ")"
    )
    assignments = ", ".join(
        f"{quote(column.column)} = v.{quote(column.column)}" for column in columns[1:]
    )
    names = ", ".join(quote(column.column) for column in columns)
    table = quote(meta.db_table)
    pk_column = quote(meta.pk.column)
    per_statement = max(1, MAX_PARAMETERS // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(objects), per_statement):
            chunk = objects[start : start + per_statement]
            params = [
                column.get_db_prep_save(getattr(instance, column.attname), connection)
                for instance in chunk
                for column in columns
            ]
            # Only quoted names from the model's meta are formatted in.
            statement = (
                f"UPDATE {table} SET {assignments} "  # noqa: S608
                f"FROM (VALUES {', '.join([placeholders] * len(chunk))}) "
                f"AS v({names}) WHERE {table}.{pk_column} = v.{pk_column}"
            )
            cursor.execute(statement, params)
    return len(objects)
