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
