"""Who may do what on a handover. Roles give object permissions (guardian,
direct foreign-key tables); item rules add which role fills and confirms.

Segregation of duties: the departing employee hands over and nothing else. On
their own handover they act as the leaver only, whatever other roles they were
given or an HR admin's rights would add (``is_own_handover``)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from guardian.shortcuts import remove_perm

from .models import (
    Handover,
    HandoverUserObjectPermission,
    Item,
    Participant,
    ParticipantRole,
)

__all__ = [
    "HR_ADMIN_GROUPS",
    "ROLE_PERMISSIONS",
    "can_confirm",
    "can_fill",
    "grant_role",
    "grant_roles",
    "hr_admin_users",
    "is_departing_employee",
    "is_hr_admin",
    "is_own_handover",
    "revoke_role",
    "roles_of",
]

HR_ADMIN_GROUPS = ("HR", "HR heads")

# Object permissions each participant role carries on its handover.
ROLE_PERMISSIONS = {
    ParticipantRole.LEAVER: {"view_handover", "fill_handover"},
    ParticipantRole.SUCCESSOR: {"view_handover", "fill_handover", "confirm_handover"},
    ParticipantRole.MANAGER: {
        "view_handover",
        "fill_handover",
        "confirm_handover",
        "review_handover",
    },
    ParticipantRole.HR: {
        "view_handover",
        "fill_handover",
        "confirm_handover",
        "manage_handover",
    },
    ParticipantRole.IT: {"view_handover", "fill_handover", "confirm_handover"},
}


def hr_admin_users():
    """Every active HR admin: a superuser, a member of an HR group, or holder of
    ``cms.manage_handover`` (directly or through a group)."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__name__in=HR_ADMIN_GROUPS)
            | Q(
                user_permissions__codename="manage_handover",
                user_permissions__content_type__app_label="cms",
            )
            | Q(
                groups__permissions__codename="manage_handover",
                groups__permissions__content_type__app_label="cms",
            )
        )
        .distinct()
    )


_HR_ADMIN_CACHE = "_baton_is_hr_admin"


def is_hr_admin(user) -> bool:
    """HR admins see and manage every handover. One query, remembered on the
    user object (a request's ``request.user``, like Django's own permission
    cache), so listings and permission checks ask once per request."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, _HR_ADMIN_CACHE, None)
    if cached is None:
        cached = hr_admin_users().filter(pk=user.pk).exists()
        setattr(user, _HR_ADMIN_CACHE, cached)
    return cached


def is_departing_employee(user, employee) -> bool:
    """``user`` signs in as ``employee`` (whose handover it would be)."""
    if user is None or not user.is_authenticated or not employee.user_id:
        return False
    return employee.user_id == user.pk


def is_own_handover(user, handover: Handover) -> bool:
    """``user`` is the departing employee of ``handover``: they may fill and
    declare it, never confirm, approve, review or run it. Answered once per
    handover object (its employee is read at most once)."""
    if user is None or not user.is_authenticated:
        return False
    leaver_id = getattr(handover, "_leaver_user_id", None)
    if leaver_id is None:
        leaver_id = handover._leaver_user_id = handover.employee.user_id or 0
    return leaver_id == user.pk


def _permissions_from_roles(roles):
    permissions = set()
    for role in roles:
        permissions |= ROLE_PERMISSIONS[role]
    return permissions


def grant_role(*, handover: Handover, user, role: str) -> None:
    grant_roles(handover=handover, people=[(user, role)])


def grant_roles(*, handover: Handover, people) -> None:
    """``grant_role`` for several ``(user, role)`` pairs in two queries: the
    same rows ``assign_perm`` writes, in the same order."""
    codenames = {
        codename for _user, role in people for codename in ROLE_PERMISSIONS[role]
    }
    permissions = dict(
        Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(Handover),
            codename__in=codenames,
        ).values_list("codename", "pk")
    )
    rows, seen = [], set()
    for user, role in people:
        for codename in ROLE_PERMISSIONS[role]:
            if (user.pk, codename) not in seen:
                seen.add((user.pk, codename))
                rows.append(
                    HandoverUserObjectPermission(
                        permission_id=permissions[codename],
                        user=user,
                        content_object=handover,
                    )
                )
    HandoverUserObjectPermission.objects.bulk_create(rows, ignore_conflicts=True)


def revoke_role(*, handover: Handover, user, role: str) -> None:
    """Remove what only this role gave; permissions another role of the same
    user still needs stay."""
    remaining = set(
        Participant.objects.filter(handover=handover, user=user)
        .exclude(role=role)
        .values_list("role", flat=True)
    )
    keep = _permissions_from_roles(remaining)
    for permission in ROLE_PERMISSIONS[role] - keep:
        remove_perm(f"cms.{permission}", user, handover)


def roles_of(user, handover: Handover) -> set[str]:
    """The participant roles ``user`` holds on ``handover`` (HR admins act as
    hr). On their own handover a person is the leaver only: an HR admin who
    leaves is not HR there, and a role given to the leaver by mistake (or
    before this rule) gives nothing."""
    if not user.is_authenticated:
        return set()
    cache = getattr(handover, "_roles_cache", None)
    if cache is None:
        cache = handover._roles_cache = {}
    if user.pk not in cache:
        roles = set(
            Participant.objects.filter(handover=handover, user=user).values_list(
                "role", flat=True
            )
        )
        if is_own_handover(user, handover):
            roles &= {ParticipantRole.LEAVER}
        elif is_hr_admin(user):
            roles.add(ParticipantRole.HR)
        cache[user.pk] = roles
    return cache[user.pk]


def can_fill(user, item: Item) -> bool:
    return item.filled_by_role in roles_of(user, item.handover)


def can_confirm(user, item: Item) -> bool:
    """The rule every screen offers buttons by; ``roles_of`` already leaves the
    leaver nothing to confirm on their own handover."""
    roles = roles_of(user, item.handover)
    if item.confirmed_by_role not in roles:
        return False
    if item.confirmed_by_role == ParticipantRole.SUCCESSOR and item.assignee_id:
        return item.assignee_id == user.pk
    return True
