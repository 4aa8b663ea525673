"""WeCom's refusals as people read them: WeCom answers HTTP 200 with a
non-zero ``errcode``, and each errcode Baton meets is one row of a table here
(the error to raise, the sentence to show). Calls made with the Contacts Sync
(通讯录同步) token have rows of their own first: a refusal there is about that
secret, not about the customer contact app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ...sdk.base import ConnectorError, MisconfiguredError
from ...sdk.http import TokenRefused

__all__ = ["GroupGone", "UnknownMember", "refusal"]


class UnknownMember(MisconfiguredError):
    """A user ID (or e-mail) WeCom does not know."""


class GroupGone(ConnectorError):
    """A customer group WeCom does not know (any more)."""

    def __init__(self, message, *, request_id=None):
        super().__init__(message, request_id=request_id, retryable=False)


# ``%(why)s``: the errcode and errmsg.
CREDENTIALS = _("WeCom refused the corp ID, secret or token (%(why)s): check them.")
NOT_ALLOWED = _("This WeCom app may not do that (%(why)s): check its API permissions.")
IP_REFUSED = _(
    "WeCom refused Baton's IP address (%(why)s): add Baton's outbound address "
    "to the trusted IPs (企业可信IP) of the app or of Contacts Sync."
)
UNKNOWN_ID = _("WeCom does not know a user ID Baton sent (%(why)s).")
NO_GROUP = _("WeCom has no such customer group (%(why)s).")
WRONG_MODE = _("The transfer mode does not fit the leaver's state (%(why)s).")
BUSY = _("WeCom is busy or limiting how often Baton may call it (%(why)s).")
OTHER = _("WeCom answered with %(why)s.")
CONTACTS_CREDENTIALS = _(
    "WeCom refused the contacts sync secret (%(why)s): check “Contacts sync "
    "secret” and the corp ID."
)
MEMBER_WRITE_REFUSED = _(
    "WeCom did not let Baton change the member (%(why)s): “Contacts sync "
    "secret” must be the secret of Contacts Sync (通讯录同步) with editing "
    "through the API turned on."
)

REFUSALS = (
    ({40001, 40013, 40014, 42001}, TokenRefused, CREDENTIALS),
    ({48002, 48009, 60011}, MisconfiguredError, NOT_ALLOWED),
    ({60020}, MisconfiguredError, IP_REFUSED),
    # 81013: an application message's receivers are all unknown.
    ({40003, 46004, 60111, 81013}, UnknownMember, UNKNOWN_ID),
    ({40050}, GroupGone, NO_GROUP),
    ({40097, 90500, 90502}, MisconfiguredError, WRONG_MODE),
    ({-1, 45009, 45033}, ConnectorError, BUSY),
)
# With the Contacts Sync token, before the rows above.
CONTACTS_REFUSALS = (
    ({40001, 40013}, TokenRefused, CONTACTS_CREDENTIALS),
    ({48002, 48009, 60011}, MisconfiguredError, MEMBER_WRITE_REFUSED),
)


def refusal(code, detail="", request_id=None, *, contacts=False) -> ConnectorError:
    """The error for ``errcode`` ``code`` (``detail``: its errmsg, scrubbed)."""
    values = {"why": f"errcode {code}: {detail}" if detail else f"errcode {code}"}
    for codes, error, text in (*(CONTACTS_REFUSALS if contacts else ()), *REFUSALS):
        if code in codes:
            return error(text % values, request_id=request_id)
    return ConnectorError(OTHER % values, request_id=request_id, retryable=False)
