"""Production configuration checks: bad configuration stops Baton at start-up
(``manage.py check --deploy``, which gunicorn's configuration and the systemd
units run before serving) instead of showing as a 500 later.

Every check here is a deploy check (``--deploy``): the test suite and
development run plain ``check`` without the services a production site needs.
The messages are for the operator's console, in English like Django's own.
See docs/deploy.md for the settings they name.
"""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register

logger = logging.getLogger(__name__)

#: ``manage.py check --deploy --tag baton`` runs only these.
TAG = "baton"
#: Seconds a service may take to answer before it counts as unreachable.
TIMEOUT = 5


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


@register(TAG, deploy=True)
def database_answers(app_configs=None, **kwargs):
    """The default database accepts a connection (a fresh one, with a timeout)."""
    from django.db import connections

    connection = connections["default"]
    params = connection.get_connection_params()
    if connection.vendor == "postgresql":
        params.setdefault("connect_timeout", TIMEOUT)
    try:
        connection.get_new_connection(params).close()
    except Exception as error:  # noqa: BLE001 - every driver error means "unreachable"
        where = connection.settings_dict.get("HOST") or connection.settings_dict.get(
            "NAME"
        )
        return [
            Error(
                f"The database ({connection.vendor} at {where}) does not answer: "
                f"{_first_line(error)}",
                hint="Check DATABASE_URL and that the database server is running.",
                id="baton.E001",
            )
        ]
    return []


@register(TAG, deploy=True)
def redis_answers(app_configs=None, **kwargs):
    """With REDIS_URL set, the huey queue's Redis answers a PING."""
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return []
    import redis

    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
        )
        client.ping()
        client.close()
    except (redis.RedisError, OSError, ValueError) as error:
        parts = urlsplit(url)
        return [
            Error(
                f"REDIS_URL is set but Redis at {parts.hostname}:{parts.port or 6379} "
                f"does not answer: {_first_line(error)}",
                hint="Start Redis, fix REDIS_URL, or unset it to use the SQLite "
                "queue (one machine only).",
                id="baton.E002",
            )
        ]
    return []


@register(TAG, deploy=True)
def signing_key_readable(app_configs=None, **kwargs):
    """With DEBUG off the server's Ed25519 signing key must exist: generated
    on first use it would differ per machine and make earlier signatures and
    certificates unverifiable."""
    if settings.DEBUG:
        return []
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    hint = (
        "Create the key once (openssl genpkey -algorithm ed25519 -out FILE; "
        "chmod 600 FILE), keep it with the backups, and point "
        "BATON_SIGNING_KEY_FILE at it on every machine (or put the PEM in "
        "BATON_SIGNING_KEY)."
    )
    pem = settings.BATON_SIGNING_KEY
    source = "BATON_SIGNING_KEY"
    if not pem:
        source = f"BATON_SIGNING_KEY_FILE ({settings.BATON_SIGNING_KEY_FILE})"
        try:
            with open(settings.BATON_SIGNING_KEY_FILE, "rb") as key_file:
                pem = key_file.read()
        except FileNotFoundError:
            return [
                Error(
                    f"The signing key is missing: {source} does not exist.",
                    hint=hint,
                    id="baton.E003",
                )
            ]
        except OSError as error:
            return [
                Error(
                    f"The signing key is unreadable: {source}: {error.strerror}.",
                    hint="Let the user Baton runs as read the file (and no one else).",
                    id="baton.E003",
                )
            ]
    try:
        key = serialization.load_pem_private_key(
            pem.encode() if isinstance(pem, str) else pem, password=None
        )
    except (ValueError, TypeError) as error:
        return [
            Error(
                f"The signing key in {source} is not an unencrypted PEM private "
                f"key: {_first_line(error)}",
                hint=hint,
                id="baton.E003",
            )
        ]
    if not isinstance(key, Ed25519PrivateKey):
        return [
            Error(
                f"The signing key in {source} is not an Ed25519 key.",
                hint=hint,
                id="baton.E003",
            )
        ]
    return []


