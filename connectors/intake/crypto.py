"""How Feishu and DingTalk sign and encrypt what they push to Baton, and how
Baton answers DingTalk (which wants an encrypted "success").

Feishu (event subscriptions, "Encrypt Key" set):
https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case
- ``X-Lark-Signature`` = hex SHA-256 of ``timestamp + nonce + encrypt_key + body``
  (headers ``X-Lark-Request-Timestamp`` and ``X-Lark-Request-Nonce``);
- ``{"encrypt": base64(iv + AES-256-CBC(PKCS#7(json)))}`` with the key
  SHA-256(encrypt_key) and a random 16-byte iv in front.

DingTalk (HTTP event subscriptions):
https://open.dingtalk.com/document/orgapp/configure-event-subcription
- query ``msg_signature`` = hex SHA-1 of the sorted concatenation of token,
  ``timestamp``, ``nonce`` and the ``encrypt`` text of the body;
- ``encrypt`` = base64(AES-256-CBC(PKCS#7/32(random16 + length (4 bytes, big
  endian) + json + owner key))) with the key base64(aes_key + "=") (43
  characters → 32 bytes) and its first 16 bytes as iv; the owner key is the
  app key (event subscriptions of an internal app) or the corp id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import struct

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = [
    "CallbackCryptoError",
    "dingtalk_decrypt",
    "dingtalk_encrypt",
    "dingtalk_signature",
    "dingtalk_success",
    "feishu_decrypt",
    "feishu_encrypt",
    "feishu_signature",
    "signatures_match",
]

DINGTALK_AES_KEY_LENGTH = 43
_AES_BLOCK_BITS = 128
# DingTalk pads to 32 bytes, as WeChat Work's scheme it derives from.
_DINGTALK_PAD_BITS = 256


class CallbackCryptoError(ValueError):
    """The pushed body cannot be decrypted with the configured key."""


def signatures_match(expected: str, received: str) -> bool:
    return hmac.compare_digest(expected.encode(), (received or "").encode())


# Feishu ---------------------------------------------------------------------------


def feishu_signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def _feishu_key(encrypt_key: str) -> bytes:
    return hashlib.sha256(encrypt_key.encode()).digest()


def feishu_decrypt(encrypt_key: str, text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise CallbackCryptoError("not base64") from error
    if len(raw) < 32 or len(raw) % 16:
        raise CallbackCryptoError("bad length")
    decryptor = Cipher(
        algorithms.AES(_feishu_key(encrypt_key)), modes.CBC(raw[:16])
    ).decryptor()
    padded = decryptor.update(raw[16:]) + decryptor.finalize()
    unpadder = padding.PKCS7(_AES_BLOCK_BITS).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as error:
        raise CallbackCryptoError("bad padding") from error


def feishu_encrypt(encrypt_key: str, plaintext: bytes) -> str:
    """What Feishu sends (the fakes use it; Baton never answers encrypted)."""
    iv = os.urandom(16)
    padder = padding.PKCS7(_AES_BLOCK_BITS).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(
        algorithms.AES(_feishu_key(encrypt_key)), modes.CBC(iv)
    ).encryptor()
    return base64.b64encode(
        iv + encryptor.update(padded) + encryptor.finalize()
    ).decode()


# DingTalk -------------------------------------------------------------------------


def dingtalk_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    # DingTalk signs with SHA-1: the vendor's scheme, not a choice.
    return hashlib.sha1(  # noqa: S324
        "".join(sorted([token, timestamp, nonce, encrypt])).encode()
    ).hexdigest()


def _dingtalk_key(aes_key: str) -> bytes:
    if len(aes_key) != DINGTALK_AES_KEY_LENGTH:
        raise CallbackCryptoError("the AES key must be 43 characters")
    try:
        return base64.b64decode(aes_key + "=")
    except (binascii.Error, ValueError) as error:
        raise CallbackCryptoError("the AES key is not base64") from error


def dingtalk_decrypt(aes_key: str, owner_key: str, text: str) -> bytes:
    """The JSON DingTalk encrypted; refused unless it names ``owner_key``."""
    key = _dingtalk_key(aes_key)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise CallbackCryptoError("not base64") from error
    if not raw or len(raw) % 16:
        raise CallbackCryptoError("bad length")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    padded = decryptor.update(raw) + decryptor.finalize()
    unpadder = padding.PKCS7(_DINGTALK_PAD_BITS).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
    except ValueError as error:
        raise CallbackCryptoError("bad padding") from error
    if len(plain) < 20:
        raise CallbackCryptoError("too short")
    (length,) = struct.unpack(">I", plain[16:20])
    message, owner = plain[20 : 20 + length], plain[20 + length :]
    if len(message) != length or not hmac.compare_digest(owner, owner_key.encode()):
        raise CallbackCryptoError("addressed to another app")
    return message


def dingtalk_encrypt(aes_key: str, owner_key: str, plaintext: bytes) -> str:
    key = _dingtalk_key(aes_key)
    body = (
        secrets.token_hex(8).encode()
        + struct.pack(">I", len(plaintext))
        + plaintext
        + owner_key.encode()
    )
    padder = padding.PKCS7(_DINGTALK_PAD_BITS).padder()
    padded = padder.update(body) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def dingtalk_success(
    *, token: str, aes_key: str, owner_key: str, timestamp: str, nonce: str
) -> dict:
    """The answer DingTalk expects from a callback: "success", encrypted and
    signed (anything else and it pushes the event again)."""
    encrypt = dingtalk_encrypt(aes_key, owner_key, b"success")
    return {
        "msg_signature": dingtalk_signature(token, timestamp, nonce, encrypt),
        "timeStamp": timestamp,
        "nonce": nonce,
        "encrypt": encrypt,
    }
