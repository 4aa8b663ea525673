"""Items a connector resolved upstream: the confirmer accepts them like any
other (one click or a batch, a signature over the content); the certificate
lists the unsigned ones as such and never claims a signature that is not there."""

import datetime
import io
import re
import uuid
from dataclasses import replace

import pytest
from django.utils import timezone, translation
from pypdf import PdfReader
from rest_framework.test import APIClient

from cms.models import Item, Signature
from reports.certificates import render_certificate_pdf
from reports.services import certificate_data
from tests.fixtures.handovers import PASSWORD

API = "/api/v1"
RESOLVED_AT = datetime.datetime(2026, 12, 3, 2, 30, tzinfo=datetime.UTC)


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def resolved_item(handover, successor, title) -> Item:
    """A CRM deal that disappeared upstream, as the sync engine leaves it."""
    return Item.objects.create(
        handover=handover,
        block_id=f"crm-deals:{uuid.uuid4().hex[:20]}",
        position=60,
        kind="connector_list",
        label=title,
        definition={"connector": "crm", "record_kind": "deal", "label": "Deals"},
        data={"external_id": title, "record_kind": "deal", "data": {}},
        provenance={
            "resolved_upstream": {
                "at": RESOLVED_AT.isoformat(),
                "previous_state": "pending",
            }
        },
        state=Item.State.NOT_APPLICABLE,
        not_applicable_reason="Resolved upstream in CRM (sample).",
        filled_by_role="leaver",
        confirmed_by_role="successor",
        assignee=successor,
        version=2,
    )


@pytest.fixture
def deals(sales_handover, people):
    return [
        resolved_item(sales_handover, people["successor"], title)
        for title in ("Acme renewal", "Globex upsell", "Initech pilot")
    ]


def test_the_confirmer_sees_it_can_accept_a_resolved_item(deals, people):
    listed = as_user(people["successor"]).get(f"{API}/items/{deals[0].pk}/").json()

    assert listed["resolved_upstream"] is True
    assert listed["can_confirm"] is True
    assert listed["accepted_by"] is None
    assert (
        as_user(people["sales"])
        .get(f"{API}/items/{deals[0].pk}/")
        .json()["can_confirm"]
        is False
    )


def test_one_click_accepts_it_with_a_signature_bound_to_its_content(deals, people):
    successor = as_user(people["successor"])

    response = successor.post(
        f"{API}/items/{deals[0].pk}/accept/",
        {"version": 2, "password": PASSWORD},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "not_applicable"
    assert body["resolved_upstream"] is False
    assert body["accepted_by"]["username"] == "successor"
    assert body["signatures"][0]["stale"] is False
    assert "resolved in its source system" in body["signatures"][0]["intent_statement"]
    again = successor.post(
        f"{API}/items/{deals[0].pk}/accept/",
        {"version": body["version"], "password": PASSWORD},
        format="json",
    )
    assert again.status_code == 409


def test_a_batch_accepts_several_resolved_items(deals, people):
    response = as_user(people["successor"]).post(
        f"{API}/items/accept/",
        {
            "items": [{"id": deal.pk, "version": 2} for deal in deals[:2]],
            "password": PASSWORD,
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert Signature.objects.filter(item__in=deals[:2]).count() == 2
    assert [item["resolved_upstream"] for item in response.json()["items"]] == [
        False,
        False,
    ]


def _pdf_text(handover, language) -> str:
    with translation.override(language):
        data = certificate_data(handover, code="ABCD-EFGH", root_hash="0" * 64)
    now = timezone.now()
    data = replace(data, language=language, completed_at=now, issued_at=now)
    pdf = render_certificate_pdf(data)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", "", text)


def test_the_certificate_lists_unsigned_resolved_items_and_claims_no_signature(
    sales_handover, deals, people
):
    as_user(people["successor"]).post(
        f"{API}/items/{deals[0].pk}/accept/",
        {"version": 2, "password": PASSWORD},
        format="json",
    )

    text = _pdf_text(sales_handover, "en")

    assert text.count("ResolvedinCRM(sample)onDec.3,2026,notsigned") == 2
    assert "everyitemhandedoverandsigned" not in text
    assert "2itemswereresolvedintheirsourcesystems" in text


def test_the_chinese_certificate_says_so_in_chinese(sales_handover, deals):
    """Needs the zh-Hans catalogue with this change's strings compiled."""
    text = _pdf_text(sales_handover, "zh-hans")

    assert text.count("已于2026年12月3日在CRM(sample)中解决") == 3
    assert "全部事项均已按下列记录移交并签署" not in text
    assert "3项事项已在来源系统中解决" in text
