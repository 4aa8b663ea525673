"""What Baton reads from HubSpot's CRM API: the properties it asks for and the
answers as typed models."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from pydantic import Field

from ...sdk.payloads import Nested, NestedList, Payload, Text

DEFAULT_BASE_URL = "https://api.hubapi.com"
MATCH_BY_CHOICES = (("email", _("Email address")), ("username", _("Username")))
# The properties Baton reads of each object type.
DEAL_PROPERTIES = [
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
]
COMPANY_PROPERTIES = ["name", "domain", "phone", "city", "hubspot_owner_id"]
CONTACT_PROPERTIES = ["firstname", "lastname", "email", "phone", "jobtitle"]
QUOTE_PROPERTIES = [
    "hs_title",
    "hs_quote_amount",
    "hs_currency",
    "hs_status",
    "hs_createdate",
    "hs_expiration_date",
]
# What a transfer will change, as people see it first.
MOVE_CLIENT = _(
    "Make %(successor)s the owner of company “%(title)s” and of %(owner)s's open "
    "deals with it in HubSpot."
)
REASSIGN_DEAL = _(
    "Reassign deal “%(title)s” in HubSpot from %(owner)s to %(successor)s."
)
BATCH_SIZE = 100
NAME = ("firstname", "lastname")
CLIENT_MAPPING = {
    "customer": "customer",
    "contact_person": "contact",
    "open_deals": "open_deals",
    "last_quote": "last_quote",
}


# What Baton reads from HubSpot's answers -------------------------------------------


class CrmObject(Payload):
    """A deal, company, contact or quote with the properties asked for."""

    id: Text = ""
    properties: Nested[dict[str, Text]] = {}

    def __getitem__(self, name: str) -> str:
        return self.properties.get(name, "")


class Owner(Payload):
    id: Text = ""
    email: Text = ""
    archived: Any = False


class Stage(Payload):
    id: Text = ""
    label: Text = ""
    metadata: Nested[dict[str, Text]] = {}


class Pipeline(Payload):
    stages: NestedList[Stage] = []


class Link(Payload):
    toObjectId: Text = ""


class Association(Payload):
    source: Nested[CrmObject] = Field(default_factory=CrmObject, alias="from")
    to: NestedList[Link] = []


class Page(Payload):
    results: list
    total: int = 0


# The connector ----------------------------------------------------------------------
