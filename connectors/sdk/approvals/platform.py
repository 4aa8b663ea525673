"""What talking to an approval platform (Feishu, DingTalk) shares: an app
whose key and secret are traded for an access token, kept for the connector's
run and renewed once when the platform refuses it (revoked early); and the
platform's error codes translated from a table of ``Rule``
(``PlatformApp.failure``) instead of branch by branch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pydantic import AliasPath, Field

from ..auth import TokenRefused
from ..base import (
    DISCOVER,
    WEBHOOK,
    ConnectorError,
    ConnectorType,
    MisconfiguredError,
    Setting,
)
from ..client import OptionsMixin
from ..common import TIMEOUT, secret_setting, webhook_secret_setting
from .intake import ResignationIntake
from .records import ApprovalsConnector

__all__ = [
    "ANSWERED",
    "LIMITED",
    "ApprovalPlatform",
    "PlatformApp",
    "Rule",
    "app_settings",
    "at",
]

# What many platforms' tables say (``%(system)s``, ``%(code)s``, ``%(message)s``).
LIMITED = _("%(system)s is limiting how often Baton may call it (code %(code)s).")
ANSWERED = _("%(system)s answered with error code %(code)s: %(message)s")


@dataclass(frozen=True)
class Rule:
    """What a failed answer means: ``message`` for a code among ``codes`` (a
    tuple: codes compared, never hashed) or starting with one of
    ``prefixes``, any code at all (``any_code``), or an HTTP status among
    ``statuses`` or from ``from_status`` up. A rule naming none of them
    matches every answer. ``fix``: only an admin can fix it
    (``MisconfiguredError``); ``renew``: the access token was refused
    (``TokenRefused``: renewed once by ``with_token``)."""

    message: Any
    codes: tuple = ()
    prefixes: tuple = ()
    any_code: bool = False
    statuses: tuple = ()
    from_status: int = 0
    fix: bool = False
    renew: bool = False

    def matches(self, status, code) -> bool:
        named = (self.codes, self.prefixes, self.any_code, self.statuses)
        if not any(named) and not self.from_status:
            return True
        return (
            code in self.codes
            or (isinstance(code, str) and code.startswith(self.prefixes))
            or (self.any_code and code not in (None, ""))
            or status in self.statuses
            or bool(self.from_status and status and status >= self.from_status)
        )


class PlatformApp:
    """Mixin: ``access_token()`` from the type's ``fetch_token()``, kept for
    the run; ``with_token`` for every call; ``test_connection``; ``scrub``
    for platform text quoted in messages. Needs ``option``, ``system`` and
    ``host``."""

    # The setting holding the app's id (its key), named by ``test_connection``.
    app_setting: ClassVar[str] = "app_id"
    _token = None

    def fetch_token(self) -> str:
        raise NotImplementedError

    def access_token(self) -> str:
        if not self._token:
            self.require_settings()
            self._token = self.fetch_token()
        return self._token

    def with_token(self, call):
        """``call(token)``; once more with a new token when the platform
        refuses the one it gave (``TokenRefused``)."""
        try:
            return call(self.access_token())
        except TokenRefused:
            self._token = None
        return call(self.access_token())

    def app_key(self) -> str:
        return str(self.option(self.app_setting) or "").strip()

    def test_connection(self) -> str:
        self.access_token()
        return gettext("Connected to %(system)s at %(host)s as app %(app)s.") % {
            "system": self.system,
            "host": self.host,
            "app": self.app_key(),
        }

    def failure(
        self, rules, *, status=None, code=None, request_id=None, message=""
    ) -> ConnectorError:
        """The error of the first of ``rules`` a failed answer matches (a
        table ends with a rule matching every answer); its message names the
        system, ``status``, ``code`` ("-" for none) and quotes ``message``."""
        rule = next(rule for rule in rules if rule.matches(status, code))
        kind = TokenRefused if rule.renew else ConnectorError
        kind = MisconfiguredError if rule.fix and not rule.renew else kind
        values = {
            "system": self.system,
            "host": self.host,
            "status": status,
            "code": "-" if code in (None, "") else code,
            "message": self.scrub(message) or "-",
        }
        return kind(rule.message % values, request_id=request_id)

    def scrub(self, text: str) -> str:
        """``text`` on one line, at most 200 characters, without secrets."""
        for secret in (*self.secrets.values(), self._token):
            if secret:
                text = text.replace(str(secret), "•••")
        text = " ".join(text.split())
        return text[:199] + "…" if len(text) > 200 else text


def app_settings(system, *, secret_help) -> tuple[Setting, ...]:
    """The settings every platform app has after its own: the timeout, the
    app secret (``secret_help`` says where the system's console shows it) and
    the secret of relayed change notifications."""
    return (
        TIMEOUT,
        secret_setting("app_secret", _("App secret"), secret_help),
        webhook_secret_setting(
            format_lazy(
                _(
                    "Signs change notifications relayed from {system} event "
                    "subscriptions."
                ),
                system=system,
            )
        ),
    )


def at(*path: str | int):
    """A payload field (``Text``) read from ``path`` in a platform's nested
    answer, "" where the way ends: ``code: Text = at("instance", "code")``."""
    return Field("", validation_alias=AliasPath(*path))


class ApprovalPlatform(
    ApprovalsConnector, ResignationIntake, PlatformApp, OptionsMixin, ConnectorType
):
    """An approval platform's connector type: what the employee raised or
    must approve and their reimbursements (``ApprovalsConnector``),
    resignation approvals and the directory for intake
    (``ResignationIntake``), through an app with an access token
    (``PlatformApp``; a type's own mixin for its platform comes first)."""

    capabilities = frozenset({DISCOVER, WEBHOOK})
