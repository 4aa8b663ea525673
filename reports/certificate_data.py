"""Plain data for a handover completion certificate.

The renderer (:mod:`reports.certificates`) knows nothing of the handover models:
whoever issues a certificate builds these frozen dataclasses from them, with every
label already translated into the certificate's language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import translation

#: The languages a certificate can be issued in (Django language codes).
CERTIFICATE_LANGUAGES = ("en", "zh-hans")


def in_languages(languages: Iterable[str], make: Callable[[], object]) -> list[str]:
    """``make()`` as text in each language, once each: a bilingual certificate
    prints a label once where both languages say the same ("CRM", a number)."""
    texts: list[str] = []
    for language in languages:
        with translation.override(language):
            text = str(make())
        if text and text not in texts:
            texts.append(text)
    return texts


def in_both(languages: Iterable[str], make: Callable[[], object]) -> str:
    """``make()`` in each language, joined: "已接收 / Accepted"."""
    return " / ".join(in_languages(languages, make))


@dataclass(frozen=True)
class CertificateSignature:
    """One signature: a successor accepting an item, the leaver's declaration or
    the manager's approval."""

    signer_name: str
    role_label: str
    decision_label: str
    signed_at: datetime
    content_hash: str
    remarks: str = ""


@dataclass(frozen=True)
class CertificateItem:
    """One handed-over item with its final content summary."""

    label: str
    kind_label: str
    state_label: str
    summary: str = ""
    successor_name: str = ""
    signatures: list[CertificateSignature] = field(default_factory=list)
    #: Set when a connector resolved the item upstream and nobody signed for
    #: it: "Resolved in <system> on <date>, not signed", already translated.
    unsigned_note: str = ""


@dataclass(frozen=True)
class CertificateSection:
    title: str
    items: list[CertificateItem] = field(default_factory=list)


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on a completion certificate."""

    language: str
    handover_number: str
    employee_name: str
    employee_number: str
    department: str
    position: str
    template_title: str
    template_revision_id: int
    resignation_date: date | None
    last_working_day: date
    started_at: datetime
    completed_at: datetime
    sections: list[CertificateSection]
    declaration: CertificateSignature | None
    approval: CertificateSignature | None
    root_hash: str
    verification_code: str
    verification_url: str
    issued_at: datetime
    time_zone: str = "Asia/Shanghai"
    #: Printed beside ``language`` on a bilingual certificate; "" for one language.
    second_language: str = ""

    @property
    def languages(self) -> tuple[str, ...]:
        if self.second_language and self.second_language != self.language:
            return (self.language, self.second_language)
        return (self.language,)

    @property
    def item_count(self) -> int:
        return sum(len(section.items) for section in self.sections)

    @property
    def unsigned_count(self) -> int:
        """Items nobody signed for (resolved upstream): the certificate must not
        say every item was signed when these exist."""
        return sum(
            1
            for section in self.sections
            for item in section.items
            if item.unsigned_note
        )
