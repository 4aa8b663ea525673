"""The leaver's own WeCom member as an access item (capability REVOKE): found
like the type finds people, read with ``user/get``, disabled and enabled with
``user/update`` (``enable``), deleted with ``user/delete``.

WeCom lets only the Contacts Sync (通讯录同步) secret change members, so its
token is fetched and cached apart from the customer contact app's
(``CONTACTS_AUTH``). Without that secret Baton still reads the members the
app can see, and refuses a change naming the missing setting.

The customer groups the leaver owns are handed over as items (record kind
"group", written back by ``transfer``), not as access: the type's
``access_group_kind`` is None and a member has no groups here."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from ...sdk.base import AccessState, MisconfiguredError, Record, TransferResult
from ...sdk.http import TokenExchange
from ...sdk.payloads import Payload, Text, TextList, parse
from .refusals import UnknownMember

__all__ = ["CONTACTS_SECRET", "WeComAccess"]

CONTACTS_SECRET = "contacts_secret"  # noqa: S105 - the name of the secret
# ``status`` of user/get: 1 active, 2 disabled, 4 not activated yet (they can
# still join), 5 left the company (退出企业).
DISABLED, LEFT = 2, 5

NO_CONTACTS_SECRET = _(
    "Enter “Contacts sync secret” in the WeCom connector: WeCom lets only the "
    "Contacts Sync (通讯录同步) secret disable, enable or delete members."
)
NO_MEMBER = _("WeCom has no member %(userid)s any more: it cannot be restored.")


def _contacts_credentials(connector) -> dict:
    return {
        "corpid": connector.option("corp_id"),
        "corpsecret": connector.secrets.get(CONTACTS_SECRET),
    }


CONTACTS_AUTH = TokenExchange(
    "/cgi-bin/gettoken",
    method="GET",
    query=_contacts_credentials,
    param="access_token",
    renew_refused=True,
)


class Member(Payload):
    """A member as ``user/get`` answers."""

    userid: Text = ""
    name: Text = ""
    position: Text = ""
    email: Text = ""
    biz_mail: Text = ""
    department: TextList = []
    status: int = 1
    # Not in every answer (WeCom left it out of user/get for a while).
    enable: int | None = None

    @property
    def active(self) -> bool:
        return self.status not in (DISABLED, LEFT) and self.enable != 0


class WeComAccess:
    """Mixin of ``WeComConnector``: the member, and the access changes."""

    # The customer contact app's token exchange (the type's own).
    app_auth: ClassVar[Any] = None

    @property
    def auth(self):
        """The token exchange of the calls being made: Contacts Sync's
        inside ``_contacts``, the app's everywhere else."""
        return CONTACTS_AUTH if self.__dict__.get("_contacts_on") else self.app_auth

    # The member ---------------------------------------------------------------------

    def _accounts(self, employee) -> list[Record]:
        userid = self.person_id(employee, required=False)
        member = self._member(userid) if userid else None
        if member is None:
            return []
        userid = member.userid or userid
        title = (
            f"{member.name} ({userid})" if member.name not in ("", userid) else userid
        )
        fields = {
            **member.model_dump(),
            "userid": userid,
            "active": member.active,
            "system": "WeCom",
        }
        return [Record(userid, "account", title, fields)]

    def _member(self, userid: str) -> Member | None:
        """The member, or None when WeCom has none with this user ID."""
        with self._contacts(required=False):
            try:
                answer = self.get("/cgi-bin/user/get", {"userid": userid})
            except UnknownMember:
                return None
        return parse(Member, answer, system=self.host)

    def access_state(self, *, account_id: str) -> AccessState:
        member = self._member(account_id)
        if member is None:
            return AccessState(exists=False, active=False, groups=[])
        return AccessState(exists=True, active=member.active, groups=[])

    # Changes ------------------------------------------------------------------------

    def suspend_account(self, *, account_id: str) -> TransferResult:
        return self._set_enabled(account_id, enable=0)

    def restore_account(self, *, account_id: str) -> TransferResult:
        return self._set_enabled(account_id, enable=1)

    def delete_account(self, *, account_id: str) -> TransferResult:
        with self._contacts(required=True):
            try:
                self.get("/cgi-bin/user/delete", {"userid": account_id})
            except UnknownMember:
                return _result("delete", account_id, changed=False, gone=True)
        return _result("delete", account_id, changed=True)

    def _set_enabled(self, account_id: str, *, enable: int) -> TransferResult:
        operation = "restore" if enable else "suspend"
        with self._contacts(required=True):
            member = self._member(account_id)
            if member is None and enable:
                raise MisconfiguredError(NO_MEMBER % {"userid": account_id})
            # A member deleted meanwhile is as suspended as it gets.
            if member is None or member.active == bool(enable):
                return _result(
                    operation, account_id, changed=False, gone=member is None
                )
            self.post("/cgi-bin/user/update", {"userid": account_id, "enable": enable})
        return _result(operation, account_id, changed=True, enable=enable)

    # The Contacts Sync token --------------------------------------------------------

    def check_contacts(self) -> bool:
        """Trade the Contacts Sync secret for its token (``test_connection``),
        so a wrong one shows before the last working day; False without one."""
        if not self.secrets.get(CONTACTS_SECRET):
            return False
        with self._contacts(required=True):
            self.auth.prepare(self)
        return True

    @contextmanager
    def _contacts(self, *, required: bool):
        """Calls inside are made with the Contacts Sync token (cached apart
        from the app's); without its secret, with the app's token, or refused
        when ``required`` (a change)."""
        if self.__dict__.get("_contacts_on"):
            yield
            return
        if not self.secrets.get(CONTACTS_SECRET):
            if required:
                raise MisconfiguredError(NO_CONTACTS_SECRET)
            yield
            return
        session = self.http.session
        app = self._exchanged, session.params
        token = self.__dict__.get("_contacts_token")
        self._exchanged = token
        session.params = {"access_token": token[0]} if token else {}
        self._contacts_on = True
        try:
            yield
        finally:
            self._contacts_token = self._exchanged
            self._exchanged, session.params = app
            self._contacts_on = False


def _result(operation: str, userid: str, **extra) -> TransferResult:
    """What WeCom was asked and whether anything changed, for the audit trail."""
    return TransferResult(response={"operation": operation, "userid": userid, **extra})
