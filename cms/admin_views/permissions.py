"""Who may use the HR screens of the admin. HR admins (``is_hr_admin``) manage
the employee archive and every handover; others see neither."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404
from wagtail.permission_policies import BasePermissionPolicy, ModelPermissionPolicy

from cms.permissions import hr_admin_users, is_hr_admin

__all__ = [
    "EmployeePermissionPolicy",
    "HRAdminOnlyPolicy",
    "HRAdminOrModelPermissionPolicy",
    "HRAdminRequiredMixin",
]


class HRAdminOnlyPolicy(BasePermissionPolicy):
    """Every action for HR admins, none for anyone else."""

    def user_has_permission(self, user, action):
        return is_hr_admin(user)

    def user_has_any_permission(self, user, actions):
        return is_hr_admin(user)

    def users_with_any_permission(self, actions):
        return hr_admin_users()


class HRAdminOrModelPermissionPolicy(ModelPermissionPolicy):
    """HR admins keep the employee archive whatever their model permissions;
    anyone else needs the usual ``add``/``change``/``delete``/``view`` ones."""

    def user_has_permission(self, user, action):
        return is_hr_admin(user) or super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return is_hr_admin(user) or super().user_has_any_permission(user, actions)

    def users_with_any_permission(self, actions):
        granted = super().users_with_any_permission(actions).values("pk")
        return get_user_model().objects.filter(
            Q(pk__in=granted) | Q(pk__in=hr_admin_users().values("pk"))
        )


class EmployeePermissionPolicy(HRAdminOrModelPermissionPolicy):
    """An employee with handovers keeps their archive record, so that their
    handovers and certificates stay provable: nobody may delete it."""

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "delete" and instance.handovers.exists():
            return False
        return super().user_has_permission_for_instance(user, action, instance)


class HRAdminRequiredMixin:
    """A 404 for anyone but HR admins, so the screens do not reveal themselves."""

    permission_policy = HRAdminOnlyPolicy("cms.Handover")

    def dispatch(self, request, *args, **kwargs):
        if not is_hr_admin(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)
