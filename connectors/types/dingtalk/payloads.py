"""What Baton reads from DingTalk's answers (workflow instance detail and lists,
users of the older API ``topapi/v2/user``), in the published shapes."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from ...sdk.approvals.forms import (
    AMOUNT,
    ATTACHMENT,
    CONTACT,
    DATE,
    DATE_RANGE,
    TABLE,
    TEXT,
    FormField,
    currency_in,
    json_list,
)
from ...sdk.payloads import Nested, NestedList, Payload, Text

__all__ = ["Component", "Detail", "Listing", "User"]


class Component(FormField):
    model_config = ConfigDict(alias_generator=to_camel)
    KINDS = {
        "MoneyField": AMOUNT,
        "TableField": TABLE,
        "DDDateField": DATE,
        "DDDateRangeField": DATE_RANGE,
        "TextField": TEXT,
        "TextareaField": TEXT,
        "InnerContactField": CONTACT,
        "DDPhotoField": ATTACHMENT,
        "DDAttachment": ATTACHMENT,
    }

    component_type: Text = ""
    key: Text = ""
    ext_value: Any = None
    currency_code: Text = Field("", alias="currency")

    @property
    def widget_type(self) -> str:
        # Table cells name their type in the key: "MoneyField-K2AD4O5B".
        return self.component_type or self.key.split("-", 1)[0]

    @property
    def currency(self) -> str:
        try:
            ext = json.loads(self.ext_value or "{}")
        except (TypeError, ValueError):
            ext = {}
        named = ext.get("currency") if isinstance(ext, dict) else None
        return currency_in(named) or currency_in(self.currency_code)

    @property
    def start(self):
        if self.kind != DATE_RANGE:
            return self.value
        values = json_list(self.value)
        return values[0] if values else None

    @property
    def rows(self) -> list[list[Component]]:
        if self.kind != TABLE:
            return []
        return [
            _Row.model_validate(row).row_value
            for row in json_list(self.value)
            if isinstance(row, dict) and isinstance(row.get("rowValue"), list)
        ]


class _Row(Payload):
    model_config = ConfigDict(alias_generator=to_camel)

    row_value: NestedList[Component] = []


class Detail(Payload):
    model_config = ConfigDict(alias_generator=to_camel)

    title: Text = ""
    business_id: Text = ""
    status: Text = ""
    result: Text = ""
    create_time: Text = ""
    finish_time: Text = ""
    originator_user_id: Text = ""
    form_component_values: NestedList[Component] = []


class _Page(Payload):
    entries: list = Field([], alias="list")
    next_token: Any = Field(None, alias="nextToken")


class Listing(Payload):
    result: Nested[_Page] = _Page()


class User(Payload):
    userid: Text = ""
    name: Text = ""
    email: Text = ""
    org_email: Text = ""
    job_number: Text = ""
    title: Text = ""
    manager_userid: Text = ""
    mobile: Text = ""
    active: Any = True
