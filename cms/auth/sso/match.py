"""One rule for who a company account is in Baton.

An identity provider vouches for some of: a directory id (the LDAP uid, the
OIDC ``sub`` or the Feishu/DingTalk/WeCom user id, as the directory connector
stores it in ``Employee.directory_id``), an employee number and an e-mail
address. They are tried in that order, the most stable first, on the HR
record (``Employee``):

* one employee matches → that employee's user account; an employee without one
  gets one now (username = employee number, names and e-mail from the record),
  linked to the record;
* no employee matches → a user account whose e-mail is the address (HR and IT
  staff need no employee record), but only when exactly one account has it;
* anything else (no match, several matches, a deactivated account) → no
  sign-in, with the reason for the log. Baton never creates a person HR has not
  recorded: who may sign in is decided by HR's records, not by the provider.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from cms.models import Employee

__all__ = ["Identity", "MatchRefused", "match_user"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    """What a provider vouches for. ``source`` names the provider ("oidc",
    "ldap", "feishu", "dingtalk", "wecom"), for the log and the session."""

    source: str
    directory_id: str = ""
    employee_number: str = ""
    email: str = ""
    given_name: str = ""
    family_name: str = ""


class MatchRefused(Exception):
    """No single active Baton account is this person. ``reason`` is for the
    log (never shown: it would tell a stranger which records exist)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _single(queryset):
    found = list(queryset.select_related("user")[:2])
    if len(found) > 1:
        raise MatchRefused("several employee records match")
    return found[0] if found else None


def _employee(identity: Identity) -> Employee | None:
    if identity.directory_id:
        employee = _single(Employee.objects.filter(directory_id=identity.directory_id))
        if employee is not None:
            return employee
    if identity.employee_number:
        employee = _single(
            Employee.objects.filter(employee_number=identity.employee_number)
        )
        if employee is not None:
            return employee
    if identity.email:
        return _single(Employee.objects.filter(work_email__iexact=identity.email))
    return None


def _account_for(employee: Employee, identity: Identity):
    """The employee's account, created and linked when HR's record has none."""
    if employee.user_id:
        return employee.user
    User = get_user_model()
    email = employee.work_email or identity.email
    try:
        with transaction.atomic():
            user = User(
                username=employee.employee_number,
                email=email,
                first_name=identity.given_name[:150],
                last_name=identity.family_name[:150],
            )
            # Signs in through the provider only; a local password can be set
            # later by a password reset when local sign-in is on.
            user.set_unusable_password()
            user.save()
            # Only link when nobody linked it meanwhile (two first sign-ins).
            linked = Employee.objects.filter(pk=employee.pk, user__isnull=True).update(
                user=user
            )
            if not linked:
                raise IntegrityError("linked concurrently")
    except IntegrityError:
        employee.refresh_from_db(fields=["user"])
        if employee.user_id:
            return employee.user
        raise MatchRefused("the employee number is taken by another account") from None
    employee.user = user
    return user


def match_user(identity: Identity):
    """The active Baton user ``identity`` is, or :class:`MatchRefused`."""
    if not (identity.directory_id or identity.employee_number or identity.email):
        raise MatchRefused("the provider vouched for nothing to match on")
    employee = _employee(identity)
    if employee is not None:
        user = _account_for(employee, identity)
    elif identity.email:
        User = get_user_model()
        users = list(User.objects.filter(email__iexact=identity.email)[:2])
        if len(users) != 1:
            raise MatchRefused(
                "no employee record matches and the e-mail address names "
                f"{len(users)} accounts"
            )
        user = users[0]
    else:
        raise MatchRefused("no employee record matches")
    if not user.is_active:
        raise MatchRefused("the account is deactivated")
    logger.info("sso: %s signed in %s", identity.source, user.get_username())
    return user
