"""The media relay with real processes: daphne, `manage.py relay` workers, Redis, and
aiortc clients that carry marker tones through it (inside scripts/testnet)."""

import asyncio
import os
import re
import signal
import time

import pytest
from aiortc import RTCPeerConnection, VideoStreamTrack
from playwright.sync_api import expect

from calls.models import Call, RelayWorker
from tests.e2e.test_calls import WIDE, call_window, incoming, media_flows_both_ways, monitor_action
from tests.fixtures.live import sign_in
from tests.fixtures.relay import (
    Listener,
    Tab,
    ToneTrack,
    apply_answer,
    offer_from,
    run_async,
    tone_share,
)
from tests.fixtures.sockets import session_cookie_for
from uc_web.lib import publicid

pytestmark = [pytest.mark.browser, pytest.mark.media, pytest.mark.django_db(transaction=True)]

ALICE_TONE, BOB_TONE = 1000.0, 1500.0


def heard(listener: Listener, frequency: float, other: float) -> tuple[float, float]:
    tail = listener.loud_tail(1.0)
    return tone_share(tail, frequency), tone_share(tail, other)


async def echo_round_trip(url: str, key: str) -> dict:
    tab = await Tab(url, key).open()
    await tab.send({"type": "echo.start", "id": "e1"})
    session = (await tab.next("echo.started"))["session"]
    pc = RTCPeerConnection()
    listener = Listener()
    pc.on("track", listener.attach)
    pc.addTrack(ToneTrack(ALICE_TONE))
    pc.addTrack(VideoStreamTrack())
    sdp = await offer_from(pc)
    await tab.send({"type": "echo.signal", "session": session, "kind": "offer", "sdp": sdp})
    answer = await tab.next("echo.signalled")
    await apply_answer(pc, answer["sdp"])
    deadline = time.monotonic() + 20
    while len(listener.samples) < 48000 * 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    result = {
        "state": pc.connectionState,
        "seconds": len(listener.samples) / 48000,
        "share": heard(listener, ALICE_TONE, BOB_TONE),
        "video_frames": listener.video_frames,
    }
    listener.stop()
    await pc.close()
    await tab.close()
    return result


def test_the_echo_plays_back_what_was_sent(relay_stack, alice):
    relay_stack.start_relay("r1")
    result = run_async(echo_round_trip(relay_stack.server.url, session_cookie_for(alice)))
    assert result["state"] == "connected"
    assert result["seconds"] >= 2
    marker, other = result["share"]
    assert marker > 0.5 and other < 0.05, result  # our own 1 kHz tone came back
    assert result["video_frames"] > 10


async def relayed_call(url: str, alice_key: str, bob_key: str, bob_id: str, *, hold=None) -> dict:
    a, b = await Tab(url, alice_key).open(), await Tab(url, bob_key).open()
    await a.send(
        {"type": "call.start", "callee": bob_id, "media": "audio", "device": "alice-aiortc"}
    )
    call_id = (await b.next("call.ringing"))["call"]["id"]
    await b.send({"type": "call.accept", "call": call_id, "device": "bob-aiortc-1"})
    answered = (await a.next("call.answered"))["call"]
    assert answered["relayed"] is True
    await b.next("call.answered")
    legs = {}
    for tab, tone in ((a, ALICE_TONE), (b, BOB_TONE)):
        pc = RTCPeerConnection()
        listener = Listener()
        pc.on("track", listener.attach)
        pc.addTrack(ToneTrack(tone))
        legs[tab] = (pc, listener)
    # Both offer (to the relay); the relay answers each.
    for tab, (pc, _) in legs.items():
        sdp = await offer_from(pc)
        await tab.send({"type": "call.signal", "call": call_id, "kind": "offer", "sdp": sdp})
    for tab, (pc, _) in legs.items():
        await apply_answer(pc, (await tab.next("call.signalled"))["sdp"])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(
        len(listener.samples) < 48000 * 2 for _, listener in legs.values()
    ):
        await asyncio.sleep(0.2)
    result = {
        "call": call_id,
        "alice_heard": heard(legs[a][1], BOB_TONE, ALICE_TONE),
        "bob_heard": heard(legs[b][1], ALICE_TONE, BOB_TONE),
        "states": [pc.connectionState for pc, _ in legs.values()],
    }
    if hold is not None:
        result["ended"] = await hold(a, b, call_id)
    for pc, listener in legs.values():
        listener.stop()
        await pc.close()
    await a.close()
    await b.close()
    return result


def relay_on_for(user) -> None:
    user.profile.calls_via_server = True
    user.profile.save(update_fields=["calls_via_server"])


