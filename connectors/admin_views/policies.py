"""Who sees the connector screens: HR and IT administrators, nobody else."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from wagtail.permission_policies import BasePermissionPolicy

from cms.permissions import HR_ADMIN_GROUPS

from ..permissions import IT_GROUPS, can_manage_connectors

__all__ = ["ConnectorPermissionPolicy", "ReadOnlyConnectorPolicy"]


class ConnectorPermissionPolicy(BasePermissionPolicy):
    """HR and IT administrators manage connectors; nobody else sees them."""

    def user_has_permission(self, user, action):
        return can_manage_connectors(user)

    def user_has_any_permission(self, user, actions):
        return can_manage_connectors(user)

    def users_with_any_permission(self, actions):
        return (
            get_user_model()
            .objects.filter(is_active=True)
            .filter(
                Q(is_superuser=True)
                | Q(groups__name__in=(*HR_ADMIN_GROUPS, *IT_GROUPS))
            )
            .distinct()
        )


class ReadOnlyConnectorPolicy(ConnectorPermissionPolicy):
    """The sync log is written by runs, never by hand."""

    def user_has_permission(self, user, action):
        return action in ("view", "inspect") and can_manage_connectors(user)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)
