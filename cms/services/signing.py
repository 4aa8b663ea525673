"""E-signatures: re-authentication in the same request, a hash of exactly what
the signer saw, and a server signature (Ed25519) over the signature record.

Two record formats. Format 1 signed the remarks themselves: erasing them would
leave a signature nobody can check. Format 2 signs ``erasable_hash =
sha256(salt + canonical({"remarks": ...}))`` with a random salt stored on the
signature; while not erased, verification recomputes it from the remarks.
Erasure blanks the remarks and the salt (``erased_at``) and the server's
signature still verifies over the kept digest. ``content_hash`` (what was
signed) stays. The IP address and user agent were never signed: erasing them
is a plain blanking.

Migration cms 0016 moved every format-1 signature that verified to format 2:
the server, having checked the original signature, signs the format-2 record
of the same decision (same ``signed_at``) and keeps the original signature in
``original_server_signature`` — ``signature_original_verify`` checks it
against the format-1 record for as long as the remarks are there. Signatures
that did not verify stay in format 1, so the break stays visible."""

import functools
import hashlib
import logging
import secrets
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cms.auth.client_ip import client_ip
from cms.auth.lockout import (
    attempt_request,
    cool_off_minutes,
    failure_record,
    is_locked_out,
    success_record,
)
from cms.auth.sso.passwords import local_password_allowed
from cms.auth.sso.pins import has_pin, pin_check
from cms.errors import InvalidInput, TooManyAttempts
from cms.models import Signature

from .audit import audit_record, canonical_json, content_hash
from .server_key import server_key, server_sign, server_verify

logger = logging.getLogger(__name__)

__all__ = [
    "NO_REQUEST",
    "CompanySignInReauthentication",
    "PasswordReauthentication",
    "RequestMeta",
    "reauthenticate",
    "records_failed_signatures",
    "server_key",
    "server_sign",
    "server_verify",
    "signature_create",
    "signature_erasable_digest",
    "signature_original_verify",
    "signature_payload",
    "signature_verify",
]


@dataclass(frozen=True)
class RequestMeta:
    """Where a write came from; recorded on signatures and audit events."""

    ip_address: str | None = None
    user_agent: str = ""
    path: str = ""

    @classmethod
    def from_request(cls, request):
        if request is None:
            return cls()
        return cls(
            # Behind trusted proxies only (BATON_TRUSTED_PROXIES): a header the
            # client wrote itself never becomes the recorded address.
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
            path=request.path[:1024],
        )


NO_REQUEST = RequestMeta()


class PasswordReauthentication:
    """The default: the signer types their password again. Other backends (a
    one-time code, a third-party e-sign service) implement the same method."""

    method = "password"

    def verify(self, *, user, credentials: dict) -> bool:
        password = credentials.get("password") or ""
        if not password or not user.is_active:
            return False
        # The signer is signed in already: this proves they know their own
        # password. Not authenticate(), which would count the failure inside
        # the signing transaction (rolled back with it) and send sign-in signals;
        # reauthenticate() counts failures itself, after the rollback.
        return user.check_password(password)


class CompanySignInReauthentication(PasswordReauthentication):
    """Baton's default (docs/sso.md "Signing"): the signing PIN for people
    without a Baton password they may use — company sign-in, or Baton's
    passwords switched off — and for anyone who sends one; the password
    otherwise; or a confirmation at the OpenID Connect provider. ``method``
    is what was checked: "pin", "password" or "oidc"."""

    def verify(self, *, user, credentials: dict) -> bool:
        if credentials.get("company_reauth") is True:
            # Confirmed at the identity provider just now (cms.auth.sso.reauth);
            # set by the sign forms from the session, never from the request.
            self.method = "oidc"
            return user.is_active
        pin = credentials.get("pin") or ""
        password_possible = user.has_usable_password() and local_password_allowed(user)
        if pin or not password_possible:
            self.method = "pin"
            return bool(pin) and user.is_active and pin_check(user, pin)
        self.method = "password"
        return super().verify(user=user, credentials=credentials)


