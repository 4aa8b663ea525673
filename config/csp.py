"""The Content-Security-Policy on every response (django-csp), with the one
relaxation the Wagtail admin needs.

Baton's own pages, the verify page and the API docs run no inline script and
no inline style: ``script-src 'self'`` (plus a per-request nonce where a
template asks for one, as the Swagger UI page does). The Wagtail admin (8.0)
still writes inline initialisation scripts from Python widgets that never see
the request (choosers, date pickers, inline panels), and its modals insert
HTML fetched later whose scripts could never carry the page's nonce: under
``/admin/`` scripts and styles may be inline, nothing else changes (no
``'unsafe-eval'``, no other origin, no plugins, frames only from Baton).
"""

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings

__all__ = ["ContentSecurityPolicyMiddleware"]


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware; paths under ``BATON_CSP_ADMIN_PREFIXES`` get
    ``BATON_CSP_ADMIN_DIRECTIVES`` in place of the same directives."""

    def get_policy_parts(
        self, request, response, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(tuple(settings.BATON_CSP_ADMIN_PREFIXES)):
            # Replace rather than add: with a nonce in the directive, browsers
            # ignore 'unsafe-inline'.
            parts.replace = {
                **settings.BATON_CSP_ADMIN_DIRECTIVES,
                **(parts.replace or {}),
            }
        return parts
