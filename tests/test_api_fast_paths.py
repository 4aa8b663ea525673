"""Serializers written out for speed say exactly what their declared fields say."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from cms import services
from cms.api.handovers.common import _items_for_output
from cms.api.handovers.item_serializers import ItemSerializer
from tests.fixtures.handovers import PASSWORD, fill_everything, item_of


def _request(user):
    request = Request(APIRequestFactory().get("/api/v1/items/"))
    request.user = user
    return request


def test_the_item_list_says_what_the_generic_serializer_says(sales_handover, people):
    fill_everything(sales_handover, people)
    services.item_accept(
        actor=people["successor"],
        item=item_of(sales_handover, "Key client list"),
        version=item_of(sales_handover, "Key client list").version,
        password=PASSWORD,
        remarks="Checked.",
    )
    returned = item_of(sales_handover, "Open orders and quotes")
    services.item_return(
        actor=people["successor"],
        item=returned,
        version=returned.version,
        reason="Which quote?",
        password=PASSWORD,
    )
    services.attachment_add(
        actor=people["sales"],
        item=returned,
        uploaded_file=SimpleUploadedFile(
            "quote.pdf", b"%PDF-1.4 quote", content_type="application/pdf"
        ),
    )
    ids = list(sales_handover.items.values_list("pk", flat=True))

    for user in (people["successor"], people["sales"], people["hr"]):
        items = _items_for_output(user=user, item_ids=ids)
        serializer = ItemSerializer(context={"request": _request(user)})
        for item in items:
            fast = serializer.to_representation(item)
            generic = serializers.ModelSerializer.to_representation(serializer, item)
            assert json.dumps(fast) == json.dumps(generic)
    assert any(item.signatures.exists() for item in sales_handover.items.all())
    assert any(item.attachments.exists() for item in sales_handover.items.all())
