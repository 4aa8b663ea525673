"""``manage.py restore``: everything is checked before anything changes (the
identity opens the archive, every part has its manifest sha256, the manifest
carries the server key's signature, the configured key is that key, the
database and storage are empty); then the database and the files go back,
and the result is proved: row counts as the manifest has them,
``verify_audit`` passes and every certificate verifies."""

import json
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.core.management import call_command
from django.utils.translation import gettext as _

from .checks import audit_check, certificates_check
from .crypto import archive_decrypt, identities_read
from .database import (
    database_is_empty,
    database_restore,
    migrations_known,
    restored_counts,
)
from .destination import destination_for
from .errors import BackupError
from .manifest import (
    FORMAT,
    MANIFEST,
    MANIFEST_SIGNATURE,
    file_sha256,
    manifest_signature_valid,
    public_key_id,
    signing_key_configured,
)
from .media import PREFIX, file_storages, storage_files, storage_put

__all__ = ["RestoreReport", "backup_restore"]


@dataclass
class RestoreReport:
    manifest: dict
    counts: dict = field(default_factory=dict)  # label -> (in backup, restored)
    mismatched: list[str] = field(default_factory=list)
    files: int = 0
    migrated: list[str] = field(default_factory=list)
    audit_ok: bool = False
    audit_output: str = ""
    certificates: int = 0
    certificate_failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.audit_ok and not self.mismatched and not self.certificate_failures


def _fetch(archive: str, work: Path) -> Path:
    local = Path(archive).expanduser()
    if local.is_file():
        return local
    if archive.startswith("s3://"):
        where, _slash, name = archive.rpartition("/")
        destination = destination_for(where)
    else:
        destination, name = destination_for(), archive
        if archive == "latest":
            names = destination.names()
            if not names:
                raise BackupError(
                    _("There is no backup in %(where)s.") % {"where": destination}
                )
            name = names[-1]
    target = work / name
    destination.fetch(name, target)
    return target


def _unpack(tar_path: Path, directory: Path) -> dict:
    """Every member into ``directory``; the manifest, its parts' sha256s held
    to it; refuses anything the manifest does not list."""
    try:
        with tarfile.open(tar_path, "r:") as archive:
            archive.extractall(directory, filter="data")
    except (tarfile.TarError, OSError) as error:
        raise BackupError(
            _("The backup is not a Baton backup archive: %(error)s") % {"error": error}
        ) from error
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(_("The backup has no readable manifest.")) from error
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("Unknown backup format %(format)s.") % {"format": manifest.get("format")}
        )
    present = {
        str(path.relative_to(directory).as_posix())
        for path in directory.rglob("*")
        if path.is_file()
    } - {MANIFEST, MANIFEST_SIGNATURE}
    listed = set(manifest["files"])
    if present != listed:
        raise BackupError(
            _("The backup's parts differ from its manifest: %(names)s.")
            % {"names": ", ".join(sorted(present ^ listed)[:5])}
        )
    for member, expected in sorted(manifest["files"].items()):
        if file_sha256(directory / member) != expected["sha256"]:
            raise BackupError(
                _(
                    "%(member)s does not have the sha256 of the manifest: the backup "
                    "was altered. Nothing was changed."
                )
                % {"member": member}
            )
    return manifest


def _key_check(manifest: dict, directory: Path) -> None:
    """The backup's manifest is signed by the server key, and that key is the
    one configured here (signatures and checkpoints verify with it)."""
    key = manifest.get("signing_key")
    if key is None:
        # Baton signs every manifest; anyone holding the public age key could
        # write an unsigned one.
        raise BackupError(_("The backup's manifest is unsigned: refused."))
    pem = (directory / key["member"]).read_bytes()
    signature_path = directory / MANIFEST_SIGNATURE
    signature = (
        json.loads(signature_path.read_text()) if signature_path.exists() else None
    )
    if (
        public_key_id(pem) != key["key_id"]
        or signature is None
        or not manifest_signature_valid(manifest, signature, pem)
    ):
        raise BackupError(
            _("The backup's manifest is not signed by its server key: refused.")
        )
    if not signing_key_configured():
        raise BackupError(
            _(
                "Put the server signing key (key id %(key_id)s, kept apart from "
                "backups) at BATON_SIGNING_KEY_FILE or in BATON_SIGNING_KEY first: "
                "without it signatures and audit checkpoints cannot be verified."
            )
            % {"key_id": key["key_id"]}
        )
    from cms.services.signing import server_key

    _key, configured = server_key()
    if configured != key["key_id"]:
        raise BackupError(
            _(
                "The configured signing key (key id %(configured)s) is not the "
                "backup's (key id %(key_id)s): configure the backup's key first."
            )
            % {"configured": configured, "key_id": key["key_id"]}
        )


def _ready_check(manifest: dict, force: bool) -> None:
    unknown, _pending = migrations_known(manifest["migrations"])
    if unknown:
        raise BackupError(
            _(
                "The backup comes from a newer Baton (migrations %(names)s): "
                "install that version first."
            )
            % {"names": ", ".join(unknown[:5])}
        )
    if force:
        return
    if not database_is_empty():
        raise BackupError(
            _(
                "The configured database is not empty: restore into a new database, "
                "or add --force to replace what the backup holds."
            )
        )
    if next(storage_files(), None) is not None:
        raise BackupError(
            _(
                "The file storage already holds files: restore into an empty one, "
                "or add --force to replace the backup's files."
            )
        )


def _media_restore(manifest: dict, directory: Path) -> int:
    storages = file_storages()
    count = 0
    for member in sorted(manifest["files"]):
        parts = PurePosixPath(member).parts
        if parts[0] != PREFIX:
            continue
        key, name = parts[1], "/".join(parts[2:])
        with (directory / member).open("rb") as handle:
            storage_put(storages[key], name, handle)
        count += 1
    return count


def backup_restore(archive: str, *, identity: Path, force: bool = False, say=None):
    """Restore ``archive`` (a file, ``s3://bucket/prefix/name``, a name in the
    configured destination, or ``latest``). Raises BackupError before changing
    anything when the archive or the target is not right."""
    say = say or (lambda message: None)
    identities = identities_read(identity)
    with tempfile.TemporaryDirectory(prefix="baton-restore-") as work:
        work = Path(work)
        local = _fetch(archive, work)
        tar_path = work / "backup.tar"
        archive_decrypt(local, tar_path, identities)
        unpacked = work / "unpacked"
        manifest = _unpack(tar_path, unpacked)
        tar_path.unlink()
        _key_check(manifest, unpacked)
        _ready_check(manifest, force)
        say(_("Backup of %(when)s checked.") % {"when": manifest["created_at"]})
        database = manifest["database"]
        database_restore(
            unpacked / database["member"], vendor=database["vendor"], force=force
        )
        report = RestoreReport(manifest=manifest)
        report.files = _media_restore(manifest, unpacked)
        shutil.rmtree(unpacked)
    restored = restored_counts()
    for label, expected in manifest["counts"].items():
        actual = restored.get(label)
        report.counts[label] = (expected, actual)
        if actual != expected:
            report.mismatched.append(label)
    _unknown, pending = migrations_known(manifest["migrations"])
    if pending:
        say(
            _("Applying migrations newer than the backup: %(names)s")
            % {"names": ", ".join(pending)}
        )
        call_command("migrate", interactive=False, verbosity=0)
        report.migrated = pending
    report.audit_ok, report.audit_output = audit_check()
    report.certificates, report.certificate_failures = certificates_check()
    return report
