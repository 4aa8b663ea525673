"""Reads, filtered by what the actor may see. Views and API call these."""

from collections import Counter

from django.db.models import (
    BooleanField,
    Case,
    Count,
    JSONField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KeyTransform
from django.http import Http404

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
    "field_answer_annotations",
    "handover_get",
    "handover_items",
    "handover_progress",
    "handovers_for_user",
    "handovers_progress",
    "item_get",
    "mark_visibility",
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
    # The leaver's account comes along: names follow the name rule, which
    # reads the account's name parts (cms/names.py).
    handovers = Handover.objects.select_related("employee__user", "template").defer(
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


def handover_or_404(*, user, handover_id) -> Handover:
    """``handover_get`` for pages: Http404 for what the user may not see."""
    try:
        return handover_get(user=user, handover_id=handover_id)
    except NotFound as error:
        raise Http404 from error


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


def mark_visibility(items, *, handover_id: int) -> list[Item]:
    """Set ``visible`` on each of ``items`` (all of handover ``handover_id``):
    one query for the handover's answers, and only when some item has a
    condition. An item list that defers ``definition`` annotates
    ``definition_condition`` instead."""
    from .services.visibility import condition_is_met, handover_answers

    items = list(items)
    answers = None
    for item in items:
        if hasattr(item, "definition_condition"):
            condition = item.definition_condition
        else:
            condition = item.condition
        if not condition or not condition.get("field_key"):
            item.visible = True
            continue
        if answers is None:
            answers, _labels = handover_answers(handover_id)
        item.visible = condition_is_met(condition, answers)
    return items


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


def _progress(counts: Counter) -> dict:
    """The progress figures from counts of visible items by bucket: "accepted"
    (accepted or not applicable), "submitted", "filled" (returned, or to fill
    with a value a person or connector put in) and "empty" (to fill, untouched)."""
    accepted, submitted = counts["accepted"], counts["submitted"]
    filled = accepted + submitted + counts["filled"]
    total = filled + counts["empty"]

    def percent(number):
        return round(100 * number / total) if total else 100

    return {
        "total": total,
        "filled": filled,
        "submitted": submitted,
        "accepted": accepted,
        "done": accepted,
        "percent": percent(accepted),
        "submitted_percent": percent(submitted + accepted),
        "filled_percent": percent(filled),
    }


def _bucket(state: str, touched: bool) -> str:
    if state in Item.DONE_STATES:
        return "accepted"
    if state == Item.State.SUBMITTED:
        return "submitted"
    if state == Item.State.RETURNED or touched:
        return "filled"
    return "empty"


def handover_progress(*, handover: Handover, items=None) -> dict:
    """Counts for progress bars, of visible items only (conditions applied):
    ``total``; ``filled`` (past "to fill", or to fill with a value a person or
    connector put in: any provenance), ``submitted`` (waiting for confirmation),
    ``accepted`` (accepted or not applicable; also as ``done``); ``percent``
    (accepted), ``submitted_percent`` (submitted or accepted) and
    ``filled_percent``. Each figure counts an item once, in its furthest step:
    ``filled`` includes ``submitted`` and ``accepted``."""
    from .services.visibility import visible_items

    items = items if items is not None else handover.items.all()
    counts = Counter(
        _bucket(item.state, bool(item.provenance)) for item in visible_items(items)
    )
    return _progress(counts)


def field_answer_annotations() -> dict:
    """On form-field items, their key and their answer (null on other items):
    what deciding the visibility of a handover's items needs, read in the same
    query as the counts."""
    is_field = Q(kind="field")
    return {
        "answer_key": Case(
            When(is_field, then=KeyTransform("key", "definition")),
            output_field=JSONField(),
        ),
        "answer": Case(
            When(is_field, then=KeyTransform("value", "data")),
            output_field=JSONField(),
        ),
    }


def handovers_progress(*, handover_ids) -> dict:
    """``handover_progress`` of many handovers in one query, whatever their
    size: the database counts their items by handover, state, whether anyone
    filled them and visibility condition, and returns the answers of form fields
    alongside (one row each); only the conditions are then evaluated here, once
    per group."""
    from .services.visibility import condition_is_met

    handover_ids = list(handover_ids)
    rows = (
        Item.objects.filter(handover_id__in=handover_ids)
        .order_by()
        .annotate(
            condition=KeyTransform("condition", "definition"),
            **field_answer_annotations(),
            touched=Case(
                When(provenance={}, then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            ),
        )
        .values_list(
            "handover_id", "state", "touched", "condition", "answer_key", "answer"
        )
        .annotate(number=Count("id"))
    )
    counts = {handover_id: Counter() for handover_id in handover_ids}
    answers = {handover_id: {} for handover_id in handover_ids}
    conditional = []
    for handover_id, state, touched, condition, key, answer, number in rows:
        if key is not None:
            answers[handover_id][key] = answer
        bucket = _bucket(state, touched)
        if condition and condition.get("field_key"):
            conditional.append((handover_id, bucket, condition, number))
        else:
            counts[handover_id][bucket] += number
    for handover_id, bucket, condition, number in conditional:
        if condition_is_met(condition, answers[handover_id]):
            counts[handover_id][bucket] += number
    return {
        handover_id: _progress(bucket_counts)
        for handover_id, bucket_counts in counts.items()
    }


def signature_is_stale(signature: Signature) -> bool:
    """A signature no longer matches the item when its content changed since.
    A finished handover's items cannot change any more: what it signed stays
    current, even after retention erased the contents (the signature keeps
    the hash of what was signed)."""
    from .services.audit import content_hash
    from .services.items import item_content

    if signature.item_id is None:
        return False
    if signature.handover.state not in signature.handover.OPEN_STATES:
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
