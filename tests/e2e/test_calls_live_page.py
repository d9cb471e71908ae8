"""A call in a tab that moves around the app, the call UI by keyboard and on small screens,
and calls that cannot connect. Two Chromium contexts in the test network, real media."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.test_calls import (
    WIDE,
    call_window,
    connected_call,
    incoming,
    media_flows_both_ways,
    monitor_action,
    signed_in,
)
from tests.fixtures.live import sign_in, start_daphne, stop_daphne

pytestmark = [pytest.mark.browser, pytest.mark.media, pytest.mark.django_db(transaction=True)]

# Marks what must survive every visit: the peer connection object, the call window element
# (and whether it ever left the document), the remote video, and every signal heard.
WATCH_CALL = """() => {
  const calls = window.ucCalls;
  calls.pc.keptTag = "the first connection";
  const win = document.querySelector(".call-window");
  win.keptTag = "the first window";
  window.windowLeft = 0;
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.removedNodes) if (n === win) window.windowLeft += 1;
  }).observe(document.documentElement, { childList: true, subtree: true });
  window.signalLog = [];
  window.ucLive.on("call.signalled",
    (e) => window.signalLog.push(e.kind + (e.restart ? ":restart" : "")));
}"""
STILL_THE_SAME_CALL = """() => {
  const win = document.querySelector(".call-window");
  const video = win.querySelector("video[data-remote]");
  return {
    pc: window.ucCalls.pc.keptTag,
    window: win.keptTag,
    left: window.windowLeft,
    playing: !video.paused,
    frames: video.getVideoPlaybackQuality().totalVideoFrames,
    descriptions: window.signalLog.filter((kind) => kind !== "candidate"),
  };
}"""


def nav_link(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def test_alices_video_call_goes_on_while_she_visits_five_pages_and_posts_a_form(
    testnet, new_page, alice, bob, password
):
    alices, bobs = connected_call(new_page, alice, bob, password)
    for page in (alices, bobs):
        page.evaluate(WATCH_CALL)
    frames = {id(page): page.evaluate(STILL_THE_SAME_CALL)["frames"] for page in (alices, bobs)}

    def check() -> None:
        for page, peer in ((alices, "Bob Okafor"), (bobs, "Alice Fernandez")):
            expect(call_window(page, peer)).to_contain_text("Connected")
            media_flows_both_ways(page)
            now = page.evaluate(STILL_THE_SAME_CALL)
            assert now["pc"] == "the first connection", now
            assert now["window"] == "the first window" and now["left"] == 0, now
            assert now["playing"] and now["frames"] > frames[id(page)], now
            assert now["descriptions"] == [], now  # no renegotiation, no ICE restart
            frames[id(page)] = now["frames"]

    for name, path in (
        ("Contacts", r"/contacts/$"),
        ("Calls", r"/calls/$"),
        ("Online Monitor", r"/monitor/$"),
        ("Help", r"/help/$"),
        ("Contacts", r"/contacts/$"),
    ):
        nav_link(alices, name).click()
        expect(alices).to_have_url(re.compile(path))
        check()
    alices.get_by_label("New address book").fill("During the call")
    alices.get_by_role("button", name="Add book").click()
    expect(alices.get_by_role("heading", name=re.compile("^During the call"))).to_be_visible()
    check()
    from calls.models import Call

    call = Call.objects.get()
    assert call.state == Call.State.ANSWERED and call.connected_at is not None


ANNOUNCEMENTS = """() => {
  window.announced = [];
  const region = document.getElementById("announce-assertive");
  new MutationObserver(() => { if (region.textContent) window.announced.push(region.textContent); })
    .observe(region, { childList: true, characterData: true, subtree: true });
}"""


def test_bob_answers_by_keyboard_without_tabbing_through_the_page_and_gets_his_focus_back(
    testnet, new_page, alice, bob, password
):
    alices = signed_in(new_page, alice, password)
    bobs = signed_in(new_page, bob, password)
    bobs.evaluate(ANNOUNCEMENTS)
    contacts = nav_link(bobs, "Contacts")
    contacts.focus()

    monitor_action(alices, "Bob Okafor", "Call")
    # The caller's window takes her focus at once.
    expect(call_window(alices, "Bob Okafor").get_by_role("button", name="Hang up")).to_be_focused()
    ring = incoming(bobs, "Alice Fernandez")
    expect(ring).to_be_focused()
    bobs.keyboard.press("Tab")
    expect(ring.get_by_role("button", name="Accept audio")).to_be_focused()
    bobs.keyboard.press("Enter")
    expect(call_window(bobs, "Alice Fernandez")).to_contain_text("Connected")
    expect(
        call_window(bobs, "Alice Fernandez").get_by_role("button", name="Hang up")
    ).to_be_focused()
    assert any(
        "Incoming call from Alice Fernandez" in text for text in bobs.evaluate("window.announced")
    )

    call_window(alices, "Bob Okafor").get_by_role("button", name="Hang up").click()
    expect(call_window(bobs, "Alice Fernandez")).to_contain_text("Call ended: Completed")
    bobs.keyboard.press("Escape")  # an ended call window closes with Escape
    expect(call_window(bobs, "Alice Fernandez")).to_have_count(0)
    expect(contacts).to_be_focused()

    # Typing: the call does not take the keyboard, Alt+Shift+A answers from where he is.
    call_window(alices, "Bob Okafor").get_by_role("button", name="Close").click()
    status_text = bobs.get_by_label("Status message")
    status_text.fill("Writing")
    monitor_action(alices, "Bob Okafor", "Call")
    expect(incoming(bobs, "Alice Fernandez")).to_be_visible()
    expect(status_text).to_be_focused()
    bobs.keyboard.press("Alt+Shift+A")
    expect(call_window(bobs, "Alice Fernandez")).to_contain_text("Connected")
    call_window(bobs, "Alice Fernandez").get_by_role("button", name="Hang up").click()
    expect(call_window(bobs, "Alice Fernandez")).to_contain_text("Call ended")
    bobs.keyboard.press("Escape")
    expect(status_text).to_be_focused()

    # Declining with Escape gives the focus back as well.
    call_window(alices, "Bob Okafor").get_by_role("button", name="Close").click()
    contacts.focus()
    monitor_action(alices, "Bob Okafor", "Call")
    expect(incoming(bobs, "Alice Fernandez")).to_be_focused()
    bobs.keyboard.press("Escape")
    expect(call_window(alices, "Bob Okafor")).to_contain_text("Call ended: Declined")
    expect(contacts).to_be_focused()


def overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


FOCUSED_BOX = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el.closest("#live-layer")) return null;
  const r = el.getBoundingClientRect();
  const name = el.outerHTML.slice(0, 200);
  return {x: r.x, y: r.y, width: r.width, height: r.height, name};
}"""


