"""What every participant page action shares: finding the object, and the
two ways back to the page (done, with a message; refused, with the form)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from cms import selectors
from cms.errors import BatonError, NotFound
from cms.services import RequestMeta

from ..filters import Filters
from ..presenters import Failure
from ..views import render_detail

__all__ = ["done", "item_or_404", "refused", "request_meta"]

SECRET_FIELDS = ("password", "pin", "csrfmiddlewaretoken")


def item_or_404(request, item_id):
    try:
        item = selectors.item_get(user=request.user, item_id=item_id)
    except NotFound as error:
        raise Http404 from error
    return item


def _typed(request) -> dict:
    """What the person typed, to put back into the form (never the password)."""
    return {
        key: value for key, value in request.POST.items() if key not in SECRET_FIELDS
    }


def refused(request, handover, error: BatonError, **failure):
    if isinstance(error, NotFound):
        raise Http404 from error
    fields = {key: [str(m) for m in value] for key, value in error.fields.items()}
    return render_detail(
        request,
        handover,
        failure=Failure(
            message=str(error.message), fields=fields, values=_typed(request), **failure
        ),
        status=error.status,
    )


def done(request, handover, message, anchor=""):
    """Back to the view the person acted from: its filters and page ride on
    the form's URL (rebuilt from the known filters, never echoed)."""
    messages.success(request, message)
    url = reverse("participant:detail", args=[handover.pk])
    url += Filters.from_query(request.GET).query()
    return redirect(f"{url}#{anchor}" if anchor else url)


def request_meta(request):
    return RequestMeta.from_request(request)
