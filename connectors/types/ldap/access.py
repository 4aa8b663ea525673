"""Access changes on LDAP / Active Directory accounts and groups: suspend,
restore, delete, group membership, each read back; and the rule that tells a
suspended account (``_disabled``), shared with listing and the directory sync.
Every change (and the read it depends on) goes through the write bind."""

from __future__ import annotations

import uuid

import ldap3
from django.utils.translation import gettext
from ldap3.core import results as codes

from ...sdk.base import (
    AccessState,
    EmployeeRef,
    MisconfiguredError,
    TransferResult,
)
from .connection import (
    FAILURES,
    Entry,
    dn_parts,
    normal_dn,
    result_of,
)
from .settings import (
    METHOD_ATTRIBUTE,
    METHOD_PASSWORD,
    METHOD_PPOLICY,
)

__all__ = ["LdapAccess"]

# Delete an AD entry with its children (Exchange devices and the like).
TREE_DELETE_OID = "1.2.840.113556.1.4.805"
# userAccountControl flag ACCOUNTDISABLE, and NORMAL_ACCOUNT for an entry
# without userAccountControl.
AD_ACCOUNT_DISABLED, AD_NORMAL_ACCOUNT = 0x2, 0x200
# A status attribute holding one of these means the account is still active.
ENABLED_VALUES = frozenset({"false", "0", "no", "active", "enabled"})
# pwdAccountLockedTime with this value locks the account until an admin unlocks it.
PERMANENT_LOCK = "000001010000Z"
# A {CRYPT} hash no password can produce: sign-in with a password fails.
UNUSABLE_PASSWORD = b"{CRYPT}!"


