"""The URLconf Baton's OpenAPI schema is generated from (``/api/v1/`` only)."""

from .urls import schema_urlpatterns as urlpatterns

__all__ = ["urlpatterns"]
