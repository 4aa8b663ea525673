"""The template library's role filter, per language: a reader sees the roles of
the published templates of their language's library, and nothing else."""

import lxml.html
import pytest
from django.contrib.auth import get_user_model

from cms.models import ChecklistTemplatePage, TemplateIndexPage


@pytest.fixture
def reader(demo, client):
    client.force_login(get_user_model().objects.get(username="sales"))
    return client


def _library(language):
    return TemplateIndexPage.objects.get(locale__language_code=language)


def _page(client, library, query=""):
    response = client.get(library.url + query)
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def _role_options(page):
    (select,) = page.xpath("//select[@name='role']")
    return {
        option.get("value"): option.text_content().strip()
        for option in select.xpath("option")
        if option.get("value")
    }


def test_each_language_offers_the_roles_of_its_own_templates(reader):
    chinese = _role_options(_page(reader, _library("zh-hans")))
    english = _role_options(_page(reader, _library("en")))

    assert chinese == {
        "zh-engineer": "研发工程师",
        "zh-general": "通用岗位",
        "zh-sales": "销售",
    }
    assert english == {"engineer": "Engineer", "general": "General", "sales": "Sales"}


def test_a_role_whose_template_is_unpublished_is_not_offered(reader):
    library = _library("zh-hans")
    ChecklistTemplatePage.objects.child_of(library).get(
        role__code="zh-engineer"
    ).unpublish()

    page = _page(reader, library, "?role=zh-sales")

    assert set(_role_options(page)) == {"zh-general", "zh-sales"}
    text = page.text_content()
    assert "销售岗位交接" in text
    assert "通用交接" not in text
