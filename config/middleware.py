from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

# URL spaces outside the language-prefixed participant site.
UNPREFIXED_PREFIXES = (
    "/api/",
    "/admin/",
    "/django-admin/",
    "/documents/",
    "/healthz",
    "/metrics",
    "/verify/",
    "/i18n/",
    "/static/",
)


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's locale middleware, except that a 404 from the API or the admin
    stays a 404: the participant site's catch-all page route would otherwise
    turn it into a redirect to ``/en/api/…``."""

    def process_response(self, request, response):
        if request.path_info.startswith(UNPREFIXED_PREFIXES):
            patch_vary_headers(response, ("Accept-Language",))
            response.headers.setdefault("Content-Language", get_language())
            return response
        return super().process_response(request, response)
