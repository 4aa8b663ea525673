"""LDAP / Active Directory: the leaving employee's directory account and the
groups it belongs to; as a directory, everyone in it (``ldap_directory``).

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
    REVOKE,
    UNKNOWN_RECORD_KIND,
    AccessState,
    ConnectorError,
    ConnectorType,
    EmployeeRef,
    MisconfiguredError,
    Record,
    Setting,
    TransferResult,
)
from .ldap_directory import DIRECTORY_SETTINGS, LdapDirectoryMixin

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

# How OpenLDAP accounts are suspended (``disable_method``).
METHOD_ATTRIBUTE = "attribute"
METHOD_PPOLICY = "pwdAccountLockedTime"
METHOD_PASSWORD = "password"  # noqa: S105 - a method name
DISABLE_METHOD_CHOICES = (
    (METHOD_ATTRIBUTE, _("Disabled attribute")),
    (METHOD_PPOLICY, _("Password policy lock (pwdAccountLockedTime)")),
    (METHOD_PASSWORD, _("Unusable password")),
)
PPOLICY_ATTRIBUTE = "pwdAccountLockedTime"
# pwdAccountLockedTime with this value locks the account until an admin unlocks it.
PERMANENT_LOCK = "000001010000Z"
# A {CRYPT} hash no password can produce: sign-in with a password fails.
UNUSABLE_PASSWORD = b"{CRYPT}!"
# Active Directory's NORMAL_ACCOUNT, for an entry without userAccountControl.
AD_NORMAL_ACCOUNT = 0x200
# Delete an AD entry with its children (Exchange devices and the like).
TREE_DELETE_OID = "1.2.840.113556.1.4.805"

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
class LdapConnector(LdapDirectoryMixin, ConnectorType):
    slug = "ldap"
    label = _("LDAP / Active Directory")
    description = _(
        "Lists the employee's directory account and the groups it belongs to, "
        "from OpenLDAP, Active Directory or another LDAP server."
    )
    capabilities = frozenset({DISCOVER, REVOKE})
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
            "disable_method",
            _("How to suspend accounts"),
            help_text=_(
                "OpenLDAP only (Active Directory always sets the disabled flag of "
                "userAccountControl). “Disabled attribute” writes the disabled "
                "value into the disabled attribute; “Password policy lock” sets "
                "pwdAccountLockedTime (needs the ppolicy overlay); “Unusable "
                "password” replaces userPassword."
            ),
            required=False,
            default=METHOD_ATTRIBUTE,
            choices=DISABLE_METHOD_CHOICES,
        ),
        Setting(
            "disabled_value",
            _("Disabled value"),
            help_text=_(
                "What suspending writes into the disabled attribute. When set, only "
                "this value counts as disabled. Defaults to 000001010000Z (a "
                "permanent lock) for pwdAccountLockedTime and TRUE otherwise."
            ),
            required=False,
            default="",
        ),
        Setting(
            "enabled_value",
            _("Enabled value"),
            help_text=_(
                "What restoring writes into the disabled attribute. Leave empty to "
                "remove the attribute."
            ),
            required=False,
            default="",
        ),
        Setting(
            "password_backup_attribute",
            _("Password backup attribute"),
            help_text=_(
                "“Unusable password” only: the account attribute that keeps the "
                "old password hash so restoring can put it back. Protect it like "
                "userPassword. Leave empty and restoring is refused: set a new "
                "password instead."
            ),
            required=False,
            default="",
        ),
        Setting(
            "write_bind_dn",
            _("Write bind DN"),
            help_text=_(
                "The account Baton suspends, restores and deletes accounts and "
                "changes group members as, when it differs from the read-only bind "
                "DN. Leave empty to write with the bind DN."
            ),
            required=False,
            default="",
        ),
        Setting(
            "write_bind_password",
            _("Write bind password"),
            required=False,
            secret=True,
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
        *DIRECTORY_SETTINGS,
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self._conn = None
        self._write_conn = None

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
        """The read-only connection discover and access_state search with."""
        if self._conn is None:
            password = self.secrets.get("bind_password") or ""
            self._conn = self._open(self.bind_dn, password, read_only=True)
        return self._conn

    def _open(self, bind_dn, password, *, read_only, refused=None):
        """A bound connection. ``refused``: the message for wrong credentials
        when it is not the usual one."""
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
        if bind_dn and not password:
            raise MisconfiguredError(
                gettext("The bind DN %(dn)s needs a password; add it to the connector.")
                % {"dn": bind_dn}
            )
        conn = ldap3.Connection(
            server,
            user=bind_dn or None,
            password=password or None,
            authentication=ldap3.SIMPLE if bind_dn else ldap3.ANONYMOUS,
            auto_bind=ldap3.AUTO_BIND_NONE,
            read_only=read_only,
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
            if refused and _result_of(exc) == ldap_results.RESULT_INVALID_CREDENTIALS:
                raise MisconfiguredError(refused) from exc
            error = self._translate(exc)
            if error is exc:
                raise
            if error.retryable:
                # The server is gone: the other connection is dead too.
                self.close()
            raise error from exc
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
        for name in ("_conn", "_write_conn"):
            conn = getattr(self, name)
            if conn is not None:
                self._drop(conn)
                setattr(self, name, None)

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

    def _search(
        self,
        base_dn,
        search_filter,
        attributes,
        *,
        scope=ldap3.SUBTREE,
        conn=None,
        missing_ok=False,
    ):
        """Every entry (dn, attributes, raw attributes) of a paged search, on
        ``conn`` or the read-only connection. ``missing_ok``: a base DN that does
        not exist gives no entries instead of an error."""
        conn = conn or self._connection()
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
            if missing_ok and _result_of(exc) == ldap_results.RESULT_NO_SUCH_OBJECT:
                return []
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
            names += ["uid", "entryUUID", *self._status_attributes()]
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
        """Whether the account is suspended, by the same rule suspend_account
        follows (so discover's ``disabled`` and access_state agree with it)."""
        if self.is_ad:
            return bool(_user_account_control(entry) & AD_ACCOUNT_DISABLED)
        method = self._disable_method()
        if method == METHOD_PPOLICY and _values(
            _attribute_of(entry, PPOLICY_ATTRIBUTE)
        ):
            return True
        if method == METHOD_PASSWORD and _password_unusable(entry):
            return True
        name = self._attribute("disabled_attribute")
        if not name:
            return False
        values = [_text(value).strip() for value in _values(_attribute_of(entry, name))]
        values = [value for value in values if value]
        if not values:
            return False
        explicit = str(self.config.get("disabled_value") or "").strip()
        if method == METHOD_ATTRIBUTE and explicit:
            return any(value.lower() == explicit.lower() for value in values)
        enabled = str(self.config.get("enabled_value") or "").strip().lower()
        first = values[0].lower()
        return first not in ENABLED_VALUES and first != enabled

    def _disable_method(self) -> str:
        method = self._setting("disable_method") or METHOD_ATTRIBUTE
        if method not in dict(DISABLE_METHOD_CHOICES):
            raise MisconfiguredError(
                gettext("“%(value)s” is not a way to suspend accounts (%(setting)s).")
                % {"value": method, "setting": self._setting_label("disable_method")}
            )
        return method

    def _status_attributes(self) -> list:
        """The attributes ``_disabled`` reads from an OpenLDAP account."""
        names = []
        method = self._disable_method()
        if method == METHOD_PPOLICY:
            names.append(PPOLICY_ATTRIBUTE)
        elif method == METHOD_PASSWORD:
            names.append("userPassword")
        disabled = self._attribute("disabled_attribute")
        if disabled:
            names.append(disabled)
        return names

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

    # Access changes -----------------------------------------------------------------
    # Reads go through the read-only bind; every change (and the read it depends
    # on) through the write bind: write_bind_dn when set, else bind_dn.

    def access_state(self, *, account_id: str) -> AccessState:
        entry = self._find_account(account_id, self._user_attributes())
        if entry is None:
            return AccessState(exists=False, active=False, groups=[])
        groups = self._group_records([entry])
        return AccessState(
            exists=True,
            active=not self._disabled(entry),
            groups=[record.external_id for record in groups],
        )

    def suspend_account(self, *, account_id: str) -> TransferResult:
        return self._set_suspended(account_id, suspended=True)

    def restore_account(self, *, account_id: str) -> TransferResult:
        return self._set_suspended(account_id, suspended=False)

    def delete_account(self, *, account_id: str) -> TransferResult:
        conn = self._write_connection()
        entry = self._find_account(account_id, ["1.1"], conn=conn)
        if entry is None:
            return _result("delete", account_id, changed=False, gone=True)
        dn = entry["dn"]
        still_listed = []
        if not self.is_ad:
            # Active Directory drops the links itself; OpenLDAP (without the
            # refint overlay) would keep the DN in the groups, and whoever gets
            # that DN next would inherit the memberships.
            for group in self._groups_listing(dn, conn=conn):
                try:
                    self._remove_values(conn, group, dn)
                except MisconfiguredError:
                    if self._last_member(group, dn):
                        still_listed.append(group["dn"])
                        continue
                    raise
        controls = [(TREE_DELETE_OID, False, None)] if self.is_ad else None
        try:
            conn.delete(dn, controls=controls)
        except Exception as exc:
            if _result_of(exc) == ldap_results.RESULT_NO_SUCH_OBJECT:
                return _result("delete", dn, changed=False, gone=True)
            if _result_of(exc) == ldap_results.RESULT_NOT_ALLOWED_ON_NON_LEAF:
                raise MisconfiguredError(
                    gettext(
                        "The directory will not delete %(dn)s because entries "
                        "below it remain; remove those first."
                    )
                    % {"dn": dn}
                ) from exc
            raise self._write_error(exc, dn) from exc
        return _result("delete", dn, changed=True, still_listed_in=still_listed)

    def remove_member(self, *, group_id: str, account_id: str) -> TransferResult:
        conn = self._write_connection()
        group = self._find_group(group_id, conn=conn)
        if group is None:
            return _result("remove_member", group_id, changed=False, group_gone=True)
        account = self._find_account(account_id, ["1.1"], conn=conn)
        if account is not None:
            dn = account["dn"]
        elif _looks_like_dn(account_id):
            # The account is gone, but its DN may still be listed.
            dn = account_id
        else:
            return _result("remove_member", group["dn"], changed=False)
        try:
            changed = self._remove_values(conn, group, dn)
        except MisconfiguredError as error:
            if self._last_member(group, dn):
                raise MisconfiguredError(
                    gettext(
                        "%(dn)s is the last member of the group %(group)s, which "
                        "must keep at least one; add someone else (such as the "
                        "successor) first."
                    )
                    % {"dn": dn, "group": group["dn"]}
                ) from error
            raise
        return _result("remove_member", group["dn"], changed=changed, member=dn)

    def add_member(self, *, group_id: str, person: EmployeeRef) -> TransferResult:
        account = self._own_account(person)
        dn = account["dn"]
        conn = self._write_connection()
        group = self._find_group(group_id, conn=conn)
        if group is None:
            raise MisconfiguredError(
                gettext("The directory has no group %(group)s under %(base)s.")
                % {"group": group_id, "base": self._base_dn("group_base_dn")}
            )
        members, _complete = _members(group["attributes"])
        if _normal_dn(dn) in {_normal_dn(member) for member in members}:
            return _result("add_member", group["dn"], changed=False, member=dn)
        attribute = self._member_attribute(group)
        changed = self._modify(
            conn,
            group["dn"],
            {attribute: [(ldap3.MODIFY_ADD, [dn])]},
            # Active Directory answers entryAlreadyExists for a member.
            unchanged=(
                ldap_results.RESULT_ATTRIBUTE_OR_VALUE_EXISTS,
                ldap_results.RESULT_ENTRY_ALREADY_EXISTS,
            ),
        )
        return _result("add_member", group["dn"], changed=changed, member=dn)

    # Suspend / restore -----------------------------------------------------------

    def _set_suspended(self, account_id, *, suspended: bool) -> TransferResult:
        operation = "suspend" if suspended else "restore"
        conn = self._write_connection()
        if self.is_ad:
            attributes = ["userAccountControl"]
        else:
            method = self._disable_method()
            attributes = self._status_attributes()
            if method == METHOD_PASSWORD:
                backup = self._attribute("password_backup_attribute")
                if backup:
                    attributes.append(backup)
        entry = self._find_account(account_id, attributes or ["1.1"], conn=conn)
        if entry is None:
            raise MisconfiguredError(
                gettext("The directory has no account %(account)s under %(base)s.")
                % {"account": account_id, "base": self._base_dn("user_base_dn")}
            )
        dn = entry["dn"]
        if self.is_ad:
            changes = self._ad_changes(entry, suspended)
        elif method == METHOD_PASSWORD:
            changes = self._password_changes(entry, suspended)
        else:
            changes = self._attribute_changes(entry, suspended, method)
        changed = bool(changes) and self._modify(conn, dn, changes)
        return _result(operation, dn, changed=changed)

    def _ad_changes(self, entry, suspended):
        flags = _user_account_control(entry, default=AD_NORMAL_ACCOUNT)
        new = flags | AD_ACCOUNT_DISABLED if suspended else flags & ~AD_ACCOUNT_DISABLED
        if new == flags:
            return {}
        return {"userAccountControl": [(ldap3.MODIFY_REPLACE, [str(new)])]}

    def _attribute_changes(self, entry, suspended, method):
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
        current = [_text(item) for item in _values(_attribute_of(entry, name))]
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

    def _password_changes(self, entry, suspended):
        backup = self._attribute("password_backup_attribute")
        passwords = [_bytes(value) for value in _raw_values(entry, "userPassword")]
        if suspended:
            if _password_unusable(entry):
                return {}
            changes = {"userPassword": [(ldap3.MODIFY_REPLACE, [UNUSABLE_PASSWORD])]}
            if backup and passwords:
                changes[backup] = [(ldap3.MODIFY_REPLACE, passwords)]
            return changes
        if not _password_unusable(entry):
            return {}
        saved = (
            [_bytes(value) for value in _raw_values(entry, backup)] if backup else []
        )
        if not saved:
            raise MisconfiguredError(
                gettext(
                    "The password of %(dn)s was replaced when it was suspended and "
                    "no copy was kept, so it cannot be restored; set a new password "
                    "in the directory instead."
                )
                % {"dn": entry["dn"]}
            )
        return {
            "userPassword": [(ldap3.MODIFY_REPLACE, saved)],
            backup: [(ldap3.MODIFY_REPLACE, [])],
        }

    def _disabled_value(self, name) -> str:
        value = str(self.config.get("disabled_value") or "").strip()
        if value:
            return value
        return PERMANENT_LOCK if name.lower() == PPOLICY_ATTRIBUTE.lower() else "TRUE"

    def _enabled_value(self) -> str:
        return str(self.config.get("enabled_value") or "").strip()

    # Finding entries --------------------------------------------------------------

    def _find_account(self, account_id, attributes, *, conn=None):
        return self._find("user_base_dn", account_id, attributes, conn=conn)

    def _find_group(self, group_id, *, conn=None):
        attributes = ["cn", "objectClass", "member"]
        if not self.is_ad:
            attributes.append("uniqueMember")
        return self._find("group_base_dn", group_id, attributes, conn=conn)

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
        elif _looks_like_dn(external_id):
            if not _is_below(external_id, base):
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

    def _own_account(self, person: EmployeeRef):
        """``person``'s one account, matched the way discover matches."""
        match_by = self._setting("match_by")
        if match_by not in dict(MATCH_BY_CHOICES):
            match_by = "email"
        value = person.value(match_by).strip()
        if not value:
            raise MisconfiguredError(
                gettext("%(person)s has no %(detail)s to look up in the directory.")
                % {
                    "person": person.name or person.email or person.username,
                    "detail": dict(MATCH_BY_CHOICES)[match_by].lower(),
                }
            )
        accounts = self._accounts(value)
        attribute = self._attribute("match_attribute") or "mail"
        if not accounts:
            raise MisconfiguredError(
                gettext("%(person)s has no account in the directory (%(match)s).")
                % {
                    "person": person.name or value,
                    "match": f"{attribute}={value}",
                }
            )
        if len(accounts) > 1:
            raise MisconfiguredError(
                gettext(
                    "%(count)s directory accounts match %(match)s; Baton does not "
                    "guess which one to use."
                )
                % {"count": len(accounts), "match": f"{attribute}={value}"}
            )
        return accounts[0]

    def _groups_listing(self, dn, *, conn):
        member_attributes = ("member",) if self.is_ad else ("member", "uniqueMember")
        clauses = "".join(
            f"({name}={escape_filter_chars(dn)})" for name in member_attributes
        )
        return self._search(
            self._base_dn("group_base_dn"),
            f"(|{clauses})",
            ["cn", "objectClass", *member_attributes],
            conn=conn,
        )

    def _member_attribute(self, group) -> str:
        if self.is_ad:
            return "member"
        classes = {
            _text(value).lower()
            for value in _values(_attribute_of(group, "objectClass"))
        }
        if "groupofuniquenames" in classes and "groupofnames" not in classes:
            return "uniqueMember"
        return "member"

    def _remove_values(self, conn, group, dn) -> bool:
        """Remove ``dn`` from the group's member attributes, by the values the
        group holds (uniqueMember may carry a #'…'B suffix)."""
        wanted = _normal_dn(dn)
        changes = {}
        for name, values in group["attributes"].items():
            base = name.partition(";")[0]
            if base.lower() not in ("member", "uniquemember"):
                continue
            matching = [
                value
                for value in _values(values)
                if _normal_dn(re.sub(r"#'[01]*'B$", "", _text(value))) == wanted
            ]
            if matching:
                changes[base] = [(ldap3.MODIFY_DELETE, matching)]
        if not changes:
            if _members(group["attributes"])[1]:
                return False
            # Active Directory sent only part of a large group: ask it directly.
            changes = {"member": [(ldap3.MODIFY_DELETE, [dn])]}
        return self._modify(
            conn,
            group["dn"],
            changes,
            unchanged=(ldap_results.RESULT_NO_SUCH_ATTRIBUTE,),
        )

    def _last_member(self, group, dn) -> bool:
        members, complete = _members(group["attributes"])
        return complete and {_normal_dn(member) for member in members} == {
            _normal_dn(dn)
        }

    # Writing ----------------------------------------------------------------------

    @property
    def write_bind_dn(self) -> str:
        return str(self.config.get("write_bind_dn") or "").strip() or self.bind_dn

    def _write_connection(self):
        if self._write_conn is not None:
            return self._write_conn
        separate = bool(str(self.config.get("write_bind_dn") or "").strip())
        dn = self.write_bind_dn
        if not dn:
            raise MisconfiguredError(
                gettext(
                    "Changing directory accounts needs an account with write "
                    "rights; set the write bind DN and its password."
                )
            )
        secret = "write_bind_password" if separate else "bind_password"
        self._write_conn = self._open(
            dn,
            self.secrets.get(secret) or "",
            read_only=False,
            refused=gettext("The directory refused the write bind DN or password.")
            if separate
            else None,
        )
        return self._write_conn

    def _modify(self, conn, dn, changes, *, unchanged=()) -> bool:
        """Apply ``changes`` to ``dn``; False when the server says they were
        already in place (a result code in ``unchanged``)."""
        try:
            conn.modify(dn, changes)
        except Exception as exc:
            if _result_of(exc) in unchanged:
                return False
            raise self._write_error(exc, dn) from exc
        return True

    def _write_error(self, exc, dn) -> Exception:
        code = _result_of(exc)
        if code == ldap_results.RESULT_INSUFFICIENT_ACCESS_RIGHTS:
            return MisconfiguredError(
                gettext(
                    "%(account)s has no write rights on %(dn)s; give it write "
                    "access or set the write bind DN of the connector."
                )
                % {"account": self.write_bind_dn, "dn": dn}
            )
        if code == ldap_results.RESULT_NO_SUCH_OBJECT:
            return MisconfiguredError(
                gettext("The directory has no entry %(dn)s any more.") % {"dn": dn}
            )
        if code in (
            ldap_results.RESULT_OBJECT_CLASS_VIOLATION,
            ldap_results.RESULT_UNDEFINED_ATTRIBUTE_TYPE,
            ldap_results.RESULT_CONSTRAINT_VIOLATION,
        ):
            return MisconfiguredError(
                gettext("The directory refused to change %(dn)s: %(reason)s.")
                % {"dn": dn, "reason": getattr(exc, "description", "") or code}
            )
        error = self._translate(exc, base_dn=dn)
        if error is exc:
            return exc
        if error.retryable or isinstance(exc, ldap_errors.LDAPCommunicationError):
            self.close()
        return error


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


def _result_of(exc):
    """The LDAP result code of an ldap3 operation failure, else None."""
    if isinstance(exc, ldap_errors.LDAPOperationResult):
        return exc.result
    return None


def _attribute_of(entry, name):
    """An attribute of a search result entry, whatever case the server used."""
    attributes = entry["attributes"]
    if name in attributes:
        return attributes[name]
    lower = name.lower()
    for key, value in attributes.items():
        if key.lower() == lower:
            return value
    return None


def _raw_values(entry, name) -> list:
    raw = entry.get("raw_attributes") or {}
    lower = name.lower()
    for key, value in raw.items():
        if key.lower() == lower:
            return _values(value)
    return []


def _bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _password_unusable(entry) -> bool:
    values = [_bytes(value) for value in _raw_values(entry, "userPassword")]
    return bool(values) and all(value.startswith(UNUSABLE_PASSWORD) for value in values)


def _user_account_control(entry, default=0) -> int:
    try:
        return int(_text(_first(_attribute_of(entry, "userAccountControl"))) or default)
    except ValueError:
        return default


def _looks_like_dn(value: str) -> bool:
    try:
        return bool(parse_dn(value, escape=False, strip=True))
    except Exception:  # noqa: BLE001 - anything unparsable is not a DN
        return False


def _is_below(dn: str, base: str) -> bool:
    dn, base = _normal_dn(dn), _normal_dn(base)
    return dn == base or dn.endswith("," + base)


def _result(operation, dn, *, changed, **extra) -> TransferResult:
    response = {"operation": operation, "dn": dn, "changed": changed}
    response.update({key: value for key, value in extra.items() if value})
    return TransferResult(response=response)


def _timed_out(exc) -> bool:
    if isinstance(exc, socket.timeout | TimeoutError):
        return True
    return "timed out" in str(exc).lower()


def _seconds(value: float):
    return int(value) if float(value).is_integer() else round(value, 1)
