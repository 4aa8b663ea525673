"""The API docs (Swagger UI, served from Baton itself) work under the
Content-Security-Policy: the page renders the schema and nothing is blocked."""

from playwright.sync_api import expect


def test_the_api_docs_render_under_the_content_security_policy(journey):
    reader = journey.person("developer")
    page = reader.page

    response = page.goto("/api/v1/docs/")

    assert "default-src 'self'" in response.header_value("content-security-policy")
    expect(page.get_by_role("heading", name="Baton API")).to_be_visible()
    expect(page.get_by_text("/api/v1/handovers/").first).to_be_visible()
    journey.step(reader, "reads the API docs")
