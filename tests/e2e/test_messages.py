"""Two colleagues in two browsers: Alice writes Bob a text from the Online Monitor, it
arrives live (badge, notice), Bob reads it, answers, and Alice's badge goes up."""

import re
import threading

import pytest
from playwright.sync_api import expect

from messaging.models import Delivery
from tests.accounts.factories import UserFactory
from tests.fixtures.live import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"viewport": {"width": 1400, "height": 900}}


def badge(page):
    return page.locator('[data-nav-badge="messages"]')


def signed_in(new_page, user, password):
    page = new_page("/accounts/login/", **WIDE)
    sign_in(page, user, password)
    return page


def test_alice_texts_bob_who_sees_it_arrive_live_reads_and_answers(new_page, alice, bob, password):
    bobs = signed_in(new_page, bob, password)
    bobs.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Messages")
    ).click()
    expect(bobs.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(badge(bobs)).to_be_hidden()

    alices = signed_in(new_page, alice, password)
    alices.get_by_role("button", name=re.compile(r"^Bob Okafor: .*Options$")).click()
    alices.get_by_role("menu", name="Options").get_by_role(
        "menuitem", name="Send text message"
    ).click()
    expect(alices.get_by_role("heading", name="New message")).to_be_visible()
    expect(alices.locator(".ts-control")).to_contain_text("Bob Okafor")
    alices.get_by_label("Subject").fill("Plans")
    alices.get_by_label("Message*").fill("Lunch at 1? Menu: https://example.com/menu <b>bold</b>")
    alices.get_by_role("button", name="Send").click()
    expect(alices.get_by_text("Message sent.")).to_be_visible()

    # Bob's open inbox: badge, folder count, notice and the new row, without reloading
    expect(badge(bobs)).to_have_text(re.compile(r"^1"))
    expect(bobs.locator("[data-notice]")).to_contain_text("Alice Fernandez")
    row = bobs.get_by_role("row", name=re.compile("Plans"))
    expect(row).to_be_visible()
    expect(bobs.locator('[data-folder="text"] [data-folder-unread]')).to_have_text(re.compile("^1"))

    row.get_by_role("link", name="Plans").click()
    expect(bobs.get_by_role("heading", name="Plans")).to_be_visible()
    link = bobs.get_by_role("link", name="https://example.com/menu")
    expect(link).to_have_attribute("href", "https://example.com/menu")
    expect(bobs.get_by_text("<b>bold</b>")).to_be_visible()  # shown as text, not markup
    expect(badge(bobs)).to_be_hidden()  # opening it marked it read
    assert Delivery.objects.get(owner=bob).read_at is not None

    bobs.get_by_role("link", name="Reply").click()
    expect(bobs.get_by_label("Subject")).to_have_value("Re: Plans")
    bobs.get_by_label("Message*").fill("Yes, see you there")
    bobs.get_by_role("button", name="Send").click()
    expect(badge(alices)).to_have_text(re.compile(r"^1"))
    alices.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Messages")
    ).click()
    alices.get_by_role("link", name="Re: Plans").click()
    expect(alices.get_by_text("Yes, see you there")).to_be_visible()
    expect(alices.get_by_role("region", name="Earlier in this conversation")).to_contain_text(
        "Lunch at 1?"
    )


def test_the_badge_comes_from_the_snapshot_on_connect(new_page, alice, bob, password):
    from messaging import services

    # sent while Bob has no tab open: no event reached him, the snapshot brings it
    services.message_send(sender=alice, recipients=[bob], body="while you were away")
    bobs = signed_in(new_page, bob, password)
    expect(badge(bobs)).to_have_text(re.compile(r"^1"))
    bobs.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Messages")
    ).click()
    expect(bobs.locator('[data-folder="inbox"] [data-folder-unread]')).to_have_text(
        re.compile("^1")
    )


PLAYER = """async () => {
  const player = document.querySelector("[data-player]");
  if (player.readyState < 1) {
    await new Promise((ok) => player.addEventListener("loadedmetadata", ok, { once: true }));
  }
  return { duration: player.duration };
}"""

SEEK_AND_PLAY = """async (to) => {
  const player = document.querySelector("[data-player]");
  player.muted = true;
  const seeked = new Promise((ok) => player.addEventListener("seeked", ok, { once: true }));
  player.currentTime = to;
  await seeked;
  const at = player.currentTime;
  await player.play();
  await new Promise((ok) => setTimeout(ok, 600));
  player.pause();
  return { at, later: player.currentTime, error: player.error && player.error.code };
}"""


