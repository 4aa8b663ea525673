"""Backups that restore: ``manage.py backup`` of a database with a completed
handover, its certificate and an attachment, restored by ``manage.py restore``
into a fresh PostgreSQL database and an empty media directory in another
process; there the audit trail, every certificate, the row counts and the
attachment's bytes are as they were. Refused: a wrong identity, an altered
archive. Kept: the newest N, in a directory and in an S3-compatible bucket."""

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg
import pyrage
import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils.functional import empty
from pyrage import x25519

from cms import services
from cms.models import Attachment, AuditEvent, Certificate, Handover, Signature
from cms.models.handovers import private_storage
from tests import storage_server as _server
from tests.fixtures.handovers import complete_handover, item_of

ROOT = Path(__file__).resolve().parent.parent
# The fixtures: a real S3-compatible server (moto) on loopback, and Baton's
# files in a bucket of it.
storage_server = _server.storage_server
s3_files = _server.s3_files

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_dump and pg_restore: PostgreSQL"
)

#: Run in the restored installation: what a person checking it would look at.
PROBE = """
import base64, json
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from cms.backup.checks import certificate_problems
from cms.models import Attachment, AuditEvent, Certificate, Handover, Signature
from cms.services.signing import signature_verify
client = Client()
print(json.dumps({
    "counts": {
        "users": get_user_model().objects.count(),
        "handovers": Handover.objects.count(),
        "events": AuditEvent.objects.count(),
        "signatures": Signature.objects.count(),
        "attachments": Attachment.objects.count(),
    },
    "certificates": {
        c.code: certificate_problems(c) for c in Certificate.objects.all()
    },
    "verify_pages": {
        c.code: client.get(
            reverse("reports:verify", args=[c.code]), HTTP_HOST="localhost"
        ).status_code
        for c in Certificate.objects.all()
    },
    "signatures_verify": all(signature_verify(s) for s in Signature.objects.all()),
    "attachments": {
        a.pk: base64.b64encode(a.file.open("rb").read()).decode()
        for a in Attachment.objects.all()
    },
}))
"""


@pytest.fixture
def age_identity(tmp_path, settings):
    """Backups are encrypted to this identity's public key."""
    identity = x25519.Identity.generate()
    path = tmp_path / "backup-identity.txt"
    path.write_text(f"# public key: {identity.to_public()}\n{identity}\n")
    settings.BATON_BACKUP_RECIPIENTS = [str(identity.to_public())]
    return path


