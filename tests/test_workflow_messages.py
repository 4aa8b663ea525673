"""HR submits a template; the HR head approves it (or asks for changes) from the
dashboard's review panel or from the editor, and is told, in their language, what
that did."""

from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from wagtail.users.models import UserProfile

from cms.models import ChecklistTemplatePage, TemplateIndexPage
from tests.fixtures.wagtail_forms import block_form_data

BODY = [
    (
        "section",
        {
            "title": "Keys",
            "description": "",
            "items": [("asset", {"label": "Return the office key"})],
        },
    )
]


def _form(**fields):
    stream_block = ChecklistTemplatePage.body.field.stream_block
    return {
        "title": "Front desk handover",
        "slug": "front-desk",
        "description": "For the front desk.",
        **block_form_data(stream_block, BODY, "body"),
        **fields,
    }


def _sign_in(client, username, *, language):
    user = get_user_model().objects.get(username=username)
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    client.force_login(user)


@pytest.fixture
def submitted(demo, client):
    """A template HR built and submitted; the HR head is signed in to review it."""

    def submit(*, language="en"):
        _sign_in(client, "hr", language="en")
        library = TemplateIndexPage.objects.get(locale__language_code=language)
        add = reverse(
            "wagtailadmin_pages:add", args=("cms", "checklisttemplatepage", library.pk)
        )
        response = client.post(add, _form(**{"action-submit": "1"}))
        assert response.status_code == 302, response.content.decode()[:2000]
        page = ChecklistTemplatePage.objects.get(
            slug="front-desk", locale=library.locale
        )
        assert page.current_workflow_state is not None
        client.logout()
        _sign_in(client, "hrhead", language=language)
        return page

    return submit


def _review_panel_action(client, page, action):
    """What the dashboard's "Awaiting your review" buttons do: "Approve" posts
    a form; "Request changes" posts its comment modal and the browser then
    opens the page the answer names."""
    url = reverse(
        "wagtailadmin_pages:workflow_action",
        args=(page.pk, action, page.current_workflow_task_state.pk),
    )
    if action != "reject":
        return client.post(url, {"next": "/admin/"}, follow=True)
    answer = client.post(
        url,
        {"comment": "", "next": "/admin/"},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert answer.json()["step"] == "success"
    return client.get(answer.json()["redirect"])


def _editor_action(client, page, action):
    """The editor's action menu: "Approve" / "Request changes"."""
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    form = _form(**{"action-workflow-action": "1", "workflow-action-name": action})
    return client.post(url, form, follow=True)


def _shown(response):
    assert response.status_code == 200
    return unescape(response.content.decode())


@pytest.mark.parametrize("act", [_review_panel_action, _editor_action])
def test_approving_says_the_template_was_approved_and_published(submitted, client, act):
    page = submitted()

    shown = _shown(act(client, page, "approve"))

    page.refresh_from_db()
    assert page.live
    assert "“Front desk handover” was approved and published." in shown
    assert "has been updated" not in shown


@pytest.mark.parametrize("act", [_review_panel_action, _editor_action])
def test_a_chinese_reviewer_reads_the_confirmation_in_chinese(submitted, client, act):
    page = submitted(language="zh-hans")

    shown = _shown(act(client, page, "approve"))

    page.refresh_from_db()
    assert page.live
    assert "“Front desk handover”已审批通过并发布。" in shown
    assert "was approved" not in shown


def test_requesting_changes_says_so(submitted, client):
    page = submitted()

    shown = _shown(_review_panel_action(client, page, "reject"))

    page.refresh_from_db()
    assert not page.live
    assert page.current_workflow_state.status == "needs_changes"
    assert "Changes were requested on “Front desk handover”." in shown


def test_requesting_changes_from_the_editor_in_chinese(submitted, client):
    page = submitted(language="zh-hans")

    shown = _shown(_editor_action(client, page, "reject"))

    assert "已要求修改“Front desk handover”。" in shown
