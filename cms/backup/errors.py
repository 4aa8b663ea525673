"""The one error of backup and restore: its message says what to do."""

__all__ = ["BackupError"]


class BackupError(Exception):
    """A backup or restore that cannot go on; nothing half-done is left
    under a final name."""
