"""Storing the completion certificate: the one write path for it."""

import hashlib
import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict
from cms.models import AuditEvent, Certificate, Handover

from .audit import audit_record
from .common import announce, lock_handover

__all__ = ["certificate_code", "certificate_store", "chain_head"]

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def certificate_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return "-".join(raw[index : index + 4] for index in range(0, 12, 4))


def chain_head(handover: Handover) -> str:
    last = AuditEvent.objects.filter(handover=handover).order_by("-sequence").first()
    return last.hash if last else ""


@transaction.atomic
def certificate_store(
    *, handover, code: str, root_hash: str, language: str, pdf: bytes
) -> Certificate:
    """Keep the certificate of a completed handover. Idempotent: a second call
    returns the certificate already issued."""
    handover = lock_handover(getattr(handover, "pk", handover))
    existing = Certificate.objects.filter(handover=handover).first()
    if existing is not None:
        return existing
    if handover.state != Handover.State.COMPLETED:
        raise Conflict(_("Only a completed handover gets a certificate."))
    certificate = Certificate(
        handover=handover,
        code=code,
        language=language,
        root_hash=root_hash,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        issued_at=timezone.now(),
    )
    certificate.pdf.save(f"{handover.number}-{code}.pdf", ContentFile(pdf), save=False)
    certificate.save()
    audit_record(
        handover=handover,
        actor=None,
        role="",
        action="certificate.issued",
        obj=certificate,
        after={
            "code": code,
            "root_hash": root_hash,
            "pdf_sha256": certificate.pdf_sha256,
        },
    )
    announce(handover, "certificate.issued", details={"code": code})
    return certificate
