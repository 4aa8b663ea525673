"""The handover completion certificate: plain data in, PDF bytes out.

``render_certificate_pdf`` renders ``reports/certificate.html`` in the
certificate's language and turns it into an A4 PDF with WeasyPrint. The Chinese
glyphs come from the system's "WenQuanYi Micro Hei" font (Debian's
``fonts-wqy-microhei``), subset and embedded. Nothing is fetched while rendering:
the QR code is inline SVG, the fonts are local, and the URL fetcher refuses every
URL that is not a ``data:`` URL.
"""

from __future__ import annotations

import gc
import logging
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import qrcode
import qrcode.constants
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import npgettext, pgettext, pgettext_lazy
from qrcode.image.svg import SvgPathImage
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from .certificate_data import (
    CERTIFICATE_LANGUAGES,
    CertificateData,
    CertificateItem,
    CertificateSection,
    CertificateSignature,
    in_languages,
)

__all__ = [
    "CertificateData",
    "CertificateItem",
    "CertificateSection",
    "CertificateSignature",
    "OfflineURLFetcher",
    "RefusedURLError",
    "render_certificate_html",
    "render_certificate_pdf",
    "render_html_to_pdf",
    "verification_qr_svg",
]

logger = logging.getLogger(__name__)

TEMPLATE_NAME = "reports/certificate.html"

#: How many hex characters of a content hash the item tables show.
SHORT_HASH_LENGTH = 12

# Every certificate string has the message context "certificate", so another
# app's translation of a common word ("Items", "State") never overrides it.
LABELS = {
    "title": pgettext_lazy("certificate", "Handover completion certificate"),
    "handover_number": pgettext_lazy("certificate", "Handover number"),
    "items": pgettext_lazy("certificate", "Items"),
    "employee": pgettext_lazy("certificate", "Departing employee"),
    "employee_number": pgettext_lazy("certificate", "Employee number"),
    "department": pgettext_lazy("certificate", "Department"),
    "position": pgettext_lazy("certificate", "Position"),
    "template": pgettext_lazy("certificate", "Handover template"),
    "resignation_date": pgettext_lazy("certificate", "Resignation date"),
    "last_working_day": pgettext_lazy("certificate", "Last working day"),
    "not_recorded": pgettext_lazy("certificate", "Not recorded"),
    "started": pgettext_lazy("certificate", "Started"),
    "completed": pgettext_lazy("certificate", "Completed"),
    "issued": pgettext_lazy("certificate", "Issued"),
    "time_zone": pgettext_lazy("certificate", "Time zone"),
    "number": pgettext_lazy("certificate", "No."),
    "item": pgettext_lazy("certificate", "Item"),
    "kind": pgettext_lazy("certificate", "Kind"),
    "state": pgettext_lazy("certificate", "State"),
    "content": pgettext_lazy("certificate", "Final content"),
    "successor": pgettext_lazy("certificate", "Successor"),
    "signatures": pgettext_lazy("certificate", "Signatures"),
    "no_signatures": pgettext_lazy("certificate", "No signatures"),
    "empty_section": pgettext_lazy("certificate", "No items in this section."),
    "signed_by": pgettext_lazy("certificate", "Signed by"),
    "decision": pgettext_lazy("certificate", "Decision"),
    "signed_at": pgettext_lazy("certificate", "Signed at"),
    "content_hash": pgettext_lazy("certificate", "Content hash (SHA-256)"),
    "remarks": pgettext_lazy("certificate", "Remarks"),
    "verification": pgettext_lazy("certificate", "Verification"),
    "verification_code": pgettext_lazy("certificate", "Verification code"),
    "verification_url": pgettext_lazy("certificate", "Verification address"),
    "chain_root": pgettext_lazy(
        "certificate", "Root hash of the audit trail (SHA-256)"
    ),
    "declaration": pgettext_lazy(
        "certificate", "Final declaration of the departing employee"
    ),
    "approval": pgettext_lazy("certificate", "Approval by the manager"),
    "verify_help": pgettext_lazy(
        "certificate",
        "Scan the QR code or open the address below to check that this "
        "certificate is authentic and unchanged. The root hash seals the "
        "handover's audit trail.",
    ),
}
CERTIFICATE_TITLE = LABELS["title"]
VERIFICATION_CODE = LABELS["verification_code"]
ROOT_HASH = pgettext_lazy("certificate", "Root hash")
# Translators: the page number in the footer; keep {page} and {pages}.
PAGE_NUMBER = pgettext_lazy("certificate", "Page {page} / {pages}")
DECLARATION_TITLE = LABELS["declaration"]
APPROVAL_TITLE = LABELS["approval"]

