"""The manager's pick: a handover the start rules left to its manager waits,
as a draft, for them to name the successor. They search among the colleagues
they could name (the leaver's department and their own, with sub-departments,
and the people who report to them), pick one, and the handover starts.

Anyone else — HR included, who name successors in the admin — gets a 404.
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from cms import selectors, services
from cms.admin_views.intake.people import (
    DEFAULT_LIMIT,
    person_label,
    search_users,
)
from cms.admin_views.intake.pickers import PICKER_MEDIA, PeoplePicker
from cms.errors import BatonError, NotFound
from cms.models import Department, Employee, Handover, Participant, ParticipantRole
from cms.names import person_name
from cms.permissions import is_own_handover

__all__ = [
    "colleagues_to_name",
    "successor_panel",
    "successor_pick",
    "successor_search",
    "waits_for_pick_by",
    "waits_for_successor",
]


def waits_for_successor(handover: Handover) -> bool:
    return (
        handover.state == Handover.State.DRAFT
        and not handover.participants.filter(role=ParticipantRole.SUCCESSOR).exists()
    )


def _is_manager(user, handover) -> bool:
    return Participant.objects.filter(
        handover=handover, user=user, role=ParticipantRole.MANAGER
    ).exists()


def _handover_for_manager(request, handover_id) -> Handover:
    """The handover, if ``request.user`` is its manager; else a 404."""
    try:
        handover = selectors.handover_get(user=request.user, handover_id=handover_id)
    except NotFound as error:
        raise Http404 from error
    if is_own_handover(request.user, handover) or not _is_manager(
        request.user, handover
    ):
        raise Http404
    return handover


def _with_sub_departments(department_ids) -> set[int]:
    parents = dict(Department.objects.values_list("pk", "parent_id"))
    children: dict[int, list[int]] = {}
    for pk, parent in parents.items():
        children.setdefault(parent, []).append(pk)
    found, waiting = set(), [pk for pk in department_ids if pk]
    while waiting:
        pk = waiting.pop()
        if pk not in found:
            found.add(pk)
            waiting.extend(children.get(pk, []))
    return found


def colleagues_to_name(*, manager, handover: Handover):
    """Active users the manager may name as successor."""
    leaver = handover.employee
    own = Employee.objects.filter(user=manager).values_list("pk", "department_id")
    own_ids = [pk for pk, _department in own]
    departments = _with_sub_departments(
        [leaver.department_id, *(department for _pk, department in own)]
    )
    colleagues = Employee.objects.filter(
        Q(department_id__in=departments) | Q(manager_id__in=own_ids),
        user__isnull=False,
    ).exclude(pk=leaver.pk)
    users = get_user_model().objects.filter(
        is_active=True, pk__in=colleagues.values("user_id")
    )
    if leaver.user_id:
        users = users.exclude(pk=leaver.user_id)
    # The manager may take over themselves, as Baton's suggestions allow.
    return users


def waits_for_pick_by(handover: Handover):
    """The day the manager was asked to pick by, from the intake event."""
    event = handover.resignation_events.exclude(decided_at=None).first()
    days = (event.plan or {}).get("manager_choice_days") if event else None
    if event is None or days is None:
        return None
    return timezone.localdate(event.decided_at) + timedelta(days=days)


class SuccessorPickForm(forms.Form):
    successor = forms.ModelChoiceField(
        label=_("Successor"),
        queryset=get_user_model().objects.none(),
        error_messages={
            "invalid_choice": _("Choose a colleague from the list."),
            "required": _("Choose the successor."),
        },
    )

    def __init__(self, *args, colleagues, search_url, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["successor"]
        field.queryset = colleagues
        field.label_from_instance = person_label
        field.widget = PeoplePicker(
            search_url=search_url,
            placeholder=_("Type a colleague's name, number, email or department"),
        )
        field.widget.choices = field.choices


@login_required
@require_GET
def successor_search(request, handover_id):
    """The picker's matches: only colleagues the manager could name."""
    handover = _handover_for_manager(request, handover_id)
    colleagues = colleagues_to_name(manager=request.user, handover=handover)
    results = search_users(
        request.GET.get("q", ""), limit=DEFAULT_LIMIT, queryset=colleagues
    )
    response = JsonResponse({"results": results})
    response["Cache-Control"] = "private, no-store"
    return response


def _suggestions(handover, colleagues) -> list:
    allowed = set(colleagues.values_list("pk", flat=True))
    return [
        suggestion
        for suggestion in services.suggest_successors(employee=handover.employee)
        if suggestion.user.pk in allowed
    ]


@login_required
@require_http_methods(["GET", "POST"])
def successor_pick(request, handover_id):
    handover = _handover_for_manager(request, handover_id)
    detail_url = reverse("participant:detail", args=[handover.pk])
    if not waits_for_successor(handover):
        messages.info(request, gettext("This handover has its successor already."))
        return redirect(detail_url)
    colleagues = colleagues_to_name(manager=request.user, handover=handover)
    search_url = reverse("participant:successor_search", args=[handover.pk])
    form = SuccessorPickForm(
        request.POST or None, colleagues=colleagues, search_url=search_url
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        successor = form.cleaned_data["successor"]
        try:
            services.successor_pick(
                actor=request.user,
                handover=handover,
                successor=successor,
                meta=services.RequestMeta.from_request(request),
            )
        except NotFound as error:
            raise Http404 from error
        except BatonError as error:
            form.add_error(None, str(error.message))
            for field, texts in error.fields.items():
                for text in texts:
                    form.add_error(field if field in form.fields else None, str(text))
            status = error.status
        else:
            messages.success(
                request,
                gettext(
                    "%(name)s takes over from %(employee)s: the handover has started "
                    "and everyone is told."
                )
                % {
                    "name": person_name(successor),
                    "employee": person_name(handover.employee),
                },
            )
            return redirect(detail_url)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "cms/participant/successor_pick.html",
        {
            "handover": handover,
            "form": form,
            "media": PICKER_MEDIA,
            "suggestions": _suggestions(handover, colleagues),
            "pick_by": waits_for_pick_by(handover),
            "detail_url": detail_url,
        },
        status=status,
    )


def successor_panel(*, request, handover) -> str:
    """On the participant page (hook ``baton_participant_panels``): the manager of a
    handover waiting for its successor is asked to pick one."""
    if not request.user.is_authenticated or not waits_for_successor(handover):
        return ""
    if is_own_handover(request.user, handover) or not _is_manager(
        request.user, handover
    ):
        return ""
    return render_to_string(
        "cms/participant/includes/successor_needed.html",
        {
            "handover": handover,
            "pick_url": reverse("participant:successor_pick", args=[handover.pk]),
            "pick_by": waits_for_pick_by(handover),
        },
        request=request,
    )
