"""What a connector type is: the contract every external system implements.

A type declares its capabilities, the settings and secrets it needs, the record
kinds it can discover, and how a record's fields map onto item properties by
default. The sync engine (``connectors.sync``) does everything else: upserting
items, provenance, retries, status and the sync log. A type never touches the
database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from cms.services.employees.values import DirectoryValues

__all__ = [
    "DIRECTORY_SYNC",
    "DISCOVER",
    "INTAKE_MODE",
    "INTAKE_MODE_CHOICES",
    "REVOKE",
    "TRANSFER",
    "WEBHOOK",
    "AccessState",
    "ConnectorError",
    "ConnectorType",
    "EmployeeRef",
    "MisconfiguredError",
    "Record",
    "Setting",
    "TransferPending",
    "TransferResult",
]

# Capabilities a type may declare.
DISCOVER = "discover"
# ``REVOKE`` covers the access changes below (suspend, restore, delete, group
# membership); ``TRANSFER`` the reassignment of a record to the successor.
REVOKE = "revoke"
TRANSFER = "transfer"
WEBHOOK = "webhook"


class ConnectorError(Exception):
    """The upstream system failed or could not be reached.

    ``message`` is shown to people (translate it); ``request_id`` is the upstream
    request id when the system returned one; ``retryable`` says whether trying
    again later can help (an outage can, wrong credentials cannot).
    """

    def __init__(self, message, *, request_id: str | None = None, retryable=True):
        super().__init__(str(message))
        self.message = message
        self.request_id = request_id
        self.retryable = retryable


class MisconfiguredError(ConnectorError):
    """Wrong credentials, unknown host, a bad base DN or mapping: retrying cannot
    help until an admin fixes the connector."""

    def __init__(self, message, *, request_id: str | None = None):
        super().__init__(message, request_id=request_id, retryable=False)


class TransferPending(ConnectorError):
    """``verify_transfer`` found the change accepted but not complete yet
    (WeCom gives a customer 24 hours to refuse a new owner): the write-back
    reads back again after ``retry_after`` seconds instead of failing, for as
    long as the system keeps saying so (at most ``PENDING_CHECKS`` times)."""

    def __init__(self, message, *, retry_after: int = 3600, request_id=None):
        super().__init__(message, request_id=request_id, retryable=True)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Setting:
    """One setting (or secret) a type needs, as the admin form shows it."""

    name: str
    label: Any
    help_text: Any = ""
    required: bool = True
    secret: bool = False
    default: Any = None
    # JSON Schema of the value ("string", "integer", "number", "boolean",
    # "array", "object"), or "url" (a string starting with http:// or https://).
    type: str = "string"
    choices: tuple = ()
    # Said when a required value is missing; "Enter <label>." unless given.
    missing: Any = ""
    # Said when a value is not what ``type`` asks (a "url" that is not one);
    # the generic "“<label>” must start with https://…" unless given.
    invalid: Any = ""


# Settings of directory-capable types (``supports_directory``): whether the
# directory sync uses the connector, and what a resignation it reports does.
DIRECTORY_SYNC = Setting(
    "directory_sync",
    _("Keep employees in step with this directory"),
    help_text=_(
        "Create and update employee records from the people listed here (name, "
        "department, position, manager, email, status) every re-sync interval. "
        "What HR typed by hand is kept. Someone who turns leaving or disabled, or "
        "gains a last working day, becomes a resignation event."
    ),
    required=False,
    default=False,
    type="boolean",
)
INTAKE_MODE_CHOICES = (
    ("propose", _("Propose to HR for review")),
    ("start", _("Start the handover at once")),
)
INTAKE_MODE = Setting(
    "intake_mode",
    _("Resignations reported by this connector"),
    help_text=_(
        "Proposed resignations wait in HR's review queue; started ones start "
        "their handover by the start rules."
    ),
    required=False,
    default="propose",
    choices=INTAKE_MODE_CHOICES,
)


@dataclass(frozen=True)
class EmployeeRef:
    """Who the records belong to, as the connector's match setting picks them."""

    email: str = ""
    employee_number: str = ""
    directory_id: str = ""
    username: str = ""
    name: str = ""

    def value(self, match_by: str) -> str:
        return getattr(self, match_by, "") or ""


