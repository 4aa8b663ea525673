"""Who may manage connectors: HR administrators and the IT group."""

from cms.permissions import is_hr_admin

IT_GROUPS = ("IT",)


def can_manage_connectors(user) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if is_hr_admin(user):
        return True
    return user.groups.filter(name__in=IT_GROUPS).exists()
