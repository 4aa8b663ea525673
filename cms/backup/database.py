"""The database part of a backup: PostgreSQL with pg_dump/pg_restore (custom
format), SQLite (``make run``) with SQLite's backup API; row counts and the
migration state as the dump has them."""

import os
import sqlite3
import subprocess
from pathlib import Path

from django.apps import apps
from django.db import connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from .errors import BackupError

__all__ = [
    "DatabaseDump",
    "database_dump",
    "database_is_empty",
    "database_restore",
    "migrations_known",
    "restored_counts",
    "row_counts",
]

MIGRATIONS_SQL = "SELECT app, name FROM django_migrations ORDER BY id"


class DatabaseDump:
    def __init__(self, *, vendor: str, member: str, counts: dict, migrations: list):
        self.vendor = vendor
        self.member = member
        self.counts = counts
        self.migrations = migrations


def _tables() -> dict[str, str]:
    """Model label -> table, each table once (auto-created m2m tables too)."""
    tables = {}
    seen = set()
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in seen:
            continue
        seen.add(meta.db_table)
        tables[meta.label_lower] = meta.db_table
    return dict(sorted(tables.items()))


def row_counts(cursor, quote, present) -> dict[str, int]:
    """Rows per model, for the tables the database has (``present``)."""
    counts = {}
    for label, table in _tables().items():
        if table in present:
            cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608
            counts[label] = cursor.fetchone()[0]
    return counts


def _pg_command(settings_dict) -> tuple[list[str], dict]:
    args, environment = [], os.environ.copy()
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args += [option, str(settings_dict[key])]
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = settings_dict["PASSWORD"]
    options = settings_dict.get("OPTIONS") or {}
    for key, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if options.get(key):
            environment[variable] = str(options[key])
    return args, environment


def _run(command: list[str], environment: dict, what: str) -> None:
    try:
        result = subprocess.run(  # noqa: S603 - fixed programs, our arguments
            command, env=environment, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as error:
        raise BackupError(
            _("%(program)s is not installed (postgresql-client).")
            % {"program": command[0]}
        ) from error
    if result.returncode != 0:
        raise BackupError(
            _("%(what)s failed: %(error)s")
            % {"what": what, "error": result.stderr.strip() or result.returncode}
        )


def database_dump(directory: Path) -> DatabaseDump:
    connection = connections["default"]
    if connection.vendor == "postgresql":
        return _pg_dump(connection, directory / "database.dump")
    if connection.vendor == "sqlite":
        return _sqlite_dump(connection, directory / "database.sqlite3")
    raise BackupError(
        _("Backups support PostgreSQL and SQLite, not %(vendor)s.")
        % {"vendor": connection.vendor}
    )


def _pg_dump(connection, path: Path) -> DatabaseDump:
    args, environment = _pg_command(connection.settings_dict)
    command = ["pg_dump", "--format=custom", "--file", str(path), *args]
    quote = connection.ops.quote_name
    if connection.in_atomic_block:
        # Inside a caller's transaction: no snapshot of our own to share.
        with connection.cursor() as cursor:
            counts = row_counts(
                cursor, quote, connection.introspection.table_names(cursor)
            )
            cursor.execute(MIGRATIONS_SQL)
            migrations = [list(row) for row in cursor.fetchall()]
        _run([*command, connection.settings_dict["NAME"]], environment, "pg_dump")
    else:
        # The counts and the dump see the same snapshot of the database.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = row_counts(
                cursor, quote, connection.introspection.table_names(cursor)
            )
            cursor.execute(MIGRATIONS_SQL)
            migrations = [list(row) for row in cursor.fetchall()]
            _run(
                [*command, f"--snapshot={snapshot}", connection.settings_dict["NAME"]],
                environment,
                "pg_dump",
            )
    return DatabaseDump(
        vendor="postgresql", member=path.name, counts=counts, migrations=migrations
    )


def _sqlite_dump(connection, path: Path) -> DatabaseDump:
    source = sqlite3.connect(connection.settings_dict["NAME"])
    target = sqlite3.connect(path)
    try:
        source.backup(target)
        cursor = target.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        present = {row[0] for row in cursor.fetchall()}
        counts = row_counts(cursor, connection.ops.quote_name, present)
        cursor.execute(MIGRATIONS_SQL)
        migrations = [list(row) for row in cursor.fetchall()]
    finally:
        source.close()
        target.close()
    return DatabaseDump(
        vendor="sqlite", member=path.name, counts=counts, migrations=migrations
    )


def database_is_empty() -> bool:
    connection = connections["default"]
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def database_restore(path: Path, *, vendor: str, force: bool) -> None:
    connection = connections["default"]
    if connection.vendor != vendor:
        raise BackupError(
            _(
                "This backup holds a %(backup)s database; the configured database "
                "is %(configured)s."
            )
            % {"backup": vendor, "configured": connection.vendor}
        )
    if connection.in_atomic_block:
        raise BackupError(_("A restore cannot run inside a database transaction."))
    connection.close()
    if vendor == "sqlite":
        source = sqlite3.connect(path)
        target = sqlite3.connect(connection.settings_dict["NAME"])
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return
    args, environment = _pg_command(connection.settings_dict)
    command = [
        "pg_restore",
        "--no-owner",
        "--exit-on-error",
        "--single-transaction",
        *(["--clean", "--if-exists"] if force else []),
        *args,
        "--dbname",
        connection.settings_dict["NAME"],
        str(path),
    ]
    _run(command, environment, "pg_restore")


def restored_counts() -> dict[str, int]:
    connection = connections["default"]
    with transaction.atomic(), connection.cursor() as cursor:
        return row_counts(
            cursor,
            connection.ops.quote_name,
            connection.introspection.table_names(cursor),
        )


def migrations_known(applied: list) -> tuple[list[str], list[str]]:
    """(migrations the backup has and this code does not, migrations this code
    has and the backup does not)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    on_disk = set(loader.disk_migrations)
    in_backup = {tuple(pair) for pair in applied}
    unknown = sorted(f"{app}.{name}" for app, name in in_backup - on_disk)
    replaced = {
        key for migration in loader.replacements.values() for key in migration.replaces
    }
    pending = sorted(
        f"{app}.{name}"
        for app, name in on_disk - in_backup - replaced
        if (app, name) not in loader.replacements
        or not set(loader.replacements[(app, name)].replaces) <= in_backup
    )
    return unknown, pending
