"""HubSpot CRM: the deals and companies the employee owns, and reassigning them
to the successor.

The employee is a HubSpot *owner* (a user who can own records), found by
e-mail (``GET /crm/v3/owners?email=…``). Then:

* a **deal** is an open deal (its pipeline stage is not a closed one) whose
  ``hubspot_owner_id`` is the employee's owner id;
* a **client** is a company the employee owns, or one associated with one of
  their open deals. Its item lists those open deals, the company's first
  contact and the latest quote of those deals.

Deals and companies come from the CRM search API, 100 at a time following
``paging.next.after``; stage labels from the deal pipelines; companies,
contacts and quotes through batch reads of the associations. A write-back is
``PATCH /crm/v3/objects/deals/{id}`` with the successor's owner id, then a
read back. Authentication is a private app's access token (scopes
``crm.objects.deals.read/write``, ``crm.objects.companies.read/write``,
``crm.objects.contacts.read``, ``crm.objects.owners.read`` and, for quotes,
``crm.objects.quotes.read``).
"""

from __future__ import annotations

from urllib.parse import quote

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..registry import register
from ._common import (
    TIMEOUT,
    too_many_pages,
    transfer_values,
    webhook_secret_setting,
    who,
)
from ._crm import CURRENCIES, PHONE_LIMIT, TEXT_LIMIT, MatchByMixin, money
from ._http import HttpTypeMixin, host_of, request_id_of
from .base import (
    DISCOVER,
    TRANSFER,
    UNKNOWN_RECORD_KIND,
    WEBHOOK,
    ConnectorError,
    ConnectorType,
    EmployeeRef,
    MisconfiguredError,
    Record,
    Setting,
    TransferResult,
)

__all__ = ["HubSpotConnector"]

DEFAULT_BASE_URL = "https://api.hubapi.com"
MATCH_BY_CHOICES = (
    ("email", _("Email address")),
    ("username", _("Username")),
)
DEAL_PROPERTIES = (
    "dealname",
    "amount",
    "deal_currency_code",
    "dealstage",
    "pipeline",
    "closedate",
    "hs_next_step",
    "hs_is_closed",
    "hubspot_owner_id",
    "description",
)
COMPANY_PROPERTIES = ("name", "domain", "phone", "city", "hubspot_owner_id")
CONTACT_PROPERTIES = ("firstname", "lastname", "email", "phone", "jobtitle")
QUOTE_PROPERTIES = (
    "hs_title",
    "hs_quote_amount",
    "hs_currency",
    "hs_status",
    "hs_createdate",
    "hs_expiration_date",
)
PAGE_SIZE = 100
BATCH_SIZE = 100
MAX_PAGES = 100
CLIENT_MAPPING = {
    "customer": "customer",
    "contact_person": "contact",
    "open_deals": "open_deals",
    "last_quote": "last_quote",
}
_TRUE = "true"


