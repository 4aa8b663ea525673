"""HubSpot CRM: the open deals and the companies (clients) the employee owns as a
HubSpot owner found by e-mail, with stages, first contacts and newest quotes;
a transfer PATCHes ``hubspot_owner_id`` and reads it back.

Not hubspot-api-client: its urllib3 errors and status-0 ``ApiException`` are not
what Baton tells people, it has no client-wide timeout, one pool per API, and
gives a write's correlation id only through ``*_with_http_info`` tuples."""

from __future__ import annotations

from functools import cached_property

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ...sdk.base import (
    DISCOVER,
    TRANSFER,
    UNKNOWN_RECORD_KIND,
    WEBHOOK,
    ConnectorError,
    EmployeeRef,
    MisconfiguredError,
    Record,
    TransferResult,
)
from ...sdk.common import (
    NO_VALUE,
    TIMEOUT,
    optional,
    secret_setting,
    transfer_values,
    url_setting,
    webhook_secret_setting,
    who,
)
from ...sdk.crm import MatchByMixin, contact_person, money, open_deal, quote_summary
from ...sdk.http import Bearer, Cursor, HttpConnector
from ...sdk.payloads import parse, parse_each
from .api import HubSpotApi, client_deals, company_contact
from .payloads import (
    CLIENT_MAPPING,
    COMPANY_PROPERTIES,
    CONTACT_PROPERTIES,
    DEAL_PROPERTIES,
    DEFAULT_BASE_URL,
    MATCH_BY_CHOICES,
    MOVE_CLIENT,
    NAME,
    QUOTE_PROPERTIES,
    REASSIGN_DEAL,
    CrmObject,
    Owner,
    Page,
    Pipeline,
    Stage,
)

__all__ = ["HubSpotConnector"]


