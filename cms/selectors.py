"""Reads, filtered by what the actor may see. Views and API call these."""

from collections import Counter

from django.db.models import Case, Count, JSONField, Prefetch, Q, QuerySet, When
from django.db.models.fields.json import KeyTransform

from .errors import NotFound
from .models import (
    Attachment,
    Certificate,
    ChecklistTemplatePage,
    Comment,
    Employee,
    Handover,
    HandoverUserObjectPermission,
    Item,
    Signature,
)
from .permissions import is_hr_admin

__all__ = [
    "attachment_get",
    "certificate_for",
    "employees_for_user",
    "handover_get",
    "handover_items",
    "handover_progress",
    "handovers_for_user",
    "handovers_progress",
    "item_get",
    "published_template_get",
    "published_templates",
    "signature_is_stale",
]


def published_templates(*, user) -> QuerySet[ChecklistTemplatePage]:
    """Published templates: readable by every signed-in member of the company
    (they describe the process, not a person)."""
    if not user.is_authenticated:
        return ChecklistTemplatePage.objects.none()
    # The body is served from the live revision's cache (cms.api.serializers):
    # read from the row only when that misses.
    return (
        ChecklistTemplatePage.objects.live()
        .defer("body")
        .select_related("role", "locale")
        .prefetch_related("departments")
    )


def published_template_get(*, user, template_id: int) -> ChecklistTemplatePage:
    try:
        return published_templates(user=user).get(pk=template_id)
    except ChecklistTemplatePage.DoesNotExist as error:
        raise NotFound() from error


# Handovers ---------------------------------------------------------------------------


def handovers_for_user(*, user) -> QuerySet[Handover]:
    """Handovers the user takes part in; HR admins see all. One query, through
    guardian's direct foreign-key table."""
    if not user.is_authenticated or not user.is_active:
        return Handover.objects.none()
    # The template's body is never read through a handover (its items come
    # from the pinned revision): not decoded for every row.
    handovers = Handover.objects.select_related("employee", "template").defer(
        "template__body"
    )
    if is_hr_admin(user):
        return handovers
    visible = HandoverUserObjectPermission.objects.filter(
        user=user, permission__codename="view_handover"
    ).values("content_object_id")
    return handovers.filter(pk__in=visible)


def handover_get(*, user, handover_id) -> Handover:
    """One handover the user may see; NotFound (never PermissionDenied) otherwise."""
    try:
        return handovers_for_user(user=user).get(pk=int(handover_id))
    except (Handover.DoesNotExist, TypeError, ValueError) as error:
        raise NotFound() from error


def handover_items(*, handover: Handover) -> QuerySet[Item]:
    """The items of a handover with what their list needs, in a fixed number of
    queries whatever the count: their attachments, comments and signatures as
    ``attachment_list``, ``comment_list`` and ``signature_list``. People are
    read by id in queries of their own: joined to every row, PostgreSQL would
    hash the whole user table each time."""
    return (
        Item.objects.filter(handover=handover)
        .prefetch_related(
            "assignee",
            Prefetch("attachments", to_attr="loaded_attachments"),
            Prefetch(
                "comments",
                queryset=Comment.objects.prefetch_related("author", "resolved_by"),
                to_attr="loaded_comments",
            ),
            Prefetch(
                "signatures",
                queryset=Signature.objects.prefetch_related("signer").order_by(
                    "signed_at"
                ),
                to_attr="loaded_signatures",
            ),
        )
        .order_by("position", "pk")
    )


def item_get(*, user, item_id) -> Item:
    try:
        item = Item.objects.select_related("handover", "assignee").get(pk=int(item_id))
    except (Item.DoesNotExist, TypeError, ValueError) as error:
        raise NotFound() from error
    handover_get(user=user, handover_id=item.handover_id)
    return item


def attachment_get(*, user, attachment_id) -> Attachment:
    try:
        attachment = Attachment.objects.select_related("item").get(
            pk=int(attachment_id)
        )
    except (Attachment.DoesNotExist, TypeError, ValueError) as error:
        raise NotFound() from error
    handover_get(user=user, handover_id=attachment.item.handover_id)
    return attachment


def handover_progress(*, handover: Handover, items=None) -> dict:
    """Counts for progress bars: visible items only (conditions applied)."""
    from .services.review import field_answers, item_is_visible

    items = list(items if items is not None else handover.items.all())
    answers = field_answers(items)
    visible = [item for item in items if item_is_visible(item, answers)]
    done = sum(1 for item in visible if item.is_done)
    submitted = sum(1 for item in visible if item.state == Item.State.SUBMITTED)
    return {
        "total": len(visible),
        "done": done,
        "submitted": submitted,
        "percent": round(100 * done / len(visible)) if visible else 100,
    }


class _ProgressItem:
    """What visibility reads of an item (its condition), without loading the
    item's full definition."""

    __slots__ = ("definition",)

    def __init__(self, condition):
        self.definition = {"condition": condition or {}}

    condition = Item.condition


def handovers_progress(*, handover_ids) -> dict:
    """``handover_progress`` of many handovers in one query, whatever their
    size: the database counts their items by handover, state and visibility
    condition, and returns the answers of form fields alongside (one row each);
    only the conditions are then evaluated here, once per group."""
    from .services.review import item_is_visible

    handover_ids = list(handover_ids)
    is_field = Q(kind="field")
    rows = (
        Item.objects.filter(handover_id__in=handover_ids)
        .order_by()
        .annotate(
            condition=KeyTransform("condition", "definition"),
            answer_key=Case(
                When(is_field, then=KeyTransform("key", "definition")),
                output_field=JSONField(),
            ),
            answer=Case(
                When(is_field, then=KeyTransform("value", "data")),
                output_field=JSONField(),
            ),
        )
        .values_list("handover_id", "state", "condition", "answer_key", "answer")
        .annotate(number=Count("id"))
    )
    counts = {handover_id: Counter() for handover_id in handover_ids}
    answers = {handover_id: {} for handover_id in handover_ids}
    conditional = []
    for handover_id, state, condition, key, answer, number in rows:
        if key is not None:
            answers[handover_id][key] = answer
        item = _ProgressItem(condition)
        if item.condition:
            conditional.append((handover_id, state, item, number))
        else:
            counts[handover_id][state] += number
    for handover_id, state, item, number in conditional:
        if item_is_visible(item, answers[handover_id]):
            counts[handover_id][state] += number
    progress = {}
    for handover_id, states in counts.items():
        total = sum(states.values())
        done = sum(states[state] for state in Item.DONE_STATES)
        progress[handover_id] = {
            "total": total,
            "done": done,
            "submitted": states[Item.State.SUBMITTED],
            "percent": round(100 * done / total) if total else 100,
        }
    return progress


def signature_is_stale(signature: Signature) -> bool:
    """A signature no longer matches the item when its content changed since."""
    from .services.audit import content_hash
    from .services.items import item_content

    if signature.item_id is None:
        return False
    return content_hash(item_content(signature.item)) != signature.content_hash


def employees_for_user(*, user) -> QuerySet[Employee]:
    """HR admins see the whole archive; others themselves and the employees whose
    handovers they take part in."""
    if not user.is_authenticated or not user.is_active:
        return Employee.objects.none()
    employees = Employee.objects.select_related("department", "role", "manager")
    if is_hr_admin(user):
        return employees
    handovers = handovers_for_user(user=user).values("employee_id")
    return employees.filter(Q(user=user) | Q(pk__in=handovers))


def certificate_for(*, handover: Handover) -> Certificate | None:
    """The certificate of a handover the caller already may see."""
    return Certificate.objects.filter(handover=handover).first()