def test_a_relayed_call_carries_each_sides_tone_to_the_other(relay_stack, alice, bob):
    relay_on_for(alice)
    relay_stack.start_relay("r1")
    result = run_async(
        relayed_call(
            relay_stack.server.url,
            session_cookie_for(alice),
            session_cookie_for(bob),
            publicid.of(bob),
        )
    )
    assert result["states"] == ["connected", "connected"], relay_stack.logs()
    heard_bob, own = result["alice_heard"]
    assert heard_bob > 0.5 and own < 0.05, result
    heard_alice, own = result["bob_heard"]
    assert heard_alice > 0.5 and own < 0.05, result
    call = Call.objects.prefetch_related("legs").get()
    assert call.relay_reason == Call.RelayReason.USER
    assert call.relay_leg.worker == "r1"
    assert sorted(leg.role for leg in call.legs.all()) == ["callee", "caller", "relay"]


def test_killing_the_relay_ends_the_call_on_both_sides_within_ten_seconds(relay_stack, alice, bob):
    relay_on_for(alice)
    worker = relay_stack.start_relay("r1")

    async def kill_and_wait(a, b, call_id):
        os.kill(worker.pid, signal.SIGKILL)
        killed = time.monotonic()
        ended = [await a.next("call.ended", timeout=12), await b.next("call.ended", timeout=12)]
        return {
            "after": time.monotonic() - killed,
            "labels": [e["call"]["end_reason_label"] for e in ended],
        }

    result = run_async(
        relayed_call(
            relay_stack.server.url,
            session_cookie_for(alice),
            session_cookie_for(bob),
            publicid.of(bob),
            hold=kill_and_wait,
        )
    )
    assert result["states"] == ["connected", "connected"]
    assert result["ended"]["labels"] == ["Media server unavailable"] * 2
    assert result["ended"]["after"] < 10
    call = Call.objects.get()
    assert call.state == Call.State.ENDED and call.end_reason == Call.EndReason.MEDIA_LOST
    assert call.ended_at is not None


async def accept_without_relay(url: str, alice_key: str, bob_key: str, bob_id: str) -> dict:
    a, b = await Tab(url, alice_key).open(), await Tab(url, bob_key).open()
    await a.send(
        {"type": "call.start", "callee": bob_id, "media": "audio", "device": "alice-aiortc"}
    )
    call_id = (await b.next("call.ringing"))["call"]["id"]
    started = time.monotonic()
    await b.send({"type": "call.accept", "call": call_id, "device": "bob-aiortc-1", "id": "acc"})
    error = await b.next("error")
    ended = await a.next("call.ended")
    result = {"after": time.monotonic() - started, "error": error, "ended": ended["call"]}
    await a.close()
    await b.close()
    return result


def test_a_relayed_call_without_a_relay_fails_at_once_and_says_why(relay_stack, alice, bob):
    relay_on_for(alice)
    assert relay_stack.health()["relay"] == {"available": False, "workers": 0, "sessions": 0}
    result = run_async(
        accept_without_relay(
            relay_stack.server.url,
            session_cookie_for(alice),
            session_cookie_for(bob),
            publicid.of(bob),
        )
    )
    assert result["error"]["code"] == "relay_unavailable"
    assert result["error"]["detail"].startswith("Media server unavailable")
    assert result["ended"]["end_reason_label"] == "Media server unavailable"
    assert result["after"] < 5
    assert Call.objects.get().end_reason == Call.EndReason.MEDIA_LOST


def test_workers_announce_themselves_and_sessions_go_to_the_least_loaded(relay_stack, alice):
    relay_stack.start_relay("r1")
    relay_stack.start_relay("r2")
    health = relay_stack.health()["relay"]
    assert health == {"available": True, "workers": 2, "sessions": 0}
    RelayWorker.objects.filter(name="r1").update(load=5)  # as if r1 carried five sessions
    result = run_async(echo_round_trip(relay_stack.server.url, session_cookie_for(alice)))
    assert result["state"] == "connected"
    took = []
    for relay in relay_stack.relays:
        relay.log.flush()
        relay.log.seek(0)
        took.append(re.search(rb"relay \S+: echo leg connected", relay.log.read()) is not None)
    assert took == [False, True]  # r2 took the session, r1 (busier) did not
    # A worker killed without a word drops out after RELAY_STALE_SECONDS.
    os.kill(relay_stack.relays[1].pid, signal.SIGKILL)
    deadline = time.monotonic() + 8
    while relay_stack.health()["relay"]["workers"] != 1:
        assert time.monotonic() < deadline
        time.sleep(0.3)


