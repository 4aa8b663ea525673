"""Realistic example values shown in the Wagtail block chooser preview.

They are callables so that their text is translated when the preview renders.
"""

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

__all__ = [
    "account",
    "approval",
    "asset",
    "client",
    "connector_list",
    "document",
    "expense",
    "field",
    "knowledge",
    "project",
    "section",
    "task",
]


def _common(label, help_text="", **settings):
    return {
        "label": label,
        "help_text": help_text,
        "required": True,
        "filled_by": "leaver",
        "confirmed_by": "successor",
        "evidence": "none",
        "due_offset_days": 0,
        "condition": {"field_key": "", "operator": "", "value": ""},
        **settings,
    }


def task():
    return {
        **_common(_("Hand over the quarterly report"), due_offset_days=-3),
        "description": _("Q3 sales report for the regional director."),
        "status": "in_progress",
        "progress_percent": 60,
        "next_step": _("Add the September figures from the CRM export."),
        "location": "\\\\fileserver\\sales\\reports\\2024-Q3.xlsx",
    }


def project():
    return {
        **_common(_("Project A"), evidence="optional", due_offset_days=-5),
        "project_name": _("Project A"),
        "customer": _("Company B"),
        "stage": "acceptance",
        "progress_percent": 90,
        "next_step": _("Submit the acceptance report."),
        "contacts": [
            {
                "name": _("Manager C"),
                "role": _("Customer project manager"),
                "phone": "+86 138 0000 0000",
                "email": "c@example.com",
            }
        ],
        "documents": [
            {
                "title": _("Project plan"),
                "location": "https://wiki.example.com/projects/a/plan",
            }
        ],
    }


def client():
    return {
        **_common(_("Company B"), confirmed_by="manager"),
        "customer": _("Company B"),
        "contact_person": {
            "name": _("Manager C"),
            "title": _("Purchasing manager"),
            "phone": "+86 138 0000 0000",
            "email": "c@example.com",
        },
        "relationship_notes": _("Prefers calls in the morning; renews every March."),
        "open_deals": [
            {
                "title": _("2025 renewal"),
                "amount": Decimal("120000.00"),
                "currency": "CNY",
                "stage": _("Quoted"),
                "next_step": _("Follow up on the quote next week."),
            }
        ],
        # xgettext:no-python-format
        "commitments": [_("Promised a 5% discount on the renewal.")],
        "last_quote": _("Q-2024-117, 2024-11-02"),
    }


def account():
    return {
        **_common(
            _("Enterprise WeChat customer group admin"),
            filled_by="it",
            confirmed_by="manager",
            due_offset_days=0,
        ),
        "system": _("Enterprise WeChat"),
        "account_id": "zhang.wei",
        "role_permission": _("Customer group administrator"),
        "action": "transfer",
        "keep_reason": "",
    }


def asset():
    return {
        **_common(
            _("Return your laptop"),
            confirmed_by="it",
            evidence="optional",
            condition={"field_key": "has_laptop", "operator": "is_yes", "value": ""},
        ),
        "asset_type": "laptop",
        "asset_tag": "IT-2023-0457",
        "description": "ThinkPad X1 Carbon",
        "location": _("On the desk"),
        "return_to_role": "it",
    }


def document():
    return {
        **_common(_("Signed customer contracts"), evidence="required"),
        "title": _("Signed contracts 2024"),
        "medium": "paper",
        "location": _("Manager's office, cabinet 3, drawer 2"),
        "custodian": _("Manager"),
        "notes": _("Originals; scans are on the shared drive."),
    }


def approval():
    return {
        **_common(_("Pending purchase request"), due_offset_days=-2),
        "system": _("OA"),
        "reference": "PR-2024-0311",
        "title": _("Demo equipment for Company B"),
        "direction": "raised_by_me",
        "amount": Decimal("8600.00"),
        "status": "pending",
    }


def expense():
    return {
        **_common(_("Travel to Shanghai"), evidence="required", due_offset_days=-7),
        "description": _("Train tickets and hotel, customer visit"),
        "amount": Decimal("1000.00"),
        "currency": "CNY",
        "incurred_on": datetime.date(2024, 10, 15),
        "status": "not_submitted",
        "reference": "",
    }


def knowledge():
    return {
        **_common(_("Sales scripts")),
        "topic": _("How we pitch the renewal"),
        "content": _("Open with last year's results; offer the training package."),
        "links": ["https://crm.example.com/scripts/renewal"],
    }


def field():
    return {
        **_common(_("Do you have a company laptop?")),
        "key": "has_laptop",
        "field_type": "yes_no",
        "choices": [],
        "placeholder": "",
        "min_value": None,
        "max_value": None,
    }


def connector_list():
    return {
        **_common(_("CRM clients"), confirmed_by="manager"),
        "connector": "crm",
        "record_kind": "client",
        "filter": [
            {"field": "owner", "operator": "equals", "value": "{employee.email}"}
        ],
        "field_mapping": [
            {"source": "name", "target": "customer"},
            {"source": "notes", "target": "relationship_notes"},
        ],
    }


def section():
    return {
        "title": _("Equipment"),
        "description": _("Everything the company lent you."),
        "items": [("field", field()), ("asset", asset())],
    }
