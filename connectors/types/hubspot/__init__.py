"""HubSpot CRM: the open deals and the companies (clients) the employee owns as a
HubSpot owner found by e-mail, with stages, first contacts and newest quotes;
a transfer PATCHes ``hubspot_owner_id`` and reads it back.

Not hubspot-api-client: its urllib3 errors and status-0 ``ApiException`` are not
what Baton tells people, it has no client-wide timeout, one pool per API, and
gives a write's correlation id only through ``*_with_http_info`` tuples."""

from __future__ import annotations

from functools import cached_property
from urllib.parse import quote

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from pydantic import Field

from ...sdk import crm
from ...sdk.base import (
    DISCOVER,
    TRANSFER,
    WEBHOOK,
    ConnectorError,
    MisconfiguredError,
    Record,
    TransferResult,
)
from ...sdk.common import (
    TIMEOUT,
    secret_setting,
    transfer_values,
    url_setting,
    webhook_secret_setting,
    who,
)
from ...sdk.http import Bearer, Cursor, HttpConnector
from ...sdk.payloads import Nested, NestedList, Payload, Text, parse, parse_each
from ...sdk.people import match_by_setting

__all__ = ["HubSpotConnector"]

MATCH_BY = match_by_setting(
    ("email", "username"),
    label=_("Match employees by"),
    help_text=_(
        "Which of the employee's details is the e-mail address of their HubSpot user."
    ),
)
# The properties Baton reads of each object type.
DEALS = [
    *("dealname", "amount", "deal_currency_code", "dealstage", "pipeline"),
    *("closedate", "hs_next_step", "hs_is_closed", "hubspot_owner_id", "description"),
]
COMPANIES = ["name", "domain", "phone", "city", "hubspot_owner_id"]
CONTACTS = ["firstname", "lastname", "email", "phone", "jobtitle"]
QUOTES = ["hs_title", "hs_quote_amount", "hs_currency", "hs_status", "hs_createdate"]
BATCH_SIZE = 100
# What a transfer will change, as people see it first.
MOVE_CLIENT = _(
    "Make %(successor)s the owner of company “%(title)s” and of %(owner)s's open "
    "deals with it in HubSpot."
)
REASSIGN_DEAL = _(
    "Reassign deal “%(title)s” in HubSpot from %(owner)s to %(successor)s."
)


class CrmObject(Payload):
    """A deal, company, contact or quote with the properties asked for."""

    id: Text = ""
    properties: Nested[dict[str, Text]] = {}

    def __getitem__(self, name: str) -> str:
        return self.properties.get(name, "")


class Owner(Payload):
    id: Text = ""
    email: Text = ""


class Stage(Payload):
    id: Text = ""
    label: Text = ""
    metadata: Nested[dict[str, Text]] = {}


class Pipeline(Payload):
    stages: NestedList[Stage] = []


class Association(Payload):
    source: Nested[CrmObject] = Field(default_factory=CrmObject, alias="from")
    # Each link's ``toObjectId`` (a number) read as text.
    to: NestedList[dict[str, Text]] = []


class Page(Payload):
    results: list
    total: int = 0


