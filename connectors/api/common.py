"""What the connector endpoints share: only HR and IT see them."""

from cms.errors import NotFound

from ..permissions import can_manage_connectors

__all__ = ["ManagersOnly"]


class ManagersOnly:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not can_manage_connectors(request.user):
            # Nothing about connectors is shown to anyone else.
            raise NotFound()
