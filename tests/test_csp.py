"""Every page carries a Content-Security-Policy: Baton's own origin only, no
plugins, no inline scripts or styles outside the Wagtail admin (the API docs
run theirs under a per-request nonce), frames only from Baton."""

import re

import pytest

pytestmark = pytest.mark.django_db

HEADER = "Content-Security-Policy"


def policy_of(response) -> dict[str, list[str]]:
    assert HEADER in response, f"no {HEADER} on {response.wsgi_request.path}"
    directives = {}
    for part in response[HEADER].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_baseline(policy):
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'self'"]
    for directive in ("script-src", "connect-src", "img-src", "frame-src"):
        sources = policy.get(directive, [])
        assert "'unsafe-eval'" not in sources
        assert not any(source in ("*", "http:", "https:") for source in sources)


def login(client, user):
    client.force_login(user)


def test_participant_pages_allow_no_inline_script_or_style(client, people):
    login(client, people["sales"])

    for path in ("/en/handovers/", "/en/"):
        response = client.get(path, follow=True)
        policy = policy_of(response)

        assert response.status_code == 200
        assert_baseline(policy)
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]


def test_the_sign_in_page_and_a_not_found_page_carry_it_too(client, db):
    for path in ("/admin/login/", "/en/handovers/999999/", "/verify/"):
        response = client.get(path, follow=True)

        assert_baseline(policy_of(response))


def test_the_public_verify_page_allows_no_inline_script(client, db):
    response = client.get("/verify/AAAA-BBBB-CCCC/")

    policy = policy_of(response)
    assert_baseline(policy)
    assert policy["script-src"] == ["'self'"]


def test_the_wagtail_admin_may_run_inline_code_but_nothing_else(client, people):
    login(client, people["hr"])

    response = client.get("/admin/")
    policy = policy_of(response)

    assert response.status_code == 200
    assert_baseline(policy)
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]


def test_the_api_docs_run_their_inline_script_under_a_fresh_nonce(client, db):
    first = client.get("/api/v1/docs/")
    second = client.get("/api/v1/docs/")

    policy = policy_of(first)
    assert first.status_code == 200
    assert_baseline(policy)
    nonces = [s for s in policy["script-src"] if s.startswith("'nonce-")]
    assert len(nonces) == 1
    nonce = nonces[0][len("'nonce-") : -1]
    page = first.content.decode()
    assert f'<script nonce="{nonce}">' in page
    assert f'<style nonce="{nonce}">' in page
    # No inline script without the nonce.
    assert not re.search(r"<script>", page)
    assert nonce not in second[HEADER]


def test_the_api_answers_carry_it(client, db):
    response = client.get("/api/v1/schema/")

    assert_baseline(policy_of(response))
