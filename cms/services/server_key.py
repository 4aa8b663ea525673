"""The server's Ed25519 signing key: loaded from the environment or its key
file (generated on first use), and the signatures it makes over canonical JSON
records (handover signatures, audit checkpoints, backup manifests)."""

import base64
import hashlib
import logging
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings

from .audit import canonical_json

logger = logging.getLogger(__name__)

__all__ = ["public_key_pem", "server_key", "server_sign", "server_verify"]


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
