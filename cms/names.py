"""How a person's name is written: one rule, by language.

Names are stored in two shapes. A user account has ``first_name`` (the given
name) and ``last_name`` (the family name); an HR record (``Employee.name``) is
one string, typed the way HR writes it ("Chen Fang", "陈芳"). Before this rule
pages printed ``get_full_name()`` ("Fang Chen") while the certificate printed
the HR record ("Chen Fang"), so the same person had two names.

The rule, for a name in parts (family, given):

* A name written in Chinese characters (any CJK in either part) is family name
  then given name, with no space, in every language: "陈芳". That is how the
  name is written, whatever language surrounds it.
* A Latin-script name in Chinese (zh-Hans) is family name first, with a space:
  "Chen Fang". Baton's people are mostly Chinese with pinyin account names, and
  pinyin in Chinese text is written family name first. We cannot tell pinyin
  from a foreign name, so every Latin name follows it.
* A Latin-script name in English is given name first: "Fang Chen".
* With one part missing, the other alone; with neither, the username.
* An erased person (data retention) is their pseudonym: "Leaver",
  "Successor #2", in the reader's language.

An HR record is one string, so its order cannot be known: a record in Chinese
characters prints as stored; a Latin one prints from the linked user account's
parts when it has them (so it follows the rule), else as stored.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from django.utils import translation

from .models.employees import Employee

__all__ = ["NameParts", "has_cjk", "join_name", "person_name"]

# CJK Unified Ideographs (+ Extension A), compatibility ideographs, and the
# ideographic zero (U+3007); enough for every Chinese, Japanese kanji or hanja name.
_CJK = re.compile(r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class NameParts(NamedTuple):
    family: str
    given: str


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text or ""))


def _is_chinese(language: str | None) -> bool:
    return (language or "").lower().startswith("zh")


def join_name(family: str, given: str, language: str | None = None) -> str:
    """A name in parts, written by the rule for ``language`` (the active one by
    default)."""
    family, given = (family or "").strip(), (given or "").strip()
    if not family or not given:
        return family or given
    if has_cjk(family) or has_cjk(given):
        return f"{family}{given}"
    language = language or translation.get_language()
    if _is_chinese(language):
        return f"{family} {given}"
    return f"{given} {family}"


def _shown(text: str) -> str:
    """``text``, or what an erased person's pseudonym token ("pseudonym.
    successor.2", cms.services.erasure) reads as in the active language."""
    if not text.startswith("pseudonym."):
        return text
    from .services.erasure.pseudonyms import pseudonym_label

    return pseudonym_label(text) or text


def _user_name(user, language) -> str:
    name = join_name(user.last_name, user.first_name, language)
    return name or _shown(user.get_username())


def _employee_name(employee, language) -> str:
    stored = _shown((employee.name or "").strip())
    user = employee.user if employee.user_id else None
    if has_cjk(stored) or user is None:
        return stored or (_user_name(user, language) if user else "")
    return join_name(user.last_name, user.first_name, language) or stored


def person_name(person, language: str | None = None) -> str:
    """How ``person`` is written in ``language`` (the active one by default).

    ``person`` is a user, an ``Employee``, a ``NameParts`` (or a
    ``(family, given)`` pair), a plain string (printed as is) or None ("").
    """
    if person is None:
        return ""
    if isinstance(person, str):
        return _shown(person.strip())
    if isinstance(person, tuple):
        family, given = person
        return join_name(family, given, language)
    if isinstance(person, Employee):
        return _employee_name(person, language)
    return _user_name(person, language)
