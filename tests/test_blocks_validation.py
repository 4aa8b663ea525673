"""Template authors get a clear message on the exact input they got wrong."""

import pytest
from django.core.exceptions import ValidationError

from checklist_blocks import registry
from checklist_blocks.blocks import ChecklistStreamBlock
from checklist_blocks.blocks.connector import (
    register_connector_catalog,
    unregister_connector_catalog,
)

# The block library is tested on its own, without the connectors app.
pytestmark = pytest.mark.usefixtures("block_library_alone")

ALL_KINDS = [spec.kind for spec in registry.all_kinds()]
ITEM_KINDS = [spec.kind for spec in registry.item_kinds()]


def block(kind):
    return registry.get_kind(kind).block


def good_value(kind, **overrides):
    """The kind's preview value (a realistic, valid definition) with overrides."""
    value = dict(block(kind).get_preview_value())
    value.update(overrides)
    return value


def field_item(key, field_type="text", label="Question", **overrides):
    return good_value(
        "field",
        label=label,
        key=key,
        field_type=field_type,
        **overrides,
    )


def condition(field_key, operator, value=""):
    return {"field_key": field_key, "operator": operator, "value": value}


def clean_error(kind, value):
    with pytest.raises(ValidationError) as excinfo:
        block(kind).clean(block(kind).normalize(value))
    return excinfo.value


def clean_body_error(children):
    body = ChecklistStreamBlock()
    with pytest.raises(ValidationError) as excinfo:
        body.clean(body.normalize(children))
    return excinfo.value


def messages_at(error, *path):
    """The messages of the error found by following ``path`` through block_errors."""
    for step in path:
        assert step in error.block_errors, (
            f"no error at {step!r}; errors are at {list(error.block_errors)}"
        )
        error = error.block_errors[step]
    return error.messages


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_good_definition_of_every_kind_cleans(kind):
    cleaned = block(kind).clean(block(kind).normalize(good_value(kind)))

    assert cleaned["label" if kind != "section" else "title"]


@pytest.mark.parametrize("kind", ITEM_KINDS)
def test_empty_label_is_rejected(kind):
    error = clean_error(kind, good_value(kind, label=""))

    assert messages_at(error, "label") == ["This field is required."]


@pytest.mark.parametrize("kind", ITEM_KINDS)
@pytest.mark.parametrize("days", [-181, 91, -365, 1000])
def test_absurd_due_offset_is_rejected(kind, days):
    error = clean_error(kind, good_value(kind, due_offset_days=days))

    assert messages_at(error, "due_offset_days") == [
        "Due offset must be between -180 and 90 days."
    ]


@pytest.mark.parametrize("days", [-180, -1, 0, 90, None])
def test_due_offset_within_range_or_empty_is_accepted(days):
    cleaned = block("task").clean(
        block("task").normalize(good_value("task", due_offset_days=days))
    )

    assert cleaned["due_offset_days"] == days


def test_section_without_title_is_rejected():
    error = clean_error("section", good_value("section", title=""))

    assert messages_at(error, "title") == ["This field is required."]


def test_choice_field_without_choices_is_rejected():
    error = clean_error("field", field_item("department", "choice", choices=[]))

    assert messages_at(error, "choices") == [
        "A choice field needs at least one choice."
    ]


def test_duplicate_choices_are_flagged_on_the_repeated_choice():
    error = clean_error("field", field_item("size", "choice", choices=["S", "M", "S"]))

    assert messages_at(error, "choices", 2) == [
        'The choice "S" appears more than once.'
    ]
    assert 0 not in error.block_errors["choices"].block_errors


def cleaned(kind, value):
    return block(kind).clean(block(kind).normalize(value))


def test_choices_left_on_a_text_field_are_dropped():
    value = cleaned("field", field_item("nickname", "text", choices=["a"]))

    assert list(value["choices"]) == []


def test_a_yes_no_field_keeps_no_choice_placeholder_or_limits():
    value = cleaned(
        "field",
        field_item(
            "has_car",
            "yes_no",
            choices=["Sedan", "Sedan"],
            placeholder="Pick one",
            min_value=5,
            max_value=1,
        ),
    )

    assert list(value["choices"]) == []
    assert value["placeholder"] == ""
    assert (value["min_value"], value["max_value"]) == (None, None)


def test_a_choice_field_keeps_its_choices_and_placeholder():
    value = cleaned(
        "field",
        field_item("colour", "choice", choices=["Red", "Blue"], placeholder="Pick"),
    )

    assert list(value["choices"]) == ["Red", "Blue"]
    assert value["placeholder"] == "Pick"


