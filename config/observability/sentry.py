"""Optional error reporting to Sentry (or a compatible service): on when
``SENTRY_DSN`` is set (config/settings_parts/observability.py).

No personal data is sent (``send_default_pii=False``: no user names, email
addresses, cookies or client addresses), and ``scrub_event`` removes what
could still carry a secret before an event leaves: connector credentials,
tokens, passwords and PINs in request data, headers, stack frame variables,
breadcrumbs and messages."""

import re

__all__ = ["FILTERED", "scrub_event", "sentry_init"]

FILTERED = "[Filtered]"

# Keys whose values are secrets wherever they appear (lower case, substrings).
_SECRET_PARTS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "api_key",
    "authorization",
    "credential",
    "private_key",
    "signing_key",
    "aes_key",
    "encrypt_key",
    "cookie",
    "sessionid",
    "signature",
    "dsn",
)
# Whole words of a key that mark a secret: "pin" but not "mapping".
_SECRET_WORDS = frozenset({"pin", "pwd", "otp", "sign"})
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Secrets inside text: "Bearer abc…", "token=abc…" in URLs and messages.
_BEARER = re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=\-]{8,}")
_ASSIGNED = re.compile(
    r"(?i)\b([a-z_]*(?:password|passwd|secret|token|api_?key|pin|signature|sign))"
    r"(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^&\s,;\"']+)"
)


def _is_secret_key(key) -> bool:
    if not isinstance(key, str):
        return False
    lower = key.lower()
    if any(part in lower for part in _SECRET_PARTS):
        return True
    words = _WORD.findall(_CAMEL.sub("_", key).lower())
    return any(word in _SECRET_WORDS for word in words)


def _scrub_text(text: str) -> str:
    text = _BEARER.sub(lambda match: f"{match.group(1)} {FILTERED}", text)
    return _ASSIGNED.sub(
        lambda match: f"{match.group(1)}{match.group(2)}{FILTERED}", text
    )


def _scrub(value, depth=0):
    if depth > 20:
        return value
    if isinstance(value, dict):
        return {
            key: FILTERED if _is_secret_key(key) else _scrub(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        # Headers and cookies come as [name, value] pairs.
        if len(value) == 2 and _is_secret_key(value[0]) and isinstance(value[1], str):
            return [value[0], FILTERED]
        return [_scrub(item, depth + 1) for item in value]
    if isinstance(value, str):
        return _scrub_text(value)
    return value


def scrub_event(event, hint=None):
    """Sentry's ``before_send``: the event without secrets."""
    return _scrub(event)


def _privacy_options() -> dict:
    """No personal data: ``send_default_pii=False``, or, on SDKs that replace
    it with ``data_collection`` (2.76 and later), the same said that way."""
    import inspect

    from sentry_sdk.consts import ClientConstructor

    if "data_collection" not in inspect.signature(ClientConstructor).parameters:
        return {"send_default_pii": False}
    # What send_default_pii=False collects: no user, no client addresses.
    no_addresses = {
        "mode": "denylist",
        "terms": ["forwarded", "-ip", "remote-", "via", "-user"],
    }
    return {
        "data_collection": {
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": no_addresses},
            "url_query_params": no_addresses,
            "graphql": {"document": False, "variables": False},
            "gen_ai": {"inputs": False, "outputs": False},
            "database_query_data": False,
            "queues": False,
        }
    }


def sentry_init(*, dsn, environment, release, traces_sample_rate=0.0, **options):
    """Start the SDK with Django and huey integrations."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.huey import HueyIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration(), HueyIntegration()],
        traces_sample_rate=traces_sample_rate,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=lambda crumb, hint: _scrub(crumb),
        **_privacy_options(),
        **options,
    )
