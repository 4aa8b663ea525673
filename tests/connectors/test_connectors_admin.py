"""Connectors in the Wagtail admin: HR / IT configure them, secrets never come
back, the connection can be tested, and the sync log is listed."""

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse
from wagtail.users.models import UserProfile

from connectors.models import ConnectorConfig
from tests.connectors.helpers import admin_user
from tests.fixtures.handovers import PASSWORD

pytestmark = pytest.mark.django_db

ADD_URL = "wagtailsnippets_connectors_connectorconfig:add"
EDIT_URL = "wagtailsnippets_connectors_connectorconfig:edit"
INDEX_URL = "wagtailsnippets_connectors_connectorconfig:list"


@pytest.fixture
def no_private_networks(settings):
    settings.BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS = []


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def form_data(**overrides):
    data = {
        "name": "Directory",
        "slug": "directory",
        "enabled": "on",
        "match_by": "email",
        "sync_interval_minutes": "30",
        "setting_records": '{"sales@baton.example": {}}',
        "secret_webhook_secret": "",
    }
    data.update(overrides)
    return data


def add_url(type_slug="sample"):
    return f"{reverse(ADD_URL)}?type={type_slug}"


def use_chinese(user):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "zh-hans"
    profile.save()


def html_of(response):
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.content.decode())


def breadcrumbs(page):
    return [
        " ".join(item.text_content().split()).replace(" :", ":")
        for item in page.xpath("//nav[@aria-label]//ol/li")
    ]