@register(TAG, deploy=True)
def secrets_keys_set(app_configs=None, **kwargs):
    """With DEBUG off connector secrets are encrypted with keys of their own,
    not with one derived from SECRET_KEY."""
    if settings.DEBUG:
        return []
    from cryptography.fernet import Fernet

    hint = (
        "Generate one with `manage.py rotate_connector_secrets --new-key` (or "
        'python -c "from cryptography.fernet import Fernet; '
        'print(Fernet.generate_key().decode())"), keep it with the backups.'
    )
    keys = [key.strip() for key in settings.BATON_SECRETS_KEYS.split(",")]
    keys = [key for key in keys if key]
    if not keys:
        return [
            Error(
                "BATON_SECRETS_KEYS is not set: connector secrets need their own "
                "encryption key when DEBUG is off.",
                hint=hint,
                id="baton.E004",
            )
        ]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            return [
                Error(
                    f"BATON_SECRETS_KEYS: key {position} is not a url-safe base64 "
                    "Fernet key (44 characters).",
                    hint=hint,
                    id="baton.E004",
                )
            ]
    return []


@register(TAG, deploy=True)
def allowed_hosts_set(app_configs=None, **kwargs):
    if settings.DEBUG or settings.ALLOWED_HOSTS:
        return []
    return [
        Error(
            "ALLOWED_HOSTS is empty: every request would be refused (400).",
            hint="Set ALLOWED_HOSTS to the host names people use, e.g. "
            "baton.example.com.",
            id="baton.E005",
        )
    ]


@register(TAG, deploy=True)
def base_url_is_https(app_configs=None, **kwargs):
    """Links in mail, certificates' QR codes and the API point at BATON_BASE_URL."""
    if settings.DEBUG:
        return []
    url = settings.WAGTAILADMIN_BASE_URL
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return [
            Error(
                f"BATON_BASE_URL must be the site's https:// address when DEBUG is "
                f"off (it is {url!r}): links in mail and certificates use it.",
                hint="Set BATON_BASE_URL=https://baton.example.com",
                id="baton.E006",
            )
        ]
    hosts = settings.ALLOWED_HOSTS
    if "*" not in hosts and not any(
        parts.hostname == host
        or (host.startswith(".") and parts.hostname.endswith(host))
        for host in hosts
    ):
        return [
            Error(
                f"BATON_BASE_URL's host {parts.hostname!r} is not in ALLOWED_HOSTS: "
                "the links Baton sends would be refused.",
                hint="Add it to ALLOWED_HOSTS.",
                id="baton.E006",
            )
        ]
    return []


@register(TAG, deploy=True)
def media_storage_answers(app_configs=None, **kwargs):
    """With S3-compatible media storage, its credentials and bucket work."""
    backend = settings.STORAGES.get("default", {}).get("BACKEND", "")
    if "s3" not in backend.lower():
        return []
    from django.core.files.storage import default_storage

    try:
        default_storage.exists("baton-check")
    except Exception as error:  # noqa: BLE001 - boto3 raises many kinds
        return [
            Error(
                f"The media storage ({backend}) refuses Baton: {_first_line(error)}",
                hint="Check the bucket, endpoint URL, access key and secret.",
                id="baton.E007",
            )
        ]
    return []


@register(TAG, deploy=True)
def oidc_provider_answers(app_configs=None, **kwargs):
    """With single sign-on configured, the provider's discovery document loads."""
    url = getattr(settings, "BATON_OIDC_DISCOVERY_URL", "")
    if not url:
        return []
    import requests

    try:
        response = requests.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        issuer = response.json().get("issuer")
    except (requests.RequestException, ValueError, AttributeError) as error:
        return [
            Error(
                f"The OIDC provider does not answer at {url}: {_first_line(error)}",
                hint="Check BATON_OIDC_DISCOVERY_URL (it ends in "
                "/.well-known/openid-configuration) and that Baton can reach it.",
                id="baton.E008",
            )
        ]
    if not issuer:
        return [
            Error(
                f"{url} is not an OIDC discovery document (no issuer).",
                hint="Check BATON_OIDC_DISCOVERY_URL.",
                id="baton.E008",
            )
        ]
    return []


@register(TAG, deploy=True)
def async_guard_on(app_configs=None, **kwargs):
    """Only the browser tests may switch off Django's guard against database
    calls from an event loop (tests/e2e/conftest.py)."""
    import os

    if not os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE"):
        return []
    return [
        Error(
            "DJANGO_ALLOW_ASYNC_UNSAFE is set: Django's guard against database "
            "calls from async code is off (the browser tests need it, production "
            "never).",
            hint="Remove DJANGO_ALLOW_ASYNC_UNSAFE from the environment.",
            id="baton.E009",
        )
    ]
