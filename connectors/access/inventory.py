"""Inventory: the leaver's accounts and memberships, asked of every connector
that can discover and revoke, or recorded by hand for systems without one.
Each becomes an ``AccessGrant`` and an ``account`` item of the handover
(section "Access") whose ``action`` field is the decision."""

from __future__ import annotations

import hashlib
import logging

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checklist_blocks.registry import get_kind, item_data
from cms.errors import Conflict, InvalidInput
from cms.models import Handover, Item, ItemVersion, ParticipantRole
from cms.services.audit import audit_record

from ..sdk.base import ConnectorError
from ..sync import employee_ref
from .common import access_connectors, require_manager
from .models import AccessGrant

__all__ = ["ACCESS_SECTION", "access_grant_add", "access_scan"]

logger = logging.getLogger(__name__)

ACCESS_SECTION = "access"


def _account_definition(label: str) -> dict:
    block = get_kind("account").block
    value = block.to_python(
        {
            "label": label,
            "help_text": str(
                _("Decide: revoke, transfer to the successor, or keep (say why).")
            ),
            "required": True,
            "filled_by": ParticipantRole.IT,
            "confirmed_by": ParticipantRole.MANAGER,
            "evidence": "none",
            "due_offset_days": 0,
        }
    )
    return block.get_prep_value(value)


def _grant_item(handover: Handover, grant: AccessGrant, position: int) -> Item:
    label = (
        gettext("Account %(account)s in %(system)s")
        if grant.kind == AccessGrant.Kind.ACCOUNT
        else gettext("Membership of %(group)s in %(system)s")
    ) % {
        "account": grant.account_label or grant.account_id,
        "group": grant.group_label or grant.group_id,
        "system": grant.system,
    }
    if grant.sole_owner:
        label += " " + gettext("(only member: transfer it, or it is orphaned)")
    definition = _account_definition(label[:255])
    data = item_data("account", definition)
    data.update(
        {
            "system": grant.system[:255],
            "account_id": (grant.account_label or grant.account_id)[:255],
            "role_permission": (grant.group_label or "")[:255],
            "action": grant.decision or AccessGrant.Decision.REVOKE,
        }
    )
    key = f"{grant.connector_id}:{grant.account_id}:{grant.group_id}"
    if grant.connector_id is None:
        # Access recorded by hand has no connector to tell systems apart: the
        # same account name in two systems is two grants, two items.
        key = f"manual:{grant.system.casefold()}:{grant.account_id}:{grant.group_id}"
    digest = hashlib.sha256(key.encode()).hexdigest()
    return Item(
        handover=handover,
        block_id=f"{ACCESS_SECTION}:{digest[:40]}",
        section_block_id=ACCESS_SECTION,
        section_title=gettext("Access and accounts"),
        position=position,
        kind="account",
        label=label[:255],
        definition=definition,
        data=data,
        required=True,
        filled_by_role=ParticipantRole.IT,
        confirmed_by_role=ParticipantRole.MANAGER,
        evidence="none",
        due_date=handover.last_working_day,
    )


def _default_decision(kind, sole_owner) -> str:
    if kind == AccessGrant.Kind.MEMBERSHIP and sole_owner:
        return AccessGrant.Decision.TRANSFER
    return AccessGrant.Decision.REVOKE