class LdapAccess:
    """Mixin of ``LdapConnector``: the REVOKE capability."""

    def access_state(self, *, account_id: str) -> AccessState:
        entry = self._find("user_base_dn", account_id, self._attributes())
        if entry is None:
            return AccessState(exists=False, active=False, groups=[])
        groups = [record.external_id for record in self._group_records([entry])]
        return AccessState(exists=True, active=not self._disabled(entry), groups=groups)

    def _find(self, base_setting, external_id, attributes, *, write=False):
        """The entry an external id from ``discover`` names (entryUUID,
        objectGUID or DN), or None when it is gone; only under the base DN."""
        self._connection(write=write)  # Settings checked before they are read.
        base, external_id = self._text(base_setting), str(external_id or "").strip()
        try:
            guid = uuid.UUID(external_id) if len(external_id) == 36 else None
        except ValueError:
            guid = None
        base_dn, search_filter, scope = base, "(objectClass=*)", ldap3.SUBTREE
        if guid is not None:
            escaped = "".join(f"\\{byte:02x}" for byte in guid.bytes_le)
            search_filter = (
                f"(objectGUID={escaped})" if self.is_ad else f"(entryUUID={guid})"
            )
        elif dn_parts(external_id):
            dn, below = normal_dn(external_id), normal_dn(base)
            if dn != below and not dn.endswith("," + below):
                raise MisconfiguredError(
                    gettext(
                        "%(dn)s is outside %(base)s, where this connector may "
                        "make changes."
                    )
                    % {"dn": external_id, "base": base}
                )
            base_dn, scope = external_id, ldap3.BASE
        else:
            raise MisconfiguredError(
                gettext("“%(value)s” is not a directory id or DN.")
                % {"value": external_id}
            )
        entries = self._search(
            base_dn,
            search_filter,
            attributes,
            scope=scope,
            write=write,
            missing_ok=True,
        )
        return entries[0] if entries else None

    def _find_group(self, group_id):
        attributes = ["cn", "objectClass", *self.member_attributes]
        return self._find("group_base_dn", group_id, attributes, write=True)

    def suspend_account(self, *, account_id: str) -> TransferResult:
        return self._set_suspended(account_id, suspended=True)

    def restore_account(self, *, account_id: str) -> TransferResult:
        return self._set_suspended(account_id, suspended=False)

    def _set_suspended(self, account_id, *, suspended: bool) -> TransferResult:
        backup = self._attribute("password_backup_attribute")
        entry = self._find(
            "user_base_dn", account_id, self._attributes(backup), write=True
        )
        if entry is None:
            raise MisconfiguredError(
                gettext("The directory has no account %(account)s under %(base)s.")
                % {"account": account_id, "base": self._text("user_base_dn")}
            )
        changes = self._suspension_changes(entry, suspended=suspended)
        changed = bool(changes) and self._modify(entry.dn, changes)
        return _result("suspend" if suspended else "restore", entry.dn, changed=changed)

    def delete_account(self, *, account_id: str) -> TransferResult:
        entry = self._find("user_base_dn", account_id, ["1.1"], write=True)
        if entry is None:
            return _result("delete", account_id, changed=False, gone=True)
        dn, still_listed = entry.dn, []
        if not self.is_ad:
            # Active Directory drops the links itself; OpenLDAP (without the
            # refint overlay) would keep the DN in the groups, and whoever gets
            # that DN next would inherit the memberships.
            for group in self._groups_listing([dn], ["cn"], write=True):
                try:
                    self._remove_values(group, dn)
                except MisconfiguredError:
                    if not _last_member(group, dn):
                        raise
                    still_listed.append(group.dn)
        controls = [(TREE_DELETE_OID, False, None)] if self.is_ad else None
        try:
            self._connection(write=True).delete(dn, controls=controls)
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
            self._raise(exc, dn=dn, write=True)
        return _result("delete", dn, changed=True, still_listed_in=still_listed)

    def remove_member(self, *, group_id: str, account_id: str) -> TransferResult:
        group = self._find_group(group_id)
        if group is None:
            return _result("remove_member", group_id, changed=False, group_gone=True)
        account = self._find("user_base_dn", account_id, ["1.1"], write=True)
        # A gone account's DN may still be listed.
        dn = account.dn if account else account_id if dn_parts(account_id) else ""
        if not dn:
            return _result("remove_member", group.dn, changed=False)
        try:
            changed = self._remove_values(group, dn)
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

    def _remove_values(self, group: Entry, dn) -> bool:
        """Remove ``dn`` from the group's member attributes, by the values the
        group holds (uniqueMember may carry a #'…'B suffix)."""
        members, complete = group.members()
        changes = {}
        for name, value in members.get(normal_dn(dn), ()):
            changes.setdefault(name, [(ldap3.MODIFY_DELETE, [])])[0][1].append(value)
        if not changes:
            if complete:
                return False
            # Active Directory sent only part of a large group: ask it directly.
            changes = {"member": [(ldap3.MODIFY_DELETE, [dn])]}
        return self._modify(
            group.dn, changes, unchanged=(codes.RESULT_NO_SUCH_ATTRIBUTE,)
        )

    def add_member(self, *, group_id: str, person: EmployeeRef) -> TransferResult:
        accounts = self._accounts(person)
        value = person.value(self.option("match_by")).strip()
        match = f"{self._attribute('match_attribute')}={value}"
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
        dn = accounts[0].dn
        group = self._find_group(group_id)
        if group is None:
            raise MisconfiguredError(
                gettext("The directory has no group %(group)s under %(base)s.")
                % {"group": group_id, "base": self._text("group_base_dn")}
            )
        if normal_dn(dn) in group.members()[0]:
            return _result("add_member", group.dn, changed=False, member=dn)
        classes = {value.lower() for value in group.texts("objectClass")}
        unique = "groupofuniquenames" in classes and "groupofnames" not in classes
        attribute = "uniqueMember" if unique and not self.is_ad else "member"
        changed = self._modify(
            group.dn,
            {attribute: [(ldap3.MODIFY_ADD, [dn])]},
            # Active Directory answers entryAlreadyExists for a member.
            unchanged=(
                codes.RESULT_ATTRIBUTE_OR_VALUE_EXISTS,
                codes.RESULT_ENTRY_ALREADY_EXISTS,
            ),
        )
        return _result("add_member", group.dn, changed=changed, member=dn)

    # Suspension ---------------------------------------------------------------------

    def _disabled(self, entry: Entry) -> bool:
        if self.is_ad:
            return bool(_user_account_control(entry) & AD_ACCOUNT_DISABLED)
        method = self.option("disable_method")
        if (method == METHOD_PPOLICY and entry.texts(METHOD_PPOLICY)) or (
            method == METHOD_PASSWORD and _password_unusable(entry)
        ):
            return True
        name = self._attribute("disabled_attribute")
        values = [value.strip().lower() for value in entry.texts(name)]
        values = [value for value in values if value]
        explicit = self._text("disabled_value").lower()
        if method == METHOD_ATTRIBUTE and explicit:
            return explicit in values
        enabled = {*ENABLED_VALUES, self._text("enabled_value").lower()}
        return bool(values) and values[0] not in enabled

    def _suspension_changes(self, entry: Entry, *, suspended: bool) -> dict:
        """What suspends (or restores) the account; {} when it already is."""
        if self.is_ad:
            flags = _user_account_control(entry, default=AD_NORMAL_ACCOUNT)
            new = (flags & ~AD_ACCOUNT_DISABLED) | (AD_ACCOUNT_DISABLED * suspended)
            name, current, wanted = "userAccountControl", [str(flags)], [str(new)]
        elif self.option("disable_method") == METHOD_PASSWORD:
            return self._password_changes(entry, suspended)
        else:
            name, disabled, enabled = self._lock()
            current = entry.texts(name)
            wanted = [disabled] if suspended else [enabled] if enabled else []
        # Replacing with nothing removes the attribute (or finds it gone).
        return {} if current == wanted else {name: [(ldap3.MODIFY_REPLACE, wanted)]}

    def _lock(self) -> tuple[str, str, str]:
        """(the attribute, what suspending writes, what restoring writes: ""
        removes the attribute) for the methods other than the password."""
        if self.option("disable_method") == METHOD_PPOLICY:
            return METHOD_PPOLICY, PERMANENT_LOCK, ""
        name = self._attribute("disabled_attribute")
        if not name:
            raise MisconfiguredError(
                gettext(
                    "Set the disabled attribute of the connector to suspend "
                    "accounts with it."
                )
            )
        lock = PERMANENT_LOCK if name.lower() == METHOD_PPOLICY.lower() else "TRUE"
        return name, self._text("disabled_value") or lock, self._text("enabled_value")

    def _password_changes(self, entry: Entry, suspended) -> dict:
        backup = self._attribute("password_backup_attribute")
        passwords = entry.raw_values("userPassword")
        if suspended == _password_unusable(entry):
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
    return complete and set(members) == {normal_dn(dn)}


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
