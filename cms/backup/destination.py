"""Where backups go: a directory or an S3-compatible bucket (a django-storages
storage), never a half-written file under a backup's name, and the newest
``BATON_BACKUP_KEEP`` kept."""

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.core.files import File
from django.utils.translation import gettext as _

from .errors import BackupError

__all__ = ["ARCHIVE_NAME", "Destination", "destination_for"]

#: baton-backup-20261208T013000.123456Z.tar.age: names sort by time.
ARCHIVE_NAME = re.compile(r"^baton-backup-\d{8}T\d{6}\.\d{6}Z\.tar\.age$")
PARTIAL = ".partial"


class Destination:
    def __init__(self, storage, *, label: str):
        self.storage = storage
        self.label = label.rstrip("/")

    def __str__(self):
        return self.label

    def where(self, name: str) -> str:
        return f"{self.label}/{name}"

    def names(self) -> list[str]:
        """The backups there, oldest first."""
        try:
            _directories, files = self.storage.listdir("")
        except FileNotFoundError:
            return []
        return sorted(name for name in files if ARCHIVE_NAME.match(name))

    def put(self, local: Path, name: str) -> None:
        """Written under ``name`` + .partial, then renamed (S3: copied) to
        ``name``: a backup's name always holds a whole backup."""
        partial = name + PARTIAL
        try:
            if self._is_directory():
                self._put_file(local, name, partial)
            else:
                self._put_object(local, name, partial)
        except BackupError:
            raise
        except Exception as error:
            self._discard(partial)
            raise BackupError(
                _("Writing the backup to %(where)s failed: %(error)s")
                % {"where": self.where(name), "error": error}
            ) from error

    def _is_directory(self) -> bool:
        from django.core.files.storage import FileSystemStorage

        return isinstance(self.storage, FileSystemStorage)

    def _put_file(self, local: Path, name: str, partial: str) -> None:
        directory = Path(self.storage.location)
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / partial
        with local.open("rb") as source, target.open("wb") as copy:
            shutil.copyfileobj(source, copy, 1024 * 1024)
            copy.flush()
            os.fsync(copy.fileno())
        target.chmod(0o600)
        target.replace(directory / name)

    def _put_object(self, local: Path, name: str, partial: str) -> None:
        with local.open("rb") as source:
            saved = self.storage.save(partial, File(source, name=partial))
        bucket = self.storage.bucket
        bucket.copy({"Bucket": bucket.name, "Key": self._key(saved)}, self._key(name))
        self.storage.delete(saved)

    def _key(self, name: str) -> str:
        location = self.storage.location.strip("/")
        return f"{location}/{name}" if location else name

    def _discard(self, name: str) -> None:
        try:
            if self.storage.exists(name):
                self.storage.delete(name)
        except Exception:  # noqa: BLE001, S110 - the write's error is the one to report
            pass

    def fetch(self, name: str, local: Path) -> None:
        try:
            with self.storage.open(name, "rb") as source, local.open("wb") as copy:
                shutil.copyfileobj(source, copy, 1024 * 1024)
        except FileNotFoundError as error:
            raise BackupError(
                _("There is no backup %(where)s.") % {"where": self.where(name)}
            ) from error

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest ``keep`` backups; their names."""
        old = self.names()[:-keep] if keep else []
        for name in old:
            self.storage.delete(name)
        return old


def _s3_storage(bucket: str, prefix: str):
    from storages.backends.s3 import S3Storage

    options = {
        "bucket_name": bucket,
        "location": prefix.strip("/"),
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": True,
        "signature_version": "s3v4",
    }
    for name, value in {
        "endpoint_url": settings.BATON_BACKUP_S3_ENDPOINT_URL,
        "region_name": settings.BATON_BACKUP_S3_REGION,
        "access_key": settings.BATON_BACKUP_S3_ACCESS_KEY_ID,
        "secret_key": settings.BATON_BACKUP_S3_SECRET_ACCESS_KEY,
    }.items():
        if value:
            options[name] = value
    return S3Storage(**options)


def destination_for(target: str = "") -> Destination:
    """``s3://bucket/prefix``, a directory, or (empty) the configured one:
    BATON_BACKUP_URL, else BATON_BACKUP_DIR."""
    from django.core.files.storage import FileSystemStorage

    target = target or settings.BATON_BACKUP_URL or settings.BATON_BACKUP_DIR
    if target.startswith("s3://"):
        url = urlparse(target)
        if not url.netloc:
            raise BackupError(
                _("%(url)s names no bucket (s3://bucket/prefix).") % {"url": target}
            )
        prefix = url.path.strip("/")
        return Destination(_s3_storage(url.netloc, prefix), label=target)
    if "://" in target:
        raise BackupError(
            _("Backups go to a directory or to s3://bucket/prefix, not %(url)s.")
            % {"url": target}
        )
    directory = Path(target).expanduser().resolve()
    return Destination(
        FileSystemStorage(location=directory, base_url=None), label=str(directory)
    )
