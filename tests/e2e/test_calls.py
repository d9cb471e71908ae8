"""Two people in two Chromium contexts call each other for real (fake camera/microphone),
through our signalling, inside the test network; media is checked with getStats()."""

import contextlib
import os
import re
import secrets
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.fixtures.live import (
    CHROMIUM,
    CHROMIUM_ARGS,
    sign_in,
    start_daphne,
    stop_daphne,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.media, pytest.mark.django_db(transaction=True)]

WIDE = {"viewport": {"width": 1400, "height": 900}}

INBOUND = """async () => {
  const stats = [...(await window.ucCalls.pc.getStats()).values()];
  return Object.fromEntries(stats.filter((s) => s.type === "inbound-rtp")
    .map((s) => [s.kind, s.bytesReceived]));
}"""

SELECTED_PAIR = """async () => {
  const stats = [...(await window.ucCalls.pc.getStats()).values()];
  const transport = stats.find((s) => s.type === "transport");
  const pair = stats.find((s) => s.id === transport.selectedCandidatePairId);
  const local = stats.find((s) => s.id === pair.localCandidateId);
  return {type: local.candidateType, address: local.address};
}"""


def monitor_action(page, name: str, action: str) -> None:
    page.get_by_role("button", name=re.compile(rf"^{name}: .*Options$")).click()
    page.get_by_role("menu", name="Options").get_by_role(
        "menuitem", name=action, exact=True
    ).click()


def call_window(page, name: str):
    return page.get_by_role("dialog", name=f"Call with {name}")


def incoming(page, name: str):
    return page.get_by_role("alertdialog", name=re.compile(rf"call from {name}$"))


def media_flows_both_ways(page) -> None:
    """Inbound audio and video bytes keep increasing on this side."""
    first = page.evaluate(INBOUND)
    for _ in range(50):
        page.wait_for_timeout(200)
        now = page.evaluate(INBOUND)
        if all(now.get(kind, 0) > first.get(kind, 0) for kind in ("audio", "video")):
            return
    raise AssertionError(f"inbound media did not grow: {first} -> {now}")


def signed_in(new_page, user, password, **context):
    page = new_page("/accounts/login/", **{**WIDE, **context})
    sign_in(page, user, password)
    return page


def test_alice_video_calls_bob_they_talk_and_both_logs_show_it(
    testnet, new_page, alice, bob, password
):
    alices = signed_in(new_page, alice, password)
    bobs = signed_in(new_page, bob, password)
    monitor_action(alices, "Bob Okafor", "Video call")
    expect(call_window(alices, "Bob Okafor")).to_contain_text("Ringing")

    ring = incoming(bobs, "Alice Fernandez")
    expect(ring).to_contain_text("Incoming video call from Alice Fernandez")
    ring.get_by_role("button", name="Accept video").click()

    expect(call_window(alices, "Bob Okafor")).to_contain_text("Connected")
    expect(call_window(bobs, "Alice Fernandez")).to_contain_text("Connected")
    media_flows_both_ways(alices)
    media_flows_both_ways(bobs)
    # Both show On a call in the Online Monitor of the other.
    expect(
        alices.get_by_role("complementary", name="Online Monitor").locator(
            ".monitor-entry", has_text="Bob Okafor"
        )
    ).to_contain_text("On a call")

    alices.wait_for_timeout(1200)  # a call that lasted at least a second
    call_window(alices, "Bob Okafor").get_by_role("button", name="Hang up").click()
    expect(call_window(alices, "Bob Okafor")).to_contain_text("Call ended: Completed")
    expect(call_window(bobs, "Alice Fernandez")).to_contain_text("Call ended: Completed")

    for page, peer, direction in (
        (alices, "Bob Okafor", "Outgoing"),
        (bobs, "Alice Fernandez", "Incoming"),
    ):
        page.goto("/calls/")
        row = page.get_by_role("row").filter(has_text=peer)
        expect(row).to_contain_text(direction)
        expect(row).to_contain_text("Video")
        expect(row).to_contain_text("Completed")
        expect(row.get_by_role("cell").nth(4)).to_have_text(re.compile(r"^\d+:\d\d$"))


