"""The client's address as Baton's own reverse proxies saw it.

Every proxy appends the address it received the request from to
``X-Forwarded-For``; whatever stands further left came from the client and
proves nothing. With ``BATON_TRUSTED_PROXIES`` proxies in front, the client is
the entry that many places from the right (the rule of DRF's ``NUM_PROXIES``,
which the settings set to the same number, so throttles and lockouts agree).
"""

import ipaddress

from django.conf import settings

__all__ = ["client_ip"]


def _address(value) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's IP address, or None when the request carries none."""
    remote = _address(request.META.get("REMOTE_ADDR"))
    proxies = getattr(settings, "BATON_TRUSTED_PROXIES", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop for hop in (part.strip() for part in forwarded.split(",")) if hop]
    if not hops:
        return remote
    return _address(hops[-min(proxies, len(hops))]) or remote