def test_minimum_above_maximum_is_rejected():
    error = clean_error(
        "field", field_item("days_left", "number", min_value=10, max_value=5)
    )

    assert messages_at(error, "max_value") == [
        "The maximum (5) must not be less than the minimum (10)."
    ]


def test_a_minimum_left_on_a_text_field_is_dropped():
    value = cleaned("field", field_item("nickname", "text", min_value=1))

    assert value["min_value"] is None


KEY_FORMAT_MESSAGE = (
    "Use 1 to 50 lowercase letters, digits or underscores, starting with a letter "
    "(for example has_laptop)."
)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("Has Laptop", KEY_FORMAT_MESSAGE),
        ("1st", KEY_FORMAT_MESSAGE),
        ("has-laptop", KEY_FORMAT_MESSAGE),
        ("a" * 51, KEY_FORMAT_MESSAGE),
        ("", "This field is required."),
    ],
)
def test_malformed_field_key_is_rejected(key, message):
    error = clean_error("field", field_item(key, "yes_no"))

    assert messages_at(error, "key") == [message]


def test_kept_account_needs_a_reason():
    error = clean_error("account", good_value("account", action="keep", keep_reason=""))

    assert messages_at(error, "keep_reason") == [
        "Explain why this account is kept after the employee leaves."
    ]


def test_kept_account_with_a_reason_is_accepted():
    value = good_value("account", action="keep", keep_reason="Shared mailbox for audit")

    cleaned = block("account").clean(block("account").normalize(value))

    assert cleaned["action"] == "keep"


def test_unknown_record_kind_is_rejected():
    error = clean_error(
        "connector_list", good_value("connector_list", record_kind="invoice")
    )

    assert messages_at(error, "record_kind")[0].startswith(
        'Unknown record kind "invoice". Choose one of: client, contact, deal,'
    )


def test_mapping_target_must_be_a_property_of_the_target_kind():
    value = good_value(
        "connector_list",
        record_kind="expense",
        field_mapping=[
            {"source": "amount", "target": "amount"},
            {"source": "customer", "target": "customer"},
        ],
    )

    error = clean_error("connector_list", value)

    assert messages_at(error, "field_mapping", 1, "target") == [
        '"customer" is not a property of the item kind "Expense". Choose one of: '
        "description, amount, currency, incurred_on, status, reference."
    ]
    assert 0 not in error.block_errors["field_mapping"].block_errors


def test_mapping_target_may_name_a_nested_property():
    value = good_value(
        "connector_list",
        field_mapping=[{"source": "contact.mail", "target": "contact_person.email"}],
    )

    cleaned = block("connector_list").clean(block("connector_list").normalize(value))

    assert cleaned["field_mapping"][0]["target"] == "contact_person.email"


def test_duplicate_mapping_targets_are_rejected():
    value = good_value(
        "connector_list",
        field_mapping=[
            {"source": "name", "target": "customer"},
            {"source": "company", "target": "customer"},
        ],
    )

    error = clean_error("connector_list", value)

    assert messages_at(error, "field_mapping", 1, "target") == [
        '"customer" is already the target of another mapping.'
    ]


def test_mapping_without_source_is_rejected():
    value = good_value(
        "connector_list", field_mapping=[{"source": " ", "target": "customer"}]
    )

    error = clean_error("connector_list", value)

    assert messages_at(error, "field_mapping", 0, "source") == [
        "Name the field of the external record to copy from."
    ]


def test_connector_slug_format_is_checked():
    error = clean_error(
        "connector_list", good_value("connector_list", connector="My CRM")
    )

    assert messages_at(error, "connector") == [
        "Use the connector's slug: lowercase letters, digits, - and _."
    ]


def test_unknown_connector_is_rejected_once_a_catalog_is_registered():
    def catalog():
        return {"dingtalk", "feishu"}

    register_connector_catalog(catalog)
    try:
        error = clean_error(
            "connector_list", good_value("connector_list", connector="crm")
        )
        known = good_value("connector_list", connector="feishu")
        block("connector_list").clean(block("connector_list").normalize(known))
    finally:
        unregister_connector_catalog(catalog)

    assert messages_at(error, "connector") == [
        'There is no connector "crm". Known connectors: dingtalk, feishu.'
    ]


def test_any_well_formed_connector_is_accepted_without_a_catalog():
    value = good_value("connector_list", connector="not-configured-yet")

    cleaned = block("connector_list").clean(block("connector_list").normalize(value))

    assert cleaned["connector"] == "not-configured-yet"


def test_condition_needs_a_value_for_equals():
    value = good_value("task", condition=condition("department", "equals"))

    error = clean_error("task", value)

    assert messages_at(error, "condition", "value") == [
        'The operator "equals" needs a value to compare with.'
    ]


