"""The legal floor under the retention policies and the defaults the
migration seeds. Minimums live here, in code, so that no edit in the admin can
go below them; docs/privacy.md explains each.

Kept modest on purpose: a minimum is listed only where a statute sets one.
Everything else is the company's choice under PIPL Art. 19 (keep no longer
than the purpose needs)."""

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

__all__ = [
    "CLASS_VALUES",
    "DEFAULTS",
    "MINIMUMS",
    "LegalMinimum",
    "data_class_label",
    "legal_basis_text",
    "minimum_problem",
]

EMPLOYMENT_ENDED = "employment_ended"
HANDOVER_COMPLETED = "handover_completed"

# The values of cms.services.erasure.DataClass, in the order people read them.
CLASS_VALUES = (
    "handover_content",
    "attachments",
    "comments",
    "connector_snapshots",
    "signature_metadata",
    "audit_events",
    "certificates",
    "notification_logs",
)

LABOUR_CONTRACT_LAW_50 = _(
    "Labour Contract Law of the PRC, Art. 50: the employer keeps the records of "
    "a terminated labour contract for at least two years; the handover the "
    "employee owes under the same article is part of that record."
)
CYBERSECURITY_LAW_21 = _(
    "Cybersecurity Law of the PRC, Art. 21(3): network logs are kept for at "
    "least six months."
)


@dataclass(frozen=True)
class LegalMinimum:
    months: int
    counted_from: str
    law: object  # a lazy translated text


MINIMUMS: dict[str, LegalMinimum] = {
    "handover_content": LegalMinimum(24, EMPLOYMENT_ENDED, LABOUR_CONTRACT_LAW_50),
    "attachments": LegalMinimum(24, EMPLOYMENT_ENDED, LABOUR_CONTRACT_LAW_50),
    "certificates": LegalMinimum(24, EMPLOYMENT_ENDED, LABOUR_CONTRACT_LAW_50),
    "audit_events": LegalMinimum(6, HANDOVER_COMPLETED, CYBERSECURITY_LAW_21),
}

# (months, counted from, action, legal basis) — seeded by migration 0015 in
# English; HR edits the text afterwards.
DEFAULTS: dict[str, tuple[int, str, str, object]] = {
    "handover_content": (
        36,
        EMPLOYMENT_ENDED,
        "purge",
        _(
            "Labour Contract Law Art. 50 (at least 2 years after the contract ends); "
            "one more year for a labour dispute raised late."
        ),
    ),
    "attachments": (
        36,
        EMPLOYMENT_ENDED,
        "purge",
        _("Labour Contract Law Art. 50, as the handover content."),
    ),
    "comments": (
        12,
        HANDOVER_COMPLETED,
        "purge",
        _("PIPL Art. 19 and 47: no longer needed once the handover is completed."),
    ),
    "connector_snapshots": (
        6,
        HANDOVER_COMPLETED,
        "purge",
        _(
            "PIPL Art. 19: copies of client and deal records; the source system "
            "keeps the originals."
        ),
    ),
    "signature_metadata": (
        36,
        EMPLOYMENT_ENDED,
        "anonymise",
        _(
            "Evidence of who signed from where, kept as long as the handover record "
            "(Labour Contract Law Art. 50); the signatures stay verifiable."
        ),
    ),
    "audit_events": (
        36,
        EMPLOYMENT_ENDED,
        "anonymise",
        _(
            "Cybersecurity Law Art. 21 (logs at least 6 months); kept as long as the "
            "handover record, then names and addresses replaced by pseudonyms."
        ),
    ),
    "certificates": (
        36,
        EMPLOYMENT_ENDED,
        "anonymise",
        _(
            "Labour Contract Law Art. 50; the certificate stays verifiable with "
            "signers shown as pseudonyms."
        ),
    ),
    "notification_logs": (
        6,
        HANDOVER_COMPLETED,
        "purge",
        _("PIPL Art. 19: only needed to answer questions about a missed message."),
    ),
}


def legal_basis_text(policy) -> str:
    """The policy's legal basis in the reader's language while it is still
    the seeded default; HR's own text as written."""
    default = DEFAULTS.get(policy.data_class)
    if default is not None:
        with translation.override("en"):
            english = str(default[3])
        if policy.legal_basis == english:
            return str(default[3])
    return policy.legal_basis


def data_class_label(value: str):
    """The class's translated label (from the erasure package when present)."""
    try:
        from cms.services.erasure.classes import DataClass
    except ImportError:
        return value.replace("_", " ")
    try:
        return DataClass(value).label
    except ValueError:
        return value


def minimum_problem(data_class: str, period_months: int | None):
    """The translated refusal when the period is shorter than the law allows,
    naming the law; None when it is long enough."""
    minimum = MINIMUMS.get(data_class)
    if minimum is None or period_months is None or period_months >= minimum.months:
        return None
    return gettext("%(class)s must be kept at least %(months)d months: %(law)s") % {
        "class": data_class_label(data_class),
        "months": minimum.months,
        "law": minimum.law,
    }
