"""Issuing completion certificates: gather what the handover became, render the
PDF, and store it through cms's service."""

import logging
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from checklist_blocks.blocks.connector import RECORD_KIND_TARGETS
from checklist_blocks.blocks.spec import Date, Group, ListOf
from checklist_blocks.registry import UnknownKind, get_kind
from cms.errors import Conflict
from cms.models import Certificate, Handover, Item, ParticipantRole, Signature
from cms.names import person_name
from cms.notifications.common import preferred_languages, supported_language
from cms.services.certificates import certificate_code, certificate_store, chain_head
from cms.services.confirming import resolved_upstream_unsigned
from cms.services.visibility import field_answers, item_is_visible

from .certificate_data import (
    CERTIFICATE_LANGUAGES,
    CertificateData,
    CertificateItem,
    CertificateSection,
    CertificateSignature,
    in_both,
)
from .certificates import render_certificate_pdf

logger = logging.getLogger(__name__)

__all__ = [
    "certificate_data",
    "certificate_issue",
    "certificate_languages",
    "employee_initials",
    "item_summary",
]

SUMMARY_LIMIT = 600
ACCEPT_DECISIONS = frozenset(
    {Signature.Decision.ACCEPT, Signature.Decision.ACCEPT_WITH_REMARKS}
)


def _person(user, language: str) -> str:
    """A signer or successor by the one name rule (cms.names); their HR record
    when it is loaded, so a name in Chinese characters prints as HR wrote it."""
    if user is None:
        return ""
    return person_name(getattr(user, "employee", None) or user, language)


# Item content ------------------------------------------------------------------


def _answer(value, languages) -> str:
    if isinstance(value, bool):
        return in_both(languages, lambda: _("Yes") if value else _("No"))
    if isinstance(value, dict):  # an uploaded file
        return str(value.get("filename") or "")
    return str(value)


def _display(spec, value, languages) -> str:
    """One field's value as a person reads it: a choice's label (translated), a
    day in the certificate's format, a group's filled fields, a list's rows."""
    if isinstance(spec, Group):
        value = value or {}
        parts = [
            f"{in_both(languages, lambda child=child: child.label)} {text}"
            for child in spec.fields
            if (text := _display(child, value.get(child.name), languages))
        ]
        return ", ".join(parts)
    if isinstance(spec, ListOf):
        rows = (_display(spec.item, row, languages) for row in value or ())
        return "; ".join(row for row in rows if row)
    if value in (None, "", [], {}):
        return ""
    if isinstance(spec, Date) and (day := parse_date(str(value))):
        return date_format(day, "DATE_FORMAT")
    return in_both(languages, lambda: spec.display(value))


def _kind_and_data(item: Item) -> tuple[str, dict]:
    """A record from a connector list reads as the kind it became (client,
    task…); its own keys (external id, record kind) are bookkeeping, not
    content."""
    kind, data = item.kind, item.data or {}
    if kind == "connector_list":
        target = RECORD_KIND_TARGETS.get(data.get("record_kind"))
        return target or kind, data.get("data") or {}
    return kind, data


def _kind_label(item: Item):
    try:
        return get_kind(_kind_and_data(item)[0]).label
    except UnknownKind:
        return get_kind(item.kind).label


def _fields(item: Item):
    """The item's declared fields and the data they read."""
    kind, data = _kind_and_data(item)
    try:
        return get_kind(kind).block_class.domain_fields, data
    except (UnknownKind, AttributeError):
        return (), data


def _colon(language: str) -> str:
    """Chinese text takes the full-width colon, with no space after it."""
    return "\uff1a" if language.startswith("zh") else ": "


def item_summary(item: Item, languages=None) -> str:
    """The final content of an item in a few lines: each filled field as
    "label: value", labels and choices in the certificate's languages, never a
    stored key or value."""
    languages = tuple(languages or (translation_language(),))
    if item.not_applicable_reason:
        return _("Not applicable: %(reason)s") % {"reason": item.not_applicable_reason}
    if item.kind == "field":
        value = (item.data or {}).get("value")
        if value is None:
            return ""
        if item.definition.get("field_type") == "date" and (
            day := parse_date(str(value))
        ):
            return date_format(day, "DATE_FORMAT")
        return _answer(value, languages)
    specs, data = _fields(item)
    colon = _colon(languages[0])
    lines = []
    for spec in specs:
        text = _display(spec, data.get(spec.name), languages)
        if text:
            label = in_both(languages, lambda spec=spec: spec.label)
            lines.append(f"{label}{colon}{text}")
    summary = "\n".join(lines)
    return (
        summary if len(summary) <= SUMMARY_LIMIT else summary[: SUMMARY_LIMIT - 1] + "…"
    )


