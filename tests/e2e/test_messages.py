"""Two colleagues in two browsers: Alice writes Bob a text from the Online Monitor, it
arrives live (badge, notice), Bob reads it, answers, and Alice's badge goes up."""

import re

import pytest
from playwright.sync_api import expect

from messaging.models import Delivery
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