def _refusal(backend, user) -> InvalidInput:
    if getattr(backend, "method", "password") != "pin":
        return InvalidInput(
            _("Signing needs your password: the one given is missing or wrong."),
            fields={"password": [_("Enter your current password to sign.")]},
        )
    if not has_pin(user):
        return InvalidInput(
            _(
                "Set your signing PIN first: you signed in with your company "
                "account, so signing asks for a PIN you choose on the Signing "
                "PIN page."
            ),
            fields={"pin": [_("Set a signing PIN first.")]},
        )
    return InvalidInput(
        _("Signing needs your signing PIN: the one given is missing or wrong."),
        fields={"pin": [_("Enter your signing PIN to sign.")]},
    )


def _backend():
    path = getattr(
        settings,
        "BATON_SIGNATURE_BACKEND",
        "cms.services.signing.PasswordReauthentication",
    )
    return import_string(path)()


@dataclass(frozen=True)
class _FailedAttempt:
    user: object
    meta: RequestMeta
    handovers: tuple
    reason: str
    method: str


# Failed attempts of the signing service running in this context, recorded
# once its transaction has ended (see records_failed_signatures).
_PENDING: ContextVar[list | None] = ContextVar("baton_failed_signatures", default=None)


def _attempt_record(attempt: _FailedAttempt) -> None:
    """Count the failure towards the lockout and put it in each handover's
    audit trail (never the password typed)."""
    with transaction.atomic():
        failure_record(
            username=attempt.user.get_username(),
            request=attempt_request(
                ip_address=attempt.meta.ip_address,
                user_agent=attempt.meta.user_agent,
                path=attempt.meta.path,
            ),
        )
        for handover in attempt.handovers:
            audit_record(
                handover=handover,
                actor=attempt.user,
                role="",
                action="signature.failed",
                obj=handover,
                details={"reason": attempt.reason, "method": attempt.method},
                ip_address=attempt.meta.ip_address,
            )


def _attempt_failed(attempt: _FailedAttempt) -> None:
    pending = _PENDING.get()
    if pending is None:
        _attempt_record(attempt)
    else:
        pending.append(attempt)


def records_failed_signatures(service):
    """Put this above ``@transaction.atomic`` on every service that calls
    ``reauthenticate``. A refused signature raises, which rolls the service's
    transaction back, and with it anything written about the failure: the
    failures are recorded here instead, once that transaction has ended.
    (Called inside another decorated service, the outermost one records.)"""

    @functools.wraps(service)
    def recording(*args, **kwargs):
        if _PENDING.get() is not None:
            return service(*args, **kwargs)
        pending: list[_FailedAttempt] = []
        context = _PENDING.set(pending)
        try:
            return service(*args, **kwargs)
        finally:
            _PENDING.reset(context)
            for attempt in pending:
                _attempt_record(attempt)

    return recording


def _as_tuple(handover) -> tuple:
    if handover is None:
        return ()
    if isinstance(handover, list | tuple | set):
        return tuple({each.pk: each for each in handover}.values())
    return (handover,)


