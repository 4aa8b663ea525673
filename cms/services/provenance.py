"""Upstream changes a connector kept beside a value a person typed: the person
takes the upstream value or ignores it. Connectors record them in
``Item.provenance["upstream"]``; these are the only writes that resolve them."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, InvalidInput
from cms.models import Item

from .common import FILLABLE_STATES, announce, require_open
from .items import _audit, _bump, _check_version, _fill_role, _snapshot, _visible_item
from .signing import NO_REQUEST

__all__ = ["item_ignore_upstream", "item_take_upstream"]


def _upstream_field(item: Item, field: str) -> dict:
    upstream = (item.provenance or {}).get("upstream") or {}
    if field not in upstream:
        raise InvalidInput(
            fields={"field": [_("There is no upstream change for this field.")]}
        )
    return upstream[field]


@transaction.atomic
def item_take_upstream(*, actor, item, version, field: str, meta=NO_REQUEST) -> Item:
    """Replace the typed value of ``field`` with the upstream one."""
    item, _roles = _visible_item(actor, item)
    role = _fill_role(actor, item)
    require_open(item.handover)
    _check_version(item, version)
    if item.state not in FILLABLE_STATES:
        raise Conflict(
            _("This item was submitted; it can be changed again once it is returned.")
        )
    pending = _upstream_field(item, field)
    before = _snapshot(item)
    data = dict(item.data.get("data") or {})
    old = data.get(field)
    data[field] = pending["value"]
    item.data = {**item.data, "data": data}
    provenance = dict(item.provenance)
    upstream = dict(provenance.get("upstream") or {})
    upstream.pop(field, None)
    if upstream:
        provenance["upstream"] = upstream
    else:
        provenance.pop("upstream", None)
    provenance[f"data.{field}"] = {
        "source": "sync",
        "connector": pending.get("connector", ""),
        "at": timezone.now().isoformat(),
        "taken_by": actor.pk,
    }
    item.provenance = provenance
    _bump(
        item,
        actor=actor,
        action="take_upstream",
        changes={f"data.{field}": [old, data[field]]},
    )
    _audit(
        item,
        actor=actor,
        role=role,
        action="item.upstream_taken",
        before=before,
        meta=meta,
        details={"field": field},
    )
    announce(item.handover, "item.updated", actor=actor, item=item)
    return item


@transaction.atomic
def item_ignore_upstream(*, actor, item, version, field: str, meta=NO_REQUEST) -> Item:
    """Keep the typed value; the upstream change is dismissed until it changes again."""
    item, _roles = _visible_item(actor, item)
    role = _fill_role(actor, item)
    require_open(item.handover)
    _check_version(item, version)
    pending = _upstream_field(item, field)
    before = _snapshot(item)
    provenance = dict(item.provenance)
    upstream = dict(provenance.get("upstream") or {})
    upstream.pop(field, None)
    if upstream:
        provenance["upstream"] = upstream
    else:
        provenance.pop("upstream", None)
    ignored = dict(provenance.get("ignored_upstream") or {})
    ignored[field] = pending
    provenance["ignored_upstream"] = ignored
    item.provenance = provenance
    _bump(
        item,
        actor=actor,
        action="ignore_upstream",
        changes={f"upstream.{field}": [pending.get("value"), None]},
    )
    _audit(
        item,
        actor=actor,
        role=role,
        action="item.upstream_ignored",
        before=before,
        meta=meta,
        details={"field": field},
    )
    return item
