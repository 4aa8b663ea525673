"""Every kind publishes a JSON Schema that the item data it produces satisfies."""

import datetime
import json
from decimal import Decimal

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from checklist_blocks import registry

# The block library is tested on its own, without the connectors app.
pytestmark = pytest.mark.usefixtures("block_library_alone")

ALL_KINDS = [spec.kind for spec in registry.all_kinds()]
DOMAIN_KINDS = [
    "task",
    "project",
    "client",
    "account",
    "asset",
    "document",
    "approval",
    "expense",
    "knowledge",
]

COMMON = {
    "label": "Hand over",
    "help_text": "",
    "required": True,
    "filled_by": "leaver",
    "confirmed_by": "successor",
    "evidence": "optional",
    "due_offset_days": -3,
    "condition": {"field_key": "", "operator": "", "value": ""},
}
FULL_VALUES = {
    "task": {
        "description": "Migrate the billing reports to the new warehouse.",
        "status": "blocked",
        "progress_percent": 40,
        "next_step": "Wait for the DBA to grant read access.",
        "location": "https://tracker.example.com/BILL-42",
    },
    "project": {
        "project_name": "ERP rollout",
        "customer": "Company B",
        "stage": "maintenance",
        "progress_percent": 100,
        "next_step": "Monthly health check.",
        "contacts": [
            {"name": "Li Na", "role": "Key user", "phone": "010-1234", "email": ""},
            {"name": "Wang", "role": "", "phone": "", "email": "wang@example.com"},
        ],
        "documents": [
            {"title": "Runbook", "location": "\\\\fileserver\\erp\\runbook.docx"},
        ],
    },
    "client": {
        "customer": "Company D",
        "contact_person": {
            "name": "Zhao",
            "title": "CFO",
            "phone": "+86 10 8888 8888",
            "email": "zhao@example.com",
        },
        "relationship_notes": "Decides in Q4; golf on Fridays.",
        "open_deals": [
            {
                "title": "Maintenance 2025",
                "amount": Decimal("56000.50"),
                "currency": "USD",
                "stage": "Negotiation",
                "next_step": "Send revised terms.",
            },
            {
                "title": "Training",
                "amount": None,
                "currency": "CNY",
                "stage": "",
                "next_step": "",
            },
        ],
        "commitments": ["Promised a 5% discount", "Free on-site training day"],
        "last_quote": "Q-2024-200",
    },
    "account": {
        "system": "GitLab",
        "account_id": "li.lei",
        "role_permission": "Maintainer of group billing",
        "action": "keep",
        "keep_reason": "Needed until the audit closes.",
    },
    "asset": {
        "asset_type": "badge",
        "asset_tag": "B-0042",
        "description": "Access badge",
        "location": "Wallet",
        "return_to_role": "hr",
    },
    "document": {
        "title": "Supplier contracts",
        "medium": "electronic",
        "location": "https://drive.example.com/contracts",
        "custodian": "Legal",
        "notes": "",
    },
    "approval": {
        "system": "OA",
        "reference": "LV-2024-88",
        "title": "Leave request of a team member",
        "direction": "awaiting_my_action",
        "amount": None,
        "status": "pending",
    },
    "expense": {
        "description": "Taxi to the airport",
        "amount": Decimal("86.5"),
        "currency": "CNY",
        "incurred_on": datetime.date(2024, 12, 1),
        "status": "submitted",
        "reference": "EXP-7",
    },
    "knowledge": {
        "topic": "Who to ask in R&D",
        "content": "Payments: Chen (ext. 1234). Search: Liu.",
        "links": [
            "https://wiki.example.com/rd-contacts",
            "https://im.example.com/g/rd",
        ],
    },
}


def validator(schema):
    return Draft202012Validator(schema, format_checker=FormatChecker())


def cleaned(kind, value):
    block = registry.get_kind(kind).block
    return block.clean(block.normalize(value))


def test_every_kind_in_the_registry_has_a_schema():
    assert ALL_KINDS == [
        "section",
        "task",
        "project",
        "client",
        "account",
        "asset",
        "document",
        "approval",
        "expense",
        "knowledge",
        "field",
        "connector_list",
    ]
    assert [spec.kind for spec in registry.item_kinds()] == ALL_KINDS[1:]
    for spec in registry.all_kinds():
        assert spec.json_schema["type"] == "object"
        assert spec.json_schema["additionalProperties"] is False
        assert spec.json_schema["$id"].endswith(spec.kind)
        assert spec.json_schema["title"] == str(spec.label)
        assert spec.json_schema["properties"]


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_schema_is_a_valid_draft_2020_12_schema(kind):
    schema = registry.get_kind(kind).json_schema

    Draft202012Validator.check_schema(schema)

    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    json.dumps(schema)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_item_data_of_the_preview_value_validates(kind):
    block = registry.get_kind(kind).block

    data = registry.item_data(kind, block.clean(block.get_preview_value()))

    validator(registry.get_kind(kind).json_schema).validate(data)
    assert json.loads(json.dumps(data)) == data


@pytest.mark.parametrize("kind", DOMAIN_KINDS)
def test_item_data_of_a_fully_filled_value_validates(kind):
    data = registry.item_data(kind, cleaned(kind, {**COMMON, **FULL_VALUES[kind]}))

    validator(registry.get_kind(kind).json_schema).validate(data)
    assert set(data) == set(registry.get_kind(kind).json_schema["properties"])
    assert json.loads(json.dumps(data)) == data


