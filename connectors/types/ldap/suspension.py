"""Suspending an LDAP / Active Directory account the one way its directory
allows, and telling a suspended account by the same rule (``_disabled``), so
that ``discover``, ``access_state`` and the directory sync agree with what
``suspend_account`` did.

Active Directory: the disabled bit of userAccountControl. OpenLDAP, by the
``disable_method`` setting: a value in the disabled attribute, a password
policy lock (pwdAccountLockedTime) or an unusable password, whose hash can be
kept in a backup attribute so that restoring puts it back.
"""

from __future__ import annotations

import ldap3
from django.utils.translation import gettext

from ...sdk.base import MisconfiguredError
from .entries import Entry
from .settings import (
    DISABLE_METHOD_CHOICES,
    METHOD_ATTRIBUTE,
    METHOD_PASSWORD,
    METHOD_PPOLICY,
)

__all__ = ["Suspension"]

# userAccountControl flag ACCOUNTDISABLE, and NORMAL_ACCOUNT for an entry
# without userAccountControl.
AD_ACCOUNT_DISABLED = 0x2
AD_NORMAL_ACCOUNT = 0x200
# A status attribute holding one of these means the account is still active.
ENABLED_VALUES = frozenset({"false", "0", "no", "active", "enabled"})
PPOLICY_ATTRIBUTE = "pwdAccountLockedTime"
# pwdAccountLockedTime with this value locks the account until an admin unlocks it.
PERMANENT_LOCK = "000001010000Z"
# A {CRYPT} hash no password can produce: sign-in with a password fails.
UNUSABLE_PASSWORD = b"{CRYPT}!"


class Suspension:
    """The suspension rule of ``LdapConnector`` (which provides the settings)."""

    def _disabled(self, entry: Entry) -> bool:
        """Whether the account is suspended, by the rule suspend_account follows."""
        if self.is_ad:
            return bool(_user_account_control(entry) & AD_ACCOUNT_DISABLED)
        method = self._disable_method()
        if method == METHOD_PPOLICY and entry.texts(PPOLICY_ATTRIBUTE):
            return True
        if method == METHOD_PASSWORD and _password_unusable(entry):
            return True
        name = self._attribute("disabled_attribute")
        values = [value.strip() for value in entry.texts(name)]
        values = [value for value in values if value]
        if not values:
            return False
        explicit = str(self.config.get("disabled_value") or "").strip()
        if method == METHOD_ATTRIBUTE and explicit:
            return any(value.lower() == explicit.lower() for value in values)
        first = values[0].lower()
        return first not in ENABLED_VALUES and first != self._enabled_value().lower()

    def _disable_method(self) -> str:
        method = self.option("disable_method") or METHOD_ATTRIBUTE
        if method not in dict(DISABLE_METHOD_CHOICES):
            raise MisconfiguredError(
                gettext("“%(value)s” is not a way to suspend accounts (%(setting)s).")
                % {"value": method, "setting": self._setting_label("disable_method")}
            )
        return method

    def _status_attributes(self) -> list[str]:
        """The attributes ``_disabled`` reads from an OpenLDAP account."""
        method = self._disable_method()
        names = {METHOD_PPOLICY: [PPOLICY_ATTRIBUTE], METHOD_PASSWORD: ["userPassword"]}
        disabled = self._attribute("disabled_attribute")
        return [*names.get(method, []), *([disabled] if disabled else [])]

    def _disabled_value(self, name) -> str:
        value = str(self.config.get("disabled_value") or "").strip()
        if value:
            return value
        return PERMANENT_LOCK if name.lower() == PPOLICY_ATTRIBUTE.lower() else "TRUE"

    def _enabled_value(self) -> str:
        return str(self.config.get("enabled_value") or "").strip()

    def _suspension_attributes(self) -> list[str]:
        """What suspending or restoring reads from the account first."""
        if self.is_ad:
            return ["userAccountControl"]
        attributes = self._status_attributes()
        if self._disable_method() == METHOD_PASSWORD:
            attributes.append(self._attribute("password_backup_attribute"))
        return [name for name in attributes if name] or ["1.1"]

    def _suspension_changes(self, entry: Entry, *, suspended: bool) -> dict:
        """The modification that suspends (or restores) the account; {} when
        it already is."""
        if self.is_ad:
            return _ad_changes(entry, suspended)
        method = self._disable_method()
        if method == METHOD_PASSWORD:
            return self._password_changes(entry, suspended)
        return self._attribute_changes(entry, suspended, method)

    def _attribute_changes(self, entry: Entry, suspended, method) -> dict:
        if method == METHOD_PPOLICY:
            name, value = PPOLICY_ATTRIBUTE, PERMANENT_LOCK
        else:
            name = self._attribute("disabled_attribute")
            if not name:
                raise MisconfiguredError(
                    gettext(
                        "Set the disabled attribute of the connector to suspend "
                        "accounts with it."
                    )
                )
            value = self._disabled_value(name)
        current = entry.texts(name)
        if suspended:
            if self._disabled(entry) and current == [value]:
                return {}
            return {name: [(ldap3.MODIFY_REPLACE, [value])]}
        enabled = "" if method == METHOD_PPOLICY else self._enabled_value()
        wanted = [enabled] if enabled else []
        if current == wanted:
            return {}
        # Replacing with nothing removes the attribute, and succeeds when it is
        # already gone.
        return {name: [(ldap3.MODIFY_REPLACE, wanted)]}

    def _password_changes(self, entry: Entry, suspended) -> dict:
        backup = self._attribute("password_backup_attribute")
        passwords = entry.raw_values("userPassword")
        unusable = _password_unusable(entry)
        if suspended:
            if unusable:
                return {}
            changes = {"userPassword": [(ldap3.MODIFY_REPLACE, [UNUSABLE_PASSWORD])]}
            if backup and passwords:
                changes[backup] = [(ldap3.MODIFY_REPLACE, passwords)]
            return changes
        if not unusable:
            return {}
        saved = entry.raw_values(backup)
        if not saved:
            raise MisconfiguredError(
                gettext(
                    "The password of %(dn)s was replaced when it was suspended and "
                    "no copy was kept, so it cannot be restored; set a new password "
                    "in the directory instead."
                )
                % {"dn": entry.dn}
            )
        return {
            "userPassword": [(ldap3.MODIFY_REPLACE, saved)],
            backup: [(ldap3.MODIFY_REPLACE, [])],
        }


def _ad_changes(entry: Entry, suspended) -> dict:
    flags = _user_account_control(entry, default=AD_NORMAL_ACCOUNT)
    new = flags | AD_ACCOUNT_DISABLED if suspended else flags & ~AD_ACCOUNT_DISABLED
    if new == flags:
        return {}
    return {"userAccountControl": [(ldap3.MODIFY_REPLACE, [str(new)])]}


def _user_account_control(entry: Entry, default=0) -> int:
    try:
        return int(entry.first("userAccountControl") or default)
    except ValueError:
        return default


def _password_unusable(entry: Entry) -> bool:
    values = entry.raw_values("userPassword")
    return bool(values) and all(value.startswith(UNUSABLE_PASSWORD) for value in values)
