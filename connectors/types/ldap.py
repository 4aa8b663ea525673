"""LDAP / Active Directory: the leaving employee's directory account and the
groups it belongs to.

One read-only connection per instance, opened on first use and bound with the
configured DN (or anonymously). Searches are paged, filter values escaped, and
every ldap3 failure becomes a ``ConnectorError`` (the server is down or slow:
worth retrying) or a ``MisconfiguredError`` (wrong password, missing base DN,
bad filter: an admin must fix the connector). Messages name the server and the
DN involved, never the password.
"""

from __future__ import annotations

import contextlib
import math
import re
import socket
import ssl
import uuid
from urllib.parse import urlsplit

import ldap3
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from ldap3.core import exceptions as ldap_errors
from ldap3.core import results as ldap_results
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from ..registry import register
from .base import (
    DISCOVER,
    UNKNOWN_RECORD_KIND,
    ConnectorError,
    ConnectorType,
    EmployeeRef,
    MisconfiguredError,
    Record,
    Setting,
)

__all__ = ["LdapConnector"]

OPENLDAP = "openldap"
ACTIVE_DIRECTORY = "ad"

DEFAULT_USER_FILTER = "(objectClass=inetOrgPerson)"
AD_USER_FILTER = "(&(objectCategory=person)(objectClass=user))"
DEFAULT_GROUP_FILTER = (
    "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))"
)
DEFAULT_DISABLED_ATTRIBUTE = "pwdAccountLockedTime"
# userAccountControl flag ACCOUNTDISABLE.
AD_ACCOUNT_DISABLED = 0x2
# A status attribute holding one of these means the account is still active.
ENABLED_VALUES = frozenset({"false", "0", "no", "active", "enabled"})

PAGE_SIZE = 500
# The LDAP paged results control (RFC 2696).
PAGED_RESULTS_OID = "1.2.840.113556.1.4.319"
# An attribute description: a name (letters, digits, hyphens) or an OID.
ATTRIBUTE_NAME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$")

MATCH_BY_CHOICES = (
    ("email", _("Email address")),
    ("employee_number", _("Employee number")),
    ("directory_id", _("Directory ID")),
    ("username", _("Username")),
)
FLAVOUR_CHOICES = (
    (OPENLDAP, _("OpenLDAP or another standard LDAP server")),
    (ACTIVE_DIRECTORY, _("Active Directory")),
)

# Result codes that mean the server is overloaded or going down: try again later.
RETRYABLE_RESULTS = frozenset(
    {
        ldap_results.RESULT_BUSY,
        ldap_results.RESULT_UNAVAILABLE,
        ldap_results.RESULT_TIME_LIMIT_EXCEEDED,
        ldap_results.RESULT_ADMIN_LIMIT_EXCEEDED,
        ldap_results.RESULT_OTHER,
    }
)