def test_the_ringing_toast_keeps_clear_of_the_navigation_and_the_pages_controls(
    testnet, new_page, alice, bob, password
):
    alices = signed_in(new_page, alice, password)
    wide = signed_in(new_page, bob, password, viewport={"width": 1280, "height": 800})
    narrow = wide.context.new_page()
    narrow.set_viewport_size({"width": 390, "height": 844})
    narrow.goto("/contacts/")
    expect(narrow.get_by_role("status").filter(has_text="Connected")).to_be_visible()

    monitor_action(alices, "Bob Okafor", "Video call")
    toast = incoming(wide, "Alice Fernandez")
    expect(toast).to_be_visible()
    assert not overlap(
        toast.bounding_box(), wide.get_by_role("navigation", name="Main").bounding_box()
    )

    toast = incoming(narrow, "Alice Fernandez")
    expect(toast).to_be_visible()
    box = toast.bounding_box()
    nav = narrow.get_by_role("navigation", name="Main").bounding_box()
    assert not overlap(box, nav)
    # Every control of the page, reached by keyboard, is shown clear of the toast.
    narrow.locator("body").focus()
    seen = 0
    for _ in range(40):
        narrow.keyboard.press("Tab")
        focused = narrow.evaluate(FOCUSED_BOX)
        if focused is None:
            continue
        seen += 1
        assert not overlap(focused, toast.bounding_box()), focused["name"]
    assert seen >= 15


@pytest.fixture
def unreachable_relay_server(testnet, tmp_path):
    """A daphne whose calls may only go through a TURN server that nothing answers."""
    server = start_daphne(
        tmp_path,
        tmp_path,
        TURN_URLS=f"turn:{testnet}:3479?transport=udp",
        TURN_SHARED_SECRET="not-a-real-server",
        CALLS_ICE_TRANSPORT_POLICY="relay",
    )
    yield server
    stop_daphne(server)


def test_calls_that_cannot_connect_end_failed_each_within_the_same_time(
    chromium, unreachable_relay_server, alice, bob, password
):
    from calls.models import Call

    contexts = [
        chromium.new_context(base_url=unreachable_relay_server.url, **WIDE) for _ in range(2)
    ]
    try:
        alices, bobs = (context.new_page() for context in contexts)
        for context in contexts:
            context.set_default_timeout(10_000)
        sign_in(alices, alice, password)
        sign_in(bobs, bob, password)

        # Hung up while still connecting: failed, not completed.
        monitor_action(alices, "Bob Okafor", "Call")
        incoming(bobs, "Alice Fernandez").get_by_role("button", name="Accept audio").click()
        window = call_window(alices, "Bob Okafor")
        expect(window).to_contain_text("Connecting")
        window.get_by_role("button", name="Hang up").click()
        expect(window).to_contain_text("Call ended: Could not connect")
        first = Call.objects.get()
        assert (first.end_reason, first.connected_at, first.duration) == (
            Call.EndReason.FAILED,
            None,
            None,
        )
        window.get_by_role("button", name="Close").click()
        call_window(bobs, "Alice Fernandez").get_by_role("button", name="Close").click()

        # Two calls in the same tabs that cannot connect: each gives up, in the same time.
        took = []
        for _ in range(2):
            monitor_action(alices, "Bob Okafor", "Call")
            incoming(bobs, "Alice Fernandez").get_by_role("button", name="Accept audio").click()
            started = time.monotonic()
            window = call_window(alices, "Bob Okafor")
            expect(window).to_contain_text("Call ended: Could not connect", timeout=30_000)
            took.append(time.monotonic() - started)
            expect(window.get_by_role("alert")).to_contain_text("relay server (TURN)")
            expect(window).not_to_contain_text("Reconnecting")
            expect(call_window(bobs, "Alice Fernandez")).to_contain_text(
                "Call ended: Could not connect"
            )
            window.get_by_role("button", name="Close").click()
            call_window(bobs, "Alice Fernandez").get_by_role("button", name="Close").click()
        print(f"calls that could not connect ended after {took[0]:.1f} s and {took[1]:.1f} s")
        assert took[1] < took[0] + 5
        assert list(Call.objects.values_list("end_reason", flat=True)) == ["failed"] * 3
        assert not Call.objects.filter(connected_at__isnull=False).exists()

        alices.goto("/calls/")
        rows = alices.get_by_role("row").filter(has_text="Bob Okafor")
        expect(rows).to_have_count(3)
        for row in rows.all():
            expect(row).to_contain_text("Could not connect")
            expect(row.get_by_role("cell").nth(4)).to_have_text("–")
    finally:
        for context in contexts:
            context.close()