def connected_call(new_page, alice, bob, password, media="Video call"):
    alices = signed_in(new_page, alice, password)
    bobs = signed_in(new_page, bob, password)
    monitor_action(alices, "Bob Okafor", media)
    accept = "Accept video" if media == "Video call" else "Accept audio"
    incoming(bobs, "Alice Fernandez").get_by_role("button", name=accept).click()
    expect(call_window(alices, "Bob Okafor")).to_contain_text("Connected")
    expect(call_window(bobs, "Alice Fernandez")).to_contain_text("Connected")
    return alices, bobs


def test_a_network_blip_on_bobs_socket_keeps_the_call(testnet, new_page, alice, bob, password):
    alices, bobs = connected_call(new_page, alice, bob, password)
    bobs.evaluate("() => window.ucLive.socket.close()")
    expect(call_window(bobs, "Alice Fernandez")).to_contain_text("Connected")
    expect(call_window(alices, "Bob Okafor")).to_contain_text("Connected")
    media_flows_both_ways(alices)
    media_flows_both_ways(bobs)
    from calls.models import Call

    assert Call.objects.get().state == Call.State.ANSWERED


COUNT_RESTARTS = """() => {
  window.iceRestarts = 0;
  const calls = window.ucCalls;
  const offer = calls.offer.bind(calls);
  calls.offer = (restart) => { if (restart) window.iceRestarts += 1; return offer(restart); };
}"""


def cut_the_test_network() -> None:
    """Drop every packet inside the test network, as a dead Wi-Fi would: both browsers, the
    server's websockets and the media all go over `lo` there. (This kernel has no netem; a
    token bucket one byte deep lets nothing through.)"""
    subprocess.run(  # noqa: S603
        [
            "tc",
            "qdisc",
            "add",
            "dev",
            "lo",
            "root",
            "tbf",
            "rate",
            "1kbit",
            "burst",
            "1",
            "latency",
            "1ms",
        ],
        check=True,
    )


def restore_the_test_network() -> None:
    subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], check=False)  # noqa: S603


def test_a_network_blip_restarts_ice_and_the_call_goes_on(testnet, new_page, alice, bob, password):
    alices, bobs = connected_call(new_page, alice, bob, password)
    media_flows_both_ways(alices)
    alices.evaluate(COUNT_RESTARTS)
    cut_the_test_network()
    try:
        expect(call_window(alices, "Bob Okafor")).to_contain_text("Reconnecting", timeout=9000)
        # the caller tries an ICE restart while the network is still down
        wait_until(alices, "window.iceRestarts >= 1", timeout=6)
    finally:
        restore_the_test_network()
    expect(call_window(alices, "Bob Okafor")).to_contain_text("Connected", timeout=9000)
    expect(call_window(bobs, "Alice Fernandez")).to_contain_text("Connected")
    media_flows_both_ways(alices)
    media_flows_both_ways(bobs)
    from calls.models import Call

    assert Call.objects.get().state == Call.State.ANSWERED


def process_tree(marker: str) -> list[int]:
    """The PIDs of the browser started with `marker` on its command line and of all its
    descendants (renderers, the network service)."""
    parents: dict[int, int] = {}
    root = None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        parents[int(proc.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        if marker.encode() in cmdline.split(b"\0"):
            root = int(proc.name)
    assert root is not None, "the second browser was not found"
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sorted(tree)


def signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def test_bob_vanishing_without_a_word_ends_the_call_for_alice(
    testnet, chromium, daphne_server, new_page, alice, bob, password
):
    """Bob's computer freezes mid-call: no close frame, no media, no heartbeat (his whole
    browser is stopped). Alice's side notices the dead media path and ends the call."""
    from calls.models import Call

    marker = f"--uc-test-vanishing-{secrets.token_hex(4)}"
    other = chromium.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, marker], headless=True
    )
    pids: list[int] = []
    try:
        context = other.new_context(base_url=daphne_server.url, **WIDE)
        context.set_default_timeout(10_000)
        bobs = context.new_page()
        sign_in(bobs, bob, password)
        alices = signed_in(new_page, alice, password)
        monitor_action(alices, "Bob Okafor", "Video call")
        incoming(bobs, "Alice Fernandez").get_by_role("button", name="Accept video").click()
        expect(call_window(alices, "Bob Okafor")).to_contain_text("Connected")
        media_flows_both_ways(alices)

        pids = process_tree(marker)
        signal_all(pids, signal.SIGSTOP)
        started = time.monotonic()
        expect(call_window(alices, "Bob Okafor")).to_contain_text("Call ended", timeout=25_000)
        print(f"alice saw the call end {time.monotonic() - started:.1f} s after bob froze")
        call = Call.objects.get()
        assert (call.state, call.end_reason) == (Call.State.ENDED, Call.EndReason.FAILED)
    finally:
        signal_all(pids, signal.SIGCONT)
        other.close()


