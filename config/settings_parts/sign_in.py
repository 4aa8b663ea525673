"""Sign-in protection and API tokens (docs/security.md): the proxies in front
of Baton, django-axes' lockout, and django-rest-knox's token lifetimes."""

from datetime import timedelta

from .environment import env

# How many reverse proxies stand in front of Baton. Each appends the address it
# received the request from to X-Forwarded-For, so the client is the entry
# that many places from the right; with 0 the header is ignored (anyone can
# send one) and the connection's own address is the client.
BATON_TRUSTED_PROXIES = env.int("BATON_TRUSTED_PROXIES", default=0)
# django-axes: after BATON_LOGIN_FAILURE_LIMIT wrong passwords for one username
# (from anywhere), or from one client address (for any usernames), sign-in is
# refused for BATON_LOGIN_COOLOFF_MINUTES after the last failure: the admin
# login, the token endpoint and the password typed again to sign. A success
# clears the count.
AXES_FAILURE_LIMIT = env.int("BATON_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(
    minutes=env.int("BATON_LOGIN_COOLOFF_MINUTES", default=15)
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# Axes' database handler, but a success clears only the signed-in user's own
# failures (not other usernames' failures from the same address).
AXES_HANDLER = "cms.auth.lockout.AttemptHandler"
AXES_CLIENT_IP_CALLABLE = "cms.auth.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "cms.auth.lockout.lockout_response"
# Failures are in the log and the axes tables; the admin shows them to superusers.
AXES_VERBOSE = False
# django-rest-knox: API tokens are stored hashed. A token expires
# BATON_TOKEN_IDLE after its last use (knox's AUTO_REFRESH moves the expiry on
# at most once a minute) and never later than BATON_TOKEN_TTL after it was
# issued (AUTO_REFRESH_MAX_TTL caps the moves).
BATON_TOKEN_TTL = timedelta(days=env.int("BATON_TOKEN_TTL_DAYS", default=30))
BATON_TOKEN_IDLE = timedelta(days=env.int("BATON_TOKEN_IDLE_DAYS", default=7))
REST_KNOX = {
    "TOKEN_TTL": BATON_TOKEN_IDLE,
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": BATON_TOKEN_TTL,
    "AUTH_HEADER_PREFIX": "Token",
}
# Besides HR admins, members of these groups see and revoke anyone's tokens.
BATON_TOKEN_ADMIN_GROUPS = env.list("BATON_TOKEN_ADMIN_GROUPS", default=["IT"])


# What ``config.settings`` takes from here: the settings, not the helpers.
__all__ = [name for name in dir() if name.isupper() and not name.startswith("_")]
