"""E-signatures: re-authentication in the same request, a hash of exactly what
the signer saw, and a server signature (Ed25519) over the signature record."""

import base64
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from cms.errors import InvalidInput
from cms.models import Signature

from .audit import canonical_json, content_hash

logger = logging.getLogger(__name__)

__all__ = [
    "NO_REQUEST",
    "PasswordReauthentication",
    "RequestMeta",
    "reauthenticate",
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

    @classmethod
    def from_request(cls, request):
        if request is None:
            return cls()
        return cls(
            ip_address=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
        )


NO_REQUEST = RequestMeta()


class PasswordReauthentication:
    """The default: the signer types their password again. Other backends (a
    one-time code, a third-party e-sign service) implement the same method."""

    method = "password"

    def verify(self, *, user, credentials: dict) -> bool:
        password = credentials.get("password") or ""
        if not password:
            return False
        return authenticate(username=user.get_username(), password=password) == user


def _backend():
    path = getattr(
        settings,
        "BATON_SIGNATURE_BACKEND",
        "cms.services.signing.PasswordReauthentication",
    )
    return import_string(path)()


def reauthenticate(*, user, credentials: dict) -> str:
    """Return the authentication method used, or raise InvalidInput."""
    backend = _backend()
    if not backend.verify(user=user, credentials=credentials):
        raise InvalidInput(
            _("Signing needs your password: the one given is missing or wrong."),
            fields={"password": [_("Enter your current password to sign.")]},
        )
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