def test_bob_reloads_his_tab_and_the_call_comes_back(testnet, new_page, alice, bob, password):
    alices, bobs = connected_call(new_page, alice, bob, password)
    bobs.reload()
    expect(call_window(bobs, "Alice Fernandez")).to_contain_text("Connected")
    expect(call_window(alices, "Bob Okafor")).to_contain_text("Connected")
    media_flows_both_ways(alices)
    media_flows_both_ways(bobs)


def test_bob_closing_his_tab_ends_the_call_for_alice(testnet, new_page, alice, bob, password):
    alices, bobs = connected_call(new_page, alice, bob, password, media="Call")
    bobs.close()
    expect(call_window(alices, "Bob Okafor")).to_contain_text(
        "Call ended: Connection failed", timeout=15_000
    )
    from calls.models import Call

    assert Call.objects.get().end_reason == Call.EndReason.FAILED


def test_bob_mutes_turns_his_camera_off_and_shares_his_screen(
    testnet, new_page, alice, bob, password
):
    alices, bobs = connected_call(new_page, alice, bob, password)
    window = call_window(bobs, "Alice Fernandez")
    window.get_by_role("button", name="Mute").click()
    expect(window.get_by_role("button", name="Unmute")).to_have_attribute("aria-pressed", "true")
    assert bobs.evaluate("() => window.ucCalls.stream.getAudioTracks()[0].enabled") is False
    window.get_by_role("button", name="Camera off").click()
    expect(window.get_by_role("button", name="Camera on")).to_have_attribute("aria-pressed", "true")
    window.get_by_role("button", name="Share screen").click()
    expect(window.get_by_role("button", name="Stop sharing")).to_be_visible()
    sent = bobs.evaluate("() => window.ucCalls.videoSender().track === window.ucCalls.screenTrack")
    assert sent is True
    window.get_by_role("button", name="Stop sharing").click()
    expect(window.get_by_role("button", name="Share screen")).to_be_visible()
    window.get_by_role("button", name="Devices").click()
    for device in ("Microphone", "Camera", "Speaker"):
        expect(window.get_by_role("combobox", name=device)).to_be_visible()
    window.get_by_role("combobox", name="Microphone").select_option(label="Fake Audio Input 1")
    expect(window.get_by_role("status")).to_have_text("Connected")
    media_flows_both_ways(alices)


def test_bob_declines_and_alice_reads_why(testnet, new_page, alice, bob, password):
    alices = signed_in(new_page, alice, password)
    bobs = signed_in(new_page, bob, password)
    monitor_action(alices, "Bob Okafor", "Call")
    ring = incoming(bobs, "Alice Fernandez")
    expect(ring).to_contain_text("Incoming call from Alice Fernandez")
    expect(ring.get_by_role("button", name="Accept video")).to_be_hidden()  # an audio call
    ring.get_by_role("button", name="Decline").click()
    expect(call_window(alices, "Bob Okafor")).to_contain_text("Call ended: Declined")
    expect(ring).to_be_hidden()
    expect(bobs.get_by_role("status").filter(has_text="Call ended: Declined")).to_be_visible()


