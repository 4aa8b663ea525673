"""E-signatures: re-authentication in the same request, a hash of exactly what
the signer saw, and a server signature (Ed25519) over the signature record."""

import base64
import functools
import hashlib
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
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
from cms.errors import InvalidInput, TooManyAttempts
from cms.models import Signature

from .audit import audit_record, canonical_json, content_hash

logger = logging.getLogger(__name__)

__all__ = [
    "NO_REQUEST",
    "PasswordReauthentication",
    "RequestMeta",
    "reauthenticate",
    "records_failed_signatures",
    "server_key",
    "server_sign",
    "server_verify",
    "signature_create",
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
            # A form sent without a password guessed nothing.
            _attempt_failed(
                _FailedAttempt(user, meta, handovers, "wrong_password", backend.method)
            )
        raise InvalidInput(
            _("Signing needs your password: the one given is missing or wrong."),
            fields={"password": [_("Enter your current password to sign.")]},
        )
    success_record(username=username, request=where)
    return backend.method


class _KeyHolder:
    key: Ed25519PrivateKey | None = None
    key_id: str = ""


def _load_key() -> Ed25519PrivateKey:
    configured = getattr(settings, "BATON_SIGNING_KEY", "")
    if configured:
        return serialization.load_pem_private_key(configured.encode(), password=None)
    path = Path(settings.BATON_SIGNING_KEY_FILE)
    if path.exists():
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    logger.warning("Generated a new server signing key at %s", path)
    return key


def server_key() -> tuple[Ed25519PrivateKey, str]:
    if _KeyHolder.key is None:
        key = _load_key()
        public = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        _KeyHolder.key = key
        _KeyHolder.key_id = hashlib.sha256(public).hexdigest()[:16]
    return _KeyHolder.key, _KeyHolder.key_id


def public_key_pem() -> str:
    key, _key_id = server_key()
    return (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode()
    )


def server_sign(record: dict) -> tuple[str, str]:
    key, key_id = server_key()
    signature = key.sign(canonical_json(record).encode())
    return base64.b64encode(signature).decode(), key_id


def server_verify(record: dict, signature: str) -> bool:
    key, _key_id = server_key()
    public: Ed25519PublicKey = key.public_key()
    try:
        public.verify(base64.b64decode(signature), canonical_json(record).encode())
    except Exception:  # noqa: BLE001 - cryptography raises InvalidSignature or binascii errors
        return False
    return True


def signature_payload(signature: Signature) -> dict:
    """The record the server signs: who decided what, when, over which content."""
    return {
        "handover": signature.handover.number,
        "item": signature.item.block_id if signature.item_id else "",
        "item_version": signature.item_version,
        "section": signature.section_block_id,
        "signer": signature.signer_id,
        "role": signature.role,
        "decision": signature.decision,
        "remarks": signature.remarks,
        "signed_at": signature.signed_at.isoformat(),
        "content_hash": signature.content_hash,
        "intent_statement": signature.intent_statement,
        "auth_method": signature.auth_method,
    }


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
    )
    signature.server_signature, signature.key_id = server_sign(
        signature_payload(signature)
    )
    signature.save(force_insert=True)
    return signature


def signature_verify(signature: Signature) -> bool:
    """True when the stored record is exactly what the server signed."""
    return server_verify(signature_payload(signature), signature.server_signature)
