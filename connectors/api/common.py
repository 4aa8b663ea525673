"""What the connector endpoints share: only HR and IT see them."""

from rest_framework import mixins, viewsets

from cms.errors import NotFound

from ..permissions import can_manage_connectors

__all__ = ["ManagersOnly", "ManagersReadOnlyViewSet"]


class ManagersOnly:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not can_manage_connectors(request.user):
            # Nothing about connectors is shown to anyone else.
            raise NotFound()


class ManagersReadOnlyViewSet(
    ManagersOnly,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """A list and a detail endpoint that only HR and IT see."""