def test_it_adds_a_connector_and_the_secret_is_never_shown_back(client, people):
    login(client, people["it"])

    response = client.post(
        add_url(), form_data(secret_webhook_secret="hook-secret-987")
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    connector = ConnectorConfig.objects.get(slug="directory")
    assert connector.type == "sample"
    assert connector.settings == {"records": {"sales@baton.example": {}}}
    assert connector.get_secrets() == {"webhook_secret": "hook-secret-987"}
    page = client.get(reverse(EDIT_URL, args=[connector.pk])).content.decode()
    assert "hook-secret-987" not in page
    assert "A value is stored; leave empty to keep it." in page


def test_saving_with_an_empty_secret_field_keeps_the_stored_secret(client, people):
    login(client, people["hr"])
    client.post(add_url(), form_data(secret_webhook_secret="keep-me"))
    connector = ConnectorConfig.objects.get(slug="directory")

    response = client.post(
        reverse(EDIT_URL, args=[connector.pk]), form_data(name="Directory (EU)")
    )

    assert response.status_code == 302
    connector.refresh_from_db()
    assert connector.name == "Directory (EU)"
    assert connector.get_secrets() == {"webhook_secret": "keep-me"}


def test_bad_settings_show_an_error_and_save_nothing(client, people):
    login(client, people["hr"])

    response = client.post(add_url(), form_data(setting_records='"everyone"'))

    page = html_of(response).text_content()
    assert 'Enter a JSON object in braces, e.g. {"name": "value"}.' in page
    assert "The connector could not be created due to errors." in page
    assert not ConnectorConfig.objects.filter(slug="directory").exists()


def test_other_people_do_not_reach_connectors(client, people):
    login(client, admin_user(people["manager"]))

    response = client.get(reverse(INDEX_URL), follow=True)

    assert b"Sorry, you do not have permission to access this area." in (
        response.content
    )
    assert b"CRM (sample)" not in response.content


def test_test_connection_page(client, people):
    login(client, people["it"])
    crm = ConnectorConfig.objects.get(slug="crm")
    url = reverse("connectors_test", args=[crm.pk])

    page = html_of(client.get(url))
    response = client.post(url, follow=True)

    assert page.findtext(".//title").startswith("Test connection: CRM (sample)")
    assert breadcrumbs(page)[-1] == "Test connection"
    assert "not been tested yet" in page.text_content()
    assert "2 sample record(s) for 1 employee(s)." in response.content.decode()
    crm.refresh_from_db()
    assert crm.last_test_ok is True


LIST_HEADINGS = "//table[contains(@class, 'listing')]/thead//th"


def _cells(page, row_text):
    (row,) = page.xpath(f"//tbody/tr[.//a[normalize-space()='{row_text}']]")
    return row.xpath("./td")


def test_the_list_labels_its_columns_and_shows_yes_no_as_icons(client, people):
    ConnectorConfig.objects.filter(slug="oa").update(enabled=False)
    login(client, people["hr"])

    page = html_of(client.get(reverse(INDEX_URL)))

    headings = [" ".join(th.text_content().split()) for th in page.xpath(LIST_HEADINGS)]
    assert headings[1:] == ["Name", "Slug", "Type", "Enabled", "Connection"]
    crm, oa = _cells(page, "CRM (sample)"), _cells(page, "OA and finance (sample)")
    assert crm[3].text_content().strip() == "Built-in sample records"
    assert crm[4].xpath(".//use/@href") == ["#icon-check"]
    assert crm[4].text_content().strip() == "Enabled"
    assert oa[4].xpath(".//use/@href") == ["#icon-cross"]
    assert oa[4].text_content().strip() == "Disabled"
    assert "Not tested yet" in crm[5].text_content()
    text = page.text_content()
    assert "True" not in text and "False" not in text
    assert "Get type display" not in text


def test_test_connection_from_the_list_is_a_post_with_the_csrf_token(people):
    client = Client(enforce_csrf_checks=True)
    login(client, people["it"])
    crm = ConnectorConfig.objects.get(slug="crm")
    test_url = reverse("connectors_test", args=[crm.pk])

    forged = client.post(test_url, {"next": reverse(INDEX_URL)})
    page = html_of(client.get(reverse(INDEX_URL)))
    (form,) = _cells(page, "CRM (sample)")[5].xpath(".//form")
    fields = {field.get("name"): field.get("value") for field in form.xpath(".//input")}
    response = client.post(form.get("action"), fields, follow=True)

    assert forged.status_code == 403
    assert form.get("method") == "post" and form.get("action") == test_url
    assert response.redirect_chain[-1][0] == reverse(INDEX_URL)
    after = html_of(response)
    assert (
        "Connection to “CRM (sample)” works: 2 sample record(s) for 1 employee(s)."
        in " ".join(after.text_content().split())
    )
    assert "Last test succeeded" in _cells(after, "CRM (sample)")[5].text_content()
    crm.refresh_from_db()
    assert crm.last_test_ok is True


def test_the_edit_page_tests_the_connection_and_says_why_it_failed(
    client, people, no_private_networks
):
    connector = ConnectorConfig.objects.create(
        type="rest",
        name="Intranet",
        slug="intranet",
        settings={"base_url": "http://127.0.0.1:9", "path": "/records"},
    )
    login(client, people["it"])
    edit = reverse(EDIT_URL, args=[connector.pk])

    page = html_of(client.get(edit))
    (form,) = page.xpath(
        f"//form[@action='{reverse('connectors_test', args=[connector.pk])}']"
    )
    fields = {field.get("name"): field.get("value") for field in form.xpath(".//input")}
    response = client.post(form.get("action"), fields, follow=True)

    assert not form.xpath("ancestor::form")  # not inside the edit form
    assert "Test connection" in form.text_content()
    assert response.redirect_chain[-1][0] == edit
    text = " ".join(html_of(response).text_content().split())
    assert "Connection to “Intranet” failed: Baton does not connect to private" in text
    assert "Last test failed" in text
    connector.refresh_from_db()
    assert connector.last_test_ok is False


def test_a_foreign_next_address_is_not_followed(client, people):
    login(client, people["it"])
    crm = ConnectorConfig.objects.get(slug="crm")
    url = reverse("connectors_test", args=[crm.pk])

    response = client.post(url, {"next": "https://evil.example.com/"})

    assert response["Location"] == url


def test_page_titles_in_english_and_chinese(client, people):
    crm = ConnectorConfig.objects.get(slug="crm")
    login(client, people["it"])
    queue = reverse("connectors_access_queue")
    residual = reverse("connectors_access_residual")
    test = reverse("connectors_test", args=[crm.pk])
    english = {url: html_of(client.get(url)) for url in (queue, residual, test)}
    use_chinese(people["it"])
    chinese = {url: html_of(client.get(url)) for url in (queue, residual, test)}

    assert english[queue].findtext(".//title").startswith("IT queue: Access changes")
    assert breadcrumbs(english[queue])[-1] == "IT queue: Access changes"
    assert breadcrumbs(english[residual])[-2:] == ["IT queue", "Residual access"]
    assert english[test].findtext(".//title").startswith("Test connection: CRM")
    assert chinese[queue].findtext(".//title").startswith("IT 队列: 权限变更")
    assert breadcrumbs(chinese[residual])[-2:] == ["IT 队列", "残留权限"]
    assert chinese[test].findtext(".//title").startswith("测试连接: CRM (sample)")
    assert "Home" not in breadcrumbs(english[queue])[-1]


def test_the_list_in_chinese(client, people):
    use_chinese(people["hr"])
    login(client, people["hr"])

    page = html_of(client.get(reverse(INDEX_URL)))

    headings = [" ".join(th.text_content().split()) for th in page.xpath(LIST_HEADINGS)]
    assert {"类型", "已启用"} <= set(headings)
    assert "测试连接" in _cells(page, "CRM (sample)")[5].text_content()


def test_the_sync_log_lists_runs_with_filters(client, people, started):
    login(client, people["hr"])
    crm = ConnectorConfig.objects.get(slug="crm")

    page = client.get(
        reverse("sync_runs:index") + f"?connector={crm.pk}&state=ok"
    ).content.decode()

    assert started.number in page
    assert "Handover started" in page
    empty = client.get(reverse("sync_runs:index") + "?state=failed").content.decode()
    assert started.number not in empty


def test_a_template_block_must_name_a_configured_connector(people):
    from django.core.exceptions import ValidationError

    from checklist_blocks.registry import get_kind

    block = get_kind("connector_list").block
    value = block.to_python(
        {"label": "Deals", "connector": "nope", "record_kind": "deal"}
    )

    with pytest.raises(ValidationError) as raised:
        block.clean(value)

    known = ", ".join(sorted(ConnectorConfig.objects.values_list("slug", flat=True)))
    assert f'There is no connector "nope". Known connectors: {known}.' in str(
        raised.value.block_errors["connector"]
    )
    block.clean(
        block.to_python({"label": "Deals", "connector": "crm", "record_kind": "deal"})
    )
