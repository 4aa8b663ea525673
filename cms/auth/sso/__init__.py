"""Company sign-in (single sign-on): who a company account is in Baton.

Every way of signing in with a company account (OpenID Connect, LDAP / Active
Directory, Feishu, DingTalk, WeCom) ends in :func:`match.match_user`, which
finds the Baton user by the facts the identity provider vouches for. The
providers shown on the sign-in page are listed by :mod:`.providers`.
"""

from . import session as _session

# How and when each session signed in (a signal handler; idempotent).
_session.connect()
