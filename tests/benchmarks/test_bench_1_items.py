"""1. The item list of a 500-item handover through the API, against one raw
query of the same rows serialised with ``json``."""

import json

from django.test import Client

from cms.models import Handover, Participant

from .harness import Result, count_queries, record, repeat, timed

API = "/api/v1"
PAGE_SIZE = 500


def _handover(scale):
    return Handover.objects.get(template__slug=scale.template_slugs["items-500"])


RAW_ITEMS = """
SELECT i.id, i.handover_id, i.block_id, i.section_block_id, i.section_title,
       i.position, i.kind, i.label, i.definition, i.data, i.provenance, i.state,
       i.required, i.filled_by_role, i.confirmed_by_role, i.evidence,
       i.assignee_id, u.username, u.first_name, u.last_name, i.due_date,
       i.not_applicable_reason, i.version, i.updated_at
FROM cms_item i LEFT JOIN auth_user u ON u.id = i.assignee_id
WHERE i.handover_id = %s ORDER BY i.position, i.id
"""


def test_item_list_of_500_items(scale, raw, token_for):
    handover = _handover(scale)
    successor = (
        Participant.objects.filter(handover=handover, role="successor")
        .select_related("user")
        .first()
        .user
    )
    client = Client(HTTP_AUTHORIZATION=f"Token {token_for(successor)}")
    url = f"{API}/handovers/{handover.pk}/items/?page_size={PAGE_SIZE}"

    requests = []

    def through_the_api():
        items = []
        next_url = url
        requests.clear()
        while next_url:
            requests.append(next_url)
            response = client.get(next_url)
            assert response.status_code == 200
            body = response.json()
            items += body["results"]
            next_url = body["next"]
        return items

    items = through_the_api()
    assert len(items) == 500

    def baseline():
        with raw.cursor() as cursor:
            cursor.execute(RAW_ITEMS, (handover.pk,))
            columns = [column.name for column in cursor.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor]
        raw.rollback()
        return json.dumps(rows, default=str)

    assert len(json.loads(baseline())) == 500
    subject = timed(through_the_api, times=repeat(30))
    result = record(
        Result(
            number="1",
            name=f"Item list, 500 items, API ({len(requests)} request(s))",
            subject=subject,
            queries=count_queries(through_the_api),
            baseline_name="raw query + json",
            baseline=timed(baseline, times=repeat(30)),
            baseline_queries=1,
            target="≤ 3x baseline, p95 ≤ 80 ms",
            extra={"response_kb": round(len(json.dumps(items)) / 1024)},
        )
    )
    result.met = result.ratio <= 3 and subject.p95_ms <= 80
