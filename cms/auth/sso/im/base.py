"""What the three vendors share: the flow a vendor implements, its errors,
and hiding secrets in what is logged."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..match import Identity

__all__ = ["NotMember", "Unreachable", "Vendor", "VendorError", "clean", "scrub"]


class VendorError(Exception):
    """The vendor refused a call or answered nonsense. ``code`` (the vendor's
    error code, or "HTTP 502") is shown to the person for IT; ``detail`` is for
    the log only (scrubbed first)."""

    def __init__(self, detail: str, *, code=""):
        super().__init__(detail)
        self.detail = detail
        self.code = str(code or "")


class Unreachable(VendorError):
    """The vendor did not answer (network, timeout)."""


class NotMember(Exception):
    """The vendor knows the person, but not as a member of the company's
    organisation (a personal DingTalk account, a WeCom external contact, a
    Feishu user of another tenant). ``reason`` is for the log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def clean(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def scrub(text: str, secrets) -> str:
    """``text`` with every secret (app secret, tokens, the code) replaced."""
    text = str(text)
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(str(secret), "•••")
    return " ".join(text.split())[:1000]


class Vendor:
    """One sign-in through a vendor; a new instance per request, so that the
    tokens it collects for scrubbing are this sign-in's only."""

    key = ""
    label = _("company account")
    # The query parameters that may carry the authorisation code.
    code_params = ("code",)

    def __init__(self):
        self.secrets: set[str] = set()

    @classmethod
    def setting(cls, name: str, default=""):
        return getattr(settings, f"BATON_SSO_{cls.key.upper()}_{name}", default)

    @classmethod
    def url(cls, name: str) -> str:
        return str(cls.setting(f"{name}_URL")).rstrip("/")

    @classmethod
    def enabled(cls) -> bool:
        raise NotImplementedError

    @property
    def timeout(self) -> float:
        return float(getattr(settings, "BATON_SSO_IM_TIMEOUT", 10.0))

    def keep_secret(self, *values) -> None:
        self.secrets.update(str(value) for value in values if value)

    def authorize_url(self, *, redirect_uri: str, state: str, request) -> str:
        """Where the browser goes to sign in (a QR code on a desk, the app's
        own confirmation inside the vendor's app)."""
        raise NotImplementedError

    def identity(self, *, code: str, redirect_uri: str) -> Identity:
        """What the vendor vouches for about whoever the code belongs to. The
        vendors give a name in one piece ("张三"), written as it is: it goes
        whole into ``family_name`` (cms.names prints one part alone)."""
        raise NotImplementedError
