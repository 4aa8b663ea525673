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
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext_lazy
from qrcode.image.svg import SvgPathImage
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from .certificate_data import (
    CERTIFICATE_LANGUAGES,
    CertificateData,
    CertificateItem,
    CertificateSection,
    CertificateSignature,
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
CERTIFICATE_TITLE = pgettext_lazy("certificate", "Handover completion certificate")
VERIFICATION_CODE = pgettext_lazy("certificate", "Verification code")
ROOT_HASH = pgettext_lazy("certificate", "Root hash")
# Translators: the page number in the footer; keep {page} and {pages}.
PAGE_NUMBER = pgettext_lazy("certificate", "Page {page} / {pages}")
DECLARATION_TITLE = pgettext_lazy(
    "certificate", "Final declaration of the departing employee"
)
APPROVAL_TITLE = pgettext_lazy("certificate", "Approval by the manager")

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
    """The completion certificate as PDF bytes, in ``certificate.language``."""
    return render_html_to_pdf(render_certificate_html(certificate))


def render_certificate_html(certificate: CertificateData) -> str:
    """The certificate's HTML (what the PDF is made from), for previews and tests."""
    if certificate.language not in CERTIFICATE_LANGUAGES:
        raise ValueError(
            f"Unsupported certificate language {certificate.language!r}; "
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
    """``2026-03-12 17:45 UTC+08:00``: the time in ``zone``, with its offset."""
    local = timezone.localtime(value, zone)
    offset = local.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:5]}" if offset else "UTC"
    return f"{local:%Y-%m-%d %H:%M} {offset}"


def format_date(value: date | None) -> str:
    return value.isoformat() if value else ""


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


def _context(certificate: CertificateData, zone: ZoneInfo) -> dict:
    title = str(CERTIFICATE_TITLE)
    footer = (
        f"{VERIFICATION_CODE} {certificate.verification_code}  ·  "
        f"{ROOT_HASH} {certificate.root_hash}"
    )
    offset = format_datetime(certificate.issued_at, zone).rsplit(" ", 1)[-1]
    return {
        "c": certificate,
        "html_lang": _HTML_LANG[certificate.language],
        "item_count": certificate.item_count,
        "unsigned_count": certificate.unsigned_count,
        "resignation_date": format_date(certificate.resignation_date),
        "last_working_day": format_date(certificate.last_working_day),
        "started_at": format_datetime(certificate.started_at, zone),
        "completed_at": format_datetime(certificate.completed_at, zone),
        "issued_at": format_datetime(certificate.issued_at, zone),
        "issued_iso": timezone.localtime(certificate.issued_at, zone).isoformat(),
        "time_zone": f"{certificate.time_zone} ({offset})",
        "sections": _sections(certificate.sections, zone),
        "signoffs": [
            {
                "title": DECLARATION_TITLE,
                "signature": _signature(certificate.declaration, zone),
            },
            {
                "title": APPROVAL_TITLE,
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
