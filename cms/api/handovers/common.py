"""Helpers shared by the handover API views."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)

from cms import selectors, services
from cms.models import (
    Item,
)

from ..common import ID_SCHEMA
from .item_serializers import ErrorSerializer, ItemSerializer

_ERROR_DESCRIPTIONS = {
    400: "Invalid input (or a wrong password when signing); nothing changed.",
    403: "You take part in this handover but your role may not do this.",
    404: "No such object, or one you may not see.",
    409: "Not possible in the current state, or based on a stale version; "
    "nothing changed.",
}
HANDOVER_ID = OpenApiParameter("handover_id", ID_SCHEMA, OpenApiParameter.PATH)
ITEM_ID = OpenApiParameter("item_id", ID_SCHEMA, OpenApiParameter.PATH)
FILE_RESPONSE = {
    (200, "application/octet-stream"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The file, as an attachment."
    )
}


def _errors(*statuses, conflict=ErrorSerializer):
    return {
        code: OpenApiResponse(
            conflict if code == 409 else ErrorSerializer,
            description=_ERROR_DESCRIPTIONS[code],
        )
        for code in statuses
    }


def _documented(
    summary,
    *,
    request=None,
    response=ItemSerializer,
    status_code=200,
    errors=(400, 403, 404, 409),
    conflict=ErrorSerializer,
    **extra,
):
    """``extend_schema`` with the error bodies an action can answer with."""
    responses = {status_code: response, **_errors(*errors, conflict=conflict)}
    return extend_schema(summary=summary, request=request, responses=responses, **extra)


def _meta(request):
    return services.RequestMeta.from_request(request)


def _parse(serializer_class, request, data=None) -> dict:
    serializer = serializer_class(data=request.data if data is None else data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _items_for_output(*, user, item_ids) -> list[Item]:
    """The items (in the order of ``item_ids``) with what ``ItemSerializer``
    reads prefetched; ids the user may not see are left out."""
    item_ids = [int(item_id) for item_id in item_ids]
    handover_ids = Item.objects.filter(pk__in=item_ids).values("handover_id")
    found = {}
    for handover in selectors.handovers_for_user(user=user).filter(pk__in=handover_ids):
        items = selectors.handover_items(handover=handover).filter(pk__in=item_ids)
        for item in selectors.mark_visibility(items, handover_id=handover.pk):
            # One shared handover instance: its role cache serves every item.
            item.handover = handover
            found[item.pk] = item
    return [found[item_id] for item_id in item_ids if item_id in found]
