"""The domain item kinds: what a departing employee hands over.

Every domain field is an optional prefilled value: HR may fill it in the
template, the departing employee completes it in the handover.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import previews
from .common import ROLE_CHOICES, ItemBlock
from .spec import (
    URL,
    Choice,
    Date,
    Decimal,
    Email,
    Group,
    Integer,
    ListOf,
    LongText,
    Text,
)

__all__ = [
    "ACCOUNT_ACTION_CHOICES",
    "APPROVAL_DIRECTION_CHOICES",
    "APPROVAL_STATUS_CHOICES",
    "ASSET_TYPE_CHOICES",
    "CURRENCY_CHOICES",
    "DOCUMENT_MEDIUM_CHOICES",
    "DOMAIN_BLOCK_CLASSES",
    "EXPENSE_STATUS_CHOICES",
    "PROJECT_STAGE_CHOICES",
    "TASK_STATUS_CHOICES",
    "AccountBlock",
    "ApprovalBlock",
    "AssetBlock",
    "ClientBlock",
    "DocumentBlock",
    "ExpenseBlock",
    "KnowledgeBlock",
    "ProjectBlock",
    "TaskBlock",
]

TASK_STATUS_CHOICES = (
    ("not_started", _("Not started")),
    ("in_progress", _("In progress")),
    ("blocked", _("Blocked")),
    ("done", _("Done")),
)
PROJECT_STAGE_CHOICES = (
    ("planning", _("Planning")),
    ("in_progress", _("In progress")),
    ("acceptance", _("Acceptance")),
    ("maintenance", _("Maintenance")),
    ("closed", _("Closed")),
)
ACCOUNT_ACTION_CHOICES = (
    ("revoke", _("Revoke")),
    ("transfer", _("Transfer to the successor")),
    ("keep", _("Keep")),
)
ASSET_TYPE_CHOICES = (
    ("laptop", _("Laptop")),
    ("phone", pgettext_lazy("device", "Phone")),
    ("badge", _("Badge")),
    ("key", pgettext_lazy("physical key", "Key")),
    ("monitor", _("Monitor")),
    ("other", _("Other")),
)
DOCUMENT_MEDIUM_CHOICES = (
    ("electronic", _("Electronic")),
    ("paper", _("Paper")),
)
APPROVAL_DIRECTION_CHOICES = (
    ("raised_by_me", _("Raised by me")),
    ("awaiting_my_action", _("Awaiting my action")),
)
APPROVAL_STATUS_CHOICES = (
    ("pending", _("Pending")),
    ("approved", _("Approved")),
    ("rejected", _("Rejected")),
    ("withdrawn", _("Withdrawn")),
)
EXPENSE_STATUS_CHOICES = (
    ("not_submitted", _("Not submitted")),
    ("submitted", _("Submitted")),
    ("approved", _("Approved")),
    ("paid", _("Paid")),
)
CURRENCY_CHOICES = (
    ("CNY", _("Chinese yuan (CNY)")),
    ("USD", _("US dollar (USD)")),
    ("EUR", _("Euro (EUR)")),
    ("HKD", _("Hong Kong dollar (HKD)")),
    ("JPY", _("Japanese yen (JPY)")),
    ("GBP", _("Pound sterling (GBP)")),
)


def _progress():
    return Integer("progress_percent", _("Progress (%)"), min_value=0, max_value=100)


def _location(name="location", label=None):
    return Text(
        name,
        label or _("Location or link"),
        help_text=_("A path, a URL, or a place such as “cabinet 3, drawer 2”."),
    )


def _contact(name="", label=None, *, with_title=False, name_required=True):
    return Group(
        name,
        label or _("Contact"),
        fields=(
            Text("name", _("Name"), required=name_required),
            Text(
                "title" if with_title else "role",
                pgettext_lazy("job title", "Title") if with_title else _("Role"),
            ),
            Text("phone", _("Phone"), max_length=50),
            Email("email", _("Email")),
        ),
    )


class TaskBlock(ItemBlock):
    """A piece of unfinished work and how far it got."""

    domain_fields = (
        LongText("description", _("Description")),
        Choice(
            "status", _("Status"), choices=TASK_STATUS_CHOICES, default="not_started"
        ),
        _progress(),
        LongText("next_step", _("Next step")),
        _location(),
    )

    class Meta:
        icon = "tasks"
        label = _("Task")
        description = _("Unfinished work: what it is, how far it got, what comes next.")
        preview_value = staticmethod(previews.task)


class ProjectBlock(ItemBlock):
    """A project: its stage, progress, people and documents."""

    domain_fields = (
        Text("project_name", _("Project name")),
        Text("customer", _("Customer")),
        Choice("stage", _("Stage"), choices=PROJECT_STAGE_CHOICES),
        _progress(),
        LongText("next_step", _("Next step")),
        ListOf("contacts", _("Contacts"), item=_contact()),
        ListOf(
            "documents",
            _("Documents"),
            item=Group(
                label=_("Document"),
                fields=(
                    Text("title", _("Title"), required=True),
                    _location(),
                ),
            ),
        ),
    )

    class Meta:
        icon = "folder-open-inverse"
        label = _("Project")
        description = _("A project: stage, progress, next step, contacts, documents.")
        preview_value = staticmethod(previews.project)


class ClientBlock(ItemBlock):
    """A customer relationship, with open deals and promises made."""

    domain_fields = (
        Text("customer", _("Customer")),
        _contact(
            "contact_person",
            _("Contact person"),
            with_title=True,
            name_required=False,
        ),
        LongText("relationship_notes", _("Relationship notes")),
        ListOf(
            "open_deals",
            _("Open deals"),
            item=Group(
                label=_("Deal"),
                fields=(
                    Text("title", _("Title"), required=True),
                    Decimal("amount", _("Amount")),
                    Choice(
                        "currency",
                        _("Currency"),
                        choices=CURRENCY_CHOICES,
                        default="CNY",
                    ),
                    Text("stage", _("Stage")),
                    Text("next_step", _("Next step")),
                ),
            ),
        ),
        ListOf(
            "commitments",
            _("Commitments"),
            # xgettext:no-python-format
            help_text=_("What was promised, e.g. “5% discount on the renewal”."),
            item=Text(label=_("Commitment"), required=True),
        ),
        Text("last_quote", _("Last quote")),
    )

    class Meta:
        icon = "group"
        label = _("Client")
        description = _("A customer: contact person, open deals, promises made.")
        preview_value = staticmethod(previews.client)


class AccountBlock(ItemBlock):
    """A system account or permission to revoke, transfer or keep."""

    domain_fields = (
        Text("system", _("System")),
        Text("account_id", _("Account")),
        Text("role_permission", _("Role or permission")),
        Choice("action", _("Action"), choices=ACCOUNT_ACTION_CHOICES, default="revoke"),
        LongText("keep_reason", _("Reason to keep")),
    )

    def clean(self, value):
        value = super().clean(value)
        if (
            value.get("action") == "keep"
            and not (value.get("keep_reason") or "").strip()
            and not self.is_deferred_validation
        ):
            raise self.child_error(
                "keep_reason",
                _("Explain why this account is kept after the employee leaves."),
            )
        return value

    class Meta:
        icon = "key"
        label = _("Account or permission")
        description = _("A system account or permission: revoke, transfer or keep.")
        preview_value = staticmethod(previews.account)


class AssetBlock(ItemBlock):
    """A company asset to give back."""

    domain_fields = (
        Choice("asset_type", _("Asset type"), choices=ASSET_TYPE_CHOICES),
        Text("asset_tag", _("Asset tag")),
        Text("description", _("Description")),
        Text("location", _("Location")),
        Choice("return_to_role", _("Return to"), choices=ROLE_CHOICES, default="it"),
    )

    class Meta:
        icon = "desktop"
        label = _("Asset")
        description = _("Equipment to give back: laptop, phone, badge, keys.")
        preview_value = staticmethod(previews.asset)


class DocumentBlock(ItemBlock):
    """A document, electronic or on paper, and where to find it."""

    domain_fields = (
        Text("title", _("Title")),
        Choice(
            "medium",
            _("Medium"),
            choices=DOCUMENT_MEDIUM_CHOICES,
            default="electronic",
        ),
        _location(),
        Text("custodian", _("Custodian")),
        LongText("notes", _("Notes")),
    )

    class Meta:
        icon = "doc-full"
        label = _("Document")
        description = _("A file or paper document and exactly where it is kept.")
        preview_value = staticmethod(previews.document)


class ApprovalBlock(ItemBlock):
    """A pending approval the employee raised or must act on."""

    domain_fields = (
        Text("system", _("System")),
        Text("reference", _("Reference")),
        Text("title", _("Title")),
        Choice("direction", _("Direction"), choices=APPROVAL_DIRECTION_CHOICES),
        Decimal("amount", _("Amount")),
        Choice(
            "status", _("Status"), choices=APPROVAL_STATUS_CHOICES, default="pending"
        ),
    )

    class Meta:
        icon = "resubmit"
        label = _("Approval")
        description = _("A pending approval, raised by the employee or awaiting them.")
        preview_value = staticmethod(previews.approval)


class ExpenseBlock(ItemBlock):
    """An expense not yet reimbursed."""

    domain_fields = (
        Text("description", _("Description")),
        Decimal("amount", _("Amount")),
        Choice("currency", _("Currency"), choices=CURRENCY_CHOICES, default="CNY"),
        Date("incurred_on", _("Incurred on")),
        Choice(
            "status",
            _("Status"),
            choices=EXPENSE_STATUS_CHOICES,
            default="not_submitted",
        ),
        Text("reference", _("Reference")),
    )

    class Meta:
        icon = "list-ul"
        label = _("Expense")
        description = _("An expense that is not reimbursed yet.")
        preview_value = staticmethod(previews.expense)


class KnowledgeBlock(ItemBlock):
    """Know-how that lives in someone's head: scripts, how-tos, contacts."""

    domain_fields = (
        Text("topic", _("Topic")),
        LongText("content", _("Content")),
        ListOf("links", _("Links"), item=URL(label=_("Link"), required=True)),
    )

    class Meta:
        icon = "help"
        label = _("Knowledge")
        description = _("Know-how: sales scripts, how-tos, who to ask in R&D.")
        preview_value = staticmethod(previews.knowledge)


DOMAIN_BLOCK_CLASSES = {
    "task": TaskBlock,
    "project": ProjectBlock,
    "client": ClientBlock,
    "account": AccountBlock,
    "asset": AssetBlock,
    "document": DocumentBlock,
    "approval": ApprovalBlock,
    "expense": ExpenseBlock,
    "knowledge": KnowledgeBlock,
}