def access_scan(handover: Handover) -> int:
    """Ask every connector that can revoke for the leaver's access; record new
    grants (and their items). Returns how many grants were added."""
    employee = handover.employee
    ref = employee_ref(employee)
    added = 0
    position = 10_000 + handover.items.count()
    with translation.override(handover.language):
        for config in access_connectors():
            client = config.client()
            try:
                accounts = [
                    r
                    for r in client.discover(employee=ref, record_kind="account")
                    if not r.error
                ]
                group_kind = config.type_class.access_group_kind
                groups = [
                    r
                    for r in (
                        client.discover(employee=ref, record_kind=group_kind)
                        if group_kind
                        else ()
                    )
                    if not r.error
                ]
            except ConnectorError as error:
                logger.warning("Access scan of %s failed: %s", config.slug, error)
                continue
            finally:
                client.close()
            if not accounts:
                continue
            account = accounts[0]
            found = [
                (
                    AccessGrant.Kind.ACCOUNT,
                    account.external_id,
                    account.title,
                    "",
                    "",
                    False,
                )
                for account in accounts
            ] + [
                (
                    AccessGrant.Kind.MEMBERSHIP,
                    account.external_id,
                    account.title,
                    group.external_id,
                    group.title,
                    bool(group.fields.get("sole_member")),
                )
                for group in groups
            ]
            with transaction.atomic():
                for (
                    kind,
                    account_id,
                    account_label,
                    group_id,
                    group_label,
                    sole,
                ) in found:
                    grant, created = AccessGrant.objects.get_or_create(
                        handover=handover,
                        connector=config,
                        account_id=account_id,
                        group_id=group_id,
                        defaults={
                            "system": config.name,
                            "kind": kind,
                            "account_label": account_label[:255],
                            "group_label": group_label[:255],
                            "sole_owner": sole,
                            "decision": _default_decision(kind, sole),
                        },
                    )
                    AccessGrant.objects.filter(pk=grant.pk).update(
                        refreshed_at=timezone.now(), sole_owner=sole
                    )
                    if created:
                        position += 1
                        item = _grant_item(handover, grant, position)
                        item.save()
                        ItemVersion.objects.create(
                            item=item,
                            number=1,
                            action="access.discovered",
                            changes={"grant": [None, grant.pk]},
                            state=item.state,
                        )
                        grant.item = item
                        grant.save(update_fields=["item"])
                        added += 1
                if added:
                    audit_record(
                        handover=handover,
                        actor=None,
                        role="system",
                        action="access.inventoried",
                        obj=handover,
                        details={"connector": config.slug, "grants": added},
                    )
    return added


@transaction.atomic
def access_grant_add(
    *, actor, handover, system: str, account: str, group: str = "", instructions: str
) -> AccessGrant:
    """HR or IT records access in a system with no connector."""
    require_manager(actor)
    if handover.state not in Handover.OPEN_STATES:
        raise Conflict(_("The handover is closed."))
    errors = {}
    if not system.strip():
        errors["system"] = [gettext("Name the system.")]
    if not account.strip():
        errors["account"] = [gettext("Name the account.")]
    if not instructions.strip():
        errors["instructions"] = [
            gettext("Write what IT must do in that system, step by step.")
        ]
    if errors:
        raise InvalidInput(_("The access was not added."), fields=errors)
    # One add at a time per handover, so a double submit finds the first.
    list(Handover.objects.select_for_update().filter(pk=handover.pk).values("pk"))
    already = AccessGrant.objects.filter(
        handover=handover,
        connector=None,
        system__iexact=system.strip(),
        account_id=account.strip(),
        group_id=group.strip(),
    )
    if already.exists():
        raise Conflict(_("This access is already recorded on this handover."))
    grant = AccessGrant.objects.create(
        handover=handover,
        connector=None,
        system=system.strip(),
        kind=AccessGrant.Kind.MEMBERSHIP if group.strip() else AccessGrant.Kind.ACCOUNT,
        account_id=account.strip(),
        account_label=account.strip(),
        group_id=group.strip(),
        group_label=group.strip(),
        decision=AccessGrant.Decision.REVOKE,
        instructions=instructions.strip(),
    )
    with translation.override(handover.language):
        item = _grant_item(handover, grant, 10_000 + handover.items.count() + 1)
    item.save()
    ItemVersion.objects.create(
        item=item,
        number=1,
        actor=actor,
        action="access.added",
        changes={"grant": [None, grant.pk]},
        state=item.state,
    )
    grant.item = item
    grant.save(update_fields=["item"])
    audit_record(
        handover=handover,
        actor=actor,
        role=ParticipantRole.IT,
        action="access.added",
        obj=item,
        details={"system": grant.system, "account": grant.account_id},
    )
    return grant
