"""A person's own data on request (PIPL Art. 45): one ZIP of JSON files and
PDFs with everything Baton holds about them, for an HR admin to hand over.

The ZIP is written to a spooled temporary file (memory up to a limit, disk
beyond), files are copied from the storage in chunks, and every export is
logged (``SubjectExport``) and recorded in the audit trail of each handover
it includes — without the person's name or any other personal data.
"""

import hashlib
import json
import re
import shutil
import tempfile
import zipfile

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cms.errors import NotFound
from cms.models import Employee
from cms.notifications.common import preferred_languages, supported_language
from cms.permissions import is_hr_admin
from cms.services.audit import audit_record

from ..models import SubjectExport
from .collect import PersonData

__all__ = [
    "export_filename",
    "subject_export",
    "subject_export_file",
    "subject_language",
]

# Kept in memory up to this size, then on disk.
SPOOL_BYTES = 8 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024
# Letters, digits, dot, dash, underscore, CJK: anything else in an uploaded
# file's name becomes "_" (no folders, no control characters).
UNSAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)
JSON_FILES = (
    "person.json",
    "handovers.json",
    "items.json",
    "comments.json",
    "signatures.json",
    "access.json",
    "notifications.json",
)


def subject_language(employee: Employee) -> str:
    """The person's language: their profile's choice, else that of their
    latest handover, else the company's."""
    if employee.user_id:
        chosen = preferred_languages([employee.user_id]).get(employee.user_id)
        if chosen:
            return chosen
    latest = (
        employee.handovers.order_by("-created_at").values_list("language", flat=True)
    ).first()
    return supported_language(latest) or settings.LANGUAGE_CODE


def export_filename(employee: Employee, when=None) -> str:
    """The employee number and the day, never the name: file names end up in
    mail subjects and download folders."""
    day = timezone.localdate(when or timezone.now()).isoformat()
    number = UNSAFE_NAME.sub("_", employee.employee_number)
    return f"personal-data-{number}-{day}.zip"


def _safe_name(name: str) -> str:
    return UNSAFE_NAME.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]) or "file"


def _write_json(archive: zipfile.ZipFile, name: str, value) -> None:
    text = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    archive.writestr(name, text + "\n")


def _copy_file(archive: zipfile.ZipFile, name: str, field_file) -> bool:
    """Copy one stored file into the ZIP through the storage API, in chunks.
    False when the storage no longer has it."""
    try:
        source = field_file.open("rb")
    except FileNotFoundError:
        return False
    with source, archive.open(name, "w", force_zip64=True) as target:
        shutil.copyfileobj(source, target, CHUNK_BYTES)
    return True


def _write_pdfs(archive: zipfile.ZipFile, data: PersonData) -> tuple[int, list]:
    written, missing = 0, []
    for certificate in data.certificates():
        name = f"pdfs/certificates/{_safe_name(certificate.handover.number)}.pdf"
        if _copy_file(archive, name, certificate.pdf):
            written += 1
        else:
            missing.append(name)
    for attachment in data.attachments():
        handover = _safe_name(attachment.item.handover.number)
        name = (
            f"pdfs/attachments/{handover}/"
            f"{attachment.pk}-{_safe_name(attachment.filename)}"
        )
        if _copy_file(archive, name, attachment.file):
            written += 1
        else:
            missing.append(name)
    return written, missing


def _write_archive(target, data: PersonData, language: str) -> int:
    with (
        translation.override(language),
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        files, missing = _write_pdfs(archive, data)
        _write_json(archive, "person.json", data.person())
        _write_json(archive, "handovers.json", data.handover_rows())
        _write_json(archive, "items.json", data.item_rows())
        _write_json(archive, "comments.json", data.comment_rows())
        _write_json(archive, "signatures.json", data.signature_rows())
        _write_json(archive, "access.json", data.access_rows())
        _write_json(archive, "notifications.json", data.notification_rows())
        readme = render_to_string(
            "reports/subject/README.txt",
            {
                "employee_number": data.employee.employee_number,
                "exported_at": timezone.localtime(),
                "missing": missing,
            },
        )
        archive.writestr("README.txt", readme)
    return files + len(JSON_FILES) + 1


def _check(actor) -> None:
    if actor is None or not is_hr_admin(actor):
        # Nobody else learns that the person or the action exists.
        raise NotFound()


def subject_export_file(employee: Employee, *, actor):
    """The export as an open temporary file (at position 0) and its log row.
    The caller closes the file."""
    _check(actor)
    data = PersonData(employee)
    # Handed to the caller open (a download streams it), so no ``with`` here.
    target = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    file_count = _write_archive(target, data, subject_language(employee))
    size = target.tell()
    target.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: target.read(CHUNK_BYTES), b""):
        digest.update(chunk)
    target.seek(0)
    with transaction.atomic():
        log = SubjectExport.objects.create(
            employee=employee,
            exported_by=actor,
            handover_count=len(data.handovers),
            file_count=file_count,
            size=size,
            sha256=digest.hexdigest(),
        )
        for handover in data.handovers:
            audit_record(
                handover=handover,
                actor=actor,
                role="hr",
                action="subject.exported",
                obj=log,
                details={"export": log.pk, "files": file_count},
            )
    return target, log


def subject_export(employee: Employee, *, actor) -> bytes:
    """The ZIP's bytes (for the API and tests; the admin streams the file)."""
    target, _log = subject_export_file(employee, actor=actor)
    with target:
        return target.read()