def test_an_unanswered_call_is_missed_and_the_badge_clears_in_the_log(
    testnet, new_page, alice, bob, password
):
    bob.profile.ring_timeout_seconds = 5
    bob.profile.save()
    alices = signed_in(new_page, alice, password)
    bobs = signed_in(new_page, bob, password)
    expect(bobs.get_by_role("link", name="Calls", exact=True)).to_be_visible()

    monitor_action(alices, "Bob Okafor", "Video call")
    expect(incoming(bobs, "Alice Fernandez")).to_be_visible()
    expect(call_window(alices, "Bob Okafor")).to_contain_text(
        "Call ended: No answer", timeout=15_000
    )
    expect(incoming(bobs, "Alice Fernandez")).to_be_hidden()
    expect(bobs.get_by_role("status").filter(has_text="Call ended: No answer")).to_be_visible()
    expect(bobs.get_by_role("link", name="Calls 1 missed calls", exact=True)).to_be_visible()

    bobs.goto("/calls/?filter=missed")
    expect(bobs.get_by_role("row").filter(has_text="Alice Fernandez")).to_contain_text("Missed")
    expect(bobs.get_by_role("link", name="Calls", exact=True)).to_be_visible()


def test_bob_answers_in_one_tab_and_the_other_stops_ringing(
    testnet, new_page, alice, bob, password
):
    alices = signed_in(new_page, alice, password)
    bob_first = signed_in(new_page, bob, password)
    bob_second = bob_first.context.new_page()
    bob_second.goto("/")
    expect(bob_second.get_by_role("status").filter(has_text="Connected")).to_be_visible()

    monitor_action(alices, "Bob Okafor", "Call")
    expect(incoming(bob_first, "Alice Fernandez")).to_be_visible()
    expect(incoming(bob_second, "Alice Fernandez")).to_be_visible()
    incoming(bob_first, "Alice Fernandez").get_by_role("button", name="Accept audio").click()

    expect(
        bob_second.get_by_role("status").filter(has_text="Answered on another device.")
    ).to_be_visible()
    expect(incoming(bob_second, "Alice Fernandez")).to_have_count(0)  # no buttons to press
    expect(call_window(bob_first, "Alice Fernandez")).to_contain_text("Connected")
    expect(call_window(alices, "Bob Okafor")).to_contain_text("Connected")
    expect(call_window(bob_second, "Alice Fernandez")).to_have_count(0)

    call_window(bob_first, "Alice Fernandez").get_by_role("button", name="Hang up").click()
    expect(call_window(alices, "Bob Okafor")).to_contain_text("Call ended: Completed")


def test_the_dial_box_calls_a_colleague_by_email(testnet, new_page, alice, bob, password):
    alices = signed_in(new_page, alice, password)
    bobs = signed_in(new_page, bob, password)
    alices.goto("/calls/")
    alices.get_by_label("Call a colleague (email address or name)").fill(bob.email)
    alices.get_by_role("button", name="Video call", exact=True).click()
    expect(incoming(bobs, "Alice Fernandez")).to_contain_text("Incoming video call")
    call_window(alices, "Bob Okafor").get_by_role("button", name="Hang up").click()
    expect(call_window(alices, "Bob Okafor")).to_contain_text("Call ended: Cancelled")
    expect(bobs.get_by_role("status").filter(has_text="Call ended: Cancelled")).to_be_visible()


