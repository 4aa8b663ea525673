"""Issuing completion certificates: gather what the handover became, render the
PDF, and store it through cms's service."""

import logging
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import override

from checklist_blocks.registry import get_kind
from cms.errors import Conflict
from cms.models import Certificate, Handover, Item, ParticipantRole, Signature
from cms.services.certificates import certificate_code, certificate_store, chain_head
from cms.services.confirming import resolved_upstream_unsigned
from cms.services.visibility import field_answers, item_is_visible

from .certificate_data import (
    CertificateData,
    CertificateItem,
    CertificateSection,
    CertificateSignature,
)
from .certificates import render_certificate_pdf

logger = logging.getLogger(__name__)

__all__ = ["certificate_data", "certificate_issue", "employee_initials", "item_summary"]

SUMMARY_LIMIT = 600
ACCEPT_DECISIONS = frozenset(
    {Signature.Decision.ACCEPT, Signature.Decision.ACCEPT_WITH_REMARKS}
)


def _person(user) -> str:
    if user is None:
        return ""
    employee = getattr(user, "employee", None)
    return employee.name if employee else (user.get_full_name() or user.get_username())


def _format(value) -> str:
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, dict):
        return ", ".join(
            _format(part) for part in value.values() if part not in (None, "")
        )
    if isinstance(value, list):
        return "; ".join(_format(part) for part in value if part not in (None, ""))
    return str(value)


def item_summary(item: Item) -> str:
    """The final content of an item in a few lines, labelled in the certificate's
    language."""
    if item.not_applicable_reason:
        return _("Not applicable: %(reason)s") % {"reason": item.not_applicable_reason}
    if item.kind == "field":
        return (
            _format(item.data.get("value"))
            if item.data.get("value") is not None
            else ""
        )
    children = getattr(get_kind(item.kind).block, "child_blocks", {})
    lines = []
    for key, value in item.data.items():
        if value in (None, "", [], {}):
            continue
        child = children.get(key)
        label = str(child.label) if child is not None and child.label else key
        lines.append(f"{label}: {_format(value)}")
    summary = "\n".join(lines)
    return (
        summary if len(summary) <= SUMMARY_LIMIT else summary[: SUMMARY_LIMIT - 1] + "…"
    )


def _signature(signature: Signature) -> CertificateSignature:
    return CertificateSignature(
        signer_name=_person(signature.signer),
        role_label=str(ParticipantRole(signature.role).label),
        decision_label=str(Signature.Decision(signature.decision).label),
        signed_at=signature.signed_at,
        content_hash=signature.content_hash,
        remarks=signature.remarks,
    )


def employee_initials(name: str) -> str:
    """Enough to recognise a certificate, not enough to identify a person:
    "Chen Fang" → "C. F.", "陈芳" → "陈*"."""
    name = (name or "").strip()
    if not name:
        return "—"
    if any("\u4e00" <= char <= "\u9fff" for char in name):
        return name[0] + "*"
    return " ".join(f"{part[0].upper()}." for part in name.split())


def _connector_names(items) -> dict[str, str]:
    """Connector names by slug, for the connectors items were resolved in. The
    connectors app is optional to reports: without it the slug is the name."""
    slugs = {_resolved_slug(item) for item in items} - {""}
    if not slugs or not apps.is_installed("connectors"):
        return {}
    config = apps.get_model("connectors", "ConnectorConfig")
    return dict(config.objects.filter(slug__in=slugs).values_list("slug", "name"))


def _resolved_slug(item: Item) -> str:
    resolved = (item.provenance or {}).get("resolved_upstream") or {}
    return resolved.get("connector") or (item.definition or {}).get("connector") or ""


