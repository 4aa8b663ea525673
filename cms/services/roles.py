"""Every role a handover's items need must have someone: which roles a template
needs, who fills a missing one from its group, and which roles are missing."""

from collections import Counter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext

from cms.models import ParticipantRole

__all__ = [
    "DEFAULT_ROLE_GROUPS",
    "ROLES_THAT_CAN_BE_MISSING",
    "missing_role_message",
    "missing_roles",
    "role_group_users",
    "role_name",
]

# The group whose members take a role nobody was named for; a setting
# (``BATON_ROLE_GROUPS``) so each company names its own groups.
DEFAULT_ROLE_GROUPS = {ParticipantRole.IT: "IT"}

# The leaver is always there, HR is whoever starts the handover (and HR admins
# act as HR on every handover), and a handover cannot start without a
# successor (items without one are blockers of their own): these can go missing.
ROLES_THAT_CAN_BE_MISSING = (ParticipantRole.IT, ParticipantRole.MANAGER)


def role_name(role: str) -> str:
    """The role's label inside a sentence: "manager", but "IT / asset admin"."""
    label = str(ParticipantRole(role).label)
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def role_group_users(role: str, *, exclude=()) -> list:
    """The active members of the group configured for ``role`` (none when no
    group is configured), leaving out the users in ``exclude``."""
    groups = getattr(settings, "BATON_ROLE_GROUPS", DEFAULT_ROLE_GROUPS)
    name = groups.get(role) or groups.get(str(role))
    if not name:
        return []
    users = get_user_model().objects.filter(is_active=True, groups__name=name)
    return list(users.exclude(pk__in=[user.pk for user in exclude]).order_by("pk"))


def missing_roles(items, present_roles) -> dict[str, int]:
    """Roles that ``items`` (visible, not done) need and no participant holds,
    with how many items wait for each."""
    waiting = Counter()
    for item in items:
        if item.is_done:
            continue
        for role in {item.filled_by_role, item.confirmed_by_role}:
            if role in ROLES_THAT_CAN_BE_MISSING and role not in present_roles:
                waiting[role] += 1
    return dict(waiting)


def missing_role_message(role: str, count: int) -> str:
    return gettext("No %(role)s on this handover: %(count)d item(s) wait for one.") % {
        "role": role_name(role),
        "count": count,
    }