def test_alice_calls_back_from_her_log_and_from_bobs_contact_page(
    testnet, new_page, alice, bob, password
):
    from tests.calls.factories import CallFactory
    from tests.contacts.factories import AddressBookFactory, ContactFactory

    CallFactory(caller=bob, callee=alice)
    contact = ContactFactory(
        book=AddressBookFactory(owner=alice),
        given_name="Bob",
        family_name="Okafor",
        linked_user=bob,
    )
    alices = signed_in(new_page, alice, password)
    bobs = signed_in(new_page, bob, password)

    alices.goto("/calls/")
    alices.get_by_role("button", name="Call Bob Okafor back").click()
    expect(incoming(bobs, "Alice Fernandez")).to_contain_text("Incoming video call")
    incoming(bobs, "Alice Fernandez").get_by_role("button", name="Decline").click()
    window = call_window(alices, "Bob Okafor")
    expect(window).to_contain_text("Call ended: Declined")
    window.get_by_role("button", name="Close").click()

    alices.goto(reverse("contacts:detail", args=[contact.pk]))
    alices.get_by_role("main").get_by_role("button", name="Call", exact=True).click()
    expect(incoming(bobs, "Alice Fernandez")).to_contain_text("Incoming call from")
    incoming(bobs, "Alice Fernandez").get_by_role("button", name="Accept audio").click()
    expect(call_window(alices, "Bob Okafor")).to_contain_text("Connected")


def test_a_denied_camera_gets_a_clear_message_and_no_call(testnet, new_page, alice, bob, password):
    alices = signed_in(new_page, alice, password)
    alices.add_init_script(
        """navigator.mediaDevices.getUserMedia = () =>
             Promise.reject(new DOMException("Permission denied", "NotAllowedError"));"""
    )
    alices.reload()
    expect(alices.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    monitor_action(alices, "Bob Okafor", "Video call")
    expect(call_window(alices, "Bob Okafor").get_by_role("alert")).to_contain_text(
        "did not allow the microphone or camera"
    )
    from calls.models import Call

    assert Call.objects.count() == 0


def stun_answers(host: str, port: int) -> bool:
    """Whether a STUN Binding request gets a success response (RFC 5389)."""
    request = struct.pack("!HHI12s", 0x0001, 0, 0x2112A442, secrets.token_bytes(12))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.3)
        try:
            sock.sendto(request, (host, port))
            return sock.recv(2048)[:2] == b"\x01\x01"
        except OSError:
            return False


@pytest.fixture
def coturn(testnet, tmp_path):
    """Debian's coturn on the test address with a test secret; stopped by PID."""
    secret = secrets.token_hex(16)
    log = open(tmp_path / "turnserver.log", "w+b")  # noqa: SIM115
    process = subprocess.Popen(
        [
            "/usr/bin/turnserver",
            "-n",
            f"--listening-ip={testnet}",
            f"--relay-ip={testnet}",
            "--listening-port=3478",
            "--use-auth-secret",
            f"--static-auth-secret={secret}",
            "--realm=test.local",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--min-port=49160",
            "--max-port=49200",
            "--log-file=stdout",
            "--simple-log",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while not stun_answers(testnet, 3478):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("turnserver did not start:\n" + (tmp_path / "turnserver.log").read_text())
        time.sleep(0.1)
    yield {"url": f"turn:{testnet}:3478?transport=udp", "secret": secret}
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def relay_only_server(coturn, tmp_path):
    """A daphne whose pages may only use TURN relays (iceTransportPolicy relay)."""
    server = start_daphne(
        tmp_path,
        tmp_path,
        TURN_URLS=coturn["url"],
        TURN_SHARED_SECRET=coturn["secret"],
        CALLS_ICE_TRANSPORT_POLICY="relay",
    )
    yield server
    stop_daphne(server)


def test_a_relay_only_call_flows_through_coturn(
    testnet, chromium, relay_only_server, alice, bob, password
):
    contexts = [chromium.new_context(base_url=relay_only_server.url, **WIDE) for _ in range(2)]
    try:
        alices, bobs = (context.new_page() for context in contexts)
        sign_in(alices, alice, password)
        sign_in(bobs, bob, password)
        monitor_action(alices, "Bob Okafor", "Video call")
        incoming(bobs, "Alice Fernandez").get_by_role("button", name="Accept video").click()
        expect(call_window(alices, "Bob Okafor")).to_contain_text("Connected", timeout=15_000)
        expect(call_window(bobs, "Alice Fernandez")).to_contain_text("Connected")
        for page in (alices, bobs):
            assert page.evaluate(SELECTED_PAIR) == {"type": "relay", "address": testnet}
            media_flows_both_ways(page)
    finally:
        for context in contexts:
            context.close()
