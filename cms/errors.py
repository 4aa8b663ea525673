"""Application errors: raised by services and selectors, mapped once to HTTP
(``cms.api.errors``) and once to admin and page messages."""

from django.utils.translation import gettext_lazy as _

__all__ = [
    "BatonError",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "TooManyAttempts",
]


class BatonError(Exception):
    """Base of every error a person can be shown."""

    code = "error"
    status = 400
    default_message = _("The request could not be completed.")

    def __init__(self, message=None, *, fields=None, extra=None):
        self.message = message or self.default_message
        self.fields = fields or {}
        self.extra = extra or {}
        super().__init__(str(self.message))


class InvalidInput(BatonError):
    code = "invalid"
    status = 400
    default_message = _("Some of the input is not valid.")


class NotFound(BatonError):
    """Also raised for objects that exist but the actor may not see."""

    code = "not_found"
    status = 404
    default_message = _("Not found.")


class PermissionDenied(BatonError):
    code = "permission_denied"
    status = 403
    default_message = _("You do not have permission to do this.")


class Conflict(BatonError):
    code = "conflict"
    status = 409
    default_message = _("This conflicts with the current state.")


class TooManyAttempts(BatonError):
    """Refused for a while after repeated failures (wrong passwords)."""

    code = "too_many_attempts"
    status = 429
    default_message = _("Too many failed attempts. Try again later.")
