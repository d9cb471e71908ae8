"""The offline grace period: a closed socket lingers for PRESENCE_OFFLINE_GRACE_SECONDS,
so a reload or a reconnect is not an Offline/Online flicker, while a real close still
shows Offline soon after. Real application over WebsocketCommunicator, memory or Redis."""

import asyncio
import time

import pytest

from accounts import presence
from tests.accounts.test_presence import fresh_store, people_seen_by, presence_of  # noqa: F401
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db(transaction=True)

GRACE = 1.0


@pytest.fixture(autouse=True)
def grace(settings, fresh_store):  # noqa: F811
    settings.PRESENCE_OFFLINE_GRACE_SECONDS = GRACE


async def events_about(comm, user, seconds: float) -> list[dict]:
    """Every presence.changed about `user` that `comm` hears within `seconds`."""
    heard = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if await comm.receive_nothing(timeout=min(left, 0.1)):
            continue
        message = await comm.receive_json_from()
        if message["type"] == "presence.changed" and message["user"] == publicid.of(user):
            heard.append(message)
    return heard


async def test_bob_reloading_within_the_grace_is_heard_by_nobody(alice, bob, connect):
    alices = await connect(alice)
    bobs = await connect(bob)
    assert (await presence_of(alices, bob))["state"] == "online"
    await bobs.disconnect()
    await asyncio.sleep(0.3)  # the new page loads
    await connect(bob, session_key=bobs.session_key)
    assert await events_about(alices, bob, GRACE + 1.0) == []
    assert (await people_seen_by(alice))[bob.pk]["state"] == "online"


async def test_bob_closing_his_last_tab_is_offline_once_the_grace_ends(
    alice, bob, connect, settings
):
    grace = settings.PRESENCE_OFFLINE_GRACE_SECONDS = 2.5  # room for a busy machine
    alices = await connect(alice)
    bobs = await connect(bob)
    await presence_of(alices, bob)
    closed = time.monotonic()
    await bobs.disconnect()
    # Within the grace the snapshot still shows him, and nothing is said.
    assert (await people_seen_by(alice))[bob.pk]["state"] == "online"
    assert await events_about(alices, bob, grace - (time.monotonic() - closed) - 0.5) == []
    offline = await presence_of(alices, bob, timeout=grace + 3)
    waited = time.monotonic() - closed
    assert offline["state"] == "offline"
    assert grace <= waited < grace + 3
    assert (await people_seen_by(alice))[bob.pk]["state"] == "offline"


async def test_a_busy_bob_who_reloads_stays_busy_for_his_colleagues(alice, bob, connect):
    alices = await connect(alice)
    bobs = await connect(bob)
    await presence_of(alices, bob)
    await bobs.send_json_to({"type": "presence.set", "state": "busy", "text": "Call me later"})
    assert (await presence_of(alices, bob))["state"] == "busy"
    await bobs.disconnect()
    await connect(bob, session_key=bobs.session_key)
    assert await events_about(alices, bob, GRACE + 1.0) == []
    assert (await people_seen_by(alice))[bob.pk]["state"] == "busy"


async def test_a_process_that_dies_within_the_grace_still_lets_bob_go_offline(
    alice, bob, connect, monkeypatch
):
    alices = await connect(alice)
    bobs = await connect(bob)
    await presence_of(alices, bob)
    await bobs.disconnect()
    # The process that saw the close dies: its grace timer never runs.
    for timer in list(presence._timers):
        timer.cancel()
    assert await events_about(alices, bob, GRACE + 0.5) == []
    # The periodic sweep of any other process (here: of this one) settles it.
    assert await presence.presence_sweep() == 1
    assert (await presence_of(alices, bob))["state"] == "offline"
    assert (await people_seen_by(alice))[bob.pk]["state"] == "offline"


async def test_the_sweep_says_nothing_for_a_tab_that_closed_while_another_stays(
    alice, bob, connect
):
    alices = await connect(alice)
    first = await connect(bob)
    await connect(bob)
    await presence_of(alices, bob)
    await first.disconnect()
    for timer in list(presence._timers):
        timer.cancel()
    await asyncio.sleep(GRACE + 0.1)
    assert await presence.presence_sweep() == 1
    assert await events_about(alices, bob, 0.5) == []


async def test_a_closed_tab_does_not_count_for_the_ringing_of_a_call(alice, bob, connect):
    """Ringing needs a real socket: a lingering one cannot answer a call."""
    bobs = await connect(bob)
    await bobs.disconnect()
    snap = (await presence.get_store().snapshot([bob.pk], now=presence.clock()))[bob.pk]
    assert snap.connections == 0 and snap.leaving == 1
    assert snap.state == presence.State.ONLINE


async def test_charlie_hears_nothing_of_bobs_reload_or_close(alice, bob, charlie, connect):
    charlies = await connect(charlie)
    bobs = await connect(bob)
    await bobs.disconnect()
    assert await events_about(charlies, bob, GRACE + 1.0) == []
