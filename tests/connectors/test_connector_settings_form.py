"""The connector form in the admin is the form of one type: exactly the
settings and secrets that type declares, with their labels, help and checks;
secrets are write-only and a blank secret field keeps the stored one."""

import lxml.html
import pytest
from django.urls import reverse
from wagtail.users.models import UserProfile

from connectors.models import ConnectorConfig
from connectors.registry import get_type
from tests.fixtures.handovers import PASSWORD

pytestmark = pytest.mark.django_db

ADD_URL = "wagtailsnippets_connectors_connectorconfig:add"
EDIT_URL = "wagtailsnippets_connectors_connectorconfig:edit"


def login(client, user, language=None):
    if language:
        profile = UserProfile.get_for_user(user)
        profile.preferred_language = language
        profile.save()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def add_url(type_slug):
    return f"{reverse(ADD_URL)}?type={type_slug}"


def page_of(response):
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.content.decode())


def named_fields(page, prefix):
    return {
        element.get("name")
        for element in page.xpath("//form[@id='w-editor-form']//*[@name]")
        if element.get("name", "").startswith(prefix)
    }


def field_block(page, name):
    """The text around one field: its label, help text and errors."""
    (element,) = page.xpath(f"//*[@name='{name}']")
    block = element.xpath("ancestor::*[contains(@class, 'w-panel__wrapper')][1]")[0]
    return " ".join(block.text_content().split())


def declared(type_slug, *, secret):
    return get_type(type_slug).setting_specs(secret=secret)


LDAP = {
    "name": "Company directory",
    "slug": "ldap",
    "enabled": "on",
    "match_by": "email",
    "sync_interval_minutes": "60",
    "setting_server_uri": "ldaps://ldap.example.com:636",
    "setting_flavour": "openldap",
    "setting_bind_dn": "cn=baton,dc=example,dc=com",
    "setting_user_base_dn": "ou=people,dc=example,dc=com",
    "setting_group_base_dn": "ou=groups,dc=example,dc=com",
    "setting_disable_method": "attribute",
    "setting_intake_mode": "propose",
}

REST = {
    "name": "Intranet CRM",
    "slug": "intranet",
    "enabled": "on",
    "match_by": "email",
    "sync_interval_minutes": "60",
    "setting_base_url": "https://crm.example.com",
    "setting_path": "/api/users/{email}/clients",
    "setting_method": "GET",
    "setting_auth": "bearer",
    "setting_client_auth": "basic",
    "setting_pagination": "none",
    "setting_query": '{"active": "1"}',
    "setting_verify_tls": "on",
}


# Exactly the type's fields --------------------------------------------------------


@pytest.mark.parametrize("type_slug", ["rest", "ldap", "feishu"])
def test_the_form_of_a_type_has_exactly_its_settings_and_secrets(
    client, people, type_slug
):
    login(client, people["it"])

    page = page_of(client.get(add_url(type_slug)))

    shown = {f"setting_{spec.name}" for spec in declared(type_slug, secret=False)}
    # "Find people by" is the connector's own field, given the type's choices.
    assert named_fields(page, "setting_") == shown - {"setting_match_by"}
    assert named_fields(page, "secret_") == {
        f"secret_{spec.name}" for spec in declared(type_slug, secret=True)
    }
    assert not page.xpath("//textarea[@name='settings']")
    for spec in (*declared(type_slug, secret=False), *declared(type_slug, secret=True)):
        if spec.name == "match_by":
            continue
        prefix = "secret" if spec.secret else "setting"
        text = field_block(page, f"{prefix}_{spec.name}")
        assert str(spec.label) in text
        assert " ".join(str(spec.help_text).split()) in text


def test_the_ldap_form_reads_like_the_directory_it_configures(client, people):
    login(client, people["it"])

    page = page_of(client.get(add_url("ldap")))

    assert "User base DN" in field_block(page, "setting_user_base_dn")
    assert "Where accounts are searched, e.g. ou=people,dc=example,dc=com." in (
        field_block(page, "setting_user_base_dn")
    )
    assert page.xpath("//input[@name='setting_start_tls'][@type='checkbox']")
    assert page.xpath("//input[@name='secret_bind_password'][@type='password']")
    flavours = page.xpath("//select[@name='setting_flavour']/option/text()")
    assert flavours == ["OpenLDAP or another standard LDAP server", "Active Directory"]
    match_by = field_block(page, "match_by")
    assert "Find people by" in match_by
    assert page.xpath("//select[@name='match_by']/option/@value") == [
        "email",
        "employee_number",
        "directory_id",
        "username",
    ]
    # Settings that belong together are under their own heading.
    headings = [" ".join(h.text_content().split()) for h in page.xpath("//h2")]
    assert {"Settings", "Employee directory", "Secrets (write-only)"} <= set(headings)


def test_adding_starts_with_the_choice_of_type(client, people):
    login(client, people["hr"])

    page = page_of(client.get(reverse(ADD_URL)))

    links = {a.text_content().strip(): a.get("href") for a in page.xpath("//td/a")}
    assert links["LDAP / Active Directory"] == add_url("ldap")
    assert links["Feishu approvals"] == add_url("feishu")
    assert not page.xpath("//input[starts-with(@name, 'setting_')]")


# Saving -------------------------------------------------------------------------------


