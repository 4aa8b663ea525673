"""The participant pages: what the departing employee, the successor and the
manager see and do in the browser (Django test client)."""

import datetime
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cms import services
from cms.models import Handover, Item, Signature
from cms.services.visibility import visible_items
from tests.fixtures.handovers import PASSWORD, item_of


@pytest.fixture
def dev_handover(people):
    """The demo handover of `dev` (the seed starts it)."""
    return Handover.objects.get(employee__user=people["dev"])


def _login(client, user):
    client.force_login(user)
    return client


def _detail(handover, language="en"):
    return f"/{language}/handovers/{handover.pk}/"


def _item_html(html: str, item: Item) -> str:
    """The rendered block of one item."""
    match = re.search(
        rf'<(article|details)[^>]*data-item-id="{item.pk}".*?</\1>', html, re.S
    )
    assert match, f"item {item.pk} is not on the page"
    return match.group(0)


def _submit(user, item):
    item.refresh_from_db()
    return services.item_submit(actor=user, item=item, version=item.version)


# My handovers ----------------------------------------------------------------------


def test_my_list_shows_only_my_handovers_grouped_by_role(
    client, people, sales_handover, dev_handover
):
    html = _login(client, people["sales"]).get("/en/handovers/").content.decode()

    assert "I am handing over" in html
    assert sales_handover.number in html
    assert dev_handover.number not in html
    assert "I am taking over" not in html

    html = _login(client, people["successor"]).get("/en/handovers/").content.decode()
    taking_over = html.split("I am taking over", 1)[1]
    assert sales_handover.number in taking_over
    assert dev_handover.number in taking_over
    assert "I am handing over" not in html


def test_list_filters_and_empty_state(client, people, sales_handover, dev_handover):
    _login(client, people["successor"])

    html = client.get("/en/handovers/", {"q": sales_handover.number}).content.decode()
    assert sales_handover.number in html
    assert dev_handover.number not in html

    html = client.get("/en/handovers/", {"state": "completed"}).content.decode()
    assert "No handover matches these filters." in html


def test_signed_out_visitor_is_sent_to_the_login_page(client, demo):
    response = client.get("/en/handovers/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/en/handovers/")


# Who may see what ------------------------------------------------------------------


