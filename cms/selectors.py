"""Reads, filtered by what the actor may see. Views and API call these."""

from django.db.models import QuerySet

from .errors import NotFound
from .models import ChecklistTemplatePage

__all__ = ["published_template_get", "published_templates"]


def published_templates(*, user) -> QuerySet[ChecklistTemplatePage]:
    """Published templates: readable by every signed-in member of the company
    (they describe the process, not a person)."""
    if not user.is_authenticated:
        return ChecklistTemplatePage.objects.none()
    return (
        ChecklistTemplatePage.objects.live()
        .select_related("role", "locale")
        .prefetch_related("departments")
    )


def published_template_get(*, user, template_id: int) -> ChecklistTemplatePage:
    try:
        return published_templates(user=user).get(pk=template_id)
    except ChecklistTemplatePage.DoesNotExist as error:
        raise NotFound() from error