def test_a_typed_form_saves_the_settings_as_the_type_reads_them(client, people):
    login(client, people["it"])

    response = client.post(
        add_url("rest"),
        {**REST, "setting_page_size": "25", "setting_timeout": "7.5"},
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    connector = ConnectorConfig.objects.get(slug="intranet")
    assert connector.type == "rest"
    assert connector.settings["base_url"] == "https://crm.example.com"
    assert connector.settings["query"] == {"active": "1"}
    assert connector.settings["page_size"] == 25
    assert connector.settings["timeout"] == 7.5
    assert connector.settings["verify_tls"] is True
    assert connector.settings["not_found_is_empty"] is False
    # Left empty: the type's default applies.
    assert "records_path" not in connector.settings
    assert "body" not in connector.settings


def test_invalid_input_shows_field_errors_and_saves_nothing(client, people):
    login(client, people["it"])

    response = client.post(
        add_url("rest"),
        {
            **REST,
            "setting_base_url": "crm.example.com",
            "setting_page_size": "a hundred",
            "setting_query": '["active"]',
            "setting_auth": "kerberos",
        },
    )

    page = page_of(response)
    assert "must start with https://" in field_block(page, "setting_base_url")
    assert "Enter a whole number." in field_block(page, "setting_page_size")
    assert 'Enter a JSON object in braces, e.g. {"name": "value"}.' in field_block(
        page, "setting_query"
    )
    assert "Select a valid choice." in field_block(page, "setting_auth")
    # What was typed is shown again, to be corrected.
    assert page.xpath("//input[@name='setting_base_url']/@value") == ["crm.example.com"]
    assert not ConnectorConfig.objects.filter(slug="intranet").exists()


def test_a_missing_required_setting_is_named_in_chinese(client, people):
    login(client, people["it"], language="zh-hans")

    response = client.post(
        add_url("ldap"),
        {**LDAP, "setting_user_base_dn": "", "setting_server_uri": ""},
    )

    page = page_of(response)
    assert "请填写“用户基准 DN”。" in field_block(page, "setting_user_base_dn")
    assert "请填写“服务器地址”。" in field_block(page, "setting_server_uri")
    assert "Enter" not in field_block(page, "setting_server_uri")
    assert not ConnectorConfig.objects.filter(slug="ldap").exists()


def test_editing_keeps_the_type_and_what_the_form_does_not_show(client, people):
    connector = ConnectorConfig.objects.create(
        type="rest",
        name="Intranet CRM",
        slug="intranet",
        settings={"base_url": "https://old.example.com", "records_path": "data"},
    )
    login(client, people["hr"])

    form = {**REST, "type": "ldap", "setting_records_path": ""}
    response = client.post(reverse(EDIT_URL, args=[connector.pk]), form)

    assert response.status_code == 302, response.content.decode()[:3000]
    connector.refresh_from_db()
    assert connector.type == "rest"
    assert connector.settings["base_url"] == "https://crm.example.com"
    assert "records_path" not in connector.settings  # emptied: the default again


# Secrets ------------------------------------------------------------------------------


def test_a_secret_is_never_shown_and_a_blank_field_keeps_it(client, people):
    login(client, people["it"])
    created = client.post(
        add_url("ldap"), {**LDAP, "secret_bind_password": "s3cret-Bind!"}
    )
    assert created.status_code == 302, created.content.decode()[:3000]
    connector = ConnectorConfig.objects.get(slug="ldap")
    edit = reverse(EDIT_URL, args=[connector.pk])

    html = client.get(edit).content.decode()
    refused = client.post(
        edit, {**LDAP, "setting_server_uri": "", "secret_bind_password": "n3w-Bind!"}
    ).content.decode()
    kept = client.post(edit, {**LDAP, "name": "Directory (HQ)"})

    assert "s3cret-Bind!" not in html
    assert "n3w-Bind!" not in refused  # not even on the page that asks again
    assert "A value is stored; leave empty to keep it." in field_block(
        lxml.html.fromstring(html), "secret_bind_password"
    )
    assert "Nothing stored." in field_block(
        lxml.html.fromstring(html), "secret_write_bind_password"
    )
    assert kept.status_code == 302
    connector.refresh_from_db()
    assert connector.name == "Directory (HQ)"
    assert connector.get_secrets() == {"bind_password": "s3cret-Bind!"}
    assert "s3cret-Bind!" not in connector.secrets_ciphertext
    assert "s3cret-Bind!" not in str(connector.settings)


def test_secrets_are_replaced_or_forgotten_on_purpose(client, people):
    login(client, people["it"])
    client.post(add_url("ldap"), {**LDAP, "secret_bind_password": "first"})
    connector = ConnectorConfig.objects.get(slug="ldap")
    edit = reverse(EDIT_URL, args=[connector.pk])

    client.post(edit, {**LDAP, "secret_bind_password": "second"})
    connector.refresh_from_db()
    replaced = connector.get_secrets()
    client.post(edit, {**LDAP, "forget_secrets": "on"})
    connector.refresh_from_db()

    assert replaced == {"bind_password": "second"}
    assert connector.get_secrets() == {}
    assert "Nothing stored." in field_block(
        page_of(client.get(edit)), "secret_bind_password"
    )


def test_a_connector_whose_type_is_gone_says_so_and_is_not_changed(client, people):
    connector = ConnectorConfig.objects.create(
        type="retired", name="Old CRM", slug="old-crm", settings={"url": "x"}
    )
    login(client, people["hr"])
    edit = reverse(EDIT_URL, args=[connector.pk])

    shown = client.get(edit).content.decode()
    refused = client.post(
        edit,
        {
            "name": "Renamed",
            "slug": "old-crm",
            "match_by": "email",
            "sync_interval_minutes": "60",
        },
    )

    message = "This connector's type is not installed; it cannot be saved."
    assert message in html_text(shown)
    assert refused.status_code == 200
    assert message in html_text(refused.content.decode())
    connector.refresh_from_db()
    assert (connector.name, connector.settings) == ("Old CRM", {"url": "x"})


def html_text(html):
    return " ".join(lxml.html.fromstring(html).text_content().split())