_HTML_LANG = {"en": "en", "zh-hans": "zh-Hans"}


class RefusedURLError(ValueError):
    """The certificate renderer was asked to load a URL it does not load."""


class OfflineURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that loads ``data:`` URLs and nothing else.

    Every refused URL is remembered in :attr:`refused`; WeasyPrint logs a warning
    and renders the document without that resource.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("allowed_protocols", ("data",))
        kwargs.setdefault("allow_redirects", False)
        super().__init__(**kwargs)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if not str(url).lower().startswith("data:"):
            self.refused.append(url)
            raise RefusedURLError(f"The certificate renderer loads no URL: {url}")
        return super().fetch(url, headers)


def render_certificate_pdf(certificate: CertificateData) -> bytes:
    """The completion certificate as PDF bytes, in ``certificate.language`` (and
    ``certificate.second_language`` beside it, when set)."""
    return render_html_to_pdf(render_certificate_html(certificate))


def render_certificate_html(certificate: CertificateData) -> str:
    """The certificate's HTML (what the PDF is made from), for previews and tests."""
    for language in certificate.languages:
        if language not in CERTIFICATE_LANGUAGES:
            raise ValueError(
                f"Unsupported certificate language {language!r}; "
                f"expected one of {', '.join(CERTIFICATE_LANGUAGES)}."
            )
    zone = ZoneInfo(certificate.time_zone)
    with translation.override(certificate.language):
        return render_to_string(TEMPLATE_NAME, _context(certificate, zone))


def render_html_to_pdf(html: str, *, url_fetcher: URLFetcher | None = None) -> bytes:
    """Any HTML as PDF, with a fetcher that refuses the network by default."""
    fetcher = url_fetcher if url_fetcher is not None else OfflineURLFetcher()
    pdf = HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
    # A laid-out document is a graph of reference cycles (boxes, styles, fonts:
    # about 100 MB for 300 items): collect it now, not while the worker's next
    # certificate is half laid out on top of it.
    gc.collect()
    refused = getattr(fetcher, "refused", None)
    if refused:
        logger.warning("Certificate rendered without %d refused URL(s)", len(refused))
    return pdf


