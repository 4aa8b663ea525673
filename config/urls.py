from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.api.urls import api_v1_urls
from cms.api.wagtail_api import api_router
from cms.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", include("config.observability.urls")),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("auth/", include("cms.auth.sso.urls")),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", include((api_v1_urls, "api"), namespace="api")),
    path("api/v2/", api_router.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("auth/im/", include("cms.auth.sso.im_urls")),
    path("", include("reports.urls")),
]

urlpatterns += i18n_patterns(
    path("handovers/", include("cms.participant.urls")),
    path("auth/", include("cms.auth.sso.page_urls")),
    path("imports/", include("connectors.urls")),
    path("reports/", include("reports.site_urls")),
    path("", include(wagtail_urls)),
    prefix_default_language=True,
)

# Under /api/, what Django answers itself (an unknown URL, an unreadable or
# oversized body) is the API's JSON error too; elsewhere Django's pages.
handler400 = "cms.api.errors.bad_request"
handler404 = "cms.api.errors.page_not_found"
