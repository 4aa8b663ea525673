"""What a restore proves: the audit chains hold (``verify_audit``), and every
certificate is still the one issued — its stored PDF hashes to the recorded
sha256, the audit trail's "certificate.issued" event records exactly its code,
root hash and PDF hash, its root hash is an event of the handover's chain, and
every signature of the handover is what the server signed.

A PDF erased under a retention policy (``pdf_erased_at``, see
``cms.services.erasure``) is not a problem when the audit trail records that
erasure: the code and both hashes still answer on the verify page."""

import hashlib
import io

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Q
from django.utils.translation import gettext as _

__all__ = ["audit_check", "certificate_problems", "certificates_check"]


def certificate_problems(certificate) -> list[str]:
    from cms.models import AuditEvent, Signature
    from cms.services.audit.chain import content_hash
    from cms.services.signing import signature_verify

    problems = []
    events = AuditEvent.objects.filter(handover_id=certificate.handover_id)
    if certificate.pdf_erased_at is not None:
        # Erasure events keep their details: erasing audit data skips them.
        if not events.filter(
            action="retention.erased", details__contains={"class": "certificates"}
        ).exists():
            problems.append(
                _("its PDF was erased, but the audit trail does not record it")
            )
    else:
        problems += _pdf_problems(certificate)
    issued = events.filter(
        action="certificate.issued", object_id=str(certificate.pk)
    ).first()
    recorded = {
        "code": certificate.code,
        "root_hash": certificate.root_hash,
        "pdf_sha256": certificate.pdf_sha256,
    }
    if issued is None or issued.after_hash != content_hash(recorded):
        problems.append(_("the audit trail does not record this certificate"))
    # A chain converted to format 2 (migration cms 0016) keeps each event's
    # earlier hash, which certificates issued before it name.
    if (
        certificate.root_hash
        and not events.filter(
            Q(hash=certificate.root_hash) | Q(original_hash=certificate.root_hash)
        ).exists()
    ):
        problems.append(_("its root hash is not in the handover's audit trail"))
    signatures = Signature.objects.filter(
        handover_id=certificate.handover_id
    ).select_related("handover", "item")
    broken = [
        signature.pk for signature in signatures if not signature_verify(signature)
    ]
    if broken:
        problems.append(
            _("signatures %(ids)s do not verify")
            % {"ids": ", ".join(str(pk) for pk in broken)}
        )
    return problems


def _pdf_problems(certificate) -> list[str]:
    digest = hashlib.sha256()
    try:
        with certificate.pdf.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
    except (FileNotFoundError, ValueError):
        return [_("its PDF is missing from storage")]
    if digest.hexdigest() != certificate.pdf_sha256:
        return [_("its PDF is not the one issued (sha256 differs)")]
    return []


def certificates_check() -> tuple[int, list[str]]:
    """(certificates checked, one line per failing certificate)."""
    from cms.models import Certificate

    failures, count = [], 0
    for certificate in Certificate.objects.order_by("pk").iterator():
        count += 1
        problems = certificate_problems(certificate)
        if problems:
            failures.append(f"{certificate.code}: {'; '.join(problems)}")
    return count, failures


def audit_check() -> tuple[bool, str]:
    """``manage.py verify_audit``: (passed, its output or its error)."""
    output = io.StringIO()
    try:
        call_command("verify_audit", stdout=output)
    except CommandError as error:
        return False, str(error)
    return True, output.getvalue().strip()
