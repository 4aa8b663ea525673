"""How an access change is said, in whichever language reads it.

A planned change is stored once as a sentence (``AccessAction.description``,
the audit trail's frozen text, in the handover's language), but people read
it in their own: pages describe the change again under the reader's language
(``AccessAction.describe``), and the ``access.planned`` event carries each
change as a language-neutral message that the outbox renders in each
recipient's language. The message's shape is the outbox's
(``cms.notifications.outbox.stored_text``): ``{"text": msgid, "values": {…}}``,
where a value that is a list is a person's name in parts
(``[family, given, username]``), written by the reader's language's rule.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

from cms.names import person_name

from .models import AccessAction

__all__ = ["NOT_APPLIED", "change_message", "describe_change", "error_message"]

Op = AccessAction.Operation

CHANGE_TEXTS = {
    Op.SUSPEND: gettext_noop("%(system)s: suspend the account %(account)s."),
    Op.RESTORE: gettext_noop("%(system)s: restore the account %(account)s."),
    Op.DELETE: gettext_noop("%(system)s: delete the account %(account)s for good."),
    Op.REMOVE_MEMBER: gettext_noop("%(system)s: remove %(account)s from %(group)s."),
    Op.ADD_MEMBER: gettext_noop("%(system)s: add %(successor)s to %(group)s."),
    Op.MANUAL: gettext_noop("%(system)s (by hand): revoke %(account)s %(group)s."),
}
# Baton's own words when a change did not happen: stored as its msgid so
# each reader gets it in their language.
NOT_APPLIED = gettext_noop(
    "The change was accepted, but reading it back shows it did not happen."
)


def _values(grant) -> dict:
    return {
        "system": grant.system,
        "account": grant.account_label or grant.account_id,
        "group": grant.group_label or grant.group_id,
    }


def describe_change(grant, operation: str, successor=None) -> str:
    """The sentence for one change, in the active language."""
    values = {
        **_values(grant),
        "successor": person_name(successor) if successor else "",
    }
    return gettext(CHANGE_TEXTS[operation]) % values


def change_message(grant, operation: str, successor=None) -> dict:
    """The same sentence, language-neutral (msgid and values), for a message
    composed later in its recipient's language."""
    successor_name = ""
    if successor is not None:
        successor_name = [
            successor.last_name or "",
            successor.first_name or "",
            successor.get_username(),
        ]
    return {
        "text": CHANGE_TEXTS[operation],
        "values": {**_values(grant), "successor": successor_name},
    }


def error_message(msgid: str, **values) -> dict:
    """One of Baton's own error texts, language-neutral."""
    return {"text": msgid, "values": values}