# --- in the browser ---------------------------------------------------------------------
@pytest.fixture
def pages_on(chromium):
    """Browser contexts (one per person) on a server of the test's own; closed after."""
    contexts = []

    def open_on(url: str, user, password: str):
        context = chromium.new_context(base_url=url, **WIDE)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, user, password)
        return page

    yield open_on
    for context in contexts:
        context.close()


def relayed_browser_call(relay_stack, pages_on, alice, bob, password):
    relay_on_for(bob)  # the callee's own setting is enough
    alices = pages_on(relay_stack.server.url, alice, password)
    bobs = pages_on(relay_stack.server.url, bob, password)
    monitor_action(alices, "Bob Okafor", "Video call")
    incoming(bobs, "Alice Fernandez").get_by_role("button", name="Accept video").click()
    for page, peer in ((alices, "Bob Okafor"), (bobs, "Alice Fernandez")):
        window = call_window(page, peer)
        expect(window).to_contain_text("Connected", timeout=20_000)
        expect(window.get_by_text("Through the server")).to_be_visible()
    return alices, bobs


def test_a_forced_relay_call_between_two_browsers_carries_audio_and_video_both_ways(
    relay_stack, pages_on, alice, bob, password
):
    relay_stack.start_relay("r1")
    alices, bobs = relayed_browser_call(relay_stack, pages_on, alice, bob, password)
    for page in (alices, bobs):
        media_flows_both_ways(page)
    # Each browser's DTLS peer is the relay, not the other browser.
    fingerprints = {
        who: {
            side: re.search(
                r"a=fingerprint:\S+ (\S+)",
                page.evaluate(f"window.ucCalls.pc.{side}Description.sdp"),
            ).group(1)
            for side in ("local", "remote")
        }
        for who, page in (("alice", alices), ("bob", bobs))
    }
    assert fingerprints["alice"]["remote"] != fingerprints["bob"]["local"]
    assert fingerprints["bob"]["remote"] != fingerprints["alice"]["local"]
    call = Call.objects.get()
    assert call.relay_reason == Call.RelayReason.USER
    call_window(alices, "Bob Okafor").get_by_role("button", name="Hang up").click()
    expect(call_window(bobs, "Alice Fernandez")).to_contain_text("Call ended: Completed")
    assert wait_for_no_sessions(relay_stack)  # the session closed with the call


def wait_for_no_sessions(relay_stack) -> bool:
    deadline = time.monotonic() + 5
    while relay_stack.health()["relay"]["sessions"]:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)
    return True


def test_killing_the_relay_during_a_browser_call_says_media_server_unavailable(
    relay_stack, pages_on, alice, bob, password
):
    worker = relay_stack.start_relay("r1")
    alices, bobs = relayed_browser_call(relay_stack, pages_on, alice, bob, password)
    os.kill(worker.pid, signal.SIGKILL)
    killed = time.monotonic()
    for page, peer in ((alices, "Bob Okafor"), (bobs, "Alice Fernandez")):
        expect(call_window(page, peer)).to_contain_text(
            "Call ended: Media server unavailable", timeout=10_000
        )
    assert time.monotonic() - killed < 10
    assert Call.objects.get().end_reason == Call.EndReason.MEDIA_LOST


# Both browsers ignore the candidates trickled to them, as if no network path between
# them worked (not even TURN: none is configured here). A connection to the relay still
# works: the relay's candidates come inside its answer, not trickled.
NO_DIRECT_PATH = """
RTCPeerConnection.prototype.addIceCandidate = function () {
  return Promise.resolve();
};
"""


def test_a_direct_call_that_cannot_connect_moves_to_the_relay(
    relay_stack, chromium, alice, bob, password
):
    relay_stack.start_relay("r1")
    contexts = []
    try:
        pages = []
        for user in (alice, bob):
            context = chromium.new_context(base_url=relay_stack.server.url, **WIDE)
            context.set_default_timeout(10_000)
            context.add_init_script(NO_DIRECT_PATH)
            contexts.append(context)
            page = context.new_page()
            sign_in(page, user, password)
            pages.append(page)
        alices, bobs = pages
        monitor_action(alices, "Bob Okafor", "Video call")
        incoming(bobs, "Alice Fernandez").get_by_role("button", name="Accept video").click()
        # Not connected directly within 15 s: through the server instead.
        for page, peer in ((alices, "Bob Okafor"), (bobs, "Alice Fernandez")):
            window = call_window(page, peer)
            expect(window).to_contain_text("Connected", timeout=40_000)
            expect(window.get_by_text("Through the server")).to_be_visible()
        for page in (alices, bobs):
            media_flows_both_ways(page)
        call = Call.objects.get()
        assert call.state == Call.State.ANSWERED
        assert call.relay_reason == Call.RelayReason.ICE
    finally:
        for context in contexts:
            context.close()
