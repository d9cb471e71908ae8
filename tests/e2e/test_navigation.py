"""Moving around the app keeps the page: the live connection, the Online Monitor and the
page's scripts survive link clicks, form posts, redirects, back and forward (Turbo Drive,
docs/realtime.md "Page navigation and page scripts")."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_presence import WIDE, monitor_entry
from tests.fixtures.live import sign_in
from uc_web.lib import publicid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Installed once in a tab: survives every visit only if the document is never unloaded.
WATCH_PAGE = """() => {
  window.keptDocument = "yes";
  window.liveStates = [];
  window.ucLive.addEventListener("statechange", (e) => window.liveStates.push(e.detail.state));
  window.ucLive.socket.keptSocket = "yes";
}"""
STILL_THE_SAME_PAGE = """() => window.keptDocument === "yes"
  && window.ucLive.socket?.keptSocket === "yes"
  && window.liveStates.length === 0"""

RECORD_PRESENCE = """() => {
  window.presenceEvents = [];
  window.ucLive.on("presence.changed", (e) => window.presenceEvents.push(e));
}"""


def same_page_and_connection(page) -> None:
    assert page.evaluate(STILL_THE_SAME_PAGE) is True, page.evaluate(
        "() => [window.keptDocument, window.liveStates]"
    )
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()


def nav_link(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def visit_ten_pages(alices) -> None:
    """Links, a form post with a redirect, a form re-rendered with errors, back, forward."""
    steps = [
        lambda: nav_link(alices, "Contacts").click(),
        lambda: expect(alices).to_have_url(re.compile(r"/contacts/$")),
        lambda: nav_link(alices, "Calls").click(),
        lambda: expect(alices.get_by_role("heading", name="Calls", level=1)).to_be_visible(),
        lambda: nav_link(alices, "Contacts").click(),
        # a form post answered by a redirect (Post/Redirect/Get)
        lambda: alices.get_by_label("New address book").fill("Suppliers"),
        lambda: alices.get_by_role("button", name="Add book").click(),
        lambda: expect(
            alices.get_by_role("heading", name=re.compile("^Suppliers"))
        ).to_be_visible(),
        # a form re-rendered with its errors (422 from the middleware, rendered by Turbo)
        lambda: alices.get_by_role("link", name="Add contact").click(),
        lambda: alices.get_by_role("button", name="Save contact").click(),
        lambda: expect(alices.locator(".invalid-feedback, .alert-danger").first).to_be_visible(),
        lambda: expect(alices).to_have_url(re.compile(r"/contacts/new/")),
        lambda: nav_link(alices, "Help").click(),
        lambda: expect(alices.get_by_role("heading", name="Getting started")).to_be_visible(),
        lambda: alices.go_back(),
        lambda: expect(alices).to_have_url(re.compile(r"/contacts/new/")),
        lambda: alices.go_back(),
        lambda: expect(alices).to_have_url(re.compile(r"/contacts/\?book=[0-9A-Za-z]{22}$")),
        lambda: alices.go_forward(),
        lambda: expect(alices).to_have_url(re.compile(r"/contacts/new/")),
        lambda: nav_link(alices, "Diary").click(),
        lambda: expect(alices).to_have_url(re.compile(r"/soon/diary/")),
    ]
    for step in steps:
        step()
        same_page_and_connection(alices)


def test_bob_sees_no_flicker_while_alice_visits_ten_pages(new_page, alice, bob, password):
    bobs = new_page("/accounts/login/", **WIDE)
    sign_in(bobs, bob, password)
    alices = new_page("/accounts/login/", **WIDE)
    sign_in(alices, alice, password)
    expect(monitor_entry(bobs, "Alice Fernandez")).to_contain_text("Online")
    bobs.evaluate(RECORD_PRESENCE)
    alices.evaluate(WATCH_PAGE)

    visit_ten_pages(alices)

    # Anything Bob's page would have heard has arrived by the time a new event does:
    # Alice goes Busy, which Bob must hear as the one and only event about her.
    alices.get_by_label("My status").select_option(label="Busy")
    expect(monitor_entry(bobs, "Alice Fernandez")).to_contain_text("Busy")
    events = bobs.evaluate(
        f"() => window.presenceEvents.filter((e) => e.user === '{publicid.of(alice)}')"
        ".map((e) => e.state)"
    )
    assert events == ["busy"]
    expect(alices.get_by_role("status").filter(has_text="Connected")).to_be_visible()


def test_the_monitor_sidebar_keeps_its_filter_across_visits(new_page, alice, bob, password):
    alices = new_page("/accounts/login/", **WIDE)
    sign_in(alices, alice, password)
    monitor = alices.get_by_role("complementary", name="Online Monitor")
    monitor.get_by_label("Filter the Online Monitor").fill("zzz")
    expect(monitor_entry(alices, "Bob Okafor")).to_have_count(0)
    nav_link(alices, "Contacts").click()
    expect(alices).to_have_url(re.compile(r"/contacts/"))
    expect(monitor.get_by_label("Filter the Online Monitor")).to_have_value("zzz")
    monitor.get_by_label("Filter the Online Monitor").fill("")
    expect(monitor_entry(alices, "Bob Okafor")).to_contain_text("Offline")
    # The menu still opens and works on the next page.
    nav_link(alices, "Calls").click()
    alices.get_by_role("button", name="Bob Okafor: Offline. Options").click()
    expect(alices.get_by_role("menu", name="Options")).to_be_visible()
    alices.keyboard.press("Escape")
    expect(alices.get_by_role("menu", name="Options")).to_be_hidden()


def test_signing_out_loads_the_sign_in_page_in_full(new_page, alice, password):
    page = new_page("/accounts/login/", **WIDE)
    sign_in(page, alice, password)
    page.evaluate(WATCH_PAGE)
    page.get_by_role("button", name="Alice").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert page.evaluate("() => window.keptDocument === undefined") is True