def record_and_send(page, seconds: float) -> None:
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Recording…")).to_be_visible()
    page.wait_for_timeout(int(seconds * 1000))
    level = page.locator("[data-level]").evaluate("m => m.value")
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("Recorded. Play it back")).to_be_visible()
    expect(page.get_by_role("button", name="Record again")).to_be_visible()
    assert level > 0, "the level meter never moved"
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Sent")).to_be_visible()


@pytest.mark.media
@pytest.mark.parametrize("kind", ["voice", "video"])
def test_alice_records_a_mail_bob_plays_and_seeks_it_then_it_is_deleted_for_good(
    testnet, new_page, alice, bob, password, kind, settings
):
    from pathlib import Path

    from messaging.models import Message

    bobs = signed_in(new_page, bob, password)
    alices = signed_in(new_page, alice, password)
    item = "Send voice mail" if kind == "voice" else "Send video mail"
    alices.get_by_role("button", name=re.compile(r"^Bob Okafor: .*Options$")).click()
    alices.get_by_role("menu", name="Options").get_by_role("menuitem", name=item).click()
    title = "New voice mail" if kind == "voice" else "New video mail"
    expect(alices.get_by_role("heading", name=title)).to_be_visible()
    expect(alices.locator(".ts-control")).to_contain_text("Bob Okafor")
    alices.get_by_label("Subject").fill(f"{kind} note")
    record_and_send(alices, 3.2)

    expect(badge(bobs)).to_have_text(re.compile(r"^1"))
    bobs.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Messages")
    ).click()
    bobs.get_by_role("link", name=f"{kind} note").click()
    expect(bobs.get_by_text(re.compile(r"Length 0:0[3-4]"))).to_be_visible()
    if kind == "video":
        poster = bobs.locator("video[data-player]").get_attribute("poster")
        assert poster and bobs.request.get(poster).headers["content-type"] == "image/webp"
    facts = bobs.evaluate(PLAYER)
    assert 2.5 < facts["duration"] < 4.5, facts  # a real length, not Infinity
    played = bobs.evaluate(SEEK_AND_PLAY, facts["duration"] / 2)
    assert abs(played["at"] - facts["duration"] / 2) < 0.3 and played["error"] is None, played
    assert played["later"] > played["at"], played
    expect(badge(bobs)).to_be_hidden()

    message = Message.objects.get()
    stored = Path(settings.MEDIA_ROOT) / message.media
    assert stored.exists()
    bobs.get_by_role("button", name="Delete").click()
    bobs.get_by_role("link", name=re.compile("^Trash")).click()
    expect(bobs.get_by_role("row", name=re.compile(f"{kind} note"))).to_be_visible()
    bobs.once("dialog", lambda dialog: dialog.accept())
    bobs.get_by_role("button", name="Empty Trash").click()
    expect(bobs.get_by_text("Trash is empty.")).to_be_visible()
    assert stored.exists()  # Alice's Sent copy still holds it
    alices.get_by_role("row", name=re.compile(f"{kind} note")).get_by_role("checkbox").check()
    alices.get_by_role("button", name="Delete selected").click()
    alices.get_by_role("link", name=re.compile("^Trash")).click()
    alices.once("dialog", lambda dialog: dialog.accept())
    alices.get_by_role("button", name="Empty Trash").click()
    expect(alices.get_by_text("Trash is empty.")).to_be_visible()
    assert not stored.exists()
    assert not Message.objects.exists()


