"""Access changes on LDAP / Active Directory accounts and groups (suspend and
restore by ``suspension``'s rule, delete, group membership), and reading them
back (``access_state``).

Reads go through the read-only bind; every change (and the read it depends on)
through the write bind: write_bind_dn when set, else bind_dn. Only entries
under the connector's base DNs are ever touched.
"""

from __future__ import annotations

import uuid

import ldap3
from django.utils.translation import gettext
from ldap3.core import results as codes

from ...sdk.base import AccessState, EmployeeRef, MisconfiguredError, TransferResult
from .entries import Entry, is_below, looks_like_dn, normal_dn
from .errors import FAILURES, result_of
from .suspension import Suspension

__all__ = ["LdapAccess"]

# Delete an AD entry with its children (Exchange devices and the like).
TREE_DELETE_OID = "1.2.840.113556.1.4.805"


class LdapAccess(Suspension):
    """Access changes for ``LdapConnector`` (which provides the connections,
    the searches and the settings)."""

    # Reading back -------------------------------------------------------------------

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
        objectGUID or DN), or None when it is gone. Only entries under the
        connector's base DN count: Baton never touches anything else."""
        base = self._base_dn(base_setting)
        external_id = str(external_id or "").strip()
        if not external_id:
            raise MisconfiguredError(gettext("No directory entry was named."))
        try:
            parsed = uuid.UUID(external_id)
        except ValueError:
            parsed = None
        if parsed is not None and len(external_id) == 36:
            if self.is_ad:
                value = "".join(f"\\{byte:02x}" for byte in parsed.bytes_le)
                search_filter = f"(objectGUID={value})"
            else:
                search_filter = f"(entryUUID={parsed})"
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
        """``person``'s one account, matched the way discover matches."""
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

    # Accounts -----------------------------------------------------------------------

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
        operation = "suspend" if suspended else "restore"
        return _result(operation, entry.dn, changed=changed)

    def delete_account(self, *, account_id: str) -> TransferResult:
        conn = self._write_connection()
        entry = self._find("user_base_dn", account_id, ["1.1"], conn=conn)
        if entry is None:
            return _result("delete", account_id, changed=False, gone=True)
        dn = entry.dn
        still_listed = []
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

    # Groups -------------------------------------------------------------------------

    def remove_member(self, *, group_id: str, account_id: str) -> TransferResult:
        conn = self._write_connection()
        group = self._find_group(group_id, conn=conn)
        if group is None:
            return _result("remove_member", group_id, changed=False, group_gone=True)
        account = self._find("user_base_dn", account_id, ["1.1"], conn=conn)
        if account is not None:
            dn = account.dn
        elif looks_like_dn(account_id):
            # The account is gone, but its DN may still be listed.
            dn = account_id
        else:
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


def _last_member(group: Entry, dn) -> bool:
    members, complete = group.members()
    return complete and {normal_dn(member) for member in members} == {normal_dn(dn)}


def _result(operation, dn, *, changed, **extra) -> TransferResult:
    response = {"operation": operation, "dn": dn, "changed": changed}
    response.update({key: value for key, value in extra.items() if value})
    return TransferResult(response=response)
