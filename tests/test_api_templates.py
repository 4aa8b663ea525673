"""The template API as a consumer meets it: auth, shapes, filters, errors."""

import pytest

from checklist_blocks.registry import all_kinds
from cms.models import ChecklistTemplatePage

DATA_ENDPOINTS = [
    "/api/v1/templates/",
    "/api/v1/block-types/",
    "/api/v2/pages/",
]


@pytest.mark.parametrize("url", DATA_ENDPOINTS)
def test_anonymous_requests_to_data_endpoints_get_401(db, api_client, url):
    response = api_client.get(url)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_anonymous_template_detail_gets_401_not_the_template(demo, api_client):
    template = ChecklistTemplatePage.objects.live().first()

    response = api_client.get(f"/api/v1/templates/{template.pk}/")

    assert response.status_code == 401
    assert template.title not in response.content.decode()


def test_schema_and_docs_are_public(db, api_client):
    schema = api_client.get("/api/v1/schema/?format=json")
    docs = api_client.get("/api/v1/docs/")

    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {
        "/api/v1/templates/",
        "/api/v1/templates/{id}/",
        "/api/v1/block-types/",
        "/api/v1/auth/token/",
    } <= set(paths)
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    # The Swagger UI assets are served by Baton itself, not from a CDN.
    assert b"cdn.jsdelivr" not in docs.content


def test_token_for_good_credentials_opens_the_api(member, api_client):
    response = api_client.post(
        "/api/v1/auth/token/",
        {"username": "member", "password": "correct horse battery"},
        format="json",
    )

    assert response.status_code == 200
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/templates/").status_code == 200


