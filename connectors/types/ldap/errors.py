"""What an LDAP failure means to a person: every ldap3 (or socket) failure
as a ``ConnectorError`` (the server is down or slow: worth retrying) or a
``MisconfiguredError`` (wrong password, missing base DN, bad filter: an admin
must fix the connector). Messages name the server and the DN involved, never
the password.
"""

from __future__ import annotations

import socket
import ssl

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from ldap3.core import exceptions as ldap_errors
from ldap3.core import results as codes

from ...sdk.base import ConnectorError, MisconfiguredError

__all__ = ["FAILURES", "NEEDS_PASSWORD", "failure", "result_of", "write_refusal"]

# What talking to a directory may raise: ldap3's failures, the socket's, and
# the outbound guard's refusal (anything else is a bug, left as it is).
FAILURES = (ldap_errors.LDAPException, OSError, ConnectorError)
# Result codes that mean the server is overloaded or going down: try again later.
RETRYABLE_RESULTS = frozenset(
    {
        codes.RESULT_BUSY,
        codes.RESULT_UNAVAILABLE,
        codes.RESULT_TIME_LIMIT_EXCEEDED,
        codes.RESULT_ADMIN_LIMIT_EXCEEDED,
        codes.RESULT_OTHER,
    }
)
NEEDS_PASSWORD = _("The bind DN %(dn)s needs a password; add it to the connector.")
INVALID_DN = _("“%(dn)s” is not a valid DN.")
TLS_FAILED = _(
    "TLS with the directory server at %(uri)s failed; check its certificate and "
    "the CA certificate setting."
)
ENCRYPTION_REQUIRED = _(
    "The directory requires an encrypted connection: use ldaps:// or turn on StartTLS."
)
# Result codes only an admin can fix, and what to tell them.
REFUSALS = {
    codes.RESULT_INVALID_CREDENTIALS: _(
        "The directory refused the bind DN or password."
    ),
    codes.RESULT_NO_SUCH_OBJECT: _(
        "The directory has no entry %(dn)s; check the base DN."
    ),
    codes.RESULT_INVALID_DN_SYNTAX: INVALID_DN,
    codes.RESULT_INSUFFICIENT_ACCESS_RIGHTS: _("The bind DN may not read %(dn)s."),
    codes.RESULT_INAPPROPRIATE_AUTHENTICATION: _(
        "The directory does not accept this kind of bind; set a bind DN and password."
    ),
    codes.RESULT_STRONGER_AUTH_REQUIRED: ENCRYPTION_REQUIRED,
    codes.RESULT_CONFIDENTIALITY_REQUIRED: ENCRYPTION_REQUIRED,
}
COULD_NOT_ANSWER = _("The directory server at %(uri)s could not answer: %(reason)s.")
REFUSED = _("The directory server at %(uri)s refused the request: %(reason)s.")
FAILED = _("Talking to the directory server at %(uri)s failed (%(error)s).")
# ldap3 failures that are no result code, as people are told of them
# (``%(dn)s``: the DN involved, else the bind DN), in the order they are told
# apart; a timeout is told between the two.
ADMIN_MUST_FIX = (
    (ldap_errors.LDAPInvalidDnError, INVALID_DN),
    (
        ldap_errors.LDAPInvalidFilterError,
        _("A search filter of the connector is not a valid LDAP filter."),
    ),
    (ldap_errors.LDAPPasswordIsMandatoryError, NEEDS_PASSWORD),
    (
        (
            ldap_errors.LDAPStartTLSError,
            ldap_errors.LDAPSSLConfigurationError,
            ldap_errors.LDAPCertificateError,
            ssl.SSLError,
        ),
        TLS_FAILED,
    ),
)
WORTH_RETRYING = (
    (
        ldap_errors.LDAPSocketOpenError,
        _(
            "Could not connect to the directory server at %(uri)s; check that it "
            "is running and reachable."
        ),
    ),
    (
        (ldap_errors.LDAPCommunicationError, OSError),
        _("The directory server at %(uri)s closed the connection."),
    ),
)


def result_of(exc):
    """The LDAP result code of an ldap3 operation failure, else None."""
    if isinstance(exc, ldap_errors.LDAPOperationResult):
        return exc.result
    return None


def failure(exc, *, uri: str, base_dn: str, bind_dn: str, timeout: float):
    """The error to raise for ``exc`` (one of ``FAILURES``), which happened
    at ``base_dn`` (or while binding as ``bind_dn``)."""
    if isinstance(exc, ConnectorError):
        return exc
    values = {"uri": uri, "dn": base_dn or bind_dn, "error": type(exc).__name__}
    code = result_of(exc)
    if code in REFUSALS:
        if not base_dn and code == codes.RESULT_NO_SUCH_OBJECT:
            values["dn"] = exc.dn or ""
        elif not base_dn and code == codes.RESULT_INSUFFICIENT_ACCESS_RIGHTS:
            values["dn"] = uri
        return MisconfiguredError(REFUSALS[code] % values)
    if code is not None:
        values["reason"] = exc.description or str(code)
        if code in RETRYABLE_RESULTS:
            return ConnectorError(COULD_NOT_ANSWER % values)
        return MisconfiguredError(REFUSED % values)
    for classes, message in ADMIN_MUST_FIX:
        if isinstance(exc, classes):
            return MisconfiguredError(message % values)
    if isinstance(exc, ldap_errors.LDAPResponseTimeoutError) or _timed_out(exc):
        values["seconds"] = _seconds(timeout)
        return ConnectorError(
            ngettext(
                "The directory server at %(uri)s did not answer within "
                "%(seconds)s second.",
                "The directory server at %(uri)s did not answer within "
                "%(seconds)s seconds.",
                1 if values["seconds"] == 1 else 2,
            )
            % values
        )
    text = str(exc).lower()
    tls = "certificate" in text or "ssl" in text
    if isinstance(exc, ldap_errors.LDAPSocketOpenError) and tls:
        return MisconfiguredError(TLS_FAILED % values)
    for classes, message in WORTH_RETRYING:
        if isinstance(exc, classes):
            return ConnectorError(message % values)
    return ConnectorError(FAILED % values)


def write_refusal(exc, *, dn: str, account: str) -> MisconfiguredError | None:
    """What a refused change of ``dn`` means, when it is not what ``failure``
    says (``account``: who Baton writes as)."""
    code = result_of(exc)
    if code == codes.RESULT_INSUFFICIENT_ACCESS_RIGHTS:
        return MisconfiguredError(
            gettext(
                "%(account)s has no write rights on %(dn)s; give it write "
                "access or set the write bind DN of the connector."
            )
            % {"account": account, "dn": dn}
        )
    if code == codes.RESULT_NO_SUCH_OBJECT:
        return MisconfiguredError(
            gettext("The directory has no entry %(dn)s any more.") % {"dn": dn}
        )
    if code in (
        codes.RESULT_OBJECT_CLASS_VIOLATION,
        codes.RESULT_UNDEFINED_ATTRIBUTE_TYPE,
        codes.RESULT_CONSTRAINT_VIOLATION,
    ):
        return MisconfiguredError(
            gettext("The directory refused to change %(dn)s: %(reason)s.")
            % {"dn": dn, "reason": getattr(exc, "description", "") or code}
        )
    return None


def _timed_out(exc) -> bool:
    if isinstance(exc, socket.timeout | TimeoutError):
        return True
    return "timed out" in str(exc).lower()


def _seconds(value: float):
    return int(value) if float(value).is_integer() else round(value, 1)
