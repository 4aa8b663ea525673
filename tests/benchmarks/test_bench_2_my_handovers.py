"""2. "My handovers" of a successor in 20 of the company's handovers: the API
list and the participant page, against a raw indexed query for the same ids."""

from django.contrib.auth import get_user_model
from django.test import Client

from cms.demo.scale import BENCH_PASSWORD, BENCH_SUCCESSOR_HANDOVERS

from .harness import Result, count_queries, record, repeat, timed

RAW_IDS = """
SELECT h.id FROM cms_handover h
WHERE h.id IN (
    SELECT p.content_object_id FROM cms_handoveruserobjectpermission p
    JOIN auth_permission perm ON perm.id = p.permission_id
    WHERE p.user_id = %s AND perm.codename = 'view_handover'
)
ORDER BY h.created_at DESC
"""


def test_my_handovers(scale, raw, token_for):
    successor = get_user_model().objects.get(username=scale.successor_username)

    def baseline():
        with raw.cursor() as cursor:
            cursor.execute(RAW_IDS, (successor.pk,))
            ids = [row[0] for row in cursor]
        raw.rollback()
        return ids

    expected = baseline()
    assert len(expected) == BENCH_SUCCESSOR_HANDOVERS
    base = timed(baseline, times=repeat(60))

    api = Client(HTTP_AUTHORIZATION=f"Token {token_for(successor)}")

    def through_the_api():
        response = api.get("/api/v1/handovers/")
        assert response.status_code == 200
        return response.json()

    body = through_the_api()
    assert sorted(row["id"] for row in body["results"]) == sorted(expected)
    subject = timed(through_the_api, times=repeat(60))
    result = record(
        Result(
            number="2a",
            name="My handovers (20 of them), API",
            subject=subject,
            queries=count_queries(through_the_api),
            baseline_name="raw indexed query",
            baseline=base,
            baseline_queries=1,
            target="p95 ≤ 30 ms",
        )
    )
    result.met = subject.p95_ms <= 30

    page = Client()
    assert page.login(username=scale.successor_username, password=BENCH_PASSWORD)

    def the_page():
        response = page.get("/en/handovers/")
        assert response.status_code == 200
        return response

    html = the_page().content.decode()
    assert html.count("/en/handovers/") >= BENCH_SUCCESSOR_HANDOVERS
    subject = timed(the_page, times=repeat(60))
    result = record(
        Result(
            number="2b",
            name="My handovers (20 of them), participant page",
            subject=subject,
            queries=count_queries(the_page),
            baseline_name="raw indexed query",
            baseline=base,
            baseline_queries=1,
            target="p95 ≤ 60 ms",
        )
    )
    result.met = subject.p95_ms <= 60
