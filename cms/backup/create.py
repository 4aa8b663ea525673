"""``manage.py backup``: one tar of the database dump, every stored file, the
signing key's public half and a signed manifest, encrypted with age and
written to the destination; then the oldest beyond BATON_BACKUP_KEEP go."""

import datetime
import io
import json
import tarfile
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .crypto import archive_encrypt, recipients_parse
from .database import database_dump
from .destination import destination_for
from .errors import BackupError
from .manifest import (
    FORMAT,
    MANIFEST,
    MANIFEST_SIGNATURE,
    PUBLIC_KEY,
    file_sha256,
    manifest_sign,
    signing_key_public,
)
from .media import PREFIX, HashingReader, storage_files

__all__ = ["BackupResult", "backup_create"]


@dataclass
class BackupResult:
    name: str
    where: str
    size: int
    counts: dict
    files: int
    deleted: list[str] = field(default_factory=list)
    dry_run: bool = False


def _baton_version() -> str:
    try:
        return metadata.version("baton")
    except metadata.PackageNotFoundError:
        return "unknown"


def _add_file(archive: tarfile.TarFile, path: Path, member: str, files: dict) -> None:
    files[member] = {"sha256": file_sha256(path), "size": path.stat().st_size}
    archive.add(path, arcname=member, recursive=False)


def _add_bytes(archive: tarfile.TarFile, member: str, data: bytes, when: float):
    info = tarfile.TarInfo(member)
    info.size, info.mtime, info.mode = len(data), int(when), 0o600
    archive.addfile(info, io.BytesIO(data))


def _add_media(archive: tarfile.TarFile, files: dict, when: float) -> dict:
    per_storage = {}
    for key, storage, name in storage_files():
        member = f"{PREFIX}/{key}/{name}"
        info = tarfile.TarInfo(member)
        info.size, info.mtime, info.mode = storage.size(name), int(when), 0o600
        with storage.open(name, "rb") as handle:
            reader = HashingReader(handle)
            archive.addfile(info, reader)
        files[member] = {"sha256": reader.sha256.hexdigest(), "size": reader.size}
        per_storage[key] = per_storage.get(key, 0) + 1
    return per_storage


def _archive_build(work: Path, created: datetime.datetime) -> tuple[Path, dict]:
    dump = database_dump(work)
    when = created.timestamp()
    files: dict[str, dict] = {}
    tar_path = work / "backup.tar"
    with tarfile.open(tar_path, "w") as archive:
        _add_file(archive, work / dump.member, dump.member, files)
        media = _add_media(archive, files, when)
        public = signing_key_public()
        data = public["pem"].encode()
        _add_bytes(archive, PUBLIC_KEY, data, when)
        files[PUBLIC_KEY] = {"sha256": file_sha256(data), "size": len(data)}
        manifest = {
            "format": FORMAT,
            "baton_version": _baton_version(),
            "created_at": created.isoformat(),
            "database": {"vendor": dump.vendor, "member": dump.member},
            "migrations": dump.migrations,
            "counts": dump.counts,
            "media": media,
            "signing_key": {"key_id": public["key_id"], "member": PUBLIC_KEY},
            "files": files,
        }
        manifest_bytes = json.dumps(manifest, indent=1, sort_keys=True).encode()
        _add_bytes(archive, MANIFEST, manifest_bytes, when)
        signature = json.dumps(manifest_sign(manifest)).encode()
        _add_bytes(archive, MANIFEST_SIGNATURE, signature, when)
    return tar_path, manifest


def backup_create(
    *, target: str = "", keep: int | None = None, dry_run: bool = False
) -> BackupResult:
    """Write one backup; delete the oldest beyond ``keep`` only after it was
    written whole. Raises BackupError, leaving no file under a backup's name."""
    recipients = recipients_parse(settings.BATON_BACKUP_RECIPIENTS)
    destination = destination_for(target)
    keep = settings.BATON_BACKUP_KEEP if keep is None else keep
    if keep < 1:
        raise BackupError(_("Keep at least one backup."))
    created = timezone.now().astimezone(datetime.UTC)
    name = f"baton-backup-{created:%Y%m%dT%H%M%S.%fZ}.tar.age"
    with tempfile.TemporaryDirectory(prefix="baton-backup-") as work:
        work = Path(work)
        tar_path, manifest = _archive_build(work, created)
        encrypted = work / name
        archive_encrypt(tar_path, encrypted, recipients)
        tar_path.unlink()
        size = encrypted.stat().st_size
        result = BackupResult(
            name=name,
            where=destination.where(name),
            size=size,
            counts=manifest["counts"],
            files=sum(manifest["media"].values()),
            dry_run=dry_run,
        )
        if dry_run:
            existing = destination.names()
            result.deleted = existing[: max(0, len(existing) + 1 - keep)]
            return result
        destination.put(encrypted, name)
    result.deleted = destination.prune(keep)
    return result
