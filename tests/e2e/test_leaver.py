"""Scenario 3: the leaver, on a phone, fills every item, attaches a file,
answers the successor's question and signs the final declaration."""

from playwright.sync_api import expect

from cms import services
from cms.models import Handover, Signature

from .flows import PASSWORD, item_named, start_shop_handover, users

PROOF = {
    "name": "car-return-receipt.pdf",
    "mimeType": "application/pdf",
    "buffer": b"%PDF-1.4\n% car returned to the fleet office\n%%EOF\n",
}


def test_leaver_fills_everything_on_a_phone_and_signs(journey):
    handover = start_shop_handover()
    people = users()
    services.comment_add(
        actor=people["successor"],
        item=item_named(handover, "Shop clients"),
        body="Who is the buyer at ACME now?",
        is_question=True,
    )
    leaver = journey.person("sales", phone=True)
    page = journey.sign_in(leaver, f"/en/handovers/{handover.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fang Chen")
    expect(page.get_by_text("0 of 3 done (0%)")).to_be_visible()
    journey.step(leaver, "opens the handover")

    clients = page.get_by_role("article", name="Shop clients")
    clients.get_by_role("group", name="Contact person").get_by_role(
        "textbox", name="Name"
    ).fill("Xu Mei")
    clients.get_by_role("textbox", name="Phone").fill("+86 21 5555 0101")
    clients.get_by_role("textbox", name="Relationship notes").fill(
        "Orders every quarter; prefers calls in the morning."
    )
    journey.step(leaver, "fills the client")
    clients.get_by_role("button", name="Save and submit").click()
    expect(clients.locator(".p-state")).to_have_text("Submitted")

    account = page.get_by_role("article", name="POS admin account")
    account.get_by_role("textbox", name="Account", exact=True).fill("shop-admin")
    account.get_by_role("button", name="Save and submit").click()
    expect(account.locator(".p-state")).to_have_text("Submitted")

    # The car item only appears once the leaver says there is a car.
    expect(page.get_by_role("article", name="Return the car")).to_have_count(0)
    question = page.get_by_role("article", name="Has a company car?")
    question.get_by_role("radio", name="Yes").check()
    question.get_by_role("button", name="Save and submit").click()
    expect(question.locator(".p-state")).to_have_text("Submitted")
    car = page.get_by_role("article", name="Return the car")
    expect(car).to_be_visible()
    journey.step(leaver, "the car item appears")

    car.get_by_label("File").set_input_files(files=[PROOF])
    car.get_by_role("button", name="Upload").click()
    expect(car.get_by_role("link", name=PROOF["name"])).to_be_visible()
    car.get_by_role("textbox", name="Asset tag").fill("CAR-0042")
    car.get_by_role("button", name="Save and submit").click()
    expect(car.locator(".p-state")).to_have_text("Submitted")
    journey.step(leaver, "the car is returned with its receipt")

    thread = clients.get_by_role("region", name="Questions and answers")
    expect(thread).to_contain_text("Who is the buyer at ACME now?")
    thread.get_by_text("Answer", exact=True).click()
    thread.get_by_role("textbox", name="Your answer").fill(
        "Xu Mei, head of purchasing, since March."
    )
    thread.get_by_role("button", name="Post answer").click()
    expect(thread).to_contain_text("Xu Mei, head of purchasing, since March.")
    journey.step(leaver, "answers the question")

    page.get_by_role("button", name="Sign final declaration").click()
    dialog = page.get_by_role("dialog", name="Sign the final declaration")
    dialog.get_by_role("textbox", name="Your password").fill(PASSWORD)
    journey.step(leaver, "signs the declaration")
    dialog.get_by_role("button", name="Sign", exact=True).click()
    signatures = page.get_by_role("region", name="Signatures").first
    expect(signatures).to_contain_text("Final declaration")
    expect(signatures).to_contain_text("Fang Chen")
    expect(page.get_by_role("button", name="Sign final declaration")).to_have_count(0)
    journey.step(leaver, "has signed")

    handover.refresh_from_db()
    assert handover.state == Handover.State.IN_PROGRESS
    assert handover.signatures.filter(
        decision=Signature.Decision.DECLARE, signer=people["sales"]
    ).exists()
    assert sorted(handover.items.values_list("state", flat=True)) == ["submitted"] * 4