@register
class LdapConnector(ConnectorType):
    slug = "ldap"
    label = _("LDAP / Active Directory")
    description = _(
        "Lists the employee's directory account and the groups it belongs to, "
        "from OpenLDAP, Active Directory or another LDAP server."
    )
    capabilities = frozenset({DISCOVER})
    default_mappings = {
        "account": {
            "system": "system",
            "account_id": "account",
        },
        "group": {
            "system": "system",
            "account_id": "account",
            "role_permission": "cn",
        },
    }
    settings = (
        Setting(
            "server_uri",
            _("Server address"),
            help_text=_(
                "ldap://host:389 or ldaps://host:636. Use ldaps:// or StartTLS unless "
                "the server is on a trusted network."
            ),
        ),
        Setting(
            "flavour",
            _("Directory type"),
            help_text=_(
                "Active Directory reads sAMAccountName, userPrincipalName, memberOf "
                "and userAccountControl."
            ),
            default=OPENLDAP,
            choices=FLAVOUR_CHOICES,
        ),
        Setting(
            "bind_dn",
            _("Bind DN"),
            help_text=_(
                "The account Baton reads the directory as, e.g. "
                "cn=baton,ou=services,dc=example,dc=com. Leave empty to bind "
                "anonymously."
            ),
            required=False,
            default="",
        ),
        Setting(
            "bind_password",
            _("Bind password"),
            required=False,
            secret=True,
        ),
        Setting(
            "start_tls",
            _("Use StartTLS"),
            help_text=_("Upgrade an ldap:// connection to TLS before binding."),
            required=False,
            default=False,
            type="boolean",
        ),
        Setting(
            "ca_certificate",
            _("CA certificate"),
            help_text=_(
                "PEM certificate of the authority that signed the server's "
                "certificate, when it is not a publicly trusted one."
            ),
            required=False,
            default="",
        ),
        Setting(
            "user_base_dn",
            _("User base DN"),
            help_text=_(
                "Where accounts are searched, e.g. ou=people,dc=example,dc=com."
            ),
        ),
        Setting(
            "user_filter",
            _("User filter"),
            help_text=_(
                "Which entries are accounts. Active Directory connectors left at the "
                "default use (&(objectCategory=person)(objectClass=user))."
            ),
            required=False,
            default=DEFAULT_USER_FILTER,
        ),
        Setting(
            "group_base_dn",
            _("Group base DN"),
            help_text=_("Where groups are searched, e.g. ou=groups,dc=example,dc=com."),
        ),
        Setting(
            "group_filter",
            _("Group filter"),
            help_text=_("Which entries are groups."),
            required=False,
            default=DEFAULT_GROUP_FILTER,
        ),
        Setting(
            "match_by",
            _("Match employees by"),
            help_text=_(
                "Which of the employee's details is looked up in the directory."
            ),
            default="email",
            choices=MATCH_BY_CHOICES,
        ),
        Setting(
            "match_attribute",
            _("Match attribute"),
            help_text=_(
                "The account attribute holding that detail, e.g. mail, "
                "employeeNumber, uid or sAMAccountName."
            ),
            default="mail",
        ),
        Setting(
            "disabled_attribute",
            _("Disabled attribute"),
            help_text=_(
                "OpenLDAP only: an account counts as disabled when it has this "
                "attribute, unless its value is FALSE, 0, no, active or enabled."
            ),
            required=False,
            default=DEFAULT_DISABLED_ATTRIBUTE,
        ),
        Setting(
            "system_name",
            _("System name"),
            help_text=_(
                "How items name this directory, e.g. “Company directory”. "
                "Defaults to the server's host name."
            ),
            required=False,
            default="",
        ),
        Setting(
            "timeout",
            _("Timeout (seconds)"),
            help_text=_("How long to wait for the server before giving up."),
            required=False,
            default=10,
            type="integer",
        ),
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self._conn = None

    # Settings -----------------------------------------------------------------------

    def _setting(self, name):
        value = self.config.get(name)
        if value is None or value == "":
            for spec in self.settings:
                if spec.name == name:
                    return spec.default
        return value

    @property
    def flavour(self) -> str:
        return (
            ACTIVE_DIRECTORY
            if self._setting("flavour") == ACTIVE_DIRECTORY
            else OPENLDAP
        )

    @property
    def is_ad(self) -> bool:
        return self.flavour == ACTIVE_DIRECTORY

    @property
    def uri(self) -> str:
        return str(self.config.get("server_uri") or "").strip()

    @property
    def bind_dn(self) -> str:
        return str(self.config.get("bind_dn") or "").strip()

    def _endpoint(self):
        """(host, port, use_ssl) from the server address, or MisconfiguredError."""
        try:
            parts = urlsplit(self.uri)
            scheme = parts.scheme.lower()
            host = parts.hostname
            port = parts.port
        except ValueError:
            scheme = host = port = None
        if scheme not in ("ldap", "ldaps") or not host:
            raise MisconfiguredError(
                gettext(
                    "“%(uri)s” is not an LDAP server address; write it as "
                    "ldap://host:389 or ldaps://host:636."
                )
                % {"uri": self.uri}
            )
        use_ssl = scheme == "ldaps"
        return host, port or (636 if use_ssl else 389), use_ssl

    def _base_dn(self, name) -> str:
        value = str(self.config.get(name) or "").strip()
        if not value:
            raise MisconfiguredError(
                gettext("The connector has no %(setting)s.")
                % {"setting": self._setting_label(name)}
            )
        return value

    def _setting_label(self, name):
        for spec in self.settings:
            if spec.name == name:
                return spec.label
        return name

    def _filter(self, name) -> str:
        value = str(self._setting(name) or "").strip()
        if name == "user_filter" and self.is_ad and value == DEFAULT_USER_FILTER:
            value = AD_USER_FILTER
        if not value.startswith("("):
            value = f"({value})"
        return value

    def _attribute(self, name) -> str:
        value = str(self._setting(name) or "").strip()
        if value and not ATTRIBUTE_NAME.match(value):
            raise MisconfiguredError(
                gettext("“%(value)s” is not an LDAP attribute name (%(setting)s).")
                % {"value": value, "setting": self._setting_label(name)}
            )
        return value

    def _system_name(self) -> str:
        name = str(self.config.get("system_name") or "").strip()
        return name or self._endpoint()[0]

    # Connection --------------------------------------------------------------------

    def _tls(self):
        ca = str(self.config.get("ca_certificate") or "").strip()
        return ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_data=ca or None)

    def _connection(self):
        if self._conn is not None:
            return self._conn
        host, port, use_ssl = self._endpoint()
        self._resolve(host, port)
        start_tls = bool(self.config.get("start_tls")) and not use_ssl
        server = ldap3.Server(
            host,
            port=port,
            use_ssl=use_ssl,
            tls=self._tls() if (use_ssl or start_tls) else None,
            get_info=ldap3.NONE,
            connect_timeout=self.timeout,
        )
        password = self.secrets.get("bind_password") or ""
        if self.bind_dn and not password:
            raise MisconfiguredError(
                gettext("The bind DN %(dn)s needs a password; add it to the connector.")
                % {"dn": self.bind_dn}
            )
        conn = ldap3.Connection(
            server,
            user=self.bind_dn or None,
            password=password or None,
            authentication=ldap3.SIMPLE if self.bind_dn else ldap3.ANONYMOUS,
            auto_bind=ldap3.AUTO_BIND_NONE,
            read_only=True,
            raise_exceptions=True,
            auto_referrals=False,
            # ldap3 packs this into SO_RCVTIMEO as whole seconds.
            receive_timeout=max(1, math.ceil(self.timeout)),
            return_empty_attributes=False,
        )
        try:
            conn.open()
            if start_tls:
                conn.start_tls()
            conn.bind()
        except Exception as exc:
            self._drop(conn)
            error = self._translate(exc)
            if error is exc:
                raise
            raise error from exc
        self._conn = conn
        return conn

    def _resolve(self, host, port):
        try:
            socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            if exc.errno == socket.EAI_AGAIN:
                raise ConnectorError(
                    gettext(
                        "Looking up the directory server %(host)s failed; "
                        "try again later."
                    )
                    % {"host": host}
                ) from exc
            raise MisconfiguredError(
                gettext("The directory server host %(host)s does not exist.")
                % {"host": host}
            ) from exc

    @staticmethod
    def _drop(conn):
        # The connection is being thrown away: a failing unbind changes nothing.
        with contextlib.suppress(Exception):
            conn.unbind()
        # ldap3 keeps the socket of a connect that failed.
        if getattr(conn, "socket", None) is not None:
            with contextlib.suppress(Exception):
                conn.socket.close()

    def close(self) -> None:
        if self._conn is not None:
            self._drop(self._conn)
            self._conn = None

    def _translate(self, exc, *, base_dn: str = "") -> Exception:
        """The ConnectorError a user should see for an ldap3 (or socket) failure."""
        if isinstance(exc, ConnectorError):
            return exc
        uri = self.uri
        if isinstance(exc, ldap_errors.LDAPOperationResult):
            code = exc.result
            if code == ldap_results.RESULT_INVALID_CREDENTIALS:
                return MisconfiguredError(
                    gettext("The directory refused the bind DN or password.")
                )
            if code == ldap_results.RESULT_NO_SUCH_OBJECT:
                return MisconfiguredError(
                    gettext("The directory has no entry %(dn)s; check the base DN.")
                    % {"dn": base_dn or exc.dn or ""}
                )
            if code == ldap_results.RESULT_INVALID_DN_SYNTAX:
                return MisconfiguredError(
                    gettext("“%(dn)s” is not a valid DN.")
                    % {"dn": base_dn or self.bind_dn}
                )
            if code == ldap_results.RESULT_INSUFFICIENT_ACCESS_RIGHTS:
                return MisconfiguredError(
                    gettext("The bind DN may not read %(dn)s.") % {"dn": base_dn or uri}
                )
            if code == ldap_results.RESULT_INAPPROPRIATE_AUTHENTICATION:
                return MisconfiguredError(
                    gettext(
                        "The directory does not accept this kind of bind; "
                        "set a bind DN and password."
                    )
                )
            if code in (
                ldap_results.RESULT_STRONGER_AUTH_REQUIRED,
                ldap_results.RESULT_CONFIDENTIALITY_REQUIRED,
            ):
                return MisconfiguredError(
                    gettext(
                        "The directory requires an encrypted connection: use ldaps:// "
                        "or turn on StartTLS."
                    )
                )
            reason = exc.description or str(code)
            if code in RETRYABLE_RESULTS:
                return ConnectorError(
                    gettext(
                        "The directory server at %(uri)s could not answer: %(reason)s."
                    )
                    % {"uri": uri, "reason": reason}
                )
            return MisconfiguredError(
                gettext(
                    "The directory server at %(uri)s refused the request: %(reason)s."
                )
                % {"uri": uri, "reason": reason}
            )
        if isinstance(exc, ldap_errors.LDAPInvalidDnError):
            return MisconfiguredError(
                gettext("“%(dn)s” is not a valid DN.") % {"dn": base_dn or self.bind_dn}
            )
        if isinstance(exc, ldap_errors.LDAPInvalidFilterError):
            return MisconfiguredError(
                gettext("A search filter of the connector is not a valid LDAP filter.")
            )
        if isinstance(exc, ldap_errors.LDAPPasswordIsMandatoryError):
            return MisconfiguredError(
                gettext("The bind DN %(dn)s needs a password; add it to the connector.")
                % {"dn": self.bind_dn}
            )
        if isinstance(
            exc,
            ldap_errors.LDAPStartTLSError
            | ldap_errors.LDAPSSLConfigurationError
            | ldap_errors.LDAPCertificateError
            | ssl.SSLError,
        ):
            return MisconfiguredError(
                gettext(
                    "TLS with the directory server at %(uri)s failed; check its "
                    "certificate and the CA certificate setting."
                )
                % {"uri": uri}
            )
        if isinstance(exc, ldap_errors.LDAPResponseTimeoutError) or _timed_out(exc):
            seconds = _seconds(self.timeout)
            return ConnectorError(
                ngettext(
                    "The directory server at %(uri)s did not answer within "
                    "%(seconds)s second.",
                    "The directory server at %(uri)s did not answer within "
                    "%(seconds)s seconds.",
                    1 if seconds == 1 else 2,
                )
                % {"uri": uri, "seconds": seconds}
            )
        if isinstance(exc, ldap_errors.LDAPSocketOpenError):
            if "certificate" in str(exc).lower() or "ssl" in str(exc).lower():
                return MisconfiguredError(
                    gettext(
                        "TLS with the directory server at %(uri)s failed; check its "
                        "certificate and the CA certificate setting."
                    )
                    % {"uri": uri}
                )
            return ConnectorError(
                gettext(
                    "Could not connect to the directory server at %(uri)s; "
                    "check that it is running and reachable."
                )
                % {"uri": uri}
            )
        if isinstance(exc, ldap_errors.LDAPCommunicationError | OSError):
            return ConnectorError(
                gettext("The directory server at %(uri)s closed the connection.")
                % {"uri": uri}
            )
        if isinstance(exc, ldap_errors.LDAPException):
            return ConnectorError(
                gettext(
                    "Talking to the directory server at %(uri)s failed (%(error)s)."
                )
                % {"uri": uri, "error": type(exc).__name__}
            )
        return exc

    def _search(self, base_dn, search_filter, attributes, *, scope=ldap3.SUBTREE):
        """Every entry (dn, attributes, raw attributes) of a paged search."""
        conn = self._connection()
        entries = []
        cookie = None
        try:
            while True:
                conn.search(
                    base_dn,
                    search_filter,
                    search_scope=scope,
                    attributes=attributes,
                    paged_size=PAGE_SIZE if scope != ldap3.BASE else None,
                    paged_cookie=cookie,
                )
                entries.extend(
                    item
                    for item in conn.response or ()
                    if item.get("type") == "searchResEntry"
                )
                if (
                    conn.result.get("result") == ldap_results.RESULT_REFERRAL
                    and not entries
                ):
                    # The base DN lives in another directory (or nowhere).
                    raise ldap_errors.LDAPOperationResult(
                        result=ldap_results.RESULT_NO_SUCH_OBJECT, dn=base_dn
                    )
                controls = conn.result.get("controls") or {}
                cookie = (
                    controls.get(PAGED_RESULTS_OID, {}).get("value", {}).get("cookie")
                )
                if not cookie:
                    return entries
        except Exception as exc:
            error = self._translate(exc, base_dn=base_dn)
            if error is exc:
                raise
            if error.retryable or isinstance(exc, ldap_errors.LDAPCommunicationError):
                # A dead connection is not worth reusing: the next call reconnects.
                self.close()
            raise error from exc

    # Test ---------------------------------------------------------------------------

    def test_connection(self) -> str:
        user_base = self._base_dn("user_base_dn")
        group_base = self._base_dn("group_base_dn")
        user_filter = self._filter("user_filter")
        try:
            self._search(user_base, "(objectClass=*)", ["1.1"], scope=ldap3.BASE)
            self._search(group_base, "(objectClass=*)", ["1.1"], scope=ldap3.BASE)
            count = len(self._search(user_base, user_filter, ["1.1"]))
        finally:
            self.close()
        return ngettext(
            "Connected to %(uri)s as %(who)s; %(count)s account under %(base)s.",
            "Connected to %(uri)s as %(who)s; %(count)s accounts under %(base)s.",
            count,
        ) % {
            "uri": self.uri,
            "who": self.bind_dn or gettext("anonymous"),
            "count": count,
            "base": user_base,
        }

    # Discover -----------------------------------------------------------------------

    def discover(self, *, employee: EmployeeRef, record_kind: str) -> list[Record]:
        if record_kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        match_by = self._setting("match_by")
        if match_by not in dict(MATCH_BY_CHOICES):
            match_by = "email"
        value = employee.value(match_by).strip()
        if not value:
            raise ConnectorError(
                gettext("The employee has no %(detail)s to look up in the directory.")
                % {"detail": dict(MATCH_BY_CHOICES)[match_by].lower()},
                retryable=False,
            )
        accounts = self._accounts(value)
        if record_kind == "account":
            return [self._account_record(entry) for entry in accounts]
        return self._group_records(accounts)

    def _user_attributes(self):
        names = ["cn", "mail", "displayName", "employeeNumber", "memberOf"]
        if self.is_ad:
            names += [
                "sAMAccountName",
                "userPrincipalName",
                "userAccountControl",
                "objectGUID",
            ]
        else:
            names += ["uid", "entryUUID"]
            disabled = self._attribute("disabled_attribute")
            if disabled:
                names.append(disabled)
        names.append(self._attribute("match_attribute"))
        return sorted(set(filter(None, names)), key=str.lower)

    def _accounts(self, value):
        match_attribute = self._attribute("match_attribute") or "mail"
        assertion = f"({match_attribute}={escape_filter_chars(value)})"
        search_filter = f"(&{self._filter('user_filter')}{assertion})"
        entries = self._search(
            self._base_dn("user_base_dn"), search_filter, self._user_attributes()
        )
        return sorted(entries, key=lambda entry: entry["dn"].lower())

    def _stable_id(self, entry) -> str:
        if self.is_ad:
            raw = _first(entry.get("raw_attributes", {}).get("objectGUID"))
            if isinstance(raw, bytes) and len(raw) == 16:
                return str(uuid.UUID(bytes_le=raw))
        else:
            value = _text(_first(entry["attributes"].get("entryUUID")))
            if value:
                return value
        return entry["dn"]

    def _login(self, entry) -> str:
        attributes = entry["attributes"]
        names = ("sAMAccountName", "userPrincipalName") if self.is_ad else ("uid",)
        for name in (*names, "mail", "cn"):
            value = _text(_first(attributes.get(name)))
            if value:
                return value
        return ""

    def _disabled(self, entry) -> bool:
        attributes = entry["attributes"]
        if self.is_ad:
            try:
                flags = int(_text(_first(attributes.get("userAccountControl"))) or 0)
            except ValueError:
                return False
            return bool(flags & AD_ACCOUNT_DISABLED)
        name = self._attribute("disabled_attribute")
        if not name:
            return False
        values = [_text(value).strip() for value in _values(attributes.get(name))]
        values = [value for value in values if value]
        return bool(values) and values[0].lower() not in ENABLED_VALUES

    def _account_record(self, entry) -> Record:
        attributes = entry["attributes"]
        external_id = self._stable_id(entry)
        login = self._login(entry)
        if not login:
            return Record(
                external_id=external_id,
                kind="account",
                title="",
                error=gettext(
                    "The directory entry %(dn)s has no login name, email or "
                    "common name."
                )
                % {"dn": entry["dn"]},
            )
        fields = {
            "system": self._system_name(),
            "account": login,
            "dn": entry["dn"],
            "uid": login,
            "mail": _text(_first(attributes.get("mail"))),
            "cn": _text(_first(attributes.get("cn"))),
            "display_name": _text(_first(attributes.get("displayName"))),
            "employee_number": _text(_first(attributes.get("employeeNumber"))),
            "disabled": self._disabled(entry),
            "member_of": [
                _text(value) for value in _values(attributes.get("memberOf"))
            ],
        }
        if self.is_ad:
            fields["user_principal_name"] = _text(
                _first(attributes.get("userPrincipalName"))
            )
        return Record(
            external_id=external_id, kind="account", title=login, fields=fields
        )

    def _group_records(self, accounts) -> list[Record]:
        if not accounts:
            return []
        member_attributes = ("member",) if self.is_ad else ("member", "uniqueMember")
        clauses = "".join(
            f"({name}={escape_filter_chars(entry['dn'])})"
            for entry in accounts
            for name in member_attributes
        )
        search_filter = f"(&{self._filter('group_filter')}(|{clauses}))"
        attributes = ["cn", "description", "owner", "managedBy", *member_attributes]
        attributes.append("objectGUID" if self.is_ad else "entryUUID")
        groups = self._search(self._base_dn("group_base_dn"), search_filter, attributes)
        own = {_normal_dn(entry["dn"]): self._login(entry) for entry in accounts}
        records = [self._group_record(group, own) for group in groups]
        return sorted(
            records, key=lambda record: (record.title.lower(), record.external_id)
        )

    def _group_record(self, group, own) -> Record:
        attributes = group["attributes"]
        external_id = self._stable_id(group)
        cn = _text(_first(attributes.get("cn")))
        if not cn:
            return Record(
                external_id=external_id,
                kind="group",
                title="",
                error=gettext("The group %(dn)s has no common name (cn).")
                % {"dn": group["dn"]},
            )
        members, complete = _members(attributes)
        normal_members = {_normal_dn(member) for member in members}
        mine = [login for dn, login in own.items() if dn in normal_members]
        owner = _text(
            _first(attributes.get("owner")) or _first(attributes.get("managedBy"))
        )
        fields = {
            "system": self._system_name(),
            "account": ", ".join(mine),
            "dn": group["dn"],
            "cn": cn,
            "description": _text(_first(attributes.get("description"))),
            "member_count": len(normal_members),
            "member_count_complete": complete,
            "sole_member": complete
            and bool(normal_members)
            and normal_members <= own.keys(),
            "owner": owner,
            "owner_name": _rdn_value(owner),
        }
        return Record(external_id=external_id, kind="group", title=cn, fields=fields)


