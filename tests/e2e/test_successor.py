"""Scenario 4: the successor watches the leaver's work arrive without reloading,
returns one item with a question, and accepts the rest with their password."""

from playwright.sync_api import expect

from cms.models import Item

from .flows import PASSWORD, leaver_submits_everything, start_shop_handover

# The page polls every 1.5 s; a person waits this long at most for a change.
LIVE_MS = 3_000


def decide(page, item, decision, dialog_title, submit, remarks=None):
    item.get_by_role("button", name=decision, exact=True).click()
    dialog = page.get_by_role("dialog", name=dialog_title)
    if remarks is not None:
        dialog.get_by_role("textbox", name="What is missing or unclear?").fill(remarks)
    dialog.get_by_role("textbox", name="Your password").fill(PASSWORD)
    dialog.get_by_role("button", name=submit).click()


def test_successor_sees_changes_live_returns_one_and_accepts_the_rest(journey):
    handover = start_shop_handover()
    leaver_submits_everything(handover, but=("Shop clients",))
    address = f"/en/handovers/{handover.pk}/"

    successor = journey.person("successor")
    theirs = journey.sign_in(successor, address)
    leaver = journey.person("sales", phone=True)
    mine = journey.sign_in(leaver, address)
    clients_seen = theirs.get_by_role("article", name="Shop clients")
    expect(clients_seen.locator(".p-state")).to_have_text("To fill")
    expect(clients_seen.get_by_role("button", name="Accept", exact=True)).to_have_count(
        0
    )
    journey.step(successor, "waits for the client list")
    # Anything that reloads the page would forget this.
    theirs.evaluate("window.stillTheSamePage = true")

    clients = mine.get_by_role("article", name="Shop clients")
    clients.get_by_role("group", name="Contact person").get_by_role(
        "textbox", name="Name"
    ).fill("Xu Mei")
    clients.get_by_role("textbox", name="Relationship notes").fill(
        "Renews every March; wants the new price list first."
    )
    clients.get_by_role("button", name="Save and submit").click()
    expect(clients.locator(".p-state")).to_have_text("Submitted")
    journey.step(leaver, "submits the client list")

    expect(clients_seen.locator(".p-state")).to_have_text("Submitted", timeout=LIVE_MS)
    expect(clients_seen).to_contain_text("Renews every March", timeout=LIVE_MS)
    expect(
        clients_seen.get_by_role("button", name="Accept", exact=True)
    ).to_be_visible()
    assert theirs.evaluate("window.stillTheSamePage") is True
    journey.step(successor, "sees it arrive without reloading")

    account = theirs.get_by_role("article", name="POS admin account")
    decide(
        theirs,
        account,
        "Return with a question",
        "Return with a question",
        "Sign and return",
        remarks="Which shop PCs is this account still logged in on?",
    )
    expect(account.locator(".p-state")).to_have_text("Returned")
    expect(account).to_contain_text(
        "Which shop PCs is this account still logged in on?"
    )
    journey.step(successor, "returns the account with a question")

    for label in ("Shop clients", "Has a company car?", "Return the car"):
        item = theirs.get_by_role("article", name=label)
        decide(theirs, item, "Accept", "Accept this item", "Sign and accept")
        expect(item.locator(".p-state")).to_have_text("Accepted")
    expect(theirs.get_by_text("3 of 4 done (75%)")).to_be_visible()
    journey.step(successor, "has accepted the rest")

    # The leaver, still on the same page, sees the question come back.
    returned = mine.get_by_role("article", name="POS admin account")
    expect(returned.locator(".p-state")).to_have_text("Returned", timeout=LIVE_MS)
    journey.step(leaver, "sees the account returned")

    states = dict(handover.items.values_list("label", "state"))
    assert states == {
        "Shop clients": Item.State.ACCEPTED,
        "POS admin account": Item.State.RETURNED,
        "Has a company car?": Item.State.ACCEPTED,
        "Return the car": Item.State.ACCEPTED,
    }
