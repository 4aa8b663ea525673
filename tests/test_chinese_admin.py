"""A zh-Hans user meets Baton in Chinese: Wagtail's admin (its own strings, the
ones Wagtail 8 leaves untranslated included), the sign-in page before anyone is
signed in, and the demo's Chinese templates, roles, departments and positions,
while an English user keeps the English ones."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from wagtail.users.models import UserProfile

from cms.models import (
    ChecklistTemplatePage,
    Department,
    Employee,
    Role,
    TemplateIndexPage,
)
from cms.services import suggest_templates

CHINESE_BROWSER = "zh-CN,zh;q=0.9,en;q=0.8"


def _signed_in(client, username, *, language=""):
    user = get_user_model().objects.get(username=username)
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    client.force_login(user)
    return user


def test_admin_follows_the_language_in_a_users_profile(demo, client):
    """The profile wins over an English browser: home, explorer and search."""
    _signed_in(client, "hrhead", language="zh-hans")
    library = TemplateIndexPage.objects.get(locale__language_code="zh-hans")

    home = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    explorer = client.get(
        f"/admin/pages/{library.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    search = client.get(
        "/admin/pages/search/", {"q": "销售"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert '<html lang="zh-hans"' in home
    assert "控制面板 - Baton" in home  # "Dashboard", as Wagtail ships it
    assert "使用 Wagtail 需要 JavaScript，但它目前已被禁用。" in home  # noqa: RUF001
    assert "JavaScript is required" not in home
    # The explorer's filters and count: Wagtail 8 leaves these untranslated.
    for chinese in (
        "更新日期",
        "编辑者",
        "有子页面",
        "页面类型",
        "共 3 个页面，第 1-3 个",  # noqa: RUF001
    ):
        assert chinese in explorer, chinese
    for english in ("Date updated", "Edited by", "Has child pages", "Page type"):
        assert english not in explorer, english
    assert "销售岗位交接" in explorer and "技术岗位交接" in explorer
    assert "有 1 个匹配的页面" in search
    assert "There is one matching page" not in search
    assert "销售岗位交接" in search


def test_admin_follows_a_chinese_browser_without_a_profile_language(demo, client):
    _signed_in(client, "hr")

    chinese = client.get("/admin/", HTTP_ACCEPT_LANGUAGE=CHINESE_BROWSER)
    english = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert '<html lang="zh-hans"' in chinese.content.decode()
    assert "控制面板 - Baton" in chinese.content.decode()
    assert "<title>Dashboard - Baton</title>" in english.content.decode()


def test_page_search_on_an_editors_home_is_chinese(demo, client):
    """An editor outside HR and IT gets Wagtail's own home: its search box."""
    editors = Group.objects.create(name="Page editors")
    editors.permissions.add(
        Permission.objects.get(
            content_type__app_label="wagtailadmin", codename="access_admin"
        )
    )
    editor = get_user_model().objects.create_user("editor", password="x" * 12)
    editor.groups.add(editors)
    _signed_in(client, "editor", language="zh-hans")

    home = client.get("/admin/").content.decode()

    assert 'placeholder="搜索所有页面…"' in home
    assert "Search all pages" not in home


def test_sign_in_page_follows_the_browser(db, client):
    chinese = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE=CHINESE_BROWSER)
    english = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    page = chinese.content.decode()
    assert '<html lang="zh-hans"' in page
    assert "登录 Baton" in page
    assert "用户名" in page and "密码" in page and "记住我" in page
    # Wagtail's login form has no label of its own for the password.
    assert "Password" not in page
    assert "Username" not in page
    english_page = english.content.decode()
    assert "Sign in to Baton" in english_page
    assert "Password" in english_page
    assert "密码" not in english_page


def test_sign_in_page_language_switch(db, client):
    """Someone on an English-only machine switches to Chinese before signing in,
    and back; the choice stays for the next pages (the language cookie)."""
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert '<option value="zh-hans" lang="zh-hans">简体中文</option>' in page

    switched = client.post(
        "/i18n/setlang/", {"language": "zh-hans", "next": "/admin/login/"}
    )
    after = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})
    back = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert switched.status_code == 302
    assert switched["Location"] == "/admin/login/"
    assert "登录 Baton" in after and "密码" in after
    assert '<option value="zh-hans" lang="zh-hans" selected>简体中文</option>' in after
    assert "Sign in to Baton" in back and "Password" in back


def test_demo_seeds_chinese_roles_departments_and_positions(demo):
    chinese_roles = dict(
        Role.objects.filter(code__startswith="zh-").values_list("code", "name")
    )
    assert chinese_roles == {
        "zh-sales": "销售",
        "zh-engineer": "研发工程师",
        "zh-general": "通用岗位",
    }
    sales = Department.objects.get(code="zh-sales")
    assert sales.name == "销售部"
    assert sales.parent.name == "接力演示（上海）有限公司"  # noqa: RUF001
    assert sales.head.username == "manager"
    positions = dict(
        Employee.objects.filter(department__code__startswith="zh-").values_list(
            "name", "position"
        )
    )
    assert positions["孙悦"] == "大客户经理"
    assert positions["黄丽"] == "后端工程师"
    # The English demo is untouched.
    assert Role.objects.get(code="sales").name == "Sales"
    assert Department.objects.get(code="sales").name == "Sales"
    assert Employee.objects.get(employee_number="E0005").position == (
        "Key account manager"
    )


@pytest.mark.parametrize(
    ("slug", "title", "role", "department"),
    [
        ("sales", "销售岗位交接", "销售", "销售部"),
        ("tech", "技术岗位交接", "研发工程师", "研发部"),
    ],
)
def test_chinese_templates_name_chinese_roles_and_departments(
    demo, slug, title, role, department
):
    chinese = ChecklistTemplatePage.objects.live().get(
        slug=slug, locale__language_code="zh-hans"
    )
    english = chinese.get_translation(chinese.locale.get_default())

    assert chinese.title == title
    assert chinese.role.name == role
    # Beside the English department, which suggestions match English staff by.
    assert department in {d.name for d in chinese.departments.all()}
    assert english.specific.role.code == slug.replace("tech", "engineer")
    assert english.specific.role.name in ("Sales", "Engineer")


def test_each_site_shows_its_own_roles(demo, client):
    client.login(username="sales", password="baton-demo")

    chinese = client.get("/zh-hans/").content.decode()
    chinese_sales = client.get("/zh-hans/sales/").content.decode()
    english = client.get("/en/").content.decode()

    assert "销售岗位交接" in chinese
    assert '<span class="baton-badge">销售</span>' in chinese
    assert '<span class="baton-badge">Sales</span>' not in chinese
    assert '<span class="baton-badge">销售</span>' in chinese_sales
    assert "Sales handover" in english
    assert '<span class="baton-badge">Sales</span>' in english
    assert '<span class="baton-badge">销售</span>' not in english
    assert "销售岗位交接" not in english


def test_hr_is_offered_the_chinese_template_for_a_chinese_employee(demo):
    sun_yue = Employee.objects.get(name="孙悦")

    suggested = suggest_templates(employee=sun_yue)

    assert suggested[0].title == "销售岗位交接"
