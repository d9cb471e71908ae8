"""Moving around the app keeps the page: the live connection, the Online Monitor and the
page's scripts survive link clicks, form posts, redirects, back and forward (Turbo Drive,
docs/realtime.md "Page navigation and page scripts")."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.test_presence import WIDE, monitor_entry
from tests.fixtures.live import sign_in, wait_until
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


COUNT_VISITS = """() => {
  window.turboLoads = 0;
  document.addEventListener("turbo:load", () => { window.turboLoads += 1; });
}"""


def visit_by_link(page, link) -> None:
    """Click a link and wait until Turbo has rendered the new page (turbo:load)."""
    loads = page.evaluate("() => window.turboLoads")
    link.click()
    wait_until(page, f"window.turboLoads > {loads}")


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
        lambda: expect(alices).to_have_url(re.compile(r"/diary/")),
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


def listener_counts(page) -> dict[str, int]:
    """Event listeners on document and window (Chromium's DevTools protocol), and the live
    connection's event handlers and resync hooks."""
    cdp = page.context.new_cdp_session(page)
    counts = {}
    for target in ("document", "window"):
        handle = cdp.send("Runtime.evaluate", {"expression": target})["result"]["objectId"]
        listeners = cdp.send("DOMDebugger.getEventListeners", {"objectId": handle})["listeners"]
        counts[target] = len(listeners)
    cdp.detach()
    counts.update(
        page.evaluate(
            """() => ({
          live: [...window.ucLive.handlers.values()].reduce((n, set) => n + set.size, 0),
          resync: window.ucLive.resyncHooks.size,
        })"""
        )
    )
    return counts


COUNT_RENDERS = """() => {
  window.monitorRenders = 0;
  const list = document.querySelector("[data-monitor-sidebar] [data-group=company] ul");
  new MutationObserver((records) => { window.monitorRenders += records.length; })
    .observe(list, { childList: true });
}"""


def test_twenty_visits_later_one_event_still_causes_one_reaction(new_page, alice, bob, password):
    from contacts import services as contact_services
    from tests.calls.factories import CallFactory
    from tests.contacts.factories import ContactFactory

    CallFactory(caller=alice, callee=bob)  # the call log shows its table (and controller)
    ContactFactory(book=contact_services.book_ensure_default(user=alice), given_name="Zoe")
    bobs = new_page("/accounts/login/", **WIDE)
    sign_in(bobs, bob, password)
    alices = new_page("/accounts/login/", **WIDE)
    sign_in(alices, alice, password)
    alices.evaluate(WATCH_PAGE)
    alices.evaluate(COUNT_VISITS)
    tour = [
        ("Contacts", "/contacts/"),
        ("Calls", "/calls/"),
        ("Online Monitor", "/monitor/"),
        ("Help", "/help/"),
        ("Contacts", "/contacts/"),
        ("Calls", "/calls/"),
    ]
    visit_by_link(alices, nav_link(alices, "Calls"))
    expect(alices.get_by_role("table", name="Call log")).to_be_visible()
    expect(monitor_entry(alices, "Bob Okafor")).to_contain_text("Online")
    before = listener_counts(alices)

    for visit in range(20):
        name, path = tour[visit % len(tour)]
        visit_by_link(alices, nav_link(alices, name))
        expect(alices).to_have_url(re.compile(rf"{path}$"))
    expect(alices.get_by_role("table", name="Call log")).to_be_visible()  # the 20th: Calls
    same_page_and_connection(alices)
    assert listener_counts(alices) == before

    # One presence event: the sidebar renders once, the call log's presence says it once.
    alices.evaluate(COUNT_RENDERS)
    bobs.get_by_label("My status").select_option(label="Do not disturb")
    presence_cell = (
        alices.get_by_role("row").filter(has_text="Bob Okafor").locator("[data-presence-of]")
    )
    expect(presence_cell).to_have_text("Do not disturb")
    expect(monitor_entry(alices, "Bob Okafor")).to_contain_text("Do not disturb")
    alices.get_by_label("My status").select_option(label="Busy")  # a later event, to flush
    expect(bobs.get_by_role("complementary", name="Online Monitor")).to_contain_text("Busy")
    assert alices.evaluate("() => window.monitorRenders") == 1

    # The contacts page's search still asks the server once per search.
    visit_by_link(alices, nav_link(alices, "Contacts"))
    searches = []
    alices.on("request", lambda r: searches.append(r.url) if "/search/" in r.url else None)
    alices.get_by_label("Search contacts").fill("Zoe")
    expect(alices.get_by_role("region", name="Search results")).to_contain_text("Zoe")
    alices.wait_for_timeout(500)  # past the search delay: a leaked second listener fires by now
    assert len(searches) == 1, searches


def test_signing_out_loads_the_sign_in_page_in_full(new_page, alice, password):
    page = new_page("/accounts/login/", **WIDE)
    sign_in(page, alice, password)
    page.evaluate(WATCH_PAGE)
    page.get_by_role("button", name="Alice").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert page.evaluate("() => window.keptDocument === undefined") is True


def test_alice_reloading_is_no_flicker_but_closing_her_tab_shows_offline_within_6_s(
    new_page, alice, bob, password
):
    bobs = new_page("/accounts/login/", **WIDE)
    sign_in(bobs, bob, password)
    alices = new_page("/accounts/login/", **WIDE)
    sign_in(alices, alice, password)
    expect(monitor_entry(bobs, "Alice Fernandez")).to_contain_text("Online")
    bobs.evaluate(RECORD_PRESENCE)
    about_alice = (
        f"() => window.presenceEvents.filter((e) => e.user === '{publicid.of(alice)}')"
        ".map((e) => e.state)"
    )

    alices.reload()  # a new socket within the grace period (PRESENCE_OFFLINE_GRACE_SECONDS)
    expect(alices.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    alices.wait_for_timeout(5000)  # longer than the grace: an Offline would have come by now
    alices.get_by_label("My status").select_option(label="Busy")
    expect(monitor_entry(bobs, "Alice Fernandez")).to_contain_text("Busy")
    assert bobs.evaluate(about_alice) == ["busy"]

    alices.close()
    closed = time.monotonic()
    expect(monitor_entry(bobs, "Alice Fernandez")).to_contain_text("Offline", timeout=6000)
    print(f"bob saw alice offline {time.monotonic() - closed:.1f} s after she closed her tab")
    assert bobs.evaluate(about_alice) == ["busy", "offline"]