class HubSpotConnector(HubSpotApi, MatchByMixin, HttpConnector):
    slug = "hubspot"
    match_by_choices = MATCH_BY_CHOICES
    label = _("HubSpot CRM")
    description = _(
        "Finds the deals and companies the employee owns in HubSpot and can "
        "reassign them to the successor."
    )
    capabilities = frozenset({DISCOVER, TRANSFER, WEBHOOK})
    default_mappings = {"client": CLIENT_MAPPING, "deal": CLIENT_MAPPING}
    settings = (
        url_setting(
            _("API base URL"),
            _("Leave as it is unless HubSpot says otherwise."),
            DEFAULT_BASE_URL,
        ),
        optional(
            "match_by",
            _("Match employees by"),
            _(
                "Which of the employee's details is the e-mail address of their "
                "HubSpot user."
            ),
            default="email",
            choices=MATCH_BY_CHOICES,
        ),
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

    # Talking to HubSpot -----------------------------------------------------------

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

    def discover(self, *, employee: EmployeeRef, record_kind: str):
        if record_kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        email = self._match_value(employee)
        if not email:
            raise ConnectorError(
                NO_VALUE % {"value": self._match_label(), "system": "HubSpot"},
                retryable=False,
            )
        owner_id = self._owner_id(email)
        if owner_id is None:
            return []
        deals = [
            deal
            for deal in self._search("deals", owner_id, DEAL_PROPERTIES)
            if self._is_open(deal)
        ]
        companies_of = self._links("deals", "companies", [deal.id for deal in deals])
        if record_kind == "client":
            return self._clients(owner_id, deals, companies_of)
        company_ids = {company for ids in companies_of.values() for company in ids}
        companies = self._read_batch("companies", company_ids, COMPANY_PROPERTIES)
        contacts = self._contacts(company_ids)
        return [
            self._deal_record(deal, companies_of.get(deal.id, []), companies, contacts)
            for deal in deals
        ]

    # Deals and clients ------------------------------------------------------------

    def _is_open(self, deal: CrmObject) -> bool:
        stage = self._stages.get(deal["dealstage"], Stage())
        closed = (deal["hs_is_closed"], stage.metadata.get("isClosed", ""))
        return all(flag.lower() != "true" for flag in closed)

    def _deal(self, deal: CrmObject) -> dict:
        """One entry of an item's open deals."""
        stage = self._stages.get(deal["dealstage"], Stage()).label
        return open_deal(
            title=deal["dealname"] or gettext("Deal %(id)s") % {"id": deal.id},
            amount=deal["amount"],
            currency=deal["deal_currency_code"].upper(),
            stage=stage or deal["dealstage"],
            next_step=(deal["hs_next_step"].splitlines() or [""])[0],
        )

    def _deal_record(self, deal, company_ids, companies, contacts) -> Record:
        entry = self._deal(deal)
        company_id = company_ids[0] if company_ids else ""
        company = companies.get(company_id, CrmObject())
        return Record(
            external_id=deal.id,
            kind="deal",
            title=entry["title"],
            fields={
                "id": deal.id,
                "title": entry["title"],
                "customer": company["name"],
                "company_id": company_id,
                "contact": contacts.get(company_id) or company_contact(company),
                "amount": entry["amount"],
                "currency": deal["deal_currency_code"].upper(),
                "stage": entry["stage"],
                "pipeline": deal["pipeline"],
                "close_date": deal["closedate"][:10],
                "next_step": entry.get("next_step", ""),
                "description": deal["description"],
                "owner_id": deal["hubspot_owner_id"],
                "open_deals": [entry],
            },
        )

    def _clients(self, owner_id: str, deals: list, companies_of: dict) -> list:
        deals_of: dict[str, list] = {}
        for deal in deals:
            for company_id in companies_of.get(deal.id, []):
                deals_of.setdefault(company_id, []).append(deal)
        owned = self._search("companies", owner_id, COMPANY_PROPERTIES)
        companies = {company.id: company for company in owned}
        others = set(deals_of) - set(companies)
        companies.update(self._read_batch("companies", others, COMPANY_PROPERTIES))
        contacts = self._contacts(set(companies))
        quotes = self._last_quotes(deals_of)
        records = []
        for company_id, company in companies.items():
            name = company["name"] or company_id
            entries = [self._deal(deal) for deal in deals_of.get(company_id, [])]
            quote = quotes.get(company_id, {})
            records.append(
                Record(
                    external_id=company_id,
                    kind="client",
                    title=name,
                    fields={
                        "id": company_id,
                        "name": name,
                        "customer": name,
                        "domain": company["domain"],
                        "phone": company["phone"],
                        "city": company["city"],
                        "owner_id": company["hubspot_owner_id"],
                        "owned": company["hubspot_owner_id"] == owner_id,
                        "contact": contacts.get(company_id) or company_contact(company),
                        "open_deals": entries,
                        "open_deal_count": len(entries),
                        "deal_ids": [deal.id for deal in deals_of.get(company_id, [])],
                        "last_quote": quote.get("text"),
                        "quote": quote.get("details"),
                    },
                )
            )
        return sorted(records, key=lambda record: record.title.casefold())

    def _contacts(self, company_ids: set) -> dict:
        """The first contact of each company, as the item's contact person."""
        links = self._links("companies", "contacts", company_ids)
        first = {company: ids[0] for company, ids in links.items() if ids}
        people = self._read_batch("contacts", set(first.values()), CONTACT_PROPERTIES)
        return {
            company: contact_person(
                name=" ".join(filter(None, (people[contact][part] for part in NAME))),
                title=people[contact]["jobtitle"],
                email=people[contact]["email"],
                phone=people[contact]["phone"],
            )
            for company, contact in first.items()
            if contact in people
        }

    def _last_quotes(self, deals_of: dict) -> dict:
        """The newest quote of each company's open deals; none when the token
        may not read quotes (the rest of the client is still worth having)."""
        deal_ids = {deal.id for deals in deals_of.values() for deal in deals}
        if not deal_ids:
            return {}
        try:
            links = self._links("deals", "quotes", deal_ids)
            quote_ids = {quote for ids in links.values() for quote in ids}
            quotes = self._read_batch("quotes", quote_ids, QUOTE_PROPERTIES)
        except MisconfiguredError:
            return {}
        found = {}
        for company_id, deals in deals_of.items():
            candidates = [
                quotes[quote_id]
                for deal in deals
                for quote_id in links.get(deal.id, [])
                if quote_id in quotes
            ]
            if not candidates:
                continue
            quote = max(candidates, key=lambda candidate: candidate["hs_createdate"])
            details = {
                "id": quote.id,
                "title": quote["hs_title"] or quote.id,
                "amount": money(quote["hs_quote_amount"]),
                "currency": quote["hs_currency"].upper(),
                "date": quote["hs_createdate"][:10],
                "status": quote["hs_status"],
            }
            message = _("%(amount)s %(currency)s, quote “%(title)s” of %(date)s")
            found[company_id] = quote_summary(message, details)
        return found

    @cached_property
    def _stages(self) -> dict[str, Stage]:
        """Deal stages by id, from every deal pipeline; none when the token may
        not read pipelines (stage ids are shown instead)."""
        try:
            response = self.request("GET", "/crm/v3/pipelines/deals")
        except MisconfiguredError:
            return {}
        pipelines = parse_each(Pipeline, self.entries_of(response, "results"))
        return {
            stage.id: stage
            for pipeline in pipelines
            for stage in pipeline.stages
            if stage.id
        }

    # Owners -----------------------------------------------------------------------

    def _owner_id(self, email: str) -> str | None:
        """The active HubSpot owner with this e-mail address."""
        response = self.request(
            "GET", "/crm/v3/owners", params={"email": email, "limit": 100}
        )
        for owner in parse_each(Owner, self.entries_of(response, "results")):
            same = owner.email.casefold() == email.casefold()
            if owner.id and same and not owner.archived:
                return owner.id
        return None

    def _successor_owner(self, successor: EmployeeRef) -> str:
        email = self._match_value(successor)
        owner_id = self._owner_id(email) if email else None
        if owner_id is None:
            raise MisconfiguredError(
                _(
                    "%(person)s has no HubSpot user that can own records (no owner "
                    "with the e-mail address “%(email)s”). Add them in HubSpot, then "
                    "try again."
                )
                % {"person": who(successor), "email": email}
            )
        return owner_id

    # Write-backs ------------------------------------------------------------------

    def describe_transfer(self, *, record, owner, successor) -> str:
        message = MOVE_CLIENT if record.kind == "client" else REASSIGN_DEAL
        return message % transfer_values(record, owner, successor)

    def transfer(self, *, record, owner, successor, note) -> TransferResult:
        if record.kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record.kind})
        target = self._successor_owner(successor)
        email = self._match_value(owner)
        leaver = self._owner_id(email) if email else None
        if record.kind == "deal":
            deal = self._read("deals", record.external_id, record.title)
            changed, request_id = self._reassign(
                "deals", deal, record.title, leaver, target, owner
            )
            return TransferResult(
                response={"deal": record.external_id, "owner": target, **changed},
                request_id=request_id,
            )
        results, request_id = [], None
        objects = [("companies", record.external_id, "company")]
        objects += [("deals", deal_id, "deal") for deal_id in client_deals(record)]
        for object_type, object_id, name in objects:
            found = self._read(object_type, object_id, record.title)
            if found["hubspot_owner_id"] not in (leaver, target):
                continue
            changed, request_id = self._reassign(
                object_type, found, record.title, leaver, target, owner
            )
            results.append({name: object_id, **changed})
        return TransferResult(
            response={"owner": target, "changes": results}, request_id=request_id
        )

    def verify_transfer(self, *, record, successor) -> bool:
        target = self._successor_owner(successor)
        if record.kind == "deal":
            checks = [("deals", record.external_id)]
        else:
            owned = (record.fields or {}).get("owned")
            checks = [("companies", record.external_id)] if owned else []
            checks += [("deals", deal_id) for deal_id in client_deals(record)]
        return all(
            self._read(object_type, object_id, record.title)["hubspot_owner_id"]
            == target
            for object_type, object_id in checks
        )
