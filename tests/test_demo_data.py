"""``manage.py seed_demo``: what a new user finds, and that re-running it is safe."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from wagtail.models import Page, Site, Workflow

from checklist_blocks.blocks.stream import ChecklistStreamBlock
from cms.models import (
    ChecklistTemplatePage,
    Department,
    Employee,
    Role,
    TemplateIndexPage,
)

DEMO_USERS = {"hr", "hrhead", "it", "manager", "sales", "dev", "successor"}


def _counts():
    return {
        "users": get_user_model().objects.count(),
        "pages": Page.objects.count(),
        "roles": Role.objects.count(),
        "departments": Department.objects.count(),
        "employees": Employee.objects.count(),
        "workflows": Workflow.objects.count(),
        "revisions": sum(page.revisions.count() for page in Page.objects.all()),
    }


def test_seed_demo_creates_users_who_can_sign_in(db, settings, client):
    settings.DEBUG = True
    call_command("seed_demo", "--no-history")

    assert (
        set(get_user_model().objects.values_list("username", flat=True)) >= DEMO_USERS
    )
    for username in DEMO_USERS:
        assert client.login(username=username, password="baton-demo"), username


def test_seed_demo_publishes_three_templates_in_both_languages(demo):
    live = ChecklistTemplatePage.objects.live()

    assert sorted(
        live.filter(locale__language_code="en").values_list("slug", flat=True)
    ) == ["general", "sales", "tech"]
    assert live.filter(locale__language_code="zh-hans").count() == 3
    for page in live:
        translations = page.get_translations(inclusive=True)
        assert translations.count() == 2
        # The demo bodies are valid under the block library's own rules.
        ChecklistStreamBlock().clean(
            page.body.stream_block.to_python(page.body.raw_data)
        )


def test_seed_demo_is_idempotent(demo):
    """The history's own idempotence is tests/test_demo_history.py's."""
    before = _counts()

    call_command("seed_demo", "--force", "--no-history")

    assert _counts() == before


def test_seed_demo_keeps_what_hr_changed(demo, client):
    sales = ChecklistTemplatePage.objects.get(slug="sales", locale__language_code="en")
    sales.title = "Sales handover (our version)"
    sales.save_revision().publish()
    hr = get_user_model().objects.get(username="hr")
    hr.set_password("a-new-secret-of-hr")
    hr.save()

    call_command("seed_demo", "--force", "--no-history")

    sales.refresh_from_db()
    assert sales.title == "Sales handover (our version)"
    assert client.login(username="hr", password="a-new-secret-of-hr")


def test_seed_demo_refuses_without_debug(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG=0"):
        call_command("seed_demo")

    assert not get_user_model().objects.filter(username="hr").exists()


def test_template_library_is_the_site_root_in_both_languages(demo, client):
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, TemplateIndexPage)
    client.login(username="sales", password="baton-demo")

    english = client.get("/", follow=True)
    chinese = client.get("/", follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english.status_code == 200
    assert "Sales handover" in english.content.decode()
    assert chinese.status_code == 200
    assert "销售岗位交接" in chinese.content.decode()


def test_template_pages_need_a_signed_in_user(demo, client):
    response = client.get("/en/sales/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_template_library_search_and_empty_state(demo, client):
    client.login(username="sales", password="baton-demo")

    found = client.get("/en/?q=engineer").content.decode()
    empty = client.get("/en/?q=no-such-template").content.decode()

    assert "Engineering handover" in found
    assert "Sales handover" not in found
    assert "No published template matches these filters." in empty


def test_org_chart(demo):
    sales = Department.objects.get(code="sales")

    assert sales.head.username == "manager"
    assert sales.parent.code == "company"


def test_sign_in_page_and_admin_say_baton(demo, client):
    login = client.get("/admin/login/").content.decode()
    client.login(username="hr", password="baton-demo")
    dashboard = client.get("/admin/").content.decode()

    assert "Sign in to Baton" in login
    assert "<title>Dashboard - Baton</title>" in dashboard
