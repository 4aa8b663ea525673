"""The request id and the request metrics: the first two middlewares, so that
everything after them (the other middlewares' logs too) is counted and carries
the id."""

import time

from django.conf import settings
from django.core.signals import request_finished

from .context import (
    current_request,
    current_request_id,
    new_request_id,
    request_id_from_header,
)
from .metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS, http_method

__all__ = ["MetricsMiddleware", "RequestIdMiddleware"]

HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Gives every request an id: the proxy's ``X-Request-ID`` when Baton
    stands behind trusted proxies (``BATON_TRUSTED_PROXIES`` > 0; nginx:
    ``proxy_set_header X-Request-ID $request_id;``) and the id is plausible,
    else a new one. The id is in every log line written while the request is
    served and in the response's ``X-Request-ID`` header."""

    def __init__(self, get_response):
        self.get_response = get_response
        request_finished.connect(_forget_request, dispatch_uid=__name__)

    def __call__(self, request):
        request_id = None
        if getattr(settings, "BATON_TRUSTED_PROXIES", 0) > 0:
            request_id = request_id_from_header(request.headers.get(HEADER))
        request_id = request_id or new_request_id()
        request.request_id = request_id
        # Kept until the response is closed (request_finished), not just
        # until the middleware returns: Django logs 4xx responses ("Not
        # Found: …") after the last middleware, and streamed responses write
        # their content later still.
        current_request_id.set(request_id)
        current_request.set(request)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _forget_request(sender, **kwargs):
    current_request_id.set(None)
    current_request.set(None)


def _view_label(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or "unnamed"
    # WhiteNoise answers static files before any URL is resolved.
    static_url = getattr(settings, "STATIC_URL", None) or "/static/"
    if request.path_info.startswith(static_url):
        return "static"
    return "unmatched"


class MetricsMiddleware:
    """Counts every response and its duration by URL name (never the path:
    paths hold ids), method and status code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        labels = (
            _view_label(request),
            http_method(request.method),
            str(response.status_code),
        )
        HTTP_REQUESTS.labels(*labels).inc()
        HTTP_REQUEST_DURATION.labels(*labels).observe(time.perf_counter() - started)
        return response