def test_item_data_converts_dates_decimals_and_lists():
    expense = registry.item_data(
        "expense", cleaned("expense", {**COMMON, **FULL_VALUES["expense"]})
    )
    client = registry.item_data(
        "client", cleaned("client", {**COMMON, **FULL_VALUES["client"]})
    )

    assert expense["incurred_on"] == "2024-12-01"
    assert expense["amount"] == "86.5"
    assert client["open_deals"][0] == {
        "title": "Maintenance 2025",
        "amount": "56000.50",
        "currency": "USD",
        "stage": "Negotiation",
        "next_step": "Send revised terms.",
    }
    assert client["open_deals"][1]["amount"] is None
    assert client["commitments"] == [
        "Promised a 5% discount",
        "Free on-site training day",
    ]


def test_item_data_accepts_the_stored_json_form():
    block = registry.get_kind("project").block
    value = cleaned("project", {**COMMON, **FULL_VALUES["project"]})
    stored = json.loads(json.dumps(block.get_prep_value(value)))

    assert registry.item_data("project", stored) == registry.item_data("project", value)


def test_empty_optional_fields_still_validate():
    value = cleaned("task", {**COMMON, "label": "Anything else?"})

    data = registry.item_data("task", value)

    validator(registry.get_kind("task").json_schema).validate(data)
    assert data == {
        "description": "",
        "status": "not_started",
        "progress_percent": None,
        "next_step": "",
        "location": "",
    }


@pytest.mark.parametrize(
    ("kind", "bad_data_changes"),
    [
        ("task", {"progress_percent": "lots"}),
        ("task", {"progress_percent": 101}),
        ("task", {"status": "forgotten"}),
        ("task", {"unexpected": "property"}),
        ("expense", {"amount": 10.5}),
        ("expense", {"amount": "-3"}),
        ("expense", {"incurred_on": "yesterday"}),
        ("client", {"open_deals": [{"amount": "1"}]}),
        ("client", {"commitments": [""]}),
        ("knowledge", {"links": ["not a url"]}),
        ("project", {"contacts": [{"name": "A", "email": "not-an-email"}]}),
    ],
)
def test_data_of_the_wrong_shape_fails_validation(kind, bad_data_changes):
    data = registry.item_data(kind, cleaned(kind, {**COMMON, **FULL_VALUES[kind]}))
    data.update(bad_data_changes)

    assert not validator(registry.get_kind(kind).json_schema).is_valid(data)


def test_connector_record_data_is_checked_against_the_target_kind():
    schema = registry.get_kind("connector_list").json_schema
    record = {"external_id": "crm-42", "record_kind": "deal", "data": {"customer": "B"}}

    validator(schema).validate(record)
    record["data"] = {"customer": 42}
    assert not validator(schema).is_valid(record)
    record["data"] = {"progress_percent": 10}  # a task property, not a client one
    assert not validator(schema).is_valid(record)
    assert not validator(schema).is_valid({**record, "record_kind": "invoice"})


def field_value(field_type, **extra):
    return {"key": "answer", "label": "Answer", "field_type": field_type, **extra}


@pytest.mark.parametrize(
    ("field", "good_answers", "bad_answers"),
    [
        (field_value("text"), ["Beijing", "", None], [3, "x" * 256, True]),
        (field_value("long_text"), ["Line 1\nLine 2", None], [["a"]]),
        (
            field_value("number", min_value=Decimal("0"), max_value=Decimal("10.5")),
            [0, 7, 10.5, None],
            [-1, 11, "7"],
        ),
        (field_value("number"), [-1000, 3.25], ["three"]),
        (field_value("date"), ["2025-01-31", None], ["31/01/2025", 20250131]),
        (
            field_value("choice", choices=["Sales", "R&D"]),
            ["Sales", "R&D", None],
            ["HR", "sales", 1],
        ),
        (field_value("yes_no"), [True, False, None], ["yes", 1]),
        (
            field_value("file"),
            [{"document_id": 12, "filename": "handover.pdf"}, {"document_id": 1}, None],
            [{"filename": "x.pdf"}, "handover.pdf", {"document_id": 0}],
        ),
    ],
    ids=lambda value: value["field_type"] if isinstance(value, dict) else None,
)
def test_field_answers_validate_by_field_type(field, good_answers, bad_answers):
    schema = registry.schema_for_field(field)
    Draft202012Validator.check_schema(schema)
    check = validator(schema)

    for answer in good_answers:
        assert check.is_valid({"value": answer}), answer
    for answer in bad_answers:
        assert not check.is_valid({"value": answer}), answer
    assert not check.is_valid({})


def test_unknown_kind_raises_a_clear_key_error():
    with pytest.raises(KeyError) as excinfo:
        registry.get_kind("spreadsheet")

    assert isinstance(excinfo.value, registry.UnknownKind)
    assert str(excinfo.value).startswith(
        "Unknown block kind 'spreadsheet'; known kinds:"
    )


def test_kind_spec_is_frozen_and_labelled():
    spec = registry.get_kind("asset")

    with pytest.raises(AttributeError):
        spec.kind = "other"
    assert str(spec.label) == "Asset"
    assert spec.icon
    assert str(spec.description)
