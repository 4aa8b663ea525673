"""HubSpot's API as the connector calls it: owner searches,
batch reads, v4 associations, and reading and reassigning one object."""

from __future__ import annotations

from urllib.parse import quote

from django.utils.translation import gettext_lazy as _

from ...sdk.base import ConnectorError
from ...sdk.common import who
from ...sdk.crm import contact_person
from ...sdk.payloads import parse, parse_each
from .payloads import BATCH_SIZE, Association, CrmObject

__all__ = ["HubSpotApi"]


class HubSpotApi:
    """Mixin for ``HubSpotConnector`` (an ``HttpConnector``)."""

    def _search(self, object_type: str, owner_id: str, properties) -> list:
        """Every object the owner owns, page after page."""
        owned = {"propertyName": "hubspot_owner_id", "operator": "EQ"}
        body = {
            "filterGroups": [{"filters": [{**owned, "value": owner_id}]}],
            "properties": properties,
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        }
        found = self.paginate(
            f"/crm/v3/objects/{object_type}/search", method="POST", body=body
        )
        return [entry for entry in parse_each(CrmObject, found) if entry.id]

    def _batch(self, model, path: str, ids, **body):
        """``model``s from a batch endpoint, ``BATCH_SIZE`` ids a call."""
        ordered = sorted({str(entry) for entry in ids if entry})
        for start in range(0, len(ordered), BATCH_SIZE):
            inputs = [{"id": entry} for entry in ordered[start : start + BATCH_SIZE]]
            response = self.request("POST", path, json={**body, "inputs": inputs})
            yield from parse_each(model, self.entries_of(response, "results"))

    def _read_batch(self, object_type: str, ids, properties) -> dict:
        path = f"/crm/v3/objects/{object_type}/batch/read"
        found = self._batch(CrmObject, path, ids, properties=properties)
        return {entry.id: entry for entry in found if entry.id}

    def _links(self, source: str, target: str, ids) -> dict[str, list]:
        """Source id -> associated target ids (v4 batch read)."""
        path = f"/crm/v4/associations/{source}/{target}/batch/read"
        return {
            result.source.id: [link.toObjectId for link in result.to if link.toObjectId]
            for result in self._batch(Association, path, ids)
            if result.source.id
        }

    def _read(self, object_type: str, object_id: str, title: str) -> CrmObject:
        response = self.request(
            "GET",
            object_path(object_type, object_id),
            params={"properties": "hubspot_owner_id,dealname,name"},
            missing_ok=True,
        )
        if response.status_code == 404:
            raise ConnectorError(
                _("“%(title)s” (%(id)s) no longer exists in HubSpot.")
                % {"title": title, "id": object_id},
                request_id=self.request_id(response),
                retryable=False,
            )
        return parse(CrmObject, self.json_of(response), system=self.host)

    def _reassign(self, object_type, found, title, leaver, target, owner):
        """Point one object's owner at the successor; returns what changed and
        HubSpot's correlation id."""
        current = found["hubspot_owner_id"]
        if current == target:
            # Already done (a retry after a lost answer): change nothing twice.
            return {"from_owner": current, "changed": False}, None
        if current and current != leaver:
            raise ConnectorError(
                _(
                    "“%(title)s” now belongs to another HubSpot user (owner "
                    "%(current)s), not to %(owner)s; Baton leaves it alone."
                )
                % {"title": title, "current": current, "owner": who(owner)},
                retryable=False,
            )
        response = self.request(
            "PATCH",
            object_path(object_type, found.id),
            json={"properties": {"hubspot_owner_id": target}},
        )
        return {"from_owner": current, "changed": True}, self.request_id(response)


def object_path(object_type: str, object_id: str) -> str:
    return f"/crm/v3/objects/{object_type}/{quote(str(object_id), safe='')}"


def client_deals(record) -> list[str]:
    return [str(i) for i in (record.fields or {}).get("deal_ids") or () if i]


def company_contact(company: CrmObject) -> dict:
    """Without a contact, the company's own phone number."""
    return contact_person(phone=company["phone"])
