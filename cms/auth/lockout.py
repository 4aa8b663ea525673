"""Repeated wrong passwords, counted by django-axes wherever a password is
typed. The admin login and the token endpoint go through
``django.contrib.auth.authenticate``, where axes' backend refuses a locked-out
user and its signal handler counts failures. The password typed again to sign
is checked here against the same counters: a wrong one is a guess at the same
secret, whichever form it was typed into."""

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_credentials
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django.shortcuts import render

__all__ = [
    "AttemptHandler",
    "attempt_request",
    "cool_off_minutes",
    "failure_record",
    "is_locked_out",
    "lockout_response",
    "success_record",
]


class AttemptHandler(AxesDatabaseHandler):
    """Axes' database handler, except that a successful sign-in clears only the
    failures of the user who signed in. Axes would also clear every failure
    from the same address, for any username: someone with an account of their
    own could then guess another user's password forever, signing in as
    themselves before each lockout."""

    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _deleted = AccessAttempt.objects.filter(username=username).delete()
        return count


def attempt_request(*, ip_address, user_agent: str = "", path: str = "") -> HttpRequest:
    """A stand-in request carrying only where an attempt came from. Axes
    annotates the request it is given, and its middleware would turn the real
    one into its lockout page; a signing refusal answers for itself."""
    request = HttpRequest()
    request.method = "POST"
    request.path = request.path_info = path
    # Already the client's address (behind trusted proxies): no header to read.
    request.META = {
        "REMOTE_ADDR": ip_address or "",
        "HTTP_USER_AGENT": user_agent,
        "PATH_INFO": path,
    }
    return request


def is_locked_out(*, username: str, request) -> bool:
    if not settings.AXES_ENABLED:
        return False
    return not AxesProxyHandler.is_allowed(request, get_credentials(username))


def failure_record(*, username: str, request) -> None:
    """Count a wrong password: Django's own signal for a failed sign-in, which
    axes (and anything else watching sign-ins) listens to."""
    user_login_failed.send(
        sender=__name__, credentials=get_credentials(username), request=request
    )


def success_record(*, username: str, request) -> None:
    """The right password clears the count, as a successful sign-in does."""
    if settings.AXES_ENABLED and settings.AXES_RESET_ON_SUCCESS:
        AxesProxyHandler.update_request(request)
        AxesProxyHandler.get_implementation().reset_user_attempts(
            request, get_credentials(username)
        )


def cool_off_minutes(request=None) -> int:
    cool_off = get_cool_off(request)
    return max(1, int(cool_off.total_seconds() // 60)) if cool_off else 0


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out sign-in gets (``AXES_LOCKOUT_CALLABLE``): a page in
    the admin's style saying how long to wait, with status 429."""
    return render(
        request,
        "cms/auth/lockout.html",
        {"minutes": cool_off_minutes(request)},
        status=429,
    )
