"""HR builds a template from blocks in the Wagtail admin, previews it, submits it
to the "Template approval" workflow; the HR head approves; the API serves it."""

from html import unescape

import pytest
from django.urls import reverse

from cms.models import ChecklistTemplatePage, Department, Role, TemplateIndexPage
from tests.fixtures.wagtail_forms import block_form_data

BODY = [
    (
        "section",
        {
            "title": "The shop",
            "description": "Everything about the flagship shop.",
            "items": [
                ("client", {"label": "Shop clients", "customer": "ACME Trading"}),
                (
                    "field",
                    {
                        "label": "Has a company car?",
                        "key": "has_car",
                        "field_type": "yes_no",
                    },
                ),
                (
                    "asset",
                    {
                        "label": "Return the car",
                        "condition": {"field_key": "has_car", "operator": "is_yes"},
                    },
                ),
                ("account", {"label": "POS admin account", "system": "POS"}),
            ],
        },
    )
]


def _page_form(body, **fields):
    stream_block = ChecklistTemplatePage.body.field.stream_block
    return {
        "title": "Shop manager handover",
        "slug": "shop-manager",
        "role": Role.objects.get(code="sales").pk,
        "departments": [Department.objects.get(code="sales").pk],
        "description": "For shop managers.",
        **block_form_data(stream_block, body, "body"),
        **fields,
    }


def _add_url():
    index = TemplateIndexPage.objects.get(locale__language_code="en")
    return reverse(
        "wagtailadmin_pages:add", args=("cms", "checklisttemplatepage", index.pk)
    )


@pytest.fixture
def hr_client(demo, client):
    assert client.login(username="hr", password="baton-demo")
    return client


def test_hr_builds_submits_and_hr_head_approves(hr_client, member_api):
    response = hr_client.post(_add_url(), _page_form(BODY, **{"action-submit": "1"}))

    assert response.status_code == 302, response.content.decode()[:2000]
    page = ChecklistTemplatePage.objects.get(slug="shop-manager")
    assert not page.live
    assert page.current_workflow_state.workflow.name == "Template approval"
    listed = member_api.get("/api/v1/templates/?search=shop").json()["results"]
    assert listed == []

    hr_client.logout()
    assert hr_client.login(username="hrhead", password="baton-demo")
    task_state = page.current_workflow_task_state
    approve = reverse(
        "wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk)
    )
    assert hr_client.post(approve, {}).status_code in (200, 302)

    page.refresh_from_db()
    assert page.live
    listed = member_api.get("/api/v1/templates/?search=shop").json()["results"]
    assert [entry["title"] for entry in listed] == ["Shop manager handover"]
    items = listed[0]["body"][0]["value"]["items"]
    assert [item["type"] for item in items] == ["client", "field", "asset", "account"]
    assert items[2]["value"]["condition"]["field_key"] == "has_car"
    assert listed[0]["revision_id"] == page.live_revision_id


def test_hr_cannot_publish_without_approval(hr_client):
    hr_client.post(_add_url(), _page_form(BODY, **{"action-publish": "1"}))

    page = ChecklistTemplatePage.objects.get(slug="shop-manager")
    assert not page.live


def test_choice_field_without_choices_cannot_be_submitted(hr_client):
    body = [
        (
            "field",
            {"label": "Favourite colour", "key": "colour", "field_type": "choice"},
        )
    ]

    response = hr_client.post(_add_url(), _page_form(body, **{"action-submit": "1"}))

    assert response.status_code == 200
    assert not ChecklistTemplatePage.objects.filter(slug="shop-manager").exists()
    html = unescape(response.content.decode())
    assert "The page could not be created due to validation errors" in html
    # The reason is attached to the block that caused it, for the editor to show.
    assert "A choice field needs at least one choice." in html


def test_condition_on_a_missing_field_is_refused_even_in_a_draft(hr_client):
    body = [
        (
            "asset",
            {
                "label": "Return the car",
                "condition": {"field_key": "has_car", "operator": "is_yes"},
            },
        ),
    ]

    response = hr_client.post(_add_url(), _page_form(body))

    assert response.status_code == 200
    assert not ChecklistTemplatePage.objects.filter(slug="shop-manager").exists()
    html = unescape(response.content.decode())
    assert 'refers to the field \\"has_car\\", which does not exist' in html


def test_preview_shows_the_checklist_as_participants_see_it(hr_client):
    index = TemplateIndexPage.objects.get(locale__language_code="en")
    url = reverse(
        "wagtailadmin_pages:preview_on_add",
        args=("cms", "checklisttemplatepage", index.pk),
    )

    posted = hr_client.post(url, _page_form(BODY))
    preview = hr_client.get(url)

    assert posted.json()["is_valid"] is True
    html = preview.content.decode()
    assert "Shop clients" in html
    assert "ACME Trading" in html
    assert "Return the car" in html
    assert "Preview: this is how participants will see the checklist." in html