def reauthenticate(
    *, user, credentials: dict, meta: RequestMeta = NO_REQUEST, handover=None
) -> str:
    """Return the authentication method used, or raise: InvalidInput for a
    wrong password, TooManyAttempts while the user or their address is locked
    out after repeated failures (django-axes, shared with sign-in). Each
    failure counts towards the lockout and is audited as ``signature.failed``
    on ``handover`` (one handover or several) — by ``records_failed_signatures``
    when the caller runs in a transaction."""
    backend = _backend()
    username = user.get_username()
    where = attempt_request(
        ip_address=meta.ip_address, user_agent=meta.user_agent, path=meta.path
    )
    handovers = _as_tuple(handover)
    if is_locked_out(username=username, request=where):
        _attempt_failed(
            _FailedAttempt(user, meta, handovers, "locked_out", backend.method)
        )
        minutes = cool_off_minutes(where)
        raise TooManyAttempts(
            ngettext(
                "Too many wrong passwords: signing is paused. Try again in "
                "%(minutes)d minute.",
                "Too many wrong passwords: signing is paused. Try again in "
                "%(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes}
        )
    if not backend.verify(user=user, credentials=credentials):
        if any(credentials.values()):
            # A form sent without a password or PIN guessed nothing.
            reason = "wrong_pin" if backend.method == "pin" else "wrong_password"
            _attempt_failed(
                _FailedAttempt(user, meta, handovers, reason, backend.method)
            )
        raise _refusal(backend, user)
    success_record(username=username, request=where)
    return backend.method


def signature_erasable_digest(signature: Signature) -> str:
    """The salted digest of the signature's personal text, as it is now."""
    return hashlib.sha256(
        (
            signature.erasure_salt + canonical_json({"remarks": signature.remarks})
        ).encode()
    ).hexdigest()


def _erasable_intact(signature: Signature) -> bool:
    if signature.erased_at is None:
        return True
    return not signature.remarks and not signature.erasure_salt


def signature_payload(
    signature: Signature, *, record_format: int | None = None
) -> dict:
    """The record the server signs: who decided what, when, over which content.
    Format 2 names the remarks by their salted digest (see the module)."""
    record_format = record_format or getattr(signature, "format", 1)
    payload = {
        "handover": signature.handover.number,
        "item": signature.item.block_id if signature.item_id else "",
        "item_version": signature.item_version,
        "section": signature.section_block_id,
        "signer": signature.signer_id,
        "role": signature.role,
        "decision": signature.decision,
        "signed_at": signature.signed_at.isoformat(),
        "content_hash": signature.content_hash,
        "intent_statement": signature.intent_statement,
        "auth_method": signature.auth_method,
    }
    if record_format == 2:
        # Not erased: the digest of the remarks as they are, so changing them
        # shows. Erased: the digest kept when they went.
        erased = getattr(signature, "erased_at", None) is not None
        payload |= {
            "format": 2,
            "erasable_hash": (
                signature.erasable_hash
                if erased
                else signature_erasable_digest(signature)
            ),
        }
    else:
        payload["remarks"] = signature.remarks
    return payload


def signature_create(
    *,
    actor,
    role: str,
    handover,
    decision: str,
    intent,
    remarks: str,
    method: str,
    meta: RequestMeta,
    content: dict,
    item=None,
    section_block_id: str = "",
) -> Signature:
    """Record a signature over ``content`` (exactly what the signer was shown)
    and sign the record with the server key."""
    signature = Signature(
        handover=handover,
        item=item,
        item_version=item.version if item is not None else None,
        section_block_id=section_block_id,
        signer=actor,
        role=role,
        decision=decision,
        remarks=remarks,
        signed_at=timezone.now(),
        content_hash=content_hash(content),
        intent_statement=str(intent),
        auth_method=method,
        ip_address=meta.ip_address,
        user_agent=meta.user_agent,
        format=2,
        erasure_salt=secrets.token_hex(16),
    )
    signature.erasable_hash = signature_erasable_digest(signature)
    signature.server_signature, signature.key_id = server_sign(
        signature_payload(signature)
    )
    signature.save(force_insert=True)
    return signature


def signature_verify(signature: Signature) -> bool:
    """True when the stored record is exactly what the server signed (for
    format 2: and the remarks, unless erased, are the ones it digested)."""
    if getattr(signature, "format", 1) == 2 and not _erasable_intact(signature):
        return False
    return server_verify(signature_payload(signature), signature.server_signature)


def signature_original_verify(signature: Signature) -> bool | None:
    """The signature issued at signing time, for a record migrated to format 2:
    True or False while the remarks are there, None when there is none to
    check (signed in format 2, or the remarks were erased)."""
    if not signature.original_server_signature or signature.erased_at is not None:
        return None
    return server_verify(
        signature_payload(signature, record_format=1),
        signature.original_server_signature,
    )
