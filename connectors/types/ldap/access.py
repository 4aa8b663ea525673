"""Access changes on LDAP / Active Directory accounts and groups, and reading
them back. Every change (and the read it depends on) goes through the write
bind; only entries under the connector's base DNs are ever touched.

Suspending: Active Directory sets the disabled bit of userAccountControl;
OpenLDAP, by ``disable_method``, writes the disabled attribute, a password
policy lock (pwdAccountLockedTime) or an unusable password (its hash kept in a
backup attribute for restoring). ``_disabled`` tells a suspended account by the
same rule, so discover, access_state and the directory sync agree with it.
"""

from __future__ import annotations

import uuid

import ldap3
from django.utils.translation import gettext
from ldap3.core import results as codes

from ...sdk.base import AccessState, EmployeeRef, MisconfiguredError, TransferResult
from .connection import FAILURES, result_of
from .entries import Entry, is_below, looks_like_dn, normal_dn
from .settings import METHOD_ATTRIBUTE, METHOD_PASSWORD, METHOD_PPOLICY

__all__ = ["LdapAccess"]

# Delete an AD entry with its children (Exchange devices and the like).
TREE_DELETE_OID = "1.2.840.113556.1.4.805"
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


class LdapAccess:
    """Access changes for ``LdapConnector`` (which provides the connections,
    the searches and the settings)."""

    def access_state(self, *, account_id: str) -> AccessState:
        entry = self._find("user_base_dn", account_id, self._user_attributes())
        if entry is None:
            return AccessState(exists=False, active=False, groups=[])
        groups = self._group_records([entry])
        return AccessState(
            exists=True,
            active=not self._disabled(entry),
            groups=[record.external_id for record in groups],
        )

    def _find(self, base_setting, external_id, attributes, *, conn=None):
        """The entry an external id from ``discover`` names (entryUUID,
        objectGUID or DN), or None when it is gone; only under the base DN."""
        base = self._base_dn(base_setting)
        external_id = str(external_id or "").strip()
        if not external_id:
            raise MisconfiguredError(gettext("No directory entry was named."))
        try:
            parsed = uuid.UUID(external_id) if len(external_id) == 36 else None
        except ValueError:
            parsed = None
        if parsed is not None:
            guid = "".join(f"\\{byte:02x}" for byte in parsed.bytes_le)
            search_filter = (
                f"(objectGUID={guid})" if self.is_ad else f"(entryUUID={parsed})"
            )
            entries = self._search(
                base, search_filter, attributes, conn=conn, missing_ok=True
            )
        elif looks_like_dn(external_id):
            if not is_below(external_id, base):
                raise MisconfiguredError(
                    gettext(
                        "%(dn)s is outside %(base)s, where this connector may "
                        "make changes."
                    )
                    % {"dn": external_id, "base": base}
                )
            entries = self._search(
                external_id,
                "(objectClass=*)",
                attributes,
                scope=ldap3.BASE,
                conn=conn,
                missing_ok=True,
            )
        else:
            raise MisconfiguredError(
                gettext("“%(value)s” is not a directory id or DN.")
                % {"value": external_id}
            )
        return entries[0] if entries else None

    def _find_group(self, group_id, *, conn):
        attributes = ["cn", "objectClass", *self.member_attributes]
        return self._find("group_base_dn", group_id, attributes, conn=conn)

    def _own_account(self, person: EmployeeRef) -> Entry:
        value = person.value(self._match_by()).strip()
        if not value:
            raise MisconfiguredError(
                gettext("%(person)s has no %(detail)s to look up in the directory.")
                % {
                    "person": person.name or person.email or person.username,
                    "detail": self._detail(),
                }
            )
        accounts = self._accounts(value)
        match = f"{self._attribute('match_attribute') or 'mail'}={value}"
        if not accounts:
            raise MisconfiguredError(
                gettext("%(person)s has no account in the directory (%(match)s).")
                % {"person": person.name or value, "match": match}
            )
        if len(accounts) > 1:
            raise MisconfiguredError(
                gettext(
                    "%(count)s directory accounts match %(match)s; Baton does not "
                    "guess which one to use."
                )
                % {"count": len(accounts), "match": match}
            )
        return accounts[0]

    def suspend_account(self, *, account_id: str) -> TransferResult:
        return self._set_suspended(account_id, suspended=True)

    def restore_account(self, *, account_id: str) -> TransferResult:
        return self._set_suspended(account_id, suspended=False)

    def _set_suspended(self, account_id, *, suspended: bool) -> TransferResult:
        conn = self._write_connection()
        attributes = self._suspension_attributes()
        entry = self._find("user_base_dn", account_id, attributes, conn=conn)
        if entry is None:
            raise MisconfiguredError(
                gettext("The directory has no account %(account)s under %(base)s.")
                % {"account": account_id, "base": self._base_dn("user_base_dn")}
            )
        changes = self._suspension_changes(entry, suspended=suspended)
        changed = bool(changes) and self._modify(conn, entry.dn, changes)
        return _result("suspend" if suspended else "restore", entry.dn, changed=changed)

    def delete_account(self, *, account_id: str) -> TransferResult:
        conn = self._write_connection()
        entry = self._find("user_base_dn", account_id, ["1.1"], conn=conn)
        if entry is None:
            return _result("delete", account_id, changed=False, gone=True)
        dn, still_listed = entry.dn, []
        if not self.is_ad:
            # Active Directory drops the links itself; OpenLDAP (without the
            # refint overlay) would keep the DN in the groups, and whoever gets
            # that DN next would inherit the memberships.
            for group in self._groups_listing(
                [dn], ["cn", "objectClass"], conn=conn, filtered=False
            ):
                try:
                    self._remove_values(conn, group, dn)
                except MisconfiguredError:
                    if not _last_member(group, dn):
                        raise
                    still_listed.append(group.dn)
        controls = [(TREE_DELETE_OID, False, None)] if self.is_ad else None
        try:
            conn.delete(dn, controls=controls)
        except FAILURES as exc:
            if result_of(exc) == codes.RESULT_NO_SUCH_OBJECT:
                return _result("delete", dn, changed=False, gone=True)
            if result_of(exc) == codes.RESULT_NOT_ALLOWED_ON_NON_LEAF:
                raise MisconfiguredError(
                    gettext(
                        "The directory will not delete %(dn)s because entries "
                        "below it remain; remove those first."
                    )
                    % {"dn": dn}
                ) from exc
            self._raise_write(exc, dn)
        return _result("delete", dn, changed=True, still_listed_in=still_listed)

    def remove_member(self, *, group_id: str, account_id: str) -> TransferResult:
        conn = self._write_connection()
        group = self._find_group(group_id, conn=conn)
        if group is None:
            return _result("remove_member", group_id, changed=False, group_gone=True)
        account = self._find("user_base_dn", account_id, ["1.1"], conn=conn)
        # A gone account's DN may still be listed.
        dn = account.dn if account else account_id if looks_like_dn(account_id) else ""
        if not dn:
            return _result("remove_member", group.dn, changed=False)
        try:
            changed = self._remove_values(conn, group, dn)
        except MisconfiguredError as error:
            if _last_member(group, dn):
                raise MisconfiguredError(
                    gettext(
                        "%(dn)s is the last member of the group %(group)s, which "
                        "must keep at least one; add someone else (such as the "
                        "successor) first."
                    )
                    % {"dn": dn, "group": group.dn}
                ) from error
            raise
        return _result("remove_member", group.dn, changed=changed, member=dn)

    def _remove_values(self, conn, group: Entry, dn) -> bool:
        """Remove ``dn`` from the group's member attributes, by the values the
        group holds (uniqueMember may carry a #'…'B suffix)."""
        changes = {
            name: [(ldap3.MODIFY_DELETE, values)]
            for name, values in group.member_values(dn).items()
        }
        if not changes:
            if group.members()[1]:
                return False
            # Active Directory sent only part of a large group: ask it directly.
            changes = {"member": [(ldap3.MODIFY_DELETE, [dn])]}
        return self._modify(
            conn, group.dn, changes, unchanged=(codes.RESULT_NO_SUCH_ATTRIBUTE,)
        )

    def add_member(self, *, group_id: str, person: EmployeeRef) -> TransferResult:
        dn = self._own_account(person).dn
        conn = self._write_connection()
        group = self._find_group(group_id, conn=conn)
        if group is None:
            raise MisconfiguredError(
                gettext("The directory has no group %(group)s under %(base)s.")
                % {"group": group_id, "base": self._base_dn("group_base_dn")}
            )
        if normal_dn(dn) in {normal_dn(member) for member in group.members()[0]}:
            return _result("add_member", group.dn, changed=False, member=dn)
        classes = {value.lower() for value in group.texts("objectClass")}
        unique = "groupofuniquenames" in classes and "groupofnames" not in classes
        attribute = "uniqueMember" if unique and not self.is_ad else "member"
        changed = self._modify(
            conn,
            group.dn,
            {attribute: [(ldap3.MODIFY_ADD, [dn])]},
            # Active Directory answers entryAlreadyExists for a member.
            unchanged=(
                codes.RESULT_ATTRIBUTE_OR_VALUE_EXISTS,
                codes.RESULT_ENTRY_ALREADY_EXISTS,
            ),
        )
        return _result("add_member", group.dn, changed=changed, member=dn)

    def _disabled(self, entry: Entry) -> bool:
        if self.is_ad:
            return bool(_user_account_control(entry) & AD_ACCOUNT_DISABLED)
        method = self._disable_method()
        if method == METHOD_PPOLICY and entry.texts(PPOLICY_ATTRIBUTE):
            return True
        if method == METHOD_PASSWORD and _password_unusable(entry):
            return True
        name = self._attribute("disabled_attribute")
        values = [value.strip() for value in entry.texts(name) if value.strip()]
        if not values:
            return False
        explicit = self._text("disabled_value")
        if method == METHOD_ATTRIBUTE and explicit:
            return any(value.lower() == explicit.lower() for value in values)
        first = values[0].lower()
        return first not in ENABLED_VALUES and first != self._enabled_value().lower()

    def _disable_method(self) -> str:
        return self.option("disable_method") or METHOD_ATTRIBUTE

    def _status_attributes(self) -> list[str]:
        method = self._disable_method()
        names = {METHOD_PPOLICY: [PPOLICY_ATTRIBUTE], METHOD_PASSWORD: ["userPassword"]}
        disabled = self._attribute("disabled_attribute")
        return [*names.get(method, []), *([disabled] if disabled else [])]

    def _disabled_value(self, name) -> str:
        value = self._text("disabled_value")
        ppolicy = name.lower() == PPOLICY_ATTRIBUTE.lower()
        return value or (PERMANENT_LOCK if ppolicy else "TRUE")

    def _enabled_value(self) -> str:
        return self._text("enabled_value")

    def _suspension_attributes(self) -> list[str]:
        if self.is_ad:
            return ["userAccountControl"]
        attributes = self._status_attributes()
        if self._disable_method() == METHOD_PASSWORD:
            attributes.append(self._attribute("password_backup_attribute"))
        return [name for name in attributes if name] or ["1.1"]

    def _suspension_changes(self, entry: Entry, *, suspended: bool) -> dict:
        """What suspends (or restores) the account; {} when it already is."""
        method = self._disable_method()
        if self.is_ad:
            flags = _user_account_control(entry, default=AD_NORMAL_ACCOUNT)
            new = (
                flags | AD_ACCOUNT_DISABLED
                if suspended
                else flags & ~AD_ACCOUNT_DISABLED
            )
            value = [(ldap3.MODIFY_REPLACE, [str(new)])]
            return {} if new == flags else {"userAccountControl": value}
        if method == METHOD_PASSWORD:
            return self._password_changes(entry, suspended)
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
        # Replacing with nothing removes the attribute (or finds it gone).
        return {} if current == wanted else {name: [(ldap3.MODIFY_REPLACE, wanted)]}

    def _password_changes(self, entry: Entry, suspended) -> dict:
        backup = self._attribute("password_backup_attribute")
        passwords = entry.raw_values("userPassword")
        unusable = _password_unusable(entry)
        if suspended == unusable:
            return {}
        if suspended:
            changes = {"userPassword": [(ldap3.MODIFY_REPLACE, [UNUSABLE_PASSWORD])]}
            if backup and passwords:
                changes[backup] = [(ldap3.MODIFY_REPLACE, passwords)]
            return changes
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


def _last_member(group: Entry, dn) -> bool:
    members, complete = group.members()
    return complete and {normal_dn(member) for member in members} == {normal_dn(dn)}


def _result(operation, dn, *, changed, **extra) -> TransferResult:
    response = {"operation": operation, "dn": dn, "changed": changed}
    response.update({key: value for key, value in extra.items() if value})
    return TransferResult(response=response)


def _user_account_control(entry: Entry, default=0) -> int:
    try:
        return int(entry.first("userAccountControl") or default)
    except ValueError:
        return default


def _password_unusable(entry: Entry) -> bool:
    values = entry.raw_values("userPassword")
    return bool(values) and all(value.startswith(UNUSABLE_PASSWORD) for value in values)