@register
class HubSpotConnector(MatchByMixin, HttpTypeMixin, ConnectorType):
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
        Setting(
            "base_url",
            _("API base URL"),
            _("Leave as it is unless HubSpot says otherwise."),
            required=False,
            default=DEFAULT_BASE_URL,
        ),
        Setting(
            "match_by",
            _("Match employees by"),
            help_text=_(
                "Which of the employee's details is the e-mail address of their "
                "HubSpot user."
            ),
            required=False,
            default="email",
            choices=MATCH_BY_CHOICES,
        ),
        TIMEOUT,
        Setting(
            "token",
            _("Private app access token"),
            _(
                "From a HubSpot private app with the CRM scopes for deals, "
                "companies, contacts, owners and quotes."
            ),
            secret=True,
        ),
        webhook_secret_setting(
            _(
                "To let a relay of HubSpot's webhooks ask Baton to re-sync: "
                "requests to /api/v1/hooks/<connector>/ are signed with it."
            )
        ),
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.base_url = self.url_option()
        self.host = host_of(self.base_url) or "HubSpot"
        token = str(self.secrets.get("token") or "")
        self.http = self.make_http(
            headers={"Accept": "application/json"}, secrets=(token,)
        )
        if token:
            self.http.session.headers["Authorization"] = f"Bearer {token}"
        self._stages = None

    # Talking to HubSpot ---------------------------------------------------------------

    def test_connection(self) -> str:
        self._check_settings()
        page = self._get("/crm/v3/owners", params={"limit": 1})
        if not isinstance(page.get("results"), list):
            raise ConnectorError(
                _("%(host)s did not answer like HubSpot.") % {"host": self.host}
            )
        deals = self._post(
            "/crm/v3/objects/deals/search",
            {"limit": 1, "properties": ["dealname"], "filterGroups": []},
        )
        total = deals.get("total") if isinstance(deals.get("total"), int) else 0
        return ngettext(
            "Connected to HubSpot at %(host)s (%(count)d deal).",
            "Connected to HubSpot at %(host)s (%(count)d deals).",
            total,
        ) % {"host": self.host, "count": total}

    def discover(self, *, employee: EmployeeRef, record_kind: str):
        if record_kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        self._check_settings()
        email = self._match_value(employee)
        if not email:
            raise ConnectorError(
                _("The employee has no %(value)s to look up in HubSpot.")
                % {"value": self._match_label()},
                retryable=False,
            )
        owner = self._owner(email)
        if owner is None:
            return []
        deals = self._open_deals(owner["id"])
        if record_kind == "deal":
            links = self._deal_companies([deal["id"] for deal in deals])
            company_ids = {company for ids in links.values() for company in ids}
            companies = self._companies(company_ids)
            contacts = self._contacts(company_ids)
            return [
                self._deal_record(deal, links.get(deal["id"], []), companies, contacts)
                for deal in deals
            ]
        return self._clients(owner, deals)

    # Deals ----------------------------------------------------------------------------

    def _open_deals(self, owner_id: str) -> list[dict]:
        stages = self._stage_map()
        deals = []
        for deal in self._search(
            "deals",
            [{"propertyName": "hubspot_owner_id", "operator": "EQ", "value": owner_id}],
            DEAL_PROPERTIES,
        ):
            properties = deal.get("properties") or {}
            stage = stages.get(_text(properties.get("dealstage")), {})
            closed = _text(properties.get("hs_is_closed")).lower() == _TRUE or (
                stage.get("closed") is True
            )
            if not closed:
                deals.append(deal)
        return deals

    def _deal(self, deal: dict) -> dict:
        """One entry of a client item's open deals."""
        properties = deal.get("properties") or {}
        title = _text(properties.get("dealname")).strip() or gettext("Deal %(id)s") % {
            "id": deal.get("id")
        }
        amount = money(properties.get("amount"))
        currency = _text(properties.get("deal_currency_code")).upper()
        if amount is not None and currency and currency not in CURRENCIES:
            # The item holds a few currencies only: keep the amount readable.
            title = f"{title} ({amount} {currency})"
            amount = None
        stage_id = _text(properties.get("dealstage"))
        stage = self._stage_map().get(stage_id, {}).get("label") or stage_id
        entry = {
            "title": title[:TEXT_LIMIT],
            "amount": amount,
            "currency": currency if currency in CURRENCIES and amount else None,
            "stage": stage[:TEXT_LIMIT],
        }
        next_step = _text(properties.get("hs_next_step")).strip()
        if next_step:
            entry["next_step"] = next_step.splitlines()[0][:TEXT_LIMIT]
        return entry

    def _deal_record(
        self, deal: dict, company_ids: list, companies: dict, contacts: dict
    ) -> Record:
        deal_id = _text(deal.get("id"))
        if not deal_id:
            return Record(
                external_id="",
                kind="deal",
                title="",
                error=str(_("HubSpot returned a deal without an id.")),
            )
        properties = deal.get("properties") or {}
        entry = self._deal(deal)
        company_id = company_ids[0] if company_ids else ""
        company = companies.get(company_id, {})
        return Record(
            external_id=deal_id,
            kind="deal",
            title=entry["title"],
            fields={
                "id": deal_id,
                "title": entry["title"],
                "customer": _text(company.get("name")),
                "company_id": company_id,
                "contact": contacts.get(company_id) or _company_contact(company),
                "amount": entry["amount"],
                "currency": _text(properties.get("deal_currency_code")).upper(),
                "stage": entry["stage"],
                "pipeline": _text(properties.get("pipeline")),
                "close_date": _text(properties.get("closedate"))[:10],
                "next_step": entry.get("next_step", ""),
                "description": _text(properties.get("description")),
                "owner_id": _text(properties.get("hubspot_owner_id")),
                "open_deals": [entry],
            },
        )

    def _stage_map(self) -> dict:
        """Deal stage id -> {label, closed}, from every deal pipeline; empty when
        the token may not read pipelines (stage ids are shown instead)."""
        if self._stages is None:
            try:
                answer = self._get("/crm/v3/pipelines/deals")
            except MisconfiguredError:
                answer = {}
            stages = {}
            for pipeline in answer.get("results") or ():
                if not isinstance(pipeline, dict):
                    continue
                for stage in pipeline.get("stages") or ():
                    if not isinstance(stage, dict) or not stage.get("id"):
                        continue
                    metadata = stage.get("metadata") or {}
                    stages[_text(stage["id"])] = {
                        "label": _text(stage.get("label")),
                        "closed": _text(metadata.get("isClosed")).lower() == _TRUE,
                    }
            self._stages = stages
        return self._stages

    # Clients --------------------------------------------------------------------------

    def _clients(self, owner: dict, deals: list[dict]) -> list[Record]:
        owned = self._search(
            "companies",
            [
                {
                    "propertyName": "hubspot_owner_id",
                    "operator": "EQ",
                    "value": owner["id"],
                }
            ],
            COMPANY_PROPERTIES,
        )
        deal_companies = self._deal_companies([deal["id"] for deal in deals])
        deals_by_company: dict[str, list] = {}
        for deal in deals:
            for company_id in deal_companies.get(deal["id"], []):
                deals_by_company.setdefault(company_id, []).append(deal)
        companies = {
            _text(company.get("id")): company
            for company in owned
            if _text(company.get("id"))
        }
        companies.update(
            self._companies(set(deals_by_company) - set(companies), raw=True)
        )
        contacts = self._contacts(set(companies))
        quotes = self._last_quotes(deals_by_company)
        records = []
        for company_id, company in companies.items():
            properties = company.get("properties") or {}
            name = _text(properties.get("name")) or company_id
            company_deals = deals_by_company.get(company_id, [])
            entries = [self._deal(deal) for deal in company_deals]
            contact = contacts.get(company_id) or _company_contact(properties)
            quote = quotes.get(company_id)
            records.append(
                Record(
                    external_id=company_id,
                    kind="client",
                    title=name,
                    fields={
                        "id": company_id,
                        "name": name,
                        "customer": name,
                        "domain": _text(properties.get("domain")),
                        "phone": _text(properties.get("phone")),
                        "city": _text(properties.get("city")),
                        "owner_id": _text(properties.get("hubspot_owner_id")),
                        "owned": _text(properties.get("hubspot_owner_id"))
                        == owner["id"],
                        "contact": contact,
                        "open_deals": entries,
                        "open_deal_count": len(entries),
                        "deal_ids": [_text(deal.get("id")) for deal in company_deals],
                        "last_quote": quote["text"] if quote else None,
                        "quote": quote["details"] if quote else None,
                    },
                )
            )
        records.sort(key=lambda record: record.title.casefold())
        return records

    def _companies(self, ids: set, *, raw=False) -> dict:
        """Companies by id: their properties, or (``raw``) the whole object."""
        found = {}
        for company in self._batch_read("companies", ids, COMPANY_PROPERTIES):
            company_id = _text(company.get("id"))
            if company_id:
                found[company_id] = (
                    company if raw else (company.get("properties") or {})
                )
        return found

    def _deal_companies(self, deal_ids: list) -> dict[str, list]:
        return self._associations("deals", "companies", deal_ids)

    def _contacts(self, company_ids: set) -> dict:
        """The first contact of each company, as the item's contact person."""
        links = self._associations("companies", "contacts", sorted(company_ids))
        first = {company: ids[0] for company, ids in links.items() if ids}
        people = {
            _text(contact.get("id")): contact.get("properties") or {}
            for contact in self._batch_read(
                "contacts", set(first.values()), CONTACT_PROPERTIES
            )
        }
        found = {}
        for company_id, contact_id in first.items():
            person = people.get(contact_id)
            if person is None:
                continue
            name = " ".join(
                part
                for part in (
                    _text(person.get("firstname")).strip(),
                    _text(person.get("lastname")).strip(),
                )
                if part
            )
            found[company_id] = _person(
                name=name,
                title=_text(person.get("jobtitle")),
                email=_text(person.get("email")),
                phone=_text(person.get("phone")),
            )
        return found

    def _last_quotes(self, deals_by_company: dict) -> dict:
        """The newest quote of each company's open deals; none when the token
        may not read quotes (the rest of the client is still worth having)."""
        deal_ids = sorted(
            {
                _text(deal.get("id"))
                for deals in deals_by_company.values()
                for deal in deals
            }
        )
        if not deal_ids:
            return {}
        try:
            links = self._associations("deals", "quotes", deal_ids)
            quotes = {
                _text(quote.get("id")): quote.get("properties") or {}
                for quote in self._batch_read(
                    "quotes",
                    {i for ids in links.values() for i in ids},
                    QUOTE_PROPERTIES,
                )
            }
        except MisconfiguredError:
            return {}
        found = {}
        for company_id, deals in deals_by_company.items():
            candidates = [
                (quotes[quote_id], quote_id)
                for deal in deals
                for quote_id in links.get(_text(deal.get("id")), [])
                if quote_id in quotes
            ]
            if not candidates:
                continue
            properties, quote_id = max(
                candidates, key=lambda pair: _text(pair[0].get("hs_createdate"))
            )
            amount = money(properties.get("hs_quote_amount"))
            currency = _text(properties.get("hs_currency")).upper()
            date = _text(properties.get("hs_createdate"))[:10]
            title = _text(properties.get("hs_title")) or quote_id
            text = _("%(amount)s %(currency)s, quote “%(title)s” of %(date)s") % {
                "amount": amount or "?",
                "currency": currency,
                "title": title,
                "date": date,
            }
            found[company_id] = {
                "text": str(text)[:TEXT_LIMIT],
                "details": {
                    "id": quote_id,
                    "title": title,
                    "amount": amount,
                    "currency": currency,
                    "date": date,
                    "status": _text(properties.get("hs_status")),
                },
            }
        return found

    # Owners ---------------------------------------------------------------------------

    def _owner(self, email: str) -> dict | None:
        """The active HubSpot owner with this e-mail address."""
        page = self._get("/crm/v3/owners", params={"email": email, "limit": 100})
        for owner in page.get("results") or ():
            if (
                isinstance(owner, dict)
                and _text(owner.get("id"))
                and _text(owner.get("email")).casefold() == email.casefold()
                and not owner.get("archived")
            ):
                return {**owner, "id": _text(owner["id"])}
        return None

    def _successor_owner(self, successor: EmployeeRef) -> str:
        email = self._match_value(successor)
        owner = self._owner(email) if email else None
        if owner is None:
            raise MisconfiguredError(
                _(
                    "%(person)s has no HubSpot user that can own records (no owner "
                    "with the e-mail address “%(email)s”). Add them in HubSpot, then "
                    "try again."
                )
                % {"person": who(successor), "email": email}
            )
        return owner["id"]

    # Write-backs ----------------------------------------------------------------------

    def describe_transfer(self, *, record, owner, successor) -> str:
        values = transfer_values(record, owner, successor)
        if record.kind == "client":
            return (
                _(
                    "Make %(successor)s the owner of company “%(title)s” and of "
                    "%(owner)s's open deals with it in HubSpot."
                )
                % values
            )
        return (
            _("Reassign deal “%(title)s” in HubSpot from %(owner)s to %(successor)s.")
            % values
        )

    def transfer(self, *, record, owner, successor, note) -> TransferResult:
        if record.kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record.kind})
        self._check_settings()
        target = self._successor_owner(successor)
        email = self._match_value(owner)
        leaver = self._owner(email) if email else None
        leaver_id = leaver["id"] if leaver else None
        if record.kind == "deal":
            changed, request_id = self._reassign(
                "deals", record.external_id, record.title, leaver_id, target, owner
            )
            return TransferResult(
                response={"deal": record.external_id, "owner": target, **changed},
                request_id=request_id,
            )
        results = []
        request_id = None
        company = self._read("companies", record.external_id, record.title)
        if _text((company.get("properties") or {}).get("hubspot_owner_id")) in (
            leaver_id,
            target,
        ):
            changed, request_id = self._reassign(
                "companies", record.external_id, record.title, leaver_id, target, owner
            )
            results.append({"company": record.external_id, **changed})
        for deal_id in self._client_deals(record):
            deal = self._read("deals", deal_id, record.title)
            properties = deal.get("properties") or {}
            if _text(properties.get("hubspot_owner_id")) not in (leaver_id, target):
                continue
            changed, request_id = self._reassign(
                "deals", deal_id, record.title, leaver_id, target, owner
            )
            results.append({"deal": deal_id, **changed})
        return TransferResult(
            response={"owner": target, "changes": results}, request_id=request_id
        )

    def verify_transfer(self, *, record, successor) -> bool:
        self._check_settings()
        target = self._successor_owner(successor)
        if record.kind == "deal":
            deal = self._read("deals", record.external_id, record.title)
            return _text((deal.get("properties") or {}).get("hubspot_owner_id")) == (
                target
            )
        checks = []
        if (record.fields or {}).get("owned"):
            checks.append(("companies", record.external_id))
        checks.extend(("deals", deal_id) for deal_id in self._client_deals(record))
        for object_type, object_id in checks:
            found = self._read(object_type, object_id, record.title)
            if _text((found.get("properties") or {}).get("hubspot_owner_id")) != (
                target
            ):
                return False
        return True

    def _client_deals(self, record) -> list[str]:
        return [
            _text(deal_id)
            for deal_id in (record.fields or {}).get("deal_ids") or ()
            if _text(deal_id)
        ]

    def _read(self, object_type: str, object_id: str, title: str) -> dict:
        response = self.http.send(
            "GET",
            self._url(
                f"/crm/v3/objects/{object_type}/{quote(str(object_id), safe='')}"
            ),
            params={"properties": "hubspot_owner_id,dealname,name"},
        )
        if response.status_code == 404:
            raise ConnectorError(
                _("“%(title)s” (%(id)s) no longer exists in HubSpot.")
                % {"title": title, "id": object_id},
                request_id=_correlation_id(response),
                retryable=False,
            )
        return self._json(self._check(response))

    def _reassign(self, object_type, object_id, title, leaver_id, target, owner):
        """Point one object's owner at the successor; returns what changed and
        HubSpot's correlation id."""
        found = self._read(object_type, object_id, title)
        current = _text((found.get("properties") or {}).get("hubspot_owner_id"))
        if current == target:
            # Already done (a retry after a lost answer): change nothing twice.
            return {"from_owner": current, "changed": False}, None
        if current and current != leaver_id:
            raise ConnectorError(
                _(
                    "“%(title)s” now belongs to another HubSpot user (owner "
                    "%(current)s), not to %(owner)s; Baton leaves it alone."
                )
                % {"title": title, "current": current, "owner": who(owner)},
                retryable=False,
            )
        response = self._check(
            self.http.send(
                "PATCH",
                self._url(
                    f"/crm/v3/objects/{object_type}/{quote(str(object_id), safe='')}"
                ),
                json={"properties": {"hubspot_owner_id": target}},
            )
        )
        self._json(response)
        return {"from_owner": current, "changed": True}, _correlation_id(response)

    # HTTP -----------------------------------------------------------------------------

    def _check_settings(self) -> None:
        if not self.base_url.lower().startswith(("http://", "https://")):
            raise MisconfiguredError(
                _("The HubSpot API base URL must start with https:// (or http://).")
            )
        if not self.secrets.get("token"):
            raise MisconfiguredError(_("Enter the access token of the private app."))

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _check(self, response):
        status = response.status_code
        request_id = _correlation_id(response)
        if status == 401:
            raise MisconfiguredError(
                _("HubSpot refused the access token. Check the private app's token."),
                request_id=request_id,
            )
        if status == 403:
            detail = self.http.detail_of(response)
            message = _(
                "HubSpot does not let this private app do that; give it the CRM "
                "scopes Baton needs."
            )
            if detail:
                message = _("%(message)s HubSpot says: %(detail)s") % {
                    "message": message,
                    "detail": detail,
                }
            raise MisconfiguredError(message, request_id=request_id)
        try:
            return self.http.check(response, refused="", not_found=None)
        except ConnectorError as error:
            error.request_id = error.request_id or request_id
            raise

    def _json(self, response):
        answer = self.http.json_of(response, system=_("HubSpot"))
        if not isinstance(answer, dict):
            raise ConnectorError(
                _("%(host)s did not answer like HubSpot.") % {"host": self.host},
                request_id=_correlation_id(response),
            )
        return answer

    def _get(self, path: str, *, params=None) -> dict:
        return self._json(
            self._check(self.http.send("GET", self._url(path), params=params))
        )

    def _post(self, path: str, body: dict) -> dict:
        return self._json(
            self._check(self.http.send("POST", self._url(path), json=body))
        )

    def _search(self, object_type: str, filters: list, properties) -> list[dict]:
        """Every object matching the filters, following ``paging.next.after``."""
        found = []
        after = None
        for _page in range(MAX_PAGES):
            body = {
                "filterGroups": [{"filters": filters}],
                "properties": list(properties),
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                "limit": PAGE_SIZE,
            }
            if after:
                body["after"] = after
            page = self._post(f"/crm/v3/objects/{object_type}/search", body)
            results = page.get("results")
            if not isinstance(results, list):
                raise ConnectorError(
                    _("%(host)s did not answer like HubSpot.") % {"host": self.host}
                )
            found.extend(
                result
                for result in results
                if isinstance(result, dict) and _text(result.get("id"))
            )
            after = _text(((page.get("paging") or {}).get("next") or {}).get("after"))
            if not after or not results:
                return found
        raise too_many_pages(self.host, MAX_PAGES)

    def _batch_read(self, object_type: str, ids: set, properties) -> list[dict]:
        found = []
        ordered = sorted(i for i in ids if i)
        for start in range(0, len(ordered), BATCH_SIZE):
            answer = self._post(
                f"/crm/v3/objects/{object_type}/batch/read",
                {
                    "properties": list(properties),
                    "inputs": [{"id": i} for i in ordered[start : start + BATCH_SIZE]],
                },
            )
            found.extend(
                result
                for result in answer.get("results") or ()
                if isinstance(result, dict)
            )
        return found

    def _associations(self, source: str, target: str, ids) -> dict[str, list]:
        """source id -> associated target ids (v4 batch read)."""
        links: dict[str, list] = {}
        ordered = sorted({_text(i) for i in ids if _text(i)})
        for start in range(0, len(ordered), BATCH_SIZE):
            answer = self._post(
                f"/crm/v4/associations/{source}/{target}/batch/read",
                {"inputs": [{"id": i} for i in ordered[start : start + BATCH_SIZE]]},
            )
            for result in answer.get("results") or ():
                if not isinstance(result, dict):
                    continue
                source_id = _text((result.get("from") or {}).get("id"))
                if not source_id:
                    continue
                links[source_id] = [
                    _text(link.get("toObjectId"))
                    for link in result.get("to") or ()
                    if isinstance(link, dict) and _text(link.get("toObjectId"))
                ]
        return links


# Values -------------------------------------------------------------------------------


def _correlation_id(response) -> str | None:
    """HubSpot's id of a request: the X-HubSpot-Correlation-Id header, or the
    correlationId of an error body, or a generic request id header."""
    if response is None:
        return None
    value = (response.headers.get("X-HubSpot-Correlation-Id") or "").strip()
    if value:
        return value[:200]
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and _text(body.get("correlationId")):
            return _text(body["correlationId"])[:200]
    return request_id_of(response)


def _text(value) -> str:
    if value is None or isinstance(value, bool | dict | list):
        return ""
    return str(value)


def _person(*, name="", title="", email="", phone="") -> dict:
    person = {}
    if name:
        person["name"] = name[:TEXT_LIMIT]
    if title:
        person["title"] = title[:TEXT_LIMIT]
    if phone:
        person["phone"] = phone[:PHONE_LIMIT]
    if email:
        person["email"] = email[:TEXT_LIMIT]
    return person


def _company_contact(properties: dict) -> dict:
    """Without a contact, the company's own phone number."""
    return _person(phone=_text(properties.get("phone")))