def _unsigned_note(item: Item, names: dict, zone) -> str:
    """ "Resolved in <system> on <date>, not signed" for an item a connector
    resolved upstream that nobody signed for; "" otherwise."""
    if not resolved_upstream_unsigned(item):
        return ""
    resolved = item.provenance["resolved_upstream"]
    slug = _resolved_slug(item)
    system = resolved.get("connector_name") or names.get(slug) or slug
    when = parse_datetime(resolved.get("at") or "")
    day = timezone.localtime(when, zone).date().isoformat() if when else ""
    if not system:
        system = _("its source system")
    return _("Resolved in %(system)s on %(date)s, not signed") % {
        "system": system,
        "date": day,
    }


def _successor_name(item: Item, signatures) -> str:
    """Who took the item over: the successor who signed its acceptance, else
    the successor it is assigned to."""
    for signature in reversed(signatures):
        if (
            signature.decision in ACCEPT_DECISIONS
            and signature.role == ParticipantRole.SUCCESSOR
        ):
            return _person(signature.signer)
    return _person(item.assignee)


def certificate_data(
    handover: Handover, *, code: str, root_hash: str
) -> CertificateData:
    items = list(
        handover.items.select_related("assignee__employee").prefetch_related(
            "signatures__signer__employee"
        )
    )
    names = _connector_names(items)
    zone = ZoneInfo(settings.TIME_ZONE)
    answers = field_answers(items)
    sections: list[CertificateSection] = []
    by_section: dict[str, CertificateSection] = {}
    for item in items:
        if not item_is_visible(item, answers):
            continue
        key = item.section_block_id or ""
        if key not in by_section:
            by_section[key] = CertificateSection(title=item.section_title, items=[])
            sections.append(by_section[key])
        signatures = list(item.signatures.all())
        by_section[key].items.append(
            CertificateItem(
                label=item.label,
                kind_label=str(get_kind(item.kind).label),
                state_label=str(Item.State(item.state).label),
                summary=item_summary(item),
                successor_name=_successor_name(item, signatures),
                signatures=[_signature(signature) for signature in signatures],
                unsigned_note=_unsigned_note(item, names, zone),
            )
        )
    handover_signatures = handover.signatures.filter(
        item__isnull=True, section_block_id=""
    )
    declaration = handover_signatures.filter(decision=Signature.Decision.DECLARE).last()
    approval = handover_signatures.filter(decision=Signature.Decision.APPROVE).last()
    employee = handover.employee
    base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return CertificateData(
        language=handover.language,
        handover_number=handover.number,
        employee_name=employee.name,
        employee_number=employee.employee_number,
        department=employee.department.name if employee.department_id else "",
        position=employee.position,
        template_title=handover.template_revision.object_str or handover.template.title,
        template_revision_id=handover.template_revision_id,
        resignation_date=handover.resignation_date,
        last_working_day=handover.last_working_day,
        started_at=handover.started_at or handover.created_at,
        completed_at=handover.completed_at,
        sections=sections,
        declaration=_signature(declaration) if declaration else None,
        approval=_signature(approval) if approval else None,
        root_hash=root_hash,
        verification_code=code,
        verification_url=base_url + reverse("reports:verify", args=[code]),
        issued_at=handover.completed_at,
        time_zone=settings.TIME_ZONE,
    )


def certificate_issue(*, handover_id: int) -> Certificate:
    """Render and store the certificate of a completed handover (idempotent)."""
    handover = Handover.objects.select_related(
        "employee__department", "template", "template_revision"
    ).get(pk=handover_id)
    existing = Certificate.objects.filter(handover=handover).first()
    if existing is not None:
        return existing
    if handover.state != Handover.State.COMPLETED:
        raise Conflict(_("Only a completed handover gets a certificate."))
    code = certificate_code()
    root_hash = chain_head(handover)
    with override(handover.language):
        data = certificate_data(handover, code=code, root_hash=root_hash)
        pdf = render_certificate_pdf(data)
    certificate = certificate_store(
        handover=handover,
        code=code,
        root_hash=root_hash,
        language=handover.language,
        pdf=pdf,
    )
    logger.info("Issued certificate %s for %s", certificate.code, handover.number)
    return certificate
