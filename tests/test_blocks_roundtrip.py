"""A template body survives storage unchanged and renders as participants see it."""

import datetime
import html
import json
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder

from checklist_blocks import registry
from checklist_blocks.blocks import ChecklistStreamBlock

SECTION_ID = "5b0c7f3e-0000-4000-8000-000000000001"


def common(label, **settings):
    return {
        "label": label,
        "help_text": "",
        "required": True,
        "filled_by": "leaver",
        "confirmed_by": "successor",
        "evidence": "none",
        "due_offset_days": 0,
        "condition": {"field_key": "", "operator": "", "value": ""},
        **settings,
    }


def laptop_question():
    return {
        **common("Do you have a company laptop?"),
        "key": "has_laptop",
        "field_type": "yes_no",
        "choices": [],
        "placeholder": "",
        "min_value": None,
        "max_value": None,
    }


def child(kind, value, block_id):
    return {"type": kind, "value": value, "id": block_id}


def body_value():
    """A top-level question, then a section with several kinds of items."""
    items = [
        child(
            "asset",
            {
                **common(
                    "Return your laptop",
                    confirmed_by="it",
                    evidence="required",
                    due_offset_days=-3,
                    condition={
                        "field_key": "has_laptop",
                        "operator": "is_yes",
                        "value": "",
                    },
                ),
                "asset_type": "laptop",
                "asset_tag": "IT-0457",
                "description": "ThinkPad",
                "location": "Desk 12",
                "return_to_role": "it",
            },
            "item-asset",
        ),
        child(
            "expense",
            {
                **common("Travel to Shanghai", required=False, due_offset_days=5),
                "description": "Train and hotel",
                "amount": Decimal("1000.00"),
                "currency": "CNY",
                "incurred_on": datetime.date(2024, 10, 15),
                "status": "not_submitted",
                "reference": "",
            },
            "item-expense",
        ),
        child(
            "project",
            {
                **common("Project A", filled_by="manager", due_offset_days=-1),
                "project_name": "Project A",
                "customer": "Company B",
                "stage": "acceptance",
                "progress_percent": 90,
                "next_step": "Submit the acceptance report.",
                "contacts": [
                    {"name": "Manager C", "role": "PM", "phone": "", "email": ""}
                ],
                "documents": [],
            },
            "item-project",
        ),
    ]
    return ChecklistStreamBlock().to_python(
        [
            child("field", laptop_question(), "item-question"),
            child(
                "section",
                {"title": "Equipment and money", "description": "", "items": items},
                SECTION_ID,
            ),
        ]
    )


def stored_form(body, value):
    return json.loads(json.dumps(body.get_prep_value(value), cls=DjangoJSONEncoder))


def test_body_survives_json_storage_with_values_and_ids():
    body = ChecklistStreamBlock()
    original = body.clean(body_value())
    stored = stored_form(body, original)

    restored = body.to_python(stored)

    assert stored_form(body, restored) == stored
    assert [child.block_type for child in restored] == ["field", "section"]
    assert [child.id for child in restored] == ["item-question", SECTION_ID]
    section_items = restored[1].value["items"]
    assert [item.id for item in section_items] == [
        "item-asset",
        "item-expense",
        "item-project",
    ]
    assert section_items[0].value["condition"]["field_key"] == "has_laptop"
    expense = section_items[1].value
    assert expense["amount"] == Decimal("1000.00")
    assert expense["incurred_on"] == datetime.date(2024, 10, 15)
    # ListValue has no equality, so compare a struct without lists directly.
    assert section_items[0].value == original[1].value["items"][0].value


def test_list_row_ids_are_kept_across_storage():
    body = ChecklistStreamBlock()
    stored = stored_form(body, body.clean(body_value()))
    row_id = stored[1]["value"]["items"][2]["value"]["contacts"][0]["id"]

    again = stored_form(body, body.to_python(stored))

    assert again[1]["value"]["items"][2]["value"]["contacts"][0]["id"] == row_id


def test_iter_items_yields_every_item_in_document_order():
    items = list(registry.iter_items(body_value()))

    assert [(section, block_id, kind) for section, block_id, kind, _value in items] == [
        (None, "item-question", "field"),
        (SECTION_ID, "item-asset", "asset"),
        (SECTION_ID, "item-expense", "expense"),
        (SECTION_ID, "item-project", "project"),
    ]
    assert items[1][3]["asset_tag"] == "IT-0457"


def test_iter_items_reads_the_stored_json_form():
    body = ChecklistStreamBlock()
    stored = stored_form(body, body.clean(body_value()))

    kinds = [kind for _section, _id, kind, _value in registry.iter_items(stored)]

    assert kinds == ["field", "asset", "expense", "project"]


def test_item_data_of_iterated_items_matches_each_schema():
    for _section, _block_id, kind, value in registry.iter_items(body_value()):
        data = registry.item_data(kind, value)

        assert registry.get_kind(kind).json_schema["properties"].keys() >= data.keys()
    assert (
        registry.item_data("expense", body_value()[1].value["items"][1].value)["amount"]
        == "1000.00"
    )


def rendered_text(block_name, value):
    block = ChecklistStreamBlock().child_blocks[block_name]
    return html.unescape(block.render(block.normalize(value)))


def test_section_renders_its_title_items_labels_and_badges():
    section = body_value()[1]

    text = html.unescape(section.render())

    assert '<section class="baton-section"' in text
    assert "Equipment and money" in text
    assert "3 items" in text
    for expected in [
        "Return your laptop",
        "Travel to Shanghai",
        "Project A",
        "Required",
        "Optional",
        "Filled in by: Departing employee",
        "Filled in by: Manager",
        "Confirmed by: IT / asset admin",
        "Attachment required",
        "Due 3 days before the last working day",
        "Due 5 days after the last working day",
        "Due 1 day before the last working day",
        # No template at hand: the question is named by its key.
        'Shown if the answer to "has_laptop" is yes',
    ]:
        assert expected in text, expected
    assert 'id="item-item-asset"' in text


def test_item_renders_prefilled_values_as_read_only_inputs():
    text = rendered_text("expense", body_value()[1].value["items"][1].value)

    assert '<article class="baton-item baton-item--expense"' in text
    assert 'value="1000.00" readonly' in text
    assert 'type="date" value="2024-10-15" readonly' in text
    assert 'value="Not submitted" readonly' in text
    assert "Chinese yuan (CNY)" in text


def test_form_field_renders_the_question_with_its_answer_input():
    choice_question = {
        **laptop_question(),
        "label": "Which team are you in?",
        "key": "team",
        "field_type": "choice",
        "choices": ["Sales", "R&D"],
    }

    text = rendered_text("field", choice_question)

    assert "Which team are you in?" in text
    assert "<option>Sales</option>" in text
    assert "<option>R&D</option>" in text
    assert "Due on the last working day" in text


def test_lists_render_each_row_and_an_empty_list_says_so():
    project = body_value()[1].value["items"][2].value

    text = rendered_text("project", project)

    assert 'value="Manager C" readonly' in text
    assert "Nothing entered yet." in text  # documents is empty


def test_every_kind_renders_its_preview_value():
    for spec in registry.all_kinds():
        block = spec.block
        preview = block.get_preview_value()

        text = html.unescape(block.render(preview))

        label = preview["title"] if spec.kind == "section" else preview["label"]
        assert label in text, spec.kind
