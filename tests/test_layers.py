"""The layer rule where import-linter cannot look: templates.

`make lint` checks the Python imports (the contracts in pyproject.toml): cms
imports checklist_blocks only, and checklist_blocks nothing of ours. A template
of theirs naming a URL of reports or connectors breaks the same rule without
any import (and breaks outright without those apps): what those apps add to a
cms page comes through their own hooks and context processors instead.
"""

import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.fixtures.handovers import PASSWORD, complete_handover

ROOT = Path(__file__).resolve().parent.parent
LOWER_APPS = ("checklist_blocks", "cms")
UPPER_APPS = ("connectors", "reports")
# {% url 'name' … %} and {% url "name" … %}; a name held in a variable is not
# a literal the template owns.
URL_TAG = re.compile(r"""\{%\s*url\s+(['"])(?P<name>[^'"]+)\1""")


def _templates():
    for app in LOWER_APPS:
        yield from sorted((ROOT / app).glob("**/templates/**/*.html"))
        yield from sorted((ROOT / app).glob("**/templates/**/*.txt"))


def _url_names(path: Path):
    text = path.read_text(encoding="utf-8")
    for match in URL_TAG.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        yield match["name"], f"{path.relative_to(ROOT)}:{line}"


def _view_modules(patterns, namespace=""):
    """Every named URL (with its namespace) → the module of its view."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}{pattern.namespace}:"
            yield from _view_modules(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            callback = pattern.callback
            view = getattr(callback, "view_class", None) or callback
            yield f"{namespace}{pattern.name}", view.__module__


def _upper(module: str) -> bool:
    return module.split(".")[0] in UPPER_APPS


def test_the_scan_finds_the_templates_and_their_url_tags():
    names = [name for path in _templates() for name, _ in _url_names(path)]
    assert "participant:detail" in names


def test_cms_and_block_templates_name_no_url_of_reports_or_connectors():
    prefixes = tuple(f"{app}:" for app in UPPER_APPS)
    found = [
        f"{where}: {name}"
        for path in _templates()
        for name, where in _url_names(path)
        if name.startswith(prefixes)
    ]
    assert found == []


def test_cms_and_block_templates_link_no_view_of_reports_or_connectors():
    """Whatever the URL is called (Wagtail admin views have no namespace)."""
    owners = dict(_view_modules(get_resolver().url_patterns))
    found = [
        f"{where}: {name} ({owners[name]})"
        for path in _templates()
        for name, where in _url_names(path)
        if name in owners and _upper(owners[name])
    ]
    assert found == []


def test_the_view_check_knows_the_upper_apps_views():
    owners = dict(_view_modules(get_resolver().url_patterns))
    assert _upper(owners["reports:verify"])
    assert _upper(owners["connectors_access_queue"])


@pytest.mark.django_db
def test_the_certificate_code_on_the_handover_page_opens_its_verification(
    sales_handover, people, client, django_capture_on_commit_callbacks
):
    """reports passes that link to cms's page (its context processor)."""
    with django_capture_on_commit_callbacks(execute=True):
        complete_handover(sales_handover, people)
    code = sales_handover.certificate.code
    assert client.login(username="sales", password=PASSWORD)
    page = client.get(reverse("participant:detail", args=[sales_handover.pk]))
    link = re.search(r'href="([^"]+)"><code>' + re.escape(code), page.content.decode())

    response = client.get(link[1].replace("&amp;", "&"), follow=True)

    assert response.redirect_chain[-1][0] == f"/verify/{code}/"
    assert "Valid certificate" in response.content.decode()