@pytest.fixture
def media(tmp_path, settings):
    """This test's own MEDIA_ROOT (and the private storage inside it)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    private_storage._wrapped = empty
    yield settings.MEDIA_ROOT
    private_storage._wrapped = empty


@pytest.fixture
def fresh_database():
    """A new, empty PostgreSQL database beside the test database."""
    params = connection.settings_dict
    name = f"{params['NAME']}_restored"
    admin = {
        "host": params["HOST"] or None,
        "port": params["PORT"] or None,
        "user": params["USER"] or None,
        "password": params["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    user = params["USER"] or ""
    if params["PASSWORD"]:
        user += f":{params['PASSWORD']}"
    host = f"{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
    yield {"name": name, "url": f"postgres://{user}@{host}/{name}", "admin": admin}
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tables(database) -> list[str]:
    with psycopg.connect(**{**database["admin"], "dbname": database["name"]}) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return [row[0] for row in rows]


def _manage(*args, database, tmp_path, **extra):
    """manage.py in another process, on the fresh database and an empty media
    directory, with the signing key put in place beside (not from) the backup."""
    ours = {"DATABASE_URL", "BATON_VAR_DIR", "MEDIA_ROOT", "BATON_SIGNING_KEY"}
    environment = {k: v for k, v in os.environ.items() if k not in ours}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings_test",
        DATABASE_URL=database["url"],
        BATON_VAR_DIR=str(tmp_path / "restored-var"),
        MEDIA_ROOT=str(tmp_path / "restored-media"),
        BATON_SIGNING_KEY_FILE=str(django_settings.BATON_SIGNING_KEY_FILE),
        **extra,
    )
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _backup(target) -> Path:
    output = io.StringIO()
    call_command("backup", "--to", str(target), stdout=output)
    assert "Backup written:" in output.getvalue()
    return max(Path(target).glob("baton-backup-*.tar.age"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("wagtail_roots_restored")
def test_a_backup_restores_into_a_fresh_database_and_everything_verifies(
    sales_handover, people, age_identity, media, fresh_database, tmp_path
):
    item = item_of(sales_handover, "Key client list")
    content = b"%PDF-1.4 clients " + os.urandom(4096)
    attachment = services.attachment_add(
        actor=people["sales"],
        item=item,
        uploaded_file=SimpleUploadedFile("clients.pdf", content, "application/pdf"),
    )
    complete_handover(sales_handover, people)
    certificate = Certificate.objects.get(handover=sales_handover)
    before = {
        "users": people["sales"].__class__.objects.count(),
        "handovers": Handover.objects.count(),
        "events": AuditEvent.objects.count(),
        "signatures": Signature.objects.count(),
        "attachments": Attachment.objects.count(),
    }
    archive = _backup(tmp_path / "backups")
    assert content not in archive.read_bytes()  # encrypted

    restored = _manage(
        "restore",
        str(archive),
        "--identity",
        str(age_identity),
        database=fresh_database,
        tmp_path=tmp_path,
    )
    assert restored.returncode == 0, restored.stderr
    assert "Restore complete" in restored.stdout
    audit = _manage("verify_audit", database=fresh_database, tmp_path=tmp_path)
    assert audit.returncode == 0, audit.stderr
    assert "all intact" in audit.stdout
    probe = _manage("shell", "-c", PROBE, database=fresh_database, tmp_path=tmp_path)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout.strip().splitlines()[-1])

    assert found["counts"] == before
    assert found["certificates"] == {certificate.code: []}
    assert found["verify_pages"] == {certificate.code: 200}
    assert found["signatures_verify"] is True
    import base64

    assert base64.b64decode(found["attachments"][str(attachment.pk)]) == content
    on_disk = tmp_path / "restored-media" / "private" / attachment.file.name
    assert on_disk.read_bytes() == content


@pytest.mark.django_db
def test_a_wrong_identity_is_refused_and_changes_nothing(
    age_identity, media, fresh_database, tmp_path
):
    archive = _backup(tmp_path / "backups")
    stranger = tmp_path / "other-identity.txt"
    stranger.write_text(f"{x25519.Identity.generate()}\n")

    result = _manage(
        "restore",
        str(archive),
        "--identity",
        str(stranger),
        database=fresh_database,
        tmp_path=tmp_path,
    )

    assert result.returncode != 0
    assert "This identity cannot open the backup" in result.stderr
    assert _tables(fresh_database) == []
    assert not (tmp_path / "restored-media").exists() or not any(
        (tmp_path / "restored-media").rglob("*.*")
    )


def _repack(archive: Path, identity: Path, recipients, change) -> Path:
    """Decrypt, let ``change`` alter the members (name -> bytes), re-encrypt to
    the same recipients: what someone holding only the public key can do."""
    identities = [x25519.Identity.from_str(identity.read_text().splitlines()[-1])]
    plain = pyrage.decrypt(archive.read_bytes(), identities)
    with tarfile.open(fileobj=io.BytesIO(plain)) as source:
        members = {m.name: source.extractfile(m).read() for m in source.getmembers()}
    change(members)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as target:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))
    parsed = [x25519.Recipient.from_str(value) for value in recipients]
    altered = archive.with_name(f"{change.__name__}.tar.age")
    altered.write_bytes(pyrage.encrypt(buffer.getvalue(), parsed))
    return altered


@pytest.mark.django_db
def test_an_altered_archive_is_refused_before_anything_changes(
    age_identity, media, tmp_path, settings
):
    default_storage.save("documents/policy.txt", ContentFile(b"the real policy"))
    archive = _backup(tmp_path / "backups")
    handovers = Handover.objects.count()

    flipped = archive.with_name("flipped.tar.age")
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    flipped.write_bytes(bytes(data))

    def swap_file(members):
        members["media/default/documents/policy.txt"] = b"a forged policy"

    def swap_file_and_manifest(members):
        swap_file(members)
        manifest = json.loads(members["manifest.json"])
        forged = manifest["files"]["media/default/documents/policy.txt"]
        import hashlib

        forged["sha256"] = hashlib.sha256(b"a forged policy").hexdigest()
        forged["size"] = len(b"a forged policy")
        members["manifest.json"] = json.dumps(manifest).encode()

    def unsigned(members):
        swap_file_and_manifest(members)
        manifest = json.loads(members["manifest.json"])
        manifest["signing_key"] = None
        del manifest["files"]["keys/signing-public.pem"]
        del members["keys/signing-public.pem"], members["manifest.sig"]
        members["manifest.json"] = json.dumps(manifest).encode()

    recipients = settings.BATON_BACKUP_RECIPIENTS
    # --force: even a restore allowed to replace data checks everything first.
    cases = [
        (flipped, ["--force"], "damaged or was altered"),
        (
            _repack(archive, age_identity, recipients, swap_file),
            ["--force"],
            "does not have the sha256 of the manifest",
        ),
        (
            _repack(archive, age_identity, recipients, swap_file_and_manifest),
            ["--force"],
            "not signed by its server key",
        ),
        (
            _repack(archive, age_identity, recipients, unsigned),
            ["--force"],
            "manifest is unsigned",
        ),
    ]
    for altered, force, message in cases:
        with pytest.raises(CommandError, match=message):
            call_command(
                "restore", str(altered), "--identity", str(age_identity), *force
            )
    assert default_storage.open("documents/policy.txt").read() == b"the real policy"
    assert Handover.objects.count() == handovers


@pytest.mark.django_db
def test_a_database_that_is_not_empty_is_refused_without_force(
    age_identity, media, tmp_path
):
    archive = _backup(tmp_path / "backups")
    handovers = Handover.objects.count()

    with pytest.raises(CommandError, match="The configured database is not empty"):
        call_command("restore", str(archive), "--identity", str(age_identity))
    assert Handover.objects.count() == handovers


@pytest.mark.django_db
def test_retention_keeps_the_newest_and_a_dry_run_writes_nothing(
    age_identity, media, tmp_path
):
    target = tmp_path / "backups"
    written = []
    for _round in range(3):
        output = io.StringIO()
        call_command("backup", "--to", str(target), "--keep", "2", stdout=output)
        written.append(output.getvalue().split(": ", 2)[1].split("/")[-1])

    assert sorted(path.name for path in target.iterdir()) == written[1:]
    output = io.StringIO()
    call_command(
        "backup", "--to", str(target), "--keep", "2", "--dry-run", stdout=output
    )
    assert "Dry run, nothing written" in output.getvalue()
    assert f"Would delete {written[1]}" in output.getvalue()
    assert sorted(path.name for path in target.iterdir()) == written[1:]


@pytest.mark.django_db
def test_backups_to_s3_are_kept_n_deep_and_restore_from_there(
    age_identity, media, storage_server, settings, fresh_database, tmp_path
):
    bucket = storage_server.bucket()
    settings.BATON_BACKUP_S3_ENDPOINT_URL = storage_server.endpoint_url
    for name, value in storage_server.environment().items():
        setattr(settings, name, value)
    target = f"s3://{bucket}/nightly"
    for _round in range(3):
        call_command("backup", "--to", target, "--keep", "2", stdout=io.StringIO())

    keys = storage_server.keys(bucket)
    assert len(keys) == 2
    assert all(key.startswith("nightly/baton-backup-") for key in keys)
    assert not any(key.endswith(".partial") for key in keys)

    restored = _manage(
        "restore",
        f"s3://{bucket}/{keys[-1]}",
        "--identity",
        str(age_identity),
        database=fresh_database,
        tmp_path=tmp_path,
        **storage_server.environment(),
    )
    assert restored.returncode == 0, restored.stderr
    assert "Restore complete" in restored.stdout


@pytest.mark.django_db
def test_files_on_s3_are_in_the_backup(age_identity, s3_files, tmp_path):
    content = b"%PDF-1.4 in the bucket " + os.urandom(512)
    private_storage.save("handovers/7/items/9/contract.pdf", ContentFile(content))
    default_storage.save("documents/policy.txt", ContentFile(b"policy"))

    archive = _backup(tmp_path / "backups")

    identities = [x25519.Identity.from_str(age_identity.read_text().splitlines()[-1])]
    with tarfile.open(
        fileobj=io.BytesIO(pyrage.decrypt(archive.read_bytes(), identities))
    ) as tar:
        names = tar.getnames()
        stored = tar.extractfile(
            "media/private/handovers/7/items/9/contract.pdf"
        ).read()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert stored == content
    assert "media/default/documents/policy.txt" in names
    assert manifest["media"] == {"default": 1, "private": 1}
