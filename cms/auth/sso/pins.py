"""The signing PIN (docs/sso.md "Signing"): who signed in with a company
account has no Baton password to type again when signing, so they set a PIN
of 6 to 12 digits instead, stored hashed with Django's password hasher. A
wrong PIN counts towards the same lockout as a wrong password
(cms.services.signing.reauthenticate)."""

from __future__ import annotations

import itertools
import re

from django.contrib.auth.hashers import check_password, make_password
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.errors import InvalidInput
from cms.models import SigningPin

from .passwords import local_password_allowed

__all__ = [
    "has_pin",
    "pin_check",
    "pin_problems",
    "pin_set",
    "signs_with_password",
]

PIN_PATTERN = re.compile(r"\d{6,12}")


def has_pin(user) -> bool:
    return SigningPin.objects.filter(user=user).exists()


def pin_check(user, pin: str) -> bool:
    record = SigningPin.objects.filter(user=user).only("pin_hash").first()
    if record is None or not pin:
        return False
    return check_password(pin, record.pin_hash)


def _guessable(pin: str) -> bool:
    """One digit repeated, or a run up or down (123456, 987654)."""
    if len(set(pin)) == 1:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    return steps in ({1}, {9})


def pin_problems(pin: str) -> list[str]:
    if not PIN_PATTERN.fullmatch(pin or ""):
        return [_("A signing PIN has 6 to 12 digits, and only digits.")]
    if _guessable(pin):
        return [_("Too easy to guess: not one digit repeated, nor a run like 123456.")]
    return []


def pin_set(*, user, pin: str) -> SigningPin:
    problems = pin_problems(pin)
    if problems:
        raise InvalidInput(problems[0], fields={"pin": problems})
    record, _created = SigningPin.objects.update_or_create(
        user=user,
        defaults={"pin_hash": make_password(pin), "set_at": timezone.now()},
    )
    return record


def signs_with_password(user, session_method: str = "password") -> bool:
    """Does signing ask ``user`` for their Baton password (else the PIN)?
    Yes after a sign-in with that password, while it may be used."""
    return (
        session_method == "password"
        and user.has_usable_password()
        and local_password_allowed(user)
    )