class HubSpotConnector(crm.MatchByMixin, HttpConnector):
    slug = "hubspot"
    label = _("HubSpot CRM")
    description = _(
        "Finds the deals and companies the employee owns in HubSpot and can "
        "reassign them to the successor."
    )
    capabilities = frozenset({DISCOVER, TRANSFER, WEBHOOK})
    default_mappings = {"client": crm.CRM_MAPPING, "deal": crm.CRM_MAPPING}
    match_by_choices = MATCH_BY.choices
    settings = (
        url_setting(
            _("API base URL"),
            _("Leave as it is unless HubSpot says otherwise."),
            "https://api.hubapi.com",
        ),
        MATCH_BY,
        TIMEOUT,
        secret_setting(
            "token",
            _("Private app access token"),
            _(
                "From a HubSpot private app with the CRM scopes for deals, "
                "companies, contacts, owners and quotes."
            ),
        ),
        webhook_secret_setting(
            _(
                "To let a relay of HubSpot's webhooks ask Baton to re-sync: "
                "requests to /api/v1/hooks/<connector>/ are signed with it."
            )
        ),
    )
    auth = Bearer("token")
    pagination = Cursor(in_body=True)  # ``after`` from ``paging.next.after``
    request_id_headers = ("X-HubSpot-Correlation-Id",)
    forbidden_message = _(
        "HubSpot does not let this private app do that; give it the CRM scopes "
        "Baton needs. HubSpot says: %(detail)s"
    )

    def test_connection(self) -> str:
        parse(Page, self.get("/crm/v3/owners", {"limit": 1}), system=self.host)
        search = {"limit": 1, "properties": ["dealname"], "filterGroups": []}
        answer = self.post("/crm/v3/objects/deals/search", search)
        total = parse(Page, answer, system=self.host).total
        return ngettext(
            "Connected to HubSpot at %(host)s (%(count)d deal).",
            "Connected to HubSpot at %(host)s (%(count)d deals).",
            total,
        ) % {"host": self.host, "count": total}

    # Listing records ------------------------------------------------------------------

    def list_records(self, *, employee, record_kind: str):
        owner_id = self.listed_person(employee, system="HubSpot")
        if owner_id is None:
            return []
        deals = [deal for deal in self._search("deals", owner_id) if self._open(deal)]
        companies_of = self._links("deals", "companies", [deal.id for deal in deals])
        deals_of: dict[str, list] = {}
        for deal in deals:
            for company_id in companies_of.get(deal.id, []):
                deals_of.setdefault(company_id, []).append(deal)
        # Clients: the companies the employee owns, and those of their deals.
        owned = self._search("companies", owner_id) if record_kind == "client" else []
        companies = {company.id: company for company in owned}
        others = set(deals_of) - set(companies)
        companies.update(self._read_batch("companies", others, COMPANIES))
        contacts = self._contacts(companies)
        if record_kind == "deal":
            return [
                self._deal_record(deal, companies_of, companies, contacts)
                for deal in deals
            ]
        quotes = self._last_quotes(deals_of)
        records = []
        for company_id, company in companies.items():
            name = company["name"] or company_id
            mine = deals_of.get(company_id, [])
            fields = crm.client_fields(
                name,
                [self._deal(deal) for deal in mine],
                quotes.get(company_id, {}),
                id=company_id,
                domain=company["domain"],
                phone=company["phone"],
                city=company["city"],
                owner_id=company["hubspot_owner_id"],
                owned=company["hubspot_owner_id"] == owner_id,
                contact=contacts[company_id],
                deal_ids=[deal.id for deal in mine],
            )
            records.append(Record(company_id, "client", name, fields))
        return sorted(records, key=lambda record: record.title.casefold())

    def _deal_record(self, deal, companies_of, companies, contacts) -> Record:
        entry = self._deal(deal)
        company_id = (companies_of.get(deal.id) or [""])[0]
        fields = crm.deal_fields(
            entry,
            id=deal.id,
            customer=companies.get(company_id, CrmObject())["name"],
            company_id=company_id,
            contact=contacts.get(company_id, {}),
            currency=deal["deal_currency_code"].upper(),
            pipeline=deal["pipeline"],
            close_date=deal["closedate"][:10],
            description=deal["description"],
            owner_id=deal["hubspot_owner_id"],
        )
        return Record(deal.id, "deal", entry["title"], fields)

    def _open(self, deal: CrmObject) -> bool:
        stage = self._stages.get(deal["dealstage"], Stage())
        closed = (deal["hs_is_closed"], stage.metadata.get("isClosed", ""))
        return all(flag.lower() != "true" for flag in closed)

    def _deal(self, deal: CrmObject) -> dict:
        """One entry of an item's open deals."""
        stage = self._stages.get(deal["dealstage"], Stage())
        return crm.open_deal(
            title=deal["dealname"] or gettext("Deal %(id)s") % {"id": deal.id},
            amount=deal["amount"],
            currency=deal["deal_currency_code"].upper(),
            stage=stage.label or deal["dealstage"],
            next_step=(deal["hs_next_step"].splitlines() or [""])[0],
        )

    @cached_property
    def _stages(self) -> dict[str, Stage]:
        """Deal stages by id, from every deal pipeline; none when the token may
        not read pipelines (stage ids are shown instead)."""
        try:
            response = self.request("GET", "/crm/v3/pipelines/deals")
        except MisconfiguredError:
            return {}
        pipelines = parse_each(Pipeline, self.entries_of(response, "results"))
        return {stage.id: stage for pipeline in pipelines for stage in pipeline.stages}

    def _contacts(self, companies: dict) -> dict:
        """Each company's first contact as the item's contact person; without
        one, the company's own phone number."""
        links = self._links("companies", "contacts", companies)
        first = {company_id: ids[0] for company_id, ids in links.items() if ids}
        people = self._read_batch("contacts", set(first.values()), CONTACTS)
        contacts = {}
        for company_id, company in companies.items():
            person = people.get(first.get(company_id), CrmObject())
            contacts[company_id] = crm.contact_person(
                name=" ".join(filter(None, (person["firstname"], person["lastname"]))),
                title=person["jobtitle"],
                email=person["email"],
                phone=person["phone"],
            ) or crm.contact_person(phone=company["phone"])
        return contacts

    def _last_quotes(self, deals_of: dict) -> dict:
        """The newest quote of each company's open deals; none when the token
        may not read quotes (the rest of the client is still worth having)."""
        deal_ids = {deal.id for deals in deals_of.values() for deal in deals}
        try:
            links = self._links("deals", "quotes", deal_ids)
            linked = {quote_id for ids in links.values() for quote_id in ids}
            quotes = self._read_batch("quotes", linked, QUOTES)
        except MisconfiguredError:
            return {}
        found = {}
        for company_id, deals in deals_of.items():
            ids = [quote_id for deal in deals for quote_id in links.get(deal.id, [])]
            candidates = [quotes[quote_id] for quote_id in ids if quote_id in quotes]
            if not candidates:
                continue
            quote = max(candidates, key=lambda candidate: candidate["hs_createdate"])
            details = {
                "id": quote.id,
                "title": quote["hs_title"] or quote.id,
                "amount": crm.money(quote["hs_quote_amount"]),
                "currency": quote["hs_currency"].upper(),
                "date": quote["hs_createdate"][:10],
                "status": quote["hs_status"],
            }
            message = _("%(amount)s %(currency)s, quote “%(title)s” of %(date)s")
            found[company_id] = crm.quote_summary(message, details)
        return found

    # HubSpot's API --------------------------------------------------------------------

    def find_person(self, *, value: str, match_by: str) -> str | None:
        """The HubSpot owner with this e-mail address (only active owners are
        listed)."""
        query = {"email": value, "limit": 100}
        response = self.request("GET", "/crm/v3/owners", params=query)
        for owner in parse_each(Owner, self.entries_of(response, "results")):
            if owner.id and owner.email.casefold() == value.casefold():
                return owner.id
        return None

    def _search(self, object_type: str, owner_id: str) -> list:
        """Every deal or company the owner owns, page after page."""
        owned = {"propertyName": "hubspot_owner_id", "operator": "EQ"}
        body = {
            "filterGroups": [{"filters": [{**owned, "value": owner_id}]}],
            "properties": DEALS if object_type == "deals" else COMPANIES,
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        }
        path = f"/crm/v3/objects/{object_type}/search"
        found = self.paginate(path, method="POST", body=body)
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
            result.source.id: [
                link["toObjectId"] for link in result.to if link.get("toObjectId")
            ]
            for result in self._batch(Association, path, ids)
            if result.source.id
        }

    # Write-backs ----------------------------------------------------------------------

    def describe_transfer(self, *, record, owner, successor) -> str:
        message = MOVE_CLIENT if record.kind == "client" else REASSIGN_DEAL
        return message % transfer_values(record, owner, successor)

    def transfer(self, *, record, owner, successor, note) -> TransferResult:
        target = self._successor_owner(successor)
        leaver = self.person_id(owner, required=False)
        changes, request_id = [], None
        for object_type, name, object_id in self._objects(record, company=True):
            current = self._owner_of(object_type, object_id, record.title)
            if record.kind == "client" and current not in (leaver, target):
                continue  # what another salesperson owns stays theirs
            if current not in ("", leaver, target):
                raise ConnectorError(
                    _(
                        "“%(title)s” now belongs to another HubSpot user (owner "
                        "%(current)s), not to %(owner)s; Baton leaves it alone."
                    )
                    % {"title": record.title, "current": current, "owner": who(owner)},
                    retryable=False,
                )
            request_id = None
            # Already the successor's (a retry after a lost answer): no change twice.
            if current != target:
                path = object_path(object_type, object_id)
                change = {"properties": {"hubspot_owner_id": target}}
                request_id = self.request_id(self.request("PATCH", path, json=change))
            changed = {"from_owner": current, "changed": current != target}
            changes.append({name: object_id, **changed})
        response = {"owner": target, "changes": changes}
        if record.kind == "deal":
            response = {**changes[0], "owner": target}
        return TransferResult(response=response, request_id=request_id)

    def verify_transfer(self, *, record, successor) -> bool:
        target = self._successor_owner(successor)
        company = bool((record.fields or {}).get("owned"))
        return all(
            self._owner_of(object_type, object_id, record.title) == target
            for object_type, _name, object_id in self._objects(record, company=company)
        )

    def _objects(self, record, *, company: bool) -> list[tuple[str, str, str]]:
        """(object type, name, id) of what a transfer moves: the deal, or the
        company (with ``company``) and the leaver's open deals with it."""
        if record.kind == "deal":
            return [("deals", "deal", record.external_id)]
        deal_ids = (record.fields or {}).get("deal_ids") or ()
        objects = [("companies", "company", record.external_id)] if company else []
        return objects + [("deals", "deal", str(deal)) for deal in deal_ids if deal]

    def _owner_of(self, object_type: str, object_id: str, title: str) -> str:
        gone = _("“%(title)s” (%(id)s) no longer exists in HubSpot.")
        answer = self.get(
            object_path(object_type, object_id),
            {"properties": "hubspot_owner_id"},
            not_found=gone % {"title": title, "id": object_id},
        )
        return parse(CrmObject, answer, system=self.host)["hubspot_owner_id"]

    def _successor_owner(self, successor) -> str:
        owner_id = self.person_id(successor, required=False)
        if owner_id is None:
            raise MisconfiguredError(
                _(
                    "%(person)s has no HubSpot user that can own records (no owner "
                    "with the e-mail address “%(email)s”). Add them in HubSpot, then "
                    "try again."
                )
                % {"person": who(successor), "email": self.match_value(successor)}
            )
        return owner_id


def object_path(object_type: str, object_id: str) -> str:
    return f"/crm/v3/objects/{object_type}/{quote(str(object_id), safe='')}"