def verification_qr_svg(url: str) -> SafeString:
    """An inline ``<svg>`` QR code for ``url`` (one path, no raster image)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=0,
        image_factory=SvgPathImage,
    )
    code.add_data(url)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    # The markup is built by qrcode from the module matrix: no text of ``url``
    # appears in it, so it is safe to embed as is.
    return mark_safe(svg)  # noqa: S308


# -- formatting ------------------------------------------------------------------


def format_datetime(value: datetime, zone: ZoneInfo) -> str:
    """The time in ``zone``, in the active language's format, with the offset:
    ``2026年3月12日 17:45 UTC+08:00`` / ``March 12, 2026, 5:45 p.m. UTC+08:00``."""
    local = timezone.localtime(value, zone)
    offset = local.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:5]}" if offset else "UTC"
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {offset}"


def format_date(value: date | None) -> str:
    """A day in the active language's format: ``2026年12月31日``."""
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def label_html(texts: list[str]) -> SafeString:
    """A label in each of the certificate's languages: the first as is, the
    others smaller beside it."""
    if not texts:
        return mark_safe("")
    rest = format_html_join(
        "", ' <span class="alt">{}</span>', ((t,) for t in texts[1:])
    )
    return format_html("{}{}", texts[0], rest)


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string, safe inside an HTML ``<style>`` element."""
    escaped = []
    for char in str(text):
        if char in '\\"<>&' or ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\{ord(char):x} ")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def page_counter_css(pattern: str) -> str:
    """CSS ``content`` for a translated "Page {page} / {pages}" pattern."""
    parts = []
    for piece in re.split(r"(\{page\}|\{pages\})", str(pattern)):
        if piece == "{page}":
            parts.append("counter(page)")
        elif piece == "{pages}":
            parts.append("counter(pages)")
        elif piece:
            parts.append(css_string(piece))
    return " ".join(parts) or "counter(page)"


# -- template context ------------------------------------------------------------


def _signature(signature: CertificateSignature | None, zone: ZoneInfo):
    if signature is None:
        return None
    return {
        "signer_name": signature.signer_name,
        "role_label": signature.role_label,
        "decision_label": signature.decision_label,
        "signed_at": format_datetime(signature.signed_at, zone),
        "content_hash": signature.content_hash,
        "hash_short": signature.content_hash[:SHORT_HASH_LENGTH],
        "remarks": signature.remarks,
    }


def _item(item: CertificateItem, number: int, zone: ZoneInfo):
    return {
        "number": number,
        "label": item.label,
        "kind_label": item.kind_label,
        "state_label": item.state_label,
        "summary": item.summary.strip(),
        "successor_name": item.successor_name,
        "signatures": [_signature(sig, zone) for sig in item.signatures],
        "unsigned_note": item.unsigned_note,
    }


def _sections(sections: list[CertificateSection], zone: ZoneInfo):
    number = 0
    rendered = []
    for section in sections:
        items = []
        for item in section.items:
            number += 1
            items.append(_item(item, number, zone))
        rendered.append({"title": section.title, "items": items})
    return rendered


def _lede(certificate: CertificateData) -> str:
    values = {
        "number": certificate.handover_number,
        "name": certificate.employee_name,
        "counter": certificate.unsigned_count,
    }
    if certificate.unsigned_count:
        return (
            npgettext(
                "certificate",
                "This certifies that handover %(number)s of %(name)s has been "
                "completed as recorded below. %(counter)s item was resolved in its "
                "source system and nobody signed for it: it is marked “not signed”.",
                "This certifies that handover %(number)s of %(name)s has been "
                "completed as recorded below. %(counter)s items were resolved in "
                "their source systems and nobody signed for them: they are marked "
                "“not signed”.",
                certificate.unsigned_count,
            )
            % values
        )
    return (
        pgettext(
            "certificate",
            "This certifies that handover %(number)s of %(name)s has been "
            "completed, with every item handed over and signed as recorded below.",
        )
        % values
    )


def _section_count(count: int) -> str:
    return npgettext(
        "certificate", "(%(counter)s item)", "(%(counter)s items)", count
    ) % {"counter": count}


def _revision(revision_id: int) -> str:
    return pgettext("certificate", "revision %(revision)s") % {"revision": revision_id}


def _context(certificate: CertificateData, zone: ZoneInfo) -> dict:
    languages = certificate.languages

    def both(make) -> list[str]:
        return in_languages(languages, make)

    labels = {
        key: label_html(both(lambda label=label: label))
        for key, label in LABELS.items()
    }
    title = " / ".join(both(lambda: CERTIFICATE_TITLE))
    footer = (
        f"{VERIFICATION_CODE} {certificate.verification_code}  ·  "
        f"{ROOT_HASH} {certificate.root_hash}"
    )
    offset = format_datetime(certificate.issued_at, zone).rsplit(" ", 1)[-1]
    sections = _sections(certificate.sections, zone)
    for section in sections:
        count = len(section["items"])
        section["count"] = " ".join(both(lambda count=count: _section_count(count)))
    return {
        "c": certificate,
        "L": labels,
        "title": title,
        "html_lang": _HTML_LANG[certificate.language],
        "alt_lang": _HTML_LANG.get(certificate.second_language, ""),
        "lede": both(lambda: _lede(certificate)),
        "verify_help": both(lambda: LABELS["verify_help"]),
        "revision": " ".join(both(lambda: _revision(certificate.template_revision_id))),
        "item_count": certificate.item_count,
        "unsigned_count": certificate.unsigned_count,
        "resignation_date": format_date(certificate.resignation_date),
        "last_working_day": format_date(certificate.last_working_day),
        "started_at": format_datetime(certificate.started_at, zone),
        "completed_at": format_datetime(certificate.completed_at, zone),
        "issued_at": format_datetime(certificate.issued_at, zone),
        "issued_iso": timezone.localtime(certificate.issued_at, zone).isoformat(),
        "time_zone": f"{certificate.time_zone} ({offset})",
        "sections": sections,
        "signoffs": [
            {
                "title": labels["declaration"],
                "signature": _signature(certificate.declaration, zone),
            },
            {
                "title": labels["approval"],
                "signature": _signature(certificate.approval, zone),
            },
        ],
        "qr_svg": verification_qr_svg(certificate.verification_url),
        # Already escaped for CSS (see css_string), so marked safe for the
        # template: HTML escaping would corrupt them inside <style>.
        "css_header_left": mark_safe(  # noqa: S308
            css_string(f"{title} · {certificate.handover_number}")
        ),
        "css_header_right": mark_safe(  # noqa: S308
            css_string(certificate.employee_name)
        ),
        "css_footer_left": mark_safe(css_string(footer)),  # noqa: S308
        "css_page_number": mark_safe(page_counter_css(PAGE_NUMBER)),  # noqa: S308
    }