@dataclass
class Record:
    """One upstream record. ``fields`` holds the upstream data as received (nested
    dicts allowed); mappings read from it by dotted paths."""

    external_id: str
    kind: str
    title: str
    fields: dict = field(default_factory=dict)
    # Set by a type when this one record is unusable; the engine skips and reports it.
    error: str = ""


@dataclass
class AccessState:
    """What a system says about one account right now (read back after every
    access change, and by the residual-access check)."""

    exists: bool
    active: bool
    # External ids (as ``discover`` returns them for record kind "group") of the
    # groups the account is a member of.
    groups: list = field(default_factory=list)


@dataclass
class TransferResult:
    """What the upstream system answered to a write-back: kept in the audit trail."""

    # A short summary of the upstream answer (ids, new owner, status code…);
    # never secrets.
    response: dict = field(default_factory=dict)
    request_id: str | None = None


class ConnectorType:
    """Subclass, set the class attributes, implement ``list_records`` and
    ``test_connection``, and list the class in the ``baton_connector_types``
    hook (``connectors.extensions``)."""

    slug: ClassVar[str]
    label: ClassVar[Any]
    description: ClassVar[Any] = ""
    capabilities: ClassVar[frozenset] = frozenset({DISCOVER})
    # The record kind whose records are the groups an account is a member of,
    # for access handover (capability REVOKE); None when the type's groups are
    # handed over as items instead (WeCom's customer groups).
    access_group_kind: ClassVar[str | None] = "group"
    # record kind -> {item property (dotted) -> record field (dotted)}
    default_mappings: ClassVar[Mapping[str, Mapping[str, str]]] = {}
    settings: ClassVar[tuple[Setting, ...]] = ()
    # Seconds for each upstream call unless the connector's settings say otherwise.
    default_timeout: ClassVar[float] = 10.0
    # True when ``list_people`` is implemented: the directory sync
    # (``connectors.directory``) keeps Employee records in step with it.
    supports_directory: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Whatever client library a type uses, its connections are checked
        # against private networks (``_network``) while the engine calls it.
        from .network import guarded

        for name in _OUTBOUND_METHODS:
            # Through the MRO: mixins (``HttpTypeMixin.close``) are covered too.
            method = getattr(cls, name)
            if not getattr(method, "__baton_guarded__", False):
                setattr(cls, name, guarded(method))

    def __init__(self, *, settings: Mapping, secrets: Mapping, timeout=None):
        self.config = dict(settings)
        self.secrets = dict(secrets)
        self.timeout = float(
            timeout or self.config.get("timeout") or self.default_timeout
        )

    # What the type can do ---------------------------------------------------------

    @classmethod
    def record_kinds(cls) -> tuple[str, ...]:
        return tuple(cls.default_mappings)

    @classmethod
    def can(cls, capability: str) -> bool:
        return capability in cls.capabilities

    @classmethod
    def setting_specs(cls, *, secret: bool) -> tuple[Setting, ...]:
        return tuple(spec for spec in cls.settings if spec.secret == secret)

    @classmethod
    def directory_sync_on(cls, settings: Mapping) -> bool:
        """Whether the directory sync reads this connector's people. A type
        that offers the ``directory_sync`` setting leaves it to the admin (a
        connector set up to find accounts does not start creating employees by
        itself); a directory type without it always takes part."""
        if not cls.supports_directory:
            return False
        for spec in cls.settings:
            if spec.name == DIRECTORY_SYNC.name:
                value = settings.get(spec.name)
                if value is None or value == "":
                    return bool(spec.default)
                return value not in (False, "false", "False", "0", 0)
        return True

    def require_settings(self) -> None:
        """Raise ``MisconfiguredError`` naming the first setting or secret that
        is missing or not what its declaration asks for (the same check the
        admin form makes when the connector is saved: ``sdk.settings``)."""
        from .settings import first_problem

        problem = first_problem(type(self), self.config, self.secrets)
        if problem:
            raise MisconfiguredError(problem)

    # Talking to the system --------------------------------------------------------

    def test_connection(self) -> str:
        """Check settings and credentials with one cheap call. Return a short
        translated description of what was reached; raise ConnectorError (or
        MisconfiguredError) with a clear reason otherwise."""
        raise NotImplementedError

    def discover(self, *, employee: EmployeeRef, record_kind: str) -> Iterable[Record]:
        """Every record of ``record_kind`` that belongs to ``employee``: an
        unknown kind or a missing setting is refused here, once for every
        type, and ``list_records`` does the type's part."""
        if record_kind not in self.record_kinds():
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        self.require_settings()
        return self.list_records(employee=employee, record_kind=record_kind)

    def list_records(self, *, employee: EmployeeRef, record_kind: str):
        """The type's part of ``discover`` (``record_kind`` is one it declares
        and its settings are complete). Raise ConnectorError when the system
        fails; mark single bad records with ``Record.error`` instead of raising."""
        raise NotImplementedError

    def list_people(self) -> Iterator[DirectoryValues]:
        """Every person of the directory (``supports_directory``) as cms's
        ``DirectoryValues`` (``sdk.directory``), paged through the system as it
        is consumed. Raise ConnectorError when the system
        fails; skip a single unusable entry rather than failing the listing."""
        raise NotImplementedError

    # Write-backs (capability TRANSFER) -----------------------------------------------

    def describe_transfer(
        self, *, record: Record, owner: EmployeeRef, successor: EmployeeRef
    ) -> str:
        """A translated sentence saying exactly what ``transfer`` would change,
        e.g. "Reassign deal “Renewal” (D-1001) in CRM from sales@… to
        successor@…". No side effects: this is the preview people see first."""
        raise NotImplementedError

    def transfer(
        self, *, record: Record, owner: EmployeeRef, successor: EmployeeRef, note: str
    ) -> TransferResult:
        """Make ``successor`` the owner / assignee / maintainer of the record
        upstream (``note`` is Baton's explanation, for systems that keep one).
        Raise ConnectorError (retryable or not) when the system refuses, and
        MisconfiguredError when the successor has no account there."""
        raise NotImplementedError

    def verify_transfer(self, *, record: Record, successor: EmployeeRef) -> bool:
        """Read the record back: True when ``successor`` now owns it. Raise
        ConnectorError when it cannot be read."""
        raise NotImplementedError

    # Access changes (capability REVOKE) ------------------------------------------
    # ``account_id`` and ``group_id`` are external ids as ``discover`` returned
    # them for record kinds "account" and "group". Each call changes one thing,
    # is idempotent (suspending a suspended account succeeds), raises
    # ConnectorError / MisconfiguredError like ``discover``, and returns what the
    # system answered. Baton reads the state back with ``access_state`` after.

    def access_state(self, *, account_id: str) -> AccessState:
        raise NotImplementedError

    def suspend_account(self, *, account_id: str) -> TransferResult:
        """Disable sign-in without deleting anything (AD: the disabled bit of
        userAccountControl; OpenLDAP: the configured method; SCIM: active=false)."""
        raise NotImplementedError

    def restore_account(self, *, account_id: str) -> TransferResult:
        """Undo ``suspend_account``."""
        raise NotImplementedError

    def delete_account(self, *, account_id: str) -> TransferResult:
        """Delete for good. Baton only calls this when an admin explicitly asks."""
        raise NotImplementedError

    def remove_member(self, *, group_id: str, account_id: str) -> TransferResult:
        raise NotImplementedError

    def add_member(self, *, group_id: str, person: EmployeeRef) -> TransferResult:
        """Add ``person``'s own account (found like ``discover`` finds one) to
        the group; MisconfiguredError when they have no account there."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections. Called by the engine after each run."""


# The calls the engine makes into a type, run inside the outbound network guard.
_OUTBOUND_METHODS = (
    "__init__",
    "test_connection",
    "discover",
    "list_people",
    "describe_transfer",
    "transfer",
    "verify_transfer",
    "access_state",
    "suspend_account",
    "restore_account",
    "delete_account",
    "remove_member",
    "add_member",
    "close",
)

UNKNOWN_RECORD_KIND = _("This connector cannot list records of kind “%(kind)s”.")
