"""Participant pages that read: my handovers, one handover, its live state, and
attachment downloads. Writes live in ``actions``."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    IntegerField,
    Q,
    Value,
    When,
)
from django.http import Http404, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from cms import selectors
from cms.errors import NotFound
from cms.files import private_file_response
from cms.hooks import participant_panels
from cms.models import Handover, Participant, ParticipantRole
from cms.permissions import is_hr_admin, is_own_handover

from .filters import Filters
from .forms import HandoverFilterForm
from .live import handover_etag
from .presenters import Failure, handover_page

__all__ = [
    "attachment_download",
    "handover_detail",
    "handover_list",
    "handover_state",
    "render_detail",
]

PAGE_SIZE = 20
# The order of the groups on "my handovers", and what each is called there.
ROLE_GROUPS = (
    (ParticipantRole.LEAVER, _("I am handing over")),
    (ParticipantRole.SUCCESSOR, _("I am taking over")),
    (ParticipantRole.MANAGER, _("I review as manager")),
    (ParticipantRole.IT, _("IT and assets")),
    (ParticipantRole.HR, _("HR")),
)
TABS = HandoverFilterForm.base_fields["show"].choices


def _filtered(request, filters):
    handovers = selectors.handovers_for_user(user=request.user)
    query = filters.get("q")
    if query:
        handovers = handovers.filter(
            Q(number__icontains=query)
            | Q(employee__name__icontains=query)
            | Q(employee__employee_number__icontains=query)
            | Q(template__title__icontains=query)
        )
    if filters.get("state"):
        handovers = handovers.filter(state=filters["state"])
    role = filters.get("role")
    if role and not (role == ParticipantRole.HR and is_hr_admin(request.user)):
        handovers = handovers.filter(
            pk__in=Participant.objects.filter(user=request.user, role=role).values(
                "handover_id"
            )
        )
    open_first = Case(
        When(state__in=Handover.OPEN_STATES, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return handovers.annotate(open_first=open_first).order_by(
        "open_first", "last_working_day", "pk"
    )


def _tabs(handovers, filters) -> tuple[list, str]:
    """Active handovers apart from completed and cancelled ones: the tabs with
    their counts (one query), and the tab shown. A chosen state shows that
    state whatever the tab."""
    is_open = Q(state__in=Handover.OPEN_STATES)
    counts = handovers.order_by().aggregate(
        active=Count("pk", filter=is_open), finished=Count("pk", filter=~is_open)
    )
    current = "" if filters.get("state") else filters.get("show") or "active"
    tabs = [
        {
            "value": value,
            "label": label,
            "count": counts[value],
            "current": value == current,
            "query": "?" + _query(filters, show=value),
        }
        for value, label in TABS
    ]
    return tabs, current


def _query(filters, **changes) -> str:
    values = {key: filters.get(key) or "" for key in ("q", "state", "role")}
    values.update(changes)
    return urlencode([(key, value) for key, value in values.items() if value])


@login_required
@require_GET
def handover_list(request):
    """My handovers, grouped by the role I have on each."""
    form = HandoverFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    handovers = _filtered(request, filters)
    tabs, tab = _tabs(handovers, filters)
    if tab == "active":
        handovers = handovers.filter(state__in=Handover.OPEN_STATES)
    elif tab == "finished":
        handovers = handovers.exclude(state__in=Handover.OPEN_STATES)
    page = Paginator(handovers, PAGE_SIZE).get_page(request.GET.get("page"))
    handovers = list(page.object_list)
    progress = selectors.handovers_progress(
        handover_ids=[handover.pk for handover in handovers]
    )
    my_roles = {}
    for handover_id, role in Participant.objects.filter(
        user=request.user, handover__in=handovers
    ).values_list("handover_id", "role"):
        my_roles.setdefault(handover_id, set()).add(role)
    hr_admin = is_hr_admin(request.user)
    groups = []
    for role, title in ROLE_GROUPS:
        if filters.get("role") and filters["role"] != role:
            continue
        rows = [
            {"handover": handover, "progress": progress[handover.pk]}
            for handover in handovers
            if role in my_roles.get(handover.pk, set())
            or (
                role == ParticipantRole.HR
                and hr_admin
                # An HR admin's own handover is theirs as the leaver only.
                and not is_own_handover(request.user, handover)
            )
        ]
        if rows:
            groups.append({"role": role, "title": title, "rows": rows})
    return render(
        request,
        "cms/participant/handover_list.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "groups": groups,
            "tabs": tabs,
            "tab": tab,
            "filtered": any(filters.get(key) for key in ("q", "state", "role")),
            "none_at_all": not any(row["count"] for row in tabs),
        },
    )


def render_detail(request, handover, *, failure: Failure | None = None, status=200):
    """The detail page, with a refused action's message next to its form. The
    filters and page come from the URL (an action posts to its URL with them,
    so a refused one shows the same view)."""
    filters = Filters.from_query(request.GET)
    context = handover_page(
        user=request.user, handover=handover, failure=failure, filters=filters
    )
    certificate = selectors.certificate_for(handover=handover)
    context["certificate"] = certificate if certificate and certificate.pdf else None
    context["extension_panels"] = participant_panels(request=request, handover=handover)
    # Live updates refresh this view (filters and page), not the whole handover.
    context["page_url_base"] = reverse("participant:detail", args=[handover.pk])
    context["page_url"] = context["page_url_base"] + context["query"]
    context["state_url"] = reverse("participant:state", args=[handover.pk])
    response = render(
        request, "cms/participant/handover_detail.html", context, status=status
    )
    patch_cache_control(response, private=True, no_cache=True)
    return response


@login_required
@require_GET
def handover_detail(request, handover_id):
    return render_detail(
        request, selectors.handover_or_404(user=request.user, handover_id=handover_id)
    )


def _etag_matches(request, etag) -> bool:
    header = request.headers.get("If-None-Match", "")
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return f'"{etag}"' in candidates or "*" in candidates


@login_required
@require_GET
def handover_state(request, handover_id):
    """A fingerprint of the handover for conditional polling: 304 while unchanged."""
    handover = selectors.handover_or_404(user=request.user, handover_id=handover_id)
    etag = handover_etag(handover)
    if _etag_matches(request, etag):
        response = HttpResponseNotModified()
    else:
        response = JsonResponse({"etag": etag})
    response["ETag"] = f'"{etag}"'
    patch_cache_control(response, private=True, no_cache=True)
    return response


@login_required
@require_GET
def attachment_download(request, attachment_id):
    """A private file, to participants of its handover only (404 for anyone else)."""
    try:
        attachment = selectors.attachment_get(
            user=request.user, attachment_id=attachment_id
        )
        return private_file_response(
            attachment.file,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
    except NotFound as error:
        raise Http404 from error
