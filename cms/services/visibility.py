"""Which items of a handover are shown: the one place that decides. An item
whose condition on a form field is not met is hidden: nobody fills, confirms or
counts it, and it is not handed over."""

from collections import defaultdict
from functools import partial

from django.utils.translation import gettext

from cms.errors import Conflict
from cms.models import Item

from .common import Refusal, require

__all__ = [
    "condition_is_met",
    "conditional_answers",
    "field_answers",
    "handover_answers",
    "hidden_reason",
    "item_is_visible",
    "require_shown",
    "shown_refusal",
    "visible_items",
]


def condition_is_met(condition: dict | None, answers: dict) -> bool:
    """``condition`` (an item definition's ``condition``) against the answers of
    the handover's form fields, by field key. No condition: always met."""
    if not condition or not condition.get("field_key"):
        return True
    answer = answers.get(condition["field_key"])
    operator = condition.get("operator")
    if operator == "is_yes":
        return answer is True
    if operator == "is_no":
        return answer is False
    if operator == "equals":
        return str(answer) == str(condition.get("value"))
    if operator == "not_equals":
        return str(answer) != str(condition.get("value"))
    return True


def item_is_visible(item: Item, answers: dict) -> bool:
    return condition_is_met(item.condition, answers)


def field_answers(items) -> dict:
    """The answers of the form fields among ``items``, by field key."""
    return {
        item.definition.get("key"): item.data.get("value")
        for item in items
        if item.kind == "field"
    }


def conditional_answers(items) -> dict[int, dict]:
    """The form-field answers, by handover, of the handovers where one of
    ``items`` (of many handovers, each read with its ``condition_only``: the
    definition's condition) has a visibility condition. One query; none when
    no item has one."""
    conditional = {item.handover_id for item in items if item.condition_only}
    answers = defaultdict(dict)
    if conditional:
        for field_item in Item.objects.filter(
            handover_id__in=conditional, kind="field"
        ).only("handover_id", "kind", "definition", "data"):
            answers[field_item.handover_id].update(field_answers([field_item]))
    return answers


def visible_items(items) -> list[Item]:
    """``items`` (all of one handover) without the hidden ones."""
    items = list(items)
    answers = field_answers(items)
    return [item for item in items if item_is_visible(item, answers)]


def handover_answers(handover_id: int) -> tuple[dict, dict]:
    """The answers and labels of a handover's form fields by key, in one query:
    what deciding one item's visibility needs without loading every item."""
    answers, labels = {}, {}
    rows = Item.objects.filter(handover_id=handover_id, kind="field").values_list(
        "definition", "data", "label"
    )
    for definition, data, label in rows:
        key = (definition or {}).get("key")
        answers[key] = (data or {}).get("value")
        labels[key] = label
    return answers, labels


def hidden_reason(condition: dict, labels: dict) -> str:
    """Why an item with ``condition`` is hidden, in words for people."""
    question = labels.get(condition.get("field_key"), condition.get("field_key"))
    operator = condition.get("operator")
    if operator == "is_yes":
        message = gettext("“%(question)s” is not answered “Yes”")
    elif operator == "is_no":
        message = gettext("“%(question)s” is not answered “No”")
    elif operator == "not_equals":
        message = gettext("the answer to “%(question)s” is “%(value)s”")
    else:
        message = gettext("the answer to “%(question)s” is not “%(value)s”")
    reason = message % {"question": question, "value": condition.get("value", "")}
    return gettext("This item is hidden because %(reason)s.") % {"reason": reason}


def shown_refusal(item: Item, *, visible: bool | None = None) -> Refusal | None:
    """Conflict (409) when ``item`` is hidden by its condition: it can be
    neither filled nor confirmed until the answer it depends on changes.
    ``visible``: what the caller already knows of it (else one query). An
    item list may have left its definition unread: it is read only to say why."""
    if visible:
        return None
    if visible is None:
        condition = item.condition
        if not condition:
            return None
        answers, labels = handover_answers(item.handover_id)
        if condition_is_met(condition, answers):
            return None
        reason = hidden_reason(condition, labels)
        return Refusal(partial(Conflict, reason, extra={"hidden": True}))

    def error():
        _answers, labels = handover_answers(item.handover_id)
        return Conflict(hidden_reason(item.condition, labels), extra={"hidden": True})

    return Refusal(error)


def require_shown(item: Item) -> None:
    require(shown_refusal(item))