def test_an_announcement_appears_live_for_a_recipient_in_the_market(
    new_page, alice, charlie, password
):
    from django.contrib.auth.models import Group

    from accounts.models import Region

    gb = Region.objects.get(kind="country", code="GB")
    charlie.profile.regions.add(gb)
    alice.groups.add(Group.objects.get(name="Announcer"))
    charlies = signed_in(new_page, charlie, password)
    alices = signed_in(new_page, alice, password)
    alices.goto("/messages/folder/announcements/")
    alices.get_by_role("link", name="Make an announcement").click()
    alices.get_by_label("Subject*").fill("Spring prices")
    alices.get_by_label("Announcement*").fill("New prices from 1 March.")
    alices.get_by_role("combobox", name="Regions and markets*").fill("United Kingdom")
    alices.get_by_role("option", name=re.compile("United Kingdom")).click()
    alices.get_by_role("button", name="Send announcement").click()
    expect(alices.get_by_text("Announcement sent.")).to_be_visible()

    expect(badge(charlies)).to_have_text(re.compile(r"^1"))
    expect(charlies.locator("[data-notice]")).to_contain_text("Northwind Trading")
    charlies.locator("[data-notice]").get_by_role("link", name="Open the message").click()
    expect(charlies.get_by_role("heading", name="Spring prices")).to_be_visible()
    expect(badge(charlies)).to_be_hidden()


def test_a_contact_request_arrives_in_the_inbox_and_is_accepted_in_place(
    new_page, bob, charlie, password
):
    from accounts import services as account_services
    from accounts.models import ContactRequest

    account_services.contact_request_send(sender=charlie, recipient=bob, message="Ferry slots?")
    bobs = signed_in(new_page, bob, password)
    bobs.goto("/messages/")
    folder = bobs.get_by_role("navigation", name="Message folders").get_by_role(
        "link", name=re.compile("^Contact requests")
    )
    expect(folder.locator("[data-folder-unread]")).to_have_text(re.compile("^1"))
    folder.click()
    expect(bobs.get_by_role("heading", name="Contact requests")).to_be_visible()
    requests = bobs.get_by_role("list", name="Contact requests waiting for your answer")
    expect(requests.get_by_text("Ferry slots?")).to_be_visible()
    bobs.get_by_role("button", name="Accept Charlie Nguyen").click()
    expect(bobs.get_by_text("Charlie Nguyen is now your contact.")).to_be_visible()
    expect(bobs.get_by_role("heading", name="Contact requests")).to_be_visible()
    expect(bobs.get_by_text("No contact requests are waiting for you.")).to_be_visible()
    expect(folder.locator("[data-folder-unread]")).to_be_hidden()
    assert ContactRequest.objects.get().state == ContactRequest.State.ACCEPTED

    # a new request while the folder is open appears without reloading, and is declined
    dora = UserFactory(
        company=charlie.company,
        email="dora@blueharbour.example",
        first_name="Dora",
        last_name="Lind",
    )
    in_another_thread(lambda: account_services.contact_request_send(sender=dora, recipient=bob))
    expect(folder.locator("[data-folder-unread]")).to_have_text(re.compile("^1"))
    bobs.get_by_role("button", name="Decline Dora Lind").click()
    expect(bobs.get_by_text("Request declined. They are not told.")).to_be_visible()
    expect(folder.locator("[data-folder-unread]")).to_be_hidden()
    assert ContactRequest.objects.get(sender=dora).state == ContactRequest.State.DECLINED


def in_another_thread(work) -> None:
    """Playwright's sync API runs an event loop in this thread; a service that sends live
    events (async_to_sync) must run elsewhere, as it does in a request."""
    from django.db import connection

    def run() -> None:
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


def test_the_company_admin_sets_recording_length_and_storage_on_the_company_page(
    new_page, alice, password
):
    from messaging import selectors

    page = signed_in(new_page, alice, password)
    page.goto("/company/")
    section = page.get_by_role("region", name="Voice and video mail")
    expect(section.get_by_text("0 bytes of 5.0 GB used")).to_be_visible()
    section.get_by_label("Longest voice or video mail (seconds)*").fill("5")
    section.get_by_role("button", name="Save voice and video mail settings").click()
    expect(page.get_by_text("Choose at least 10 seconds.")).to_be_visible()
    assert selectors.company_rules(company_id=alice.company_id) == (180, 5 * 1024**3)
    section = page.get_by_role("region", name="Voice and video mail")
    section.get_by_label("Longest voice or video mail (seconds)*").fill("120")
    section.get_by_label("Storage for recorded messages (GB)*").fill("2.5")
    section.get_by_role("button", name="Save voice and video mail settings").click()
    expect(page.get_by_text("The voice and video mail settings are saved.")).to_be_visible()
    expect(page.get_by_text("0 bytes of 2.5 GB used")).to_be_visible()
    assert selectors.company_rules(company_id=alice.company_id) == (120, int(2.5 * 1024**3))