def test_token_for_wrong_password_is_refused_with_a_message(member, api_client):
    response = api_client.post(
        "/api/v1/auth/token/",
        {"username": "member", "password": "wrong"},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "username and password" in body["detail"]
    assert "token" not in body


def test_token_request_missing_password_names_the_field(db, api_client):
    response = api_client.post("/api/v1/auth/token/", {"username": "x"}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()["errors"]


def test_bad_token_is_401(db, api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = api_client.get("/api/v1/templates/")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_templates_lists_every_published_template_with_revision_and_blocks(
    demo, member_api
):
    response = member_api.get("/api/v1/templates/?page_size=100")

    assert response.status_code == 200
    body = response.json()
    live = ChecklistTemplatePage.objects.live()
    assert body["count"] == live.count() == 6  # 3 templates x 2 languages
    by_id = {entry["id"]: entry for entry in body["results"]}
    for page in live:
        entry = by_id[page.pk]
        assert entry["revision_id"] == page.live_revision_id
        assert entry["title"] == page.title
        assert entry["locale"] == page.locale.language_code
        assert [block["id"] for block in entry["body"]] == [
            block.id for block in page.body
        ]
        assert entry["item_count"] > 0


def test_template_detail_returns_the_block_tree(demo, member_api):
    sales = ChecklistTemplatePage.objects.get(slug="sales", locale__language_code="en")

    response = member_api.get(f"/api/v1/templates/{sales.pk}/")

    assert response.status_code == 200
    entry = response.json()
    assert entry["role"]["code"] == "sales"
    assert [department["code"] for department in entry["departments"]] == ["sales"]
    first_section = entry["body"][0]
    assert first_section["type"] == "section"
    assert first_section["value"]["title"] == "Clients and deals"
    kinds = [child["type"] for child in first_section["value"]["items"]]
    assert kinds[:2] == ["client", "client"]
    assert all(child["id"] for child in first_section["value"]["items"])


def test_draft_and_unpublished_templates_are_not_served(demo, member_api):
    sales = ChecklistTemplatePage.objects.get(slug="sales", locale__language_code="en")
    sales.unpublish()

    listing = member_api.get("/api/v1/templates/?page_size=100").json()
    detail = member_api.get(f"/api/v1/templates/{sales.pk}/")

    assert sales.pk not in [entry["id"] for entry in listing["results"]]
    assert detail.status_code == 404
    assert detail.json() == {"code": "not_found", "detail": "Not found."}


def test_live_template_serves_its_published_content_not_a_later_draft(demo, member_api):
    sales = ChecklistTemplatePage.objects.get(slug="sales", locale__language_code="en")
    published_revision = sales.live_revision_id
    sales.title = "Sales handover (draft rewrite)"
    sales.save_revision()

    entry = member_api.get(f"/api/v1/templates/{sales.pk}/").json()

    assert entry["title"] == "Sales handover"
    assert entry["revision_id"] == published_revision


@pytest.mark.parametrize(
    ("query", "expected_slugs"),
    [
        ("locale=zh-hans", {"sales", "tech", "general"}),
        ("locale=en&role=sales", {"sales"}),
        ("locale=en&department=rnd", {"tech"}),
        ("locale=en&search=engineers", {"tech"}),
    ],
)
def test_templates_filter(demo, member_api, query, expected_slugs):
    results = member_api.get(f"/api/v1/templates/?{query}").json()["results"]

    assert {entry["slug"] for entry in results} == expected_slugs


def test_translation_key_links_both_languages(demo, member_api):
    sales = ChecklistTemplatePage.objects.get(slug="sales", locale__language_code="en")

    results = member_api.get(
        f"/api/v1/templates/?translation_key={sales.translation_key}"
    ).json()["results"]

    assert {entry["locale"] for entry in results} == {"en", "zh-hans"}
    chinese = next(entry for entry in results if entry["locale"] == "zh-hans")
    assert chinese["title"] == "销售岗位交接"
    assert chinese["body"][0]["value"]["title"] == "客户与商机"


def test_templates_paginate_and_order(demo, member_api):
    first = member_api.get("/api/v1/templates/?page_size=4&ordering=title").json()
    second = member_api.get(first["next"]).json()

    assert first["count"] == 6
    assert len(first["results"]) == 4
    assert len(second["results"]) == 2
    assert second["next"] is None
    titles = [entry["title"] for entry in first["results"] + second["results"]]
    assert titles == sorted(titles)


def test_unknown_template_id_is_404(demo, member_api):
    assert member_api.get("/api/v1/templates/999999/").status_code == 404
    assert member_api.get("/api/v1/templates/abc/").status_code == 404


def test_block_types_lists_every_kind_with_its_schema(db, member_api):
    body = member_api.get("/api/v1/block-types/").json()

    kinds = {entry["kind"]: entry for entry in body["results"]}
    assert set(kinds) == {spec.kind for spec in all_kinds()}
    client = kinds["client"]
    assert client["is_item"] is True
    assert client["item_schema"]["type"] == "object"
    assert "customer" in client["item_schema"]["properties"]
    assert kinds["section"]["is_item"] is False


def test_block_type_labels_follow_the_request_language(db, member_api):
    english = member_api.get("/api/v1/block-types/client/").json()
    chinese = member_api.get(
        "/api/v1/block-types/client/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).json()

    assert english["kind"] == chinese["kind"] == "client"
    assert english["label"] != chinese["label"]
    assert any("\u4e00" <= char <= "\u9fff" for char in chinese["label"])


def test_unknown_block_type_is_404_with_a_message(db, member_api):
    response = member_api.get("/api/v1/block-types/spaceship/")

    assert response.status_code == 404
    assert "spaceship" in response.json()["detail"]


def test_wagtail_pages_api_serves_template_bodies(demo, member_api):
    response = member_api.get(
        "/api/v2/pages/?type=cms.ChecklistTemplatePage&fields=body,role&locale=en"
    )

    assert response.status_code == 200
    items = response.json()["items"]
    assert {item["meta"]["slug"] for item in items} == {"sales", "tech", "general"}
    sales = next(item for item in items if item["meta"]["slug"] == "sales")
    assert sales["body"][0]["type"] == "section"