def test_strangers_and_other_participants_get_a_plain_404(
    client, people, stranger, sales_handover, dev_handover
):
    project = item_of(dev_handover, "Projects in progress")
    attachment = services.attachment_add(
        actor=people["dev"],
        item=project,
        uploaded_file=SimpleUploadedFile("plan.pdf", b"%PDF-1.4 plan"),
    )
    project.refresh_from_db()
    urls = [
        (_detail(dev_handover), "get", {}),
        (f"/en/handovers/{dev_handover.pk}/state/", "get", {}),
        (f"/en/handovers/attachments/{attachment.pk}/", "get", {}),
        (
            f"/en/handovers/items/{project.pk}/save/",
            "post",
            {"version": project.version, "data.project_name": "Hijacked"},
        ),
        (f"/en/handovers/items/{project.pk}/comments/", "post", {"body": "Hi"}),
        (
            f"/en/handovers/items/{project.pk}/decide/",
            "post",
            {"decision": "accept", "password": PASSWORD, "version": 1},
        ),
        (
            f"/en/handovers/{dev_handover.pk}/declare/",
            "post",
            {"password": PASSWORD},
        ),
    ]
    for outsider in (stranger, people["sales"]):  # sales takes part in another one
        _login(client, outsider)
        for url, method, data in urls:
            response = getattr(client, method)(url, data)
            assert response.status_code == 404, (outsider, url)
            assert dev_handover.number not in response.content.decode()

    project.refresh_from_db()
    assert project.data["project_name"] != "Hijacked"
    assert not project.comments.exists()

    _login(client, people["successor"])
    download = client.get(f"/en/handovers/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == b"%PDF-1.4 plan"


# Filling and confirming ------------------------------------------------------------


def test_leaver_fills_and_submits_an_item_and_the_successor_sees_it(
    client, people, sales_handover
):
    clients = item_of(sales_handover, "Key client list")
    _login(client, people["sales"])
    page = client.get(_detail(sales_handover)).content.decode()
    assert 'name="data.contact_person.name"' in _item_html(page, clients)

    response = client.post(
        f"/en/handovers/items/{clients.pk}/save/",
        {
            "version": clients.version,
            "data.customer": "ACME Trading",
            "data.contact_person.name": "Li Lei",
            "data.contact_person.email": "li.lei@acme.example",
            "data.open_deals.0.title": "Renewal 2027",
            "data.open_deals.0.amount": "12000.50",
            "data.open_deals.0.currency": "CNY",
            "data.open_deals.1.title": "",  # an untouched blank row is dropped
            "data.commitments.0": "5% discount on the renewal",
            "intent": "submit",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert "Submitted: the item now waits for confirmation." in (
        response.content.decode()
    )
    clients.refresh_from_db()
    assert clients.state == Item.State.SUBMITTED
    assert clients.data["contact_person"]["name"] == "Li Lei"
    assert clients.data["open_deals"] == [
        {
            "title": "Renewal 2027",
            "amount": "12000.50",
            "currency": "CNY",
            "stage": "",
            "next_step": "",
        }
    ]

    html = _login(client, people["successor"]).get(_detail(sales_handover))
    block = _item_html(html.content.decode(), clients)
    assert "Submitted" in block
    assert "ACME Trading" in block
    assert "Accept with remarks" in block
    assert "I confirm that I have received this item" in block  # the intent shown


def test_invalid_input_is_shown_next_to_the_form_and_kept(
    client, people, sales_handover
):
    task = item_of(sales_handover, "Promised discounts and commitments")
    services.item_update(
        actor=people["sales"],
        item=item_of(sales_handover, "Did you promise any client a discount?"),
        version=1,
        data={"value": True},
    )
    _login(client, people["sales"])

    response = client.post(
        f"/en/handovers/items/{task.pk}/save/",
        {
            "version": task.version,
            "data.description": "Discount for Globex",
            "data.progress_percent": "250",
        },
    )

    assert response.status_code == 400
    block = _item_html(response.content.decode(), task)
    assert "This number is out of range." in block
    assert "Discount for Globex" in block
    task.refresh_from_db()
    assert task.data["description"] == ""


def test_successor_returns_one_item_and_accepts_another_with_the_password(
    client, people, sales_handover
):
    orders = item_of(sales_handover, "Open orders and quotes")
    scripts = item_of(sales_handover, "Sales scripts")
    _submit(people["sales"], orders)
    _submit(people["sales"], scripts)
    orders.refresh_from_db()
    scripts.refresh_from_db()
    _login(client, people["successor"])

    response = client.post(
        f"/en/handovers/items/{orders.pk}/decide/",
        {
            "decision": "return",
            "version": orders.version,
            "remarks": "Which quote did Globex get?",
            "password": PASSWORD,
        },
        follow=True,
    )
    orders.refresh_from_db()
    assert orders.state == Item.State.RETURNED
    block = _item_html(response.content.decode(), orders)
    assert "Which quote did Globex get?" in block
    assert "Open question" in block

    wrong = client.post(
        f"/en/handovers/items/{scripts.pk}/decide/",
        {"decision": "accept", "version": scripts.version, "password": "guess"},
    )
    assert wrong.status_code == 400
    block = _item_html(wrong.content.decode(), scripts)
    assert "the one given is missing or wrong" in block
    assert "data-reopen" in block  # the signing dialog comes back open
    scripts.refresh_from_db()
    assert scripts.state == Item.State.SUBMITTED
    assert not Signature.objects.filter(item=scripts).exists()

    client.post(
        f"/en/handovers/items/{scripts.pk}/decide/",
        {"decision": "accept", "version": scripts.version, "password": PASSWORD},
    )
    scripts.refresh_from_db()
    assert scripts.state == Item.State.ACCEPTED
    signature = Signature.objects.get(item=scripts)
    assert signature.signer == people["successor"]
    assert signature.decision == Signature.Decision.ACCEPT


def test_questions_are_answered_and_resolved_on_the_page(
    client, people, sales_handover
):
    scripts = item_of(sales_handover, "Sales scripts")
    _login(client, people["successor"])
    client.post(
        f"/en/handovers/items/{scripts.pk}/comments/",
        {"body": "Where is the objection list?", "is_question": "1"},
    )
    question = scripts.comments.get()

    _login(client, people["sales"])
    client.post(
        f"/en/handovers/items/{scripts.pk}/comments/",
        {"body": "In the shared drive, folder Scripts.", "question": question.pk},
    )
    response = client.post(
        f"/en/handovers/items/{scripts.pk}/questions/{question.pk}/resolve/",
        follow=True,
    )

    block = _item_html(response.content.decode(), scripts)
    assert "In the shared drive, folder Scripts." in block
    assert "Resolved" in block


def test_a_stale_form_gets_409_and_keeps_what_was_typed(client, people, sales_handover):
    clients = item_of(sales_handover, "Key client list")
    services.item_update(
        actor=people["sales"], item=clients, version=1, data={"customer": "ACME"}
    )  # e.g. from another tab: the form below still carries version 1
    _login(client, people["sales"])

    response = client.post(
        f"/en/handovers/items/{clients.pk}/save/",
        {"version": 1, "data.customer": "Globex from my phone"},
    )

    assert response.status_code == 409
    block = _item_html(response.content.decode(), clients)
    assert "Someone changed this item since you opened it" in block
    assert 'value="Globex from my phone"' in block
    assert 'value="ACME"' in block  # the current content, beside it
    clients.refresh_from_db()
    assert clients.data["customer"] == "ACME"


def test_item_hidden_by_its_condition_is_collapsed_until_needed(
    client, people, sales_handover
):
    laptop = item_of(sales_handover, "Return the laptop")
    question = item_of(sales_handover, "Do you have a company laptop?")
    _login(client, people["sales"])

    block = _item_html(client.get(_detail(sales_handover)).content.decode(), laptop)
    assert (
        "This item is hidden because “Do you have a company laptop?” is not "
        "answered “Yes”." in unescape(block)
    )
    assert "<form" not in block

    client.post(
        f"/en/handovers/items/{question.pk}/save/",
        {"version": question.version, "data.value": "yes"},
    )
    block = _item_html(client.get(_detail(sales_handover)).content.decode(), laptop)
    assert "This item is hidden" not in block
    assert 'name="data.asset_tag"' in block


def test_leaver_attaches_evidence_and_marks_an_item_not_applicable(
    client, people, sales_handover
):
    paper = item_of(sales_handover, "Paper files in the cabinet")
    expenses = item_of(sales_handover, "Unreimbursed expenses")
    _login(client, people["sales"])

    refused = client.post(
        f"/en/handovers/items/{paper.pk}/attachments/",
        {"file": SimpleUploadedFile("run.exe", b"MZ")},
    )
    assert refused.status_code == 400
    assert "Files of this type cannot be attached." in _item_html(
        refused.content.decode(), paper
    )
    response = client.post(
        f"/en/handovers/items/{paper.pk}/attachments/",
        {"file": SimpleUploadedFile("cabinet.pdf", b"%PDF-1.4 cabinet")},
        follow=True,
    )
    attachment = paper.attachments.get()
    block = _item_html(response.content.decode(), paper)
    assert f'href="/en/handovers/attachments/{attachment.pk}/"' in block

    no_reason = client.post(
        f"/en/handovers/items/{expenses.pk}/not-applicable/",
        {"version": expenses.version, "reason": " "},
    )
    assert no_reason.status_code == 400
    assert "Say why this item does not apply." in no_reason.content.decode()
    response = client.post(
        f"/en/handovers/items/{expenses.pk}/not-applicable/",
        {"version": expenses.version, "reason": "All receipts were paid in May."},
        follow=True,
    )
    expenses.refresh_from_db()
    assert expenses.state == Item.State.SUBMITTED
    assert "All receipts were paid in May." in _item_html(
        response.content.decode(), expenses
    )


# Live updates ----------------------------------------------------------------------


def test_state_answers_304_until_something_changes(client, people, sales_handover):
    _login(client, people["successor"])
    url = f"/en/handovers/{sales_handover.pk}/state/"
    first = client.get(url)
    etag = first.json()["etag"]
    assert first["ETag"] == f'"{etag}"'

    assert client.get(url, headers={"if-none-match": f'"{etag}"'}).status_code == 304

    _submit(people["sales"], item_of(sales_handover, "Sales scripts"))
    changed = client.get(url, headers={"if-none-match": f'"{etag}"'})
    assert changed.status_code == 200
    assert changed.json()["etag"] != etag


def test_detail_page_carries_what_live_updates_need(client, people, sales_handover):
    html = _login(client, people["successor"]).get(_detail(sales_handover))
    html = html.content.decode()

    assert f'data-state-url="/en/handovers/{sales_handover.pk}/state/"' in html
    assert re.search(r'data-item-id="\d+"[^>]*data-version="', html)
    assert "cms/participant.js" in html
    assert "<script>" not in html  # no inline scripts


# Language --------------------------------------------------------------------------


def test_chinese_page(client, people, sales_handover):
    response = _login(client, people["successor"]).get(
        _detail(sales_handover, "zh-hans")
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert "接交人" in html  # "Successor"


# Declaration and review ------------------------------------------------------------


def _submit_everything_the_leaver_fills(handover, leaver):
    """Every form field answered "no", then every item the leaver fills and
    still sees submitted (those the answers hide need no handing over)."""
    mine = handover.items.filter(filled_by_role="leaver").order_by("position")
    for item in mine.filter(kind="field"):
        services.item_update(
            actor=leaver, item=item, version=item.version, data={"value": False}
        )
    for item in visible_items(handover.items.order_by("position")):
        if item.filled_by_role == "leaver":
            _submit(leaver, item)


def test_leaver_signs_the_final_declaration(client, people, sales_handover):
    _submit_everything_the_leaver_fills(sales_handover, people["sales"])
    _login(client, people["sales"])
    assert (
        "Sign final declaration" in client.get(_detail(sales_handover)).content.decode()
    )

    response = client.post(
        f"/en/handovers/{sales_handover.pk}/declare/",
        {"password": PASSWORD, "statement": "All handed over."},
        follow=True,
    )

    html = response.content.decode()
    assert "You signed the final declaration." in html
    assert "Final declaration" in html
    assert "Sign final declaration" not in html
    signature = Signature.objects.get(
        handover=sales_handover, decision=Signature.Decision.DECLARE
    )
    assert signature.signer == people["sales"]


def test_manager_approves_a_section(client, people, sales_handover):
    section = item_of(sales_handover, "Key client list").section_block_id
    _login(client, people["manager"])
    assert "Approve section" in client.get(_detail(sales_handover)).content.decode()

    wrong = client.post(
        f"/en/handovers/{sales_handover.pk}/approve/",
        {"section": section, "password": "nope"},
    )
    assert wrong.status_code == 400
    response = client.post(
        f"/en/handovers/{sales_handover.pk}/approve/",
        {"section": section, "password": PASSWORD},
        follow=True,
    )

    assert "Section approved." in response.content.decode()
    approval = Signature.objects.get(
        handover=sales_handover, decision=Signature.Decision.APPROVE
    )
    assert approval.section_block_id == section
    assert approval.signer == people["manager"]


def test_successor_cannot_approve_a_section(client, people, sales_handover):
    section = item_of(sales_handover, "Key client list").section_block_id
    _login(client, people["successor"])

    response = client.post(
        f"/en/handovers/{sales_handover.pk}/approve/",
        {"section": section, "password": PASSWORD},
    )

    assert response.status_code == 403
    assert "You do not have permission to do this." in response.content.decode()
    assert not Signature.objects.filter(handover=sales_handover).exists()


def _bring_to_review(handover, people):
    by_role = {
        "leaver": people["sales"],
        "successor": people["successor"],
        "manager": people["manager"],
        "it": people["it"],
        "hr": people["hr"],
    }
    for item in handover.items.filter(kind="field"):
        services.item_update(
            actor=by_role[item.filled_by_role],
            item=item,
            version=item.version,
            data={"value": False},
        )
    shown = visible_items(handover.items.order_by("position"))
    for item in shown:
        _submit(by_role[item.filled_by_role], item)
    services.handover_declare(
        actor=people["sales"], handover=handover, password=PASSWORD
    )
    for item in shown:
        item.refresh_from_db()
        services.item_accept(
            actor=by_role[item.confirmed_by_role],
            item=item,
            version=item.version,
            password=PASSWORD,
        )
    handover.refresh_from_db()
    assert handover.state == Handover.State.IN_REVIEW


def test_manager_reviews_and_reopens_with_a_reason(client, people, sales_handover):
    _bring_to_review(sales_handover, people)
    _login(client, people["manager"])
    html = client.get(_detail(sales_handover)).content.decode()
    assert "Approve handover" in html
    assert "Reopen" in html

    refused = client.post(
        f"/en/handovers/{sales_handover.pk}/approve/", {"password": "nope"}
    )
    assert refused.status_code == 400
    no_reason = client.post(f"/en/handovers/{sales_handover.pk}/reopen/", {})
    assert no_reason.status_code == 400
    assert "Say why the handover is reopened." in no_reason.content.decode()
    sales_handover.refresh_from_db()
    assert sales_handover.state == Handover.State.IN_REVIEW

    response = client.post(
        f"/en/handovers/{sales_handover.pk}/reopen/",
        {"reason": "The client list misses Globex."},
        follow=True,
    )

    assert "Handover reopened." in response.content.decode()
    sales_handover.refresh_from_db()
    assert sales_handover.state == Handover.State.IN_PROGRESS


# On a phone (issue 18) ------------------------------------------------------------


def test_finished_handovers_are_apart_from_active_ones(
    client, people, sales_handover, dev_handover
):
    services.handover_cancel(
        actor=people["hr"], handover=dev_handover, reason="Liu Lei stays."
    )
    _login(client, people["successor"])

    active = client.get("/en/handovers/").content.decode()
    finished = client.get("/en/handovers/", {"show": "finished"}).content.decode()
    by_state = client.get("/en/handovers/", {"state": "cancelled"}).content.decode()

    assert sales_handover.number in active
    assert dev_handover.number not in active
    assert re.search(r'aria-current="page">Active handovers <[^>]*>\(1\)', active)
    assert 'Finished handovers <span class="p-tabs__count">(1)' in active
    assert dev_handover.number in finished
    assert sales_handover.number not in finished
    # A chosen state shows that state, whichever tab was open.
    assert dev_handover.number in by_state


def test_my_handovers_is_one_tap_from_every_page(client, people, sales_handover):
    _login(client, people["sales"])
    for url in (_detail(sales_handover), "/en/handovers/notifications/", "/"):
        html = client.get(url, follow=True).content.decode()
        header = html.split('<header class="baton-header">', 1)[1].split("</header>")[0]
        assert '<a class="baton-nav__home" href="/en/handovers/"' in header, url


def test_a_returned_item_shows_its_reply_box_unfolded(client, people, sales_handover):
    orders = item_of(sales_handover, "Open orders and quotes")
    scripts = item_of(sales_handover, "Sales scripts")
    for item in (orders, scripts):
        _submit(people["sales"], item)
        item.refresh_from_db()
    services.item_return(
        actor=people["successor"],
        item=orders,
        version=orders.version,
        reason="Which quote did Globex get?",
        password=PASSWORD,
    )
    services.comment_add(
        actor=people["successor"], item=scripts, body="Any update?", is_question=True
    )

    html = _login(client, people["sales"]).get(_detail(sales_handover)).content
    returned = _item_html(html.decode(), orders)
    submitted = _item_html(html.decode(), scripts)

    reply = returned.split('<div class="p-reply">', 1)[1]
    assert '<label class="p-field__label" for="answer-' in reply
    assert "<summary>Answer</summary>" not in returned
    # An item that is not waiting for the answer keeps it folded.
    assert "<summary>Answer</summary>" in submitted


def test_the_next_item_waiting_for_me_is_one_tap_away(client, people, sales_handover):
    waiting = [
        item
        for item in sales_handover.items.order_by("position", "pk")
        if item.filled_by_role == "leaver" and item.kind != "field"
    ]
    _submit(people["sales"], waiting[0])

    html = _login(client, people["sales"]).get(_detail(sales_handover)).content
    nav = html.decode().split('id="sections"', 1)[1].split("</nav>", 1)[0]

    first = re.search(r'class="[^"]*p-sections__next[^"]*"[^>]*href="([^"]+)"', nav)
    assert first.group(1) == f"#item-{waiting[1].pk}"
    assert re.search(r"\d+/\d+ done", nav)


def test_the_certificate_is_being_issued_until_it_is_there(
    client, people, sales_handover
):
    from cms.signals import handover_event
    from reports.apps import _on_handover_event
    from reports.services import certificate_issue

    _bring_to_review(sales_handover, people)
    handover_event.disconnect(dispatch_uid="reports-certificates")
    try:
        services.handover_approve(
            actor=people["manager"], handover=sales_handover, password=PASSWORD
        )
    finally:
        handover_event.connect(_on_handover_event, dispatch_uid="reports-certificates")
    _login(client, people["manager"])
    state_url = f"/en/handovers/{sales_handover.pk}/state/"
    before = client.get(state_url)["ETag"]

    pending = client.get(_detail(sales_handover)).content.decode()
    certificate_issue(handover_id=sales_handover.pk)
    issued = client.get(_detail(sales_handover)).content.decode()

    assert "The certificate is being issued." in pending
    assert "Certificate (PDF)" not in pending
    # The live poll sees the certificate arrive and refreshes the header.
    assert client.get(state_url, headers={"If-None-Match": before}).status_code == 200
    assert "Certificate (PDF)" in issued
    assert "The certificate is being issued." not in issued


def test_times_are_shown_in_the_company_time_zone(client, people, sales_handover):
    scripts = item_of(sales_handover, "Sales scripts")
    question = services.comment_add(
        actor=people["successor"], item=scripts, body="Late call?", is_question=True
    )
    # 23:30 UTC is 07:30 the next morning in Shanghai (the company's zone).
    type(question).objects.filter(pk=question.pk).update(
        created_at=datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
    )

    html = _login(client, people["sales"]).get(_detail(sales_handover)).content
    block = _item_html(html.decode(), scripts)

    assert 'datetime="2026-03-02T07:30:00+08:00"' in block
    assert ">03/02/2026 7:30 a.m.</time>" in block