# Helpers ---------------------------------------------------------------------------


def _values(value) -> list:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _first(value):
    values = _values(value)
    return values[0] if values else None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _members(attributes):
    """The group's member DNs and whether that is all of them. Active Directory
    sends large groups in ranges (``member;range=0-1499``); only the first range
    arrives with the entry."""
    members = []
    complete = True
    for name, values in attributes.items():
        base, _sep, option = name.partition(";")
        if base.lower() not in ("member", "uniquemember"):
            continue
        if option.lower().startswith("range=") and not option.endswith("-*"):
            complete = False
        for value in _values(values):
            text = _text(value)
            if base.lower() == "uniquemember":
                # uniqueMember may carry a trailing #'bitstring' uid.
                text = re.sub(r"#'[01]*'B$", "", text)
            members.append(text)
    return members, complete


def _normal_dn(dn: str) -> str:
    try:
        return ",".join(
            f"{name.strip().lower()}={value.strip().lower()}"
            for name, value, _sep in parse_dn(dn, escape=False, strip=True)
        )
    except Exception:  # noqa: BLE001 - compare unparsable DNs as plain text
        return dn.strip().lower()


def _rdn_value(dn: str) -> str:
    if not dn:
        return ""
    try:
        return parse_dn(dn, escape=False, strip=True)[0][1]
    except Exception:  # noqa: BLE001 - not a DN: show it as it is
        return dn


def _timed_out(exc) -> bool:
    if isinstance(exc, socket.timeout | TimeoutError):
        return True
    return "timed out" in str(exc).lower()


def _seconds(value: float):
    return int(value) if float(value).is_integer() else round(value, 1)
