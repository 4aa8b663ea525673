"""Backups that restore (docs/backup.md): ``manage.py backup`` writes one
encrypted archive (database, files, the signing key's public half, a signed
manifest); ``manage.py restore`` puts it back and proves it."""

from .create import BackupResult, backup_create
from .errors import BackupError
from .restore import RestoreReport, backup_restore

__all__ = [
    "BackupError",
    "BackupResult",
    "RestoreReport",
    "backup_create",
    "backup_restore",
]
