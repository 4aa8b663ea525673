"""``erase`` (one data class of finished handovers) and ``erase_person``
(everything about one person but what must be kept)."""

import logging
from collections import Counter

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.search import index

from cms.errors import Conflict, InvalidInput
from cms.models import Delivery, Employee, Handover, Notification, ParticipantRole
from cms.services.audit import audit_record

from .classes import PERSON_RECORD, DataClass
from .erasers import ERASED_ACTION, ERASERS, Scope, _connector_model
from .pseudonyms import PREFIX, role_token

logger = logging.getLogger(__name__)

__all__ = ["ErasureRefused", "erase", "erase_person"]

# What the audit trail names as the policy of a person's erasure request.
REQUEST_POLICY = "erasure_request"


class ErasureRefused(Conflict):
    """A handover still open, or under a legal hold: nothing was erased."""


def _held(handover) -> bool:
    try:
        from cms.services.retention import is_held
    except ModuleNotFoundError as error:
        # Legal holds arrive with the retention service; until then none exist.
        if not (error.name or "").startswith("cms.services.retention"):
            raise
        return False
    return is_held(handover)


def _lock_finished(handover_ids) -> list[Handover]:
    """Lock the handovers (in id order, as every other writer of several
    does) and refuse the lot if one is open or held."""
    handovers = list(
        Handover.objects.select_for_update()
        .filter(pk__in=set(handover_ids))
        .order_by("pk")
    )
    for handover in handovers:
        if handover.is_open:
            raise ErasureRefused(
                _("Handover %(number)s is still open: its data cannot be erased.")
                % {"number": handover.number}
            )
        if _held(handover):
            raise ErasureRefused(
                _(
                    "Handover %(number)s is under a legal hold: its data cannot "
                    "be erased until the hold is released."
                )
                % {"number": handover.number}
            )
    return handovers


def _erase(data_class, handovers, *, user_id=None, actor, policy, now) -> int:
    """Erase and audit: one ``retention.erased`` event per handover that
    changed, naming the class, the rows and the policy — never what went."""
    if not handovers:
        return 0
    scope = Scope(tuple(handover.pk for handover in handovers), user_id)
    counts: Counter = ERASERS[data_class](scope, now=now, policy=policy)
    for handover in handovers:
        rows = counts.get(handover.pk, 0)
        if rows:
            audit_record(
                handover=handover,
                actor=actor,
                role="",
                action=ERASED_ACTION,
                obj=handover,
                details={
                    "class": data_class.value,
                    "count": rows,
                    "policy": policy,
                    "scope": "handover" if user_id is None else "person",
                },
            )
    return sum(counts.values())


@transaction.atomic
def erase(data_class, handover_ids: list[int], *, actor=None, policy: str = "") -> int:
    """Purge or anonymise ``data_class`` in the handovers (finished and not
    held: checked again here, ``ErasureRefused`` otherwise). Idempotent: a
    second call changes 0 rows. Returns the rows changed."""
    data_class = DataClass(data_class)
    handovers = _lock_finished(handover_ids)
    return _erase(data_class, handovers, actor=actor, policy=policy, now=timezone.now())


def _anonymise_person(employee) -> int:
    """The Employee record and user account: the name becomes the pseudonym
    "Leaver", the rest of what identifies the person goes; the account can no
    longer sign in."""
    changed = Employee.objects.filter(pk=employee.pk).update(
        name=role_token(ParticipantRole.LEAVER),
        employee_number=f"erased-{employee.pk}",
        position="",
        work_email="",
        work_phone="",
        directory_id="",
        provenance={},
    )
    if employee.user_id is None:
        index.insert_or_update_object(Employee.objects.get(pk=employee.pk))
        return changed
    changed += (
        get_user_model()
        .objects.filter(pk=employee.user_id)
        .update(
            username=f"{PREFIX}{ParticipantRole.LEAVER}.u{employee.user_id}",
            first_name="",
            last_name="",
            email="",
            is_active=False,
            password=make_password(None),
        )
    )
    # The Wagtail search index holds its own copy of the name.
    index.insert_or_update_object(Employee.objects.get(pk=employee.pk))
    addresses = _connector_model("MessagingAddress")
    if addresses is not None:
        changed += addresses.objects.filter(user_id=employee.user_id).delete()[0]
    return changed


@transaction.atomic
def erase_person(employee, *, actor, reason: str, keep: dict[str, str]) -> dict:
    """Erase everything Baton holds about ``employee`` but the classes in
    ``keep`` (class → why it must be kept): every class of their own
    handovers, and in other people's handovers their own comments, remarks,
    signature metadata, audit entries and notifications. Then the Employee
    record and the account, unless ``keep`` names ``PERSON_RECORD``. Refused
    (nothing erased) while one of their handovers is open or held; other
    people's handovers that are open or held are left out. Returns the rows
    changed per class (and ``person_record``)."""
    if not (reason or "").strip():
        raise InvalidInput(_("Give the reason for this erasure."))
    keep = dict(keep or {})
    own = _lock_finished(employee.handovers.values_list("pk", flat=True))
    others = []
    user_id = employee.user_id
    if user_id is not None:
        candidates = (
            Handover.objects.filter(participants__user_id=user_id)
            .exclude(employee=employee)
            .exclude(state__in=Handover.OPEN_STATES)
            .values_list("pk", flat=True)
        )
        others = [
            handover
            for handover in Handover.objects.select_for_update()
            .filter(pk__in=list(candidates))
            .order_by("pk")
            if not handover.is_open and not _held(handover)
        ]
    now = timezone.now()
    counts: dict[str, int] = {}
    for data_class in DataClass:
        if data_class.value in keep:
            continue
        changed = _erase(data_class, own, actor=actor, policy=REQUEST_POLICY, now=now)
        changed += _erase(
            data_class,
            others,
            user_id=user_id,
            actor=actor,
            policy=REQUEST_POLICY,
            now=now,
        )
        if data_class == DataClass.NOTIFICATION_LOGS and user_id is not None:
            # Digests and messages about no handover in particular.
            changed += Notification.objects.filter(
                recipient_id=user_id, handover__isnull=True
            ).delete()[0]
            changed += Delivery.objects.filter(
                Q(recipient_id=user_id) & Q(handover__isnull=True)
            ).delete()[0]
        counts[data_class.value] = changed
    if PERSON_RECORD not in keep:
        counts[PERSON_RECORD] = _anonymise_person(employee)
    logger.info(
        "Erasure for employee %s: %s; kept: %s",
        employee.pk,
        counts,
        sorted(keep),
    )
    return counts
