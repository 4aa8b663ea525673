"""Bulk writes: primary keys handed out in memory, rows collected per model and
copied into PostgreSQL with ``COPY`` under table locks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from psycopg.types.json import Jsonb

from cms.models import (
    AuditEvent,
    Comment,
    Handover,
    HandoverUserObjectPermission,
    Item,
    ItemVersion,
    Participant,
    Signature,
)

__all__ = ["COPY_ORDER", "Copier", "Ids", "Rows", "reset_sequences", "table_ids"]

# The handovers' tables, in the order their foreign keys need.
COPY_ORDER = (
    Handover,
    Participant,
    HandoverUserObjectPermission,
    Item,
    ItemVersion,
    Signature,
    Comment,
    AuditEvent,
)


class Ids:
    """Primary keys handed out in order, past what the tables hold."""

    def __init__(self, start: int):
        self.next = start

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value


@dataclass
class Rows:
    """Rows waiting to be copied, per model."""

    tables: dict = field(default_factory=lambda: defaultdict(list))

    def add(self, model, values: dict):
        self.tables[model].append(values)

    def __len__(self):
        return sum(len(rows) for rows in self.tables.values())


class Copier:
    """COPY rows into their tables, filling unset columns with model defaults."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.layouts = {}
        self.counts = defaultdict(int)

    def _layout(self, model):
        if model not in self.layouts:
            columns = []
            for model_field in model._meta.concrete_fields:
                if model_field.has_default():
                    default = model_field.get_default
                elif model_field.null:
                    default = lambda: None  # noqa: E731
                else:
                    default = None
                columns.append(
                    (
                        model_field.attname,
                        model_field.column,
                        model_field.get_internal_type() == "JSONField",
                        default,
                    )
                )
            self.layouts[model] = columns
        return self.layouts[model]

    def copy(self, model, rows):
        if not rows:
            return
        layout = self._layout(model)
        names = ", ".join(f'"{column}"' for _attname, column, _json, _default in layout)
        statement = f'COPY "{model._meta.db_table}" ({names}) FROM STDIN'
        with self.cursor.copy(statement) as copy:
            for values in rows:
                row = []
                for attname, _column, is_json, default in layout:
                    if attname in values:
                        value = values[attname]
                    elif default is not None:
                        value = default()
                    else:
                        raise KeyError(f"{model.__name__}.{attname} has no value")
                    row.append(Jsonb(value) if is_json and value is not None else value)
                copy.write_row(row)
        self.counts[model] += len(rows)

    def flush(self, rows: Rows, order):
        for model in order:
            self.copy(model, rows.tables.pop(model, []))
        for model in list(rows.tables):
            self.copy(model, rows.tables.pop(model))


def table_ids(models) -> dict:
    """Lock the tables we write and hand out ids past their current maximum."""
    ids = {}
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
            ids[model] = Ids(cursor.fetchone()[0] + 1)
    return ids


def reset_sequences(models):
    """Move each table's id sequence past the ids handed out here."""
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
            )
