"""Reading what an LDAP server returned: entries, DNs, group members and the
dates directories keep. ``Entry`` stands in for a model because which
attributes an entry has depends on the settings: values are read by name in
any case, as text or as the bytes received."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from ldap3.utils.ciDict import CaseInsensitiveDict
from ldap3.utils.dn import parse_dn

__all__ = ["Entry", "is_below", "ldap_date", "looks_like_dn", "normal_dn", "rdn_value"]

# uniqueMember may carry a trailing #'bitstring' uid.
UNIQUE_MEMBER_UID = re.compile(r"#'[01]*'B$")
MEMBER_ATTRIBUTES = ("member", "uniquemember")
# Active Directory's FILETIME: 100-nanosecond ticks since 1601-01-01 UTC; 0 and
# the largest value mean "never expires".
FILETIME_EPOCH = datetime.datetime(1601, 1, 1, tzinfo=datetime.UTC)
FILETIME_NEVER = (0, 0x7FFFFFFFFFFFFFFF)
UNIX_EPOCH = datetime.date(1970, 1, 1)
# 2026-12-31, 20261231 or a generalized time 20261231160000Z.
TEXT_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})")


def _listed(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


class Entry:
    def __init__(self, response: dict):
        self.dn: str = response["dn"]
        self.attributes = CaseInsensitiveDict(response.get("attributes") or {})
        self.raw = CaseInsensitiveDict(response.get("raw_attributes") or {})

    def texts(self, name: str) -> list[str]:
        """Every value as text (without the schema ldap3 returns bytes when
        not UTF-8)."""
        values = _listed(self.attributes.get(name)) if name else []
        return [_text(value) for value in values if value not in (None, "")]

    def first(self, name: str) -> str:
        values = self.texts(name)
        return values[0] if values else ""

    def raw_values(self, name: str) -> list[bytes]:
        values = _listed(self.raw.get(name)) if name else []
        return [
            value if isinstance(value, bytes) else str(value).encode()
            for value in values
        ]

    def members(self) -> tuple[list[str], bool]:
        """The member DNs and whether that is all (Active Directory sends
        large groups in ranges, ``member;range=0-1499``)."""
        members, complete = [], True
        for name, values in self.attributes.items():
            base, _sep, option = name.partition(";")
            if base.lower() not in MEMBER_ATTRIBUTES:
                continue
            if option.lower().startswith("range=") and not option.endswith("-*"):
                complete = False
            members += [member_dn(value) for value in _listed(values)]
        return members, complete

    def member_values(self, dn: str) -> dict[str, list]:
        """Attribute name -> the values that list ``dn`` as a member."""
        wanted, found = normal_dn(dn), {}
        for name, values in self.attributes.items():
            base = name.partition(";")[0]
            matching = [
                value
                for value in _listed(values)
                if normal_dn(member_dn(value)) == wanted
            ]
            if base.lower() in MEMBER_ATTRIBUTES and matching:
                found[base] = matching
        return found


def member_dn(value) -> str:
    return UNIQUE_MEMBER_UID.sub("", _text(value))


def normal_dn(dn: str) -> str:
    try:
        return ",".join(
            f"{name.strip().lower()}={value.strip().lower()}"
            for name, value, _sep in parse_dn(dn, escape=False, strip=True)
        )
    except Exception:  # noqa: BLE001 - compare unparsable DNs as plain text
        return dn.strip().lower()


def rdn_value(dn: str) -> str:
    try:
        return parse_dn(dn, escape=False, strip=True)[0][1]
    except Exception:  # noqa: BLE001 - not a DN (or ""): show it as it is
        return dn


def looks_like_dn(value: str) -> bool:
    try:
        return bool(parse_dn(value, escape=False, strip=True))
    except Exception:  # noqa: BLE001 - anything unparsable is not a DN
        return False


def is_below(dn: str, base: str) -> bool:
    dn, base = normal_dn(dn), normal_dn(base)
    return dn == base or dn.endswith("," + base)


def ldap_date(value: str, attribute: str) -> datetime.date | None:
    """The last working day a value stands for; None for "never" or nothing."""
    text = value.strip()
    if not text:
        return None
    name = attribute.lower()
    if name == "shadowexpire":
        days = int(text)
        # shadow(5): the account is expired from that day on; -1 is "never".
        return UNIX_EPOCH + datetime.timedelta(days=days - 1) if days > 0 else None
    if name == "accountexpires" or (text.isdigit() and len(text) > 14):
        ticks = int(text)
        if ticks in FILETIME_NEVER:
            return None
        expires = FILETIME_EPOCH + datetime.timedelta(microseconds=ticks // 10)
        # "End of 31 December" is stored as midnight starting 1 January (local).
        return timezone.localtime(expires - datetime.timedelta(seconds=1)).date()
    match = TEXT_DATE.match(text)
    if match is None:
        raise ValueError(text)
    return datetime.date(*(int(part) for part in match.groups()))
