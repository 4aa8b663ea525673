"""Connector secrets, encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256).

Keys come from ``BATON_SECRETS_KEYS``: comma-separated Fernet keys, the first
encrypts, every one decrypts, so a key can be rotated by putting the new key
first, running ``manage.py rotate_connector_secrets`` and then dropping the old
one. Without the variable (development only) a key is derived from SECRET_KEY.
"""

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

__all__ = ["SecretsUnreadable", "decrypt_secrets", "encrypt_secrets", "rotate_token"]


class SecretsUnreadable(Exception):
    """The stored secrets were encrypted with a key that is no longer configured."""

    def __init__(self):
        super().__init__(
            str(
                _(
                    "The connector's secrets cannot be decrypted with the configured "
                    "keys. Enter them again."
                )
            )
        )


def _derived_key() -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"baton-connector-secrets",
        info=b"fernet",
    )
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode()))


def _fernet() -> MultiFernet:
    configured = [
        key.strip() for key in settings.BATON_SECRETS_KEYS.split(",") if key.strip()
    ]
    if not configured:
        return MultiFernet([Fernet(_derived_key())])
    try:
        return MultiFernet([Fernet(key) for key in configured])
    except ValueError as error:
        raise ImproperlyConfigured(
            "BATON_SECRETS_KEYS must hold url-safe base64 Fernet keys "
            "(generate one with `manage.py rotate_connector_secrets --new-key`)."
        ) from error


def encrypt_secrets(secrets: dict) -> str:
    if not secrets:
        return ""
    plaintext = json.dumps(secrets, sort_keys=True).encode()
    return _fernet().encrypt(plaintext).decode()


def decrypt_secrets(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as error:
        raise SecretsUnreadable() from error


def rotate_token(token: str) -> str:
    """Re-encrypt with the first configured key."""
    if not token:
        return token
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise SecretsUnreadable() from error
