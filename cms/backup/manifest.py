"""The manifest of a backup: what it holds with the sha256 of every part,
signed with the server's signing key so a restore knows where it came from."""

import base64
import hashlib
from pathlib import Path

from django.conf import settings

__all__ = [
    "FORMAT",
    "MANIFEST",
    "MANIFEST_SIGNATURE",
    "PUBLIC_KEY",
    "file_sha256",
    "manifest_sign",
    "manifest_signature_valid",
    "signing_key_configured",
    "signing_key_public",
]

FORMAT = "baton-backup/1"
MANIFEST = "manifest.json"
MANIFEST_SIGNATURE = "manifest.sig"
PUBLIC_KEY = "keys/signing-public.pem"


def file_sha256(source) -> str:
    """Of a path, or of bytes."""
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256()
    with Path(source).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def signing_key_configured() -> bool:
    """Without creating one: cms.services.signing makes a key on first use."""
    return (
        bool(settings.BATON_SIGNING_KEY)
        or Path(settings.BATON_SIGNING_KEY_FILE).exists()
    )


def signing_key_public() -> dict:
    """The public half of the server key (the private half is never in a
    backup). A server that has not signed anything yet makes its key now, as
    its first signature would: every backup's manifest is signed."""
    from cms.services.server_key import public_key_pem, server_key

    _key, key_id = server_key()
    return {"pem": public_key_pem(), "key_id": key_id}


def public_key_id(pem: bytes) -> str:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(pem)
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def manifest_sign(manifest: dict) -> dict:
    from cms.services.signing import server_sign

    signature, key_id = server_sign(manifest)
    return {"signature": signature, "key_id": key_id}


def manifest_signature_valid(manifest: dict, signature: dict, pem: bytes) -> bool:
    """Checked with the public key the backup names (itself held to the
    configured key by the restore)."""
    from cryptography.hazmat.primitives import serialization

    from cms.services.audit.chain import canonical_json

    key = serialization.load_pem_public_key(pem)
    try:
        key.verify(
            base64.b64decode(signature["signature"]), canonical_json(manifest).encode()
        )
    except Exception:  # noqa: BLE001 - InvalidSignature, bad base64, missing keys
        return False
    return True