def translation_language() -> str:
    return supported_language(get_language()) or settings.LANGUAGE_CODE


def _signature(signature: Signature, languages) -> CertificateSignature:
    return CertificateSignature(
        signer_name=_person(signature.signer, languages[0]),
        role_label=in_both(languages, lambda: ParticipantRole(signature.role).label),
        decision_label=in_both(
            languages, lambda: Signature.Decision(signature.decision).label
        ),
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
    day = date_format(timezone.localtime(when, zone).date()) if when else ""
    if not system:
        system = _("its source system")
    return _("Resolved in %(system)s on %(date)s, not signed") % {
        "system": system,
        "date": day,
    }


def _successor_name(item: Item, signatures, language: str) -> str:
    """Who took the item over: the successor who signed its acceptance, else
    the successor it is assigned to."""
    for signature in reversed(signatures):
        if (
            signature.decision in ACCEPT_DECISIONS
            and signature.role == ParticipantRole.SUCCESSOR
        ):
            return _person(signature.signer, language)
    return _person(item.assignee, language)


def certificate_languages(handover: Handover) -> tuple[str, ...]:
    """The languages a handover's certificate is printed in: the leaver's own
    (their Wagtail profile's preferred language, when set and supported, else
    the handover's), then, when the company prints bilingual certificates, the
    other of Chinese and English."""
    from .models import CertificateSettings

    leaver = handover.employee.user_id
    chosen = preferred_languages([leaver]).get(leaver) if leaver else None
    language = next(
        (
            code
            for code in (chosen, supported_language(handover.language))
            if code in CERTIFICATE_LANGUAGES
        ),
        settings.LANGUAGE_CODE,
    )
    if not CertificateSettings.load().bilingual:
        return (language,)
    return (language, *(code for code in CERTIFICATE_LANGUAGES if code != language))


def certificate_data(
    handover: Handover, *, code: str, root_hash: str, languages=None
) -> CertificateData:
    """What the certificate prints, every label already in ``languages`` (by
    default the active language)."""
    languages = tuple(languages or (translation_language(),))
    language = languages[0]
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
                kind_label=in_both(languages, lambda item=item: _kind_label(item)),
                state_label=in_both(
                    languages, lambda item=item: Item.State(item.state).label
                ),
                summary=item_summary(item, languages),
                successor_name=_successor_name(item, signatures, language),
                signatures=[_signature(sig, languages) for sig in signatures],
                unsigned_note=_unsigned_note(item, names, zone),
            )
        )
    handover_signatures = handover.signatures.select_related("signer__employee").filter(
        item__isnull=True, section_block_id=""
    )
    declaration = handover_signatures.filter(decision=Signature.Decision.DECLARE).last()
    approval = handover_signatures.filter(decision=Signature.Decision.APPROVE).last()
    employee = handover.employee
    base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return CertificateData(
        language=language,
        second_language=languages[1] if len(languages) > 1 else "",
        handover_number=handover.number,
        employee_name=person_name(employee, language),
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
        declaration=_signature(declaration, languages) if declaration else None,
        approval=_signature(approval, languages) if approval else None,
        root_hash=root_hash,
        verification_code=code,
        verification_url=base_url + reverse("reports:verify", args=[code]),
        issued_at=handover.completed_at,
        time_zone=settings.TIME_ZONE,
    )


def certificate_issue(*, handover_id: int) -> Certificate:
    """Render and store the certificate of a completed handover (idempotent)."""
    handover = Handover.objects.select_related(
        "employee__department", "employee__user", "template", "template_revision"
    ).get(pk=handover_id)
    existing = Certificate.objects.filter(handover=handover).first()
    if existing is not None:
        return existing
    if handover.state != Handover.State.COMPLETED:
        raise Conflict(_("Only a completed handover gets a certificate."))
    code = certificate_code()
    root_hash = chain_head(handover)
    languages = certificate_languages(handover)
    with override(languages[0]):
        data = certificate_data(
            handover, code=code, root_hash=root_hash, languages=languages
        )
        pdf = render_certificate_pdf(data)
    certificate = certificate_store(
        handover=handover,
        code=code,
        root_hash=root_hash,
        language="+".join(languages),
        pdf=pdf,
    )
    logger.info("Issued certificate %s for %s", certificate.code, handover.number)
    return certificate