def test_condition_with_a_value_but_no_field_key_is_rejected():
    value = good_value("task", condition=condition("", "equals", "Sales"))

    error = clean_error("task", value)

    assert messages_at(error, "condition", "field_key") == [
        "Name the field this condition depends on, or clear the condition."
    ]


def test_operator_without_field_key_means_no_condition():
    value = good_value("task", condition=condition("", "equals"))

    cleaned = block("task").clean(block("task").normalize(value))

    assert cleaned["condition"]["field_key"] == ""


def test_condition_on_a_missing_field_is_rejected():
    error = clean_body_error(
        [
            ("field", field_item("has_phone", "yes_no")),
            ("asset", good_value("asset")),  # depends on has_laptop
        ]
    )

    assert messages_at(error, 1, "condition", "field_key") == [
        'The condition refers to the field "has_laptop", which does not exist in '
        "this template."
    ]
    assert 0 not in error.block_errors


def test_condition_on_the_items_own_key_is_rejected():
    error = clean_body_error(
        [
            (
                "field",
                field_item(
                    "has_laptop", "yes_no", condition=condition("has_laptop", "is_yes")
                ),
            )
        ]
    )

    assert messages_at(error, 0, "condition", "field_key") == [
        'A field cannot depend on its own answer ("has_laptop").'
    ]


def test_is_yes_on_a_text_field_is_rejected():
    error = clean_body_error(
        [
            ("field", field_item("has_laptop", "text")),
            ("asset", good_value("asset")),
        ]
    )

    assert messages_at(error, 1, "condition", "operator") == [
        '"is yes" only works with yes/no fields, but "has_laptop" is a "Text" field.'
    ]


def test_equals_value_must_be_one_of_the_choices():
    error = clean_body_error(
        [
            ("field", field_item("team", "choice", choices=["Sales", "R&D"])),
            ("task", good_value("task", condition=condition("team", "equals", "HR"))),
        ]
    )

    assert messages_at(error, 1, "condition", "value") == [
        '"HR" is not one of the choices of the field "team": Sales, R&D.'
    ]


def test_valid_conditions_across_sections_are_accepted():
    body = ChecklistStreamBlock()
    value = body.normalize(
        [
            ("section", good_value("section")),  # has_laptop field + laptop asset
            (
                "section",
                good_value(
                    "section",
                    title="Sales",
                    items=[
                        (
                            "field",
                            field_item("team", "choice", choices=["Sales", "R&D"]),
                        ),
                        (
                            "client",
                            good_value(
                                "client", condition=condition("team", "equals", "Sales")
                            ),
                        ),
                        (
                            "task",
                            good_value(
                                "task", condition=condition("has_laptop", "is_no")
                            ),
                        ),
                    ],
                ),
            ),
        ]
    )

    cleaned = body.clean(value)

    assert len(cleaned) == 2


def test_duplicate_field_keys_across_sections_are_rejected_on_the_second():
    error = clean_body_error(
        [
            ("section", good_value("section")),
            (
                "section",
                good_value(
                    "section",
                    title="Later",
                    items=[
                        ("task", good_value("task")),
                        ("field", field_item("has_laptop", "yes_no")),
                    ],
                ),
            ),
        ]
    )

    assert messages_at(error, 1, "items", 1, "key") == [
        'The key "has_laptop" is already used by another field in this template.'
    ]
    assert list(error.block_errors) == [1]


def test_several_errors_in_one_item_all_land_on_their_inputs():
    error = clean_body_error(
        [
            ("field", field_item("team", "text")),
            (
                "field",
                field_item(
                    "team", "yes_no", condition=condition("missing_field", "is_yes")
                ),
            ),
        ]
    )

    assert messages_at(error, 1, "key") == [
        'The key "team" is already used by another field in this template.'
    ]
    assert messages_at(error, 1, "condition", "field_key") == [
        'The condition refers to the field "missing_field", which does not exist in '
        "this template."
    ]


def test_draft_save_defers_missing_values_but_not_contradictions():
    body = ChecklistStreamBlock()
    incomplete = body.normalize(
        [
            ("field", field_item("team", "choice", choices=[])),
            ("account", good_value("account", action="keep", keep_reason="")),
        ]
    )
    contradictory = body.normalize(
        [
            ("field", field_item("team", "text")),
            ("field", field_item("team", "text")),
        ]
    )

    body.clean_deferred(incomplete)
    with pytest.raises(ValidationError) as excinfo:
        body.clean_deferred(contradictory)

    assert messages_at(excinfo.value, 1, "key") == [
        'The key "team" is already used by another field in this template.'
    ]
    with pytest.raises(ValidationError):
        body.clean(incomplete)