def test_a_template_with_handovers_cannot_be_deleted(sales_handover, client):
    template = sales_handover.template
    client.force_login(_superuser())

    response = client.post(
        reverse("wagtailadmin_pages:delete", args=(template.pk,)), follow=True
    )

    assert ChecklistTemplatePage.objects.filter(pk=template.pk).exists()
    assert "cannot be deleted" in response.content.decode()


def _superuser():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", "root@example.com", "x")


def _preview_html(hr_client, body):
    index = TemplateIndexPage.objects.get(locale__language_code="en")
    url = reverse(
        "wagtailadmin_pages:preview_on_add",
        args=("cms", "checklisttemplatepage", index.pk),
    )
    assert hr_client.post(url, _page_form(body)).json()["is_valid"] is True
    return unescape(hr_client.get(url).content.decode())


def test_preview_names_the_question_a_condition_depends_on(hr_client):
    html = _preview_html(hr_client, BODY)

    assert 'Shown if the answer to "Has a company car?" is yes' in html
    assert '"has_car"' not in html


def test_preview_shows_the_role_and_department_once_each(hr_client):
    html = _preview_html(hr_client, BODY)

    # The demo's sales role and sales department are both called "Sales".
    assert html.count(">Sales<") == 1


def test_a_yes_no_question_keeps_no_choices_placeholder_or_limits(hr_client):
    body = [
        (
            "field",
            {
                "label": "Has a company car?",
                "key": "has_car",
                "field_type": "yes_no",
                # Typed while it was a choice / number question, then switched.
                "choices": ["Sedan", "Van"],
                "placeholder": "Pick one",
                "min_value": "1",
                "max_value": "3",
            },
        )
    ]

    response = hr_client.post(_add_url(), _page_form(body))

    assert response.status_code == 302, response.content.decode()[:2000]
    saved = ChecklistTemplatePage.objects.get(slug="shop-manager")
    question = saved.get_latest_revision_as_object().body[0].value
    assert question["field_type"] == "yes_no"
    assert list(question["choices"]) == []
    assert question["placeholder"] == ""
    assert question["min_value"] is None
    assert question["max_value"] is None


def test_a_number_question_keeps_its_limits_but_not_choices(hr_client):
    body = [
        (
            "field",
            {
                "label": "How many keys do you hold?",
                "key": "key_count",
                "field_type": "number",
                "choices": ["One"],
                "placeholder": "0",
                "min_value": "0",
                "max_value": "20",
            },
        )
    ]

    hr_client.post(_add_url(), _page_form(body))

    saved = ChecklistTemplatePage.objects.get(slug="shop-manager")
    question = saved.get_latest_revision_as_object().body[0].value
    assert list(question["choices"]) == []
    assert question["placeholder"] == "0"
    assert (question["min_value"], question["max_value"]) == (0, 20)


def test_autosave_of_a_new_page_leaves_no_draft_behind(hr_client):
    # What Wagtail 8's editor sends a moment after HR starts typing a title.
    response = hr_client.post(
        _add_url(), _page_form(BODY), HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 400
    assert response.json()["success"] is False
    assert not ChecklistTemplatePage.objects.filter(slug="shop-manager").exists()


def test_saving_a_draft_on_purpose_still_creates_the_page(hr_client):
    response = hr_client.post(_add_url(), _page_form(BODY))

    assert response.status_code == 302
    page = ChecklistTemplatePage.objects.get(slug="shop-manager")
    assert not page.live


def test_the_editor_loads_the_question_and_condition_helpers(hr_client):
    html = hr_client.get(_add_url()).content.decode()

    assert "checklist_blocks/editor.js" in html
    assert "checklist_blocks/editor.css" in html
    assert "baton-condition" in html
    assert "baton-question" in html


def test_a_condition_on_a_question_removed_later_is_refused_on_submit(hr_client):
    body = [
        (
            "field",
            {"label": "Has a company car?", "key": "has_a_car", "field_type": "yes_no"},
        ),
        (
            "asset",
            {
                "label": "Return the car",
                "condition": {"field_key": "has_car", "operator": "is_yes"},
            },
        ),
    ]

    response = hr_client.post(_add_url(), _page_form(body, **{"action-submit": "1"}))

    assert response.status_code == 200
    assert not ChecklistTemplatePage.objects.filter(slug="shop-manager").exists()
    html = unescape(response.content.decode())
    assert 'refers to the field \\"has_car\\", which does not exist' in html
