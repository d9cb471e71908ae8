"""Presence over the websocket: aggregation across tabs, manual states, privacy, expiry."""

import contextlib
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts import presence
from tests.accounts.factories import make_contacts
from tests.fixtures.sockets import next_of, quiet_but_presence
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_store(settings):
    """Each test starts with nobody online: its own memory, or its own Redis key prefix.
    A short grace period keeps closes quick to observe (test_presence_grace.py tests it)."""
    settings.PRESENCE_OFFLINE_GRACE_SECONDS = 0.3
    if settings.REDIS_URL:
        presence._store = presence.RedisPresenceStore(
            settings.REDIS_URL, f"uc_test_{uuid.uuid4().hex[:8]}"
        )
    else:
        presence._store = presence.MemoryPresenceStore()
    yield
    for timer in list(presence._timers):
        with contextlib.suppress(RuntimeError):  # its event loop may be closed already
            timer.cancel()
    presence._store = None


async def people_seen_by(user) -> dict[int, dict]:
    """The presence snapshot (the API the Online Monitor loads), by user (primary key)."""

    def snapshot() -> dict:
        client = Client()
        client.force_login(user)
        return client.get("/api/v1/presence/").json()

    people = (await sync_to_async(snapshot)())["people"]
    return {publicid.decode("accounts.user", p["id"]): p for p in people}


async def presence_of(comm, user, timeout: float = 5) -> dict:
    """The next presence.changed about `user` seen by `comm`."""
    while True:
        event = await next_of(comm, "presence.changed", timeout=timeout)
        if event["user"] == publicid.of(user):
            return event


async def test_alice_sees_bob_come_online(alice, bob, connect):
    alices = await connect(alice)
    await connect(bob)
    assert await presence_of(alices, bob) == {
        "type": "presence.changed",
        "user": publicid.of(bob),
        "state": "online",
        "text": "",
    }


async def test_charlie_in_another_company_hears_nothing_about_bob(alice, bob, charlie, connect):
    charlies = await connect(charlie)
    bobs = await connect(bob)
    await bobs.send_json_to({"type": "presence.set", "state": "busy", "text": "Quarterly close"})
    await next_of(bobs, "my_presence.changed")
    assert await quiet_but_presence(charlies)
    # and whatever presence chatter charlie did get was about himself only
    await charlies.send_json_to({"type": "ping"})
    while (message := await charlies.receive_json_from(timeout=5))["type"] != "pong":
        assert message.get("user", publicid.of(charlie)) == publicid.of(charlie)


async def test_busy_with_a_status_text_reaches_colleagues(alice, bob, connect):
    alices = await connect(alice)
    bobs = await connect(bob)
    await presence_of(alices, bob)
    await bobs.send_json_to({"type": "presence.set", "state": "busy", "text": " In a  meeting "})
    assert await presence_of(alices, bob) == {
        "type": "presence.changed",
        "user": publicid.of(bob),
        "state": "busy",
        "text": "In a meeting",
    }
    mine = await next_of(bobs, "my_presence.changed")
    assert mine["state"] == "busy" and mine["manual"] == "busy"


async def test_appear_offline_looks_exactly_like_offline(alice, bob, connect):
    alices = await connect(alice)
    bobs = await connect(bob)
    await presence_of(alices, bob)
    await bobs.send_json_to({"type": "presence.set", "state": "appear_offline", "text": "secret"})
    hidden = await presence_of(alices, bob)
    await bobs.send_json_to({"type": "presence.set", "state": None, "text": ""})
    await presence_of(alices, bob)
    await bobs.disconnect()
    really_offline = await presence_of(alices, bob)
    assert (
        hidden
        == really_offline
        == {"type": "presence.changed", "user": publicid.of(bob), "state": "offline", "text": ""}
    )


async def test_appear_offline_is_offline_in_the_snapshot_too(alice, bob, connect):
    bobs = await connect(bob)
    await bobs.send_json_to({"type": "presence.set", "state": "appear_offline", "text": "hm"})
    assert (await next_of(bobs, "my_presence.changed"))["state"] == "appear_offline"

    people = await people_seen_by(alice)
    assert people[bob.pk]["state"] == "offline" and people[bob.pk]["text"] == ""


async def test_a_manual_state_holds_on_every_tab(alice, bob, connect):
    first = await connect(bob)
    await first.send_json_to({"type": "presence.set", "state": "dnd", "text": ""})
    assert (await next_of(first, "my_presence.changed"))["state"] == "dnd"
    alices = await connect(alice)
    await connect(bob)  # a second device
    await alices.send_json_to({"type": "ping"})
    await next_of(alices, "pong")

    people = await people_seen_by(alice)
    assert people[bob.pk]["state"] == "dnd"


async def test_closing_one_of_two_tabs_keeps_bob_online(alice, bob, connect):
    alices = await connect(alice)
    first, second = await connect(bob), await connect(bob)
    await presence_of(alices, bob)
    await first.disconnect()
    await second.send_json_to({"type": "ping"})
    await next_of(second, "pong")

    people = await people_seen_by(alice)
    assert people[bob.pk]["state"] == "online"
    await second.disconnect()
    assert (await presence_of(alices, bob))["state"] == "offline"


async def test_bob_is_away_only_when_every_tab_is_idle(alice, bob, connect):
    alices = await connect(alice)
    first, second = await connect(bob), await connect(bob)
    await presence_of(alices, bob)
    await first.send_json_to({"type": "presence.idle"})
    await next_of(first, "my_presence.changed")
    await second.send_json_to({"type": "presence.idle"})
    assert (await presence_of(alices, bob))["state"] == "away"
    await first.send_json_to({"type": "presence.active"})
    assert (await presence_of(alices, bob))["state"] == "online"


async def test_a_crashed_tab_expires_by_heartbeat(alice, bob, connect, monkeypatch):
    alices = await connect(alice)
    await connect(bob)
    await presence_of(alices, bob)
    later = presence.clock() + presence.CONNECTION_TTL_SECONDS + 1
    monkeypatch.setattr(presence, "clock", lambda: later)
    # alice's heartbeat keeps her alive at the new time; bob sent none
    await alices.send_json_to({"type": "ping"})
    await next_of(alices, "pong")
    assert await presence.presence_sweep() >= 1
    assert (await presence_of(alices, bob))["state"] == "offline"


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"type": "presence.set", "state": "online_forever", "text": ""}, "invalid_state"),
        ({"type": "presence.set", "state": "busy", "text": "x" * 141}, "text_too_long"),
        ({"type": "presence.set", "state": ["busy"], "text": ""}, "malformed"),
        ({"type": "presence.teleport"}, "unknown_type"),
    ],
)
async def test_bad_presence_messages_get_an_error_and_change_nothing(
    alice, bob, connect, message, code
):
    alices = await connect(alice)
    bobs = await connect(bob)
    await presence_of(alices, bob)
    await bobs.send_json_to({**message, "id": "m1"})
    error = await next_of(bobs, "error")
    assert error["code"] == code and error["ref"] == "m1"
    snap = await presence.get_store().snapshot([bob.pk], now=presence.clock())
    assert snap[bob.pk].state == presence.State.ONLINE


def test_the_presence_snapshot_lists_colleagues_only(client, alice, bob, charlie):
    client.force_login(charlie)
    assert client.get("/api/v1/presence/").json()["people"] == []
    client.force_login(alice)
    body = client.get("/api/v1/presence/").json()
    assert [p["email"] for p in body["people"]] == [bob.email]
    assert body["me"]["state"] == "offline"


def test_the_presence_snapshot_needs_a_signed_in_user(client, alice):
    assert client.get("/api/v1/presence/").status_code == 403


def test_the_presence_snapshot_costs_the_same_queries_for_many_colleagues(
    client, alice, company, django_assert_num_queries
):
    from tests.accounts.factories import UserFactory

    UserFactory.create_batch(30, company=company)
    client.force_login(alice)
    # session, user; contacts, my requests, my marks, blocks, the people; requests to me
    with django_assert_num_queries(8):
        response = client.get("/api/v1/presence/")
    assert len(response.json()["people"]) == 30


async def test_a_user_who_lets_nobody_see_her_presence_looks_offline(alice, bob, connect):
    from accounts import services

    alices = await connect(alice)
    bobs = await connect(bob)
    assert (await presence_of(alices, bob))["state"] == "online"
    await sync_to_async(services.profile_update)(user=bob, data={"presence_visibility": "nobody"})
    assert (await presence_of(alices, bob)) == {
        "type": "presence.changed",
        "user": publicid.of(bob),
        "state": "offline",
        "text": "",
    }
    await bobs.send_json_to({"type": "presence.set", "state": "busy", "text": "secret"})
    while (await next_of(bobs, "my_presence.changed"))["state"] != "busy":
        pass  # the republish after the privacy change told bob's tab first
    while not await alices.receive_nothing(timeout=0.5):
        event = await alices.receive_json_from()
        assert event.get("user") != publicid.of(bob), event  # nothing more about bob reaches alice

    people = await people_seen_by(alice)
    assert people[bob.pk]["state"] == "offline" and people[bob.pk]["text"] == ""


# --- outside contacts, blocks and "accepted contacts only" ----------------------------


async def _heard_about(comm, user, timeout: float = 0.5) -> list[dict]:
    """Every presence.changed about `user` that `comm` receives within `timeout`."""
    heard = []
    while not await comm.receive_nothing(timeout=timeout):
        message = await comm.receive_json_from()
        if message.get("user") == publicid.of(user):
            heard.append(message)
    return heard


async def test_an_outsider_hears_nothing_while_pending_and_the_truth_once_accepted(
    alice, charlie, connect
):
    from accounts import services
    from accounts.models import ContactRequest

    charlies = await connect(charlie)
    alices = await connect(alice)
    await sync_to_async(services.contact_request_send)(sender=charlie, recipient=alice)
    received = await next_of(alices, "contact_request.received")
    request = await ContactRequest.objects.aget(sender=charlie)
    assert received["id"] == publicid.of(request)
    await alices.send_json_to({"type": "presence.set", "state": "busy", "text": "pending"})
    assert await _heard_about(charlies, alice) == []
    assert alice.pk not in {
        pk for pk, p in (await people_seen_by(charlie)).items() if p["state"] != "offline"
    }

    await sync_to_async(services.contact_request_accept)(request=request, by=alice)
    assert (await next_of(charlies, "monitor.changed")) == {"type": "monitor.changed"}
    assert (await people_seen_by(charlie))[alice.pk]["state"] == "busy"
    await alices.send_json_to({"type": "presence.set", "state": "dnd", "text": "accepted"})
    assert (await presence_of(charlies, alice))["state"] == "dnd"


async def test_a_blocked_colleague_hears_nothing_about_the_blocker(alice, bob, company, connect):
    from accounts import services
    from tests.accounts.factories import UserFactory

    dave = await sync_to_async(UserFactory)(company=company, email="dave@northwind.example")
    await sync_to_async(services.block_create)(blocker=bob, blocked=alice)
    alices = await connect(alice)
    daves = await connect(dave)
    bobs = await connect(bob)
    assert (await presence_of(daves, bob))["state"] == "online"
    await bobs.send_json_to({"type": "presence.set", "state": "busy", "text": "not for alice"})
    assert (await presence_of(daves, bob))["state"] == "busy"
    assert await _heard_about(alices, bob) == []
    assert (await people_seen_by(alice))[bob.pk]["state"] == "offline"
    # and the other way round: bob hears nothing about alice either
    await alices.send_json_to({"type": "presence.set", "state": "dnd", "text": ""})
    assert await _heard_about(bobs, alice) == []


async def test_accepted_contacts_only_shows_colleagues_offline_and_contacts_the_truth(
    alice, bob, company, connect
):
    from accounts import services
    from tests.accounts.factories import UserFactory

    dave = await sync_to_async(UserFactory)(company=company, email="dave@northwind.example")
    await sync_to_async(make_contacts)(dave, bob)
    alices = await connect(alice)
    daves = await connect(dave)
    bobs = await connect(bob)
    await presence_of(alices, bob)
    await sync_to_async(services.profile_update)(user=bob, data={"presence_visibility": "contacts"})
    await presence_of(daves, bob)
    assert (await presence_of(alices, bob))["state"] == "offline"
    assert (await presence_of(daves, bob))["state"] == "online"  # told again: still visible
    await bobs.send_json_to({"type": "presence.set", "state": "busy", "text": "contacts only"})
    assert (await presence_of(daves, bob)) == {
        "type": "presence.changed",
        "user": publicid.of(bob),
        "state": "busy",
        "text": "contacts only",
    }
    assert all(event["state"] == "offline" for event in await _heard_about(alices, bob))
    assert (await people_seen_by(alice))[bob.pk]["state"] == "offline"
    assert (await people_seen_by(dave))[bob.pk]["state"] == "busy"


async def test_a_former_contact_hears_nothing_more(alice, charlie, connect):
    from accounts import services

    await sync_to_async(make_contacts)(charlie, alice)
    charlies = await connect(charlie)
    alices = await connect(alice)
    assert (await presence_of(charlies, alice))["state"] == "online"
    await sync_to_async(services.monitor_remove)(user=alice, person=charlie)
    await next_of(charlies, "monitor.changed")
    await alices.send_json_to({"type": "presence.set", "state": "busy", "text": "gone"})
    assert await _heard_about(charlies, alice) == []
    assert alice.pk not in await people_seen_by(charlie)


async def test_a_status_chosen_by_hand_survives_losing_the_presence_store(alice, bob, connect):
    bobs = await connect(bob)
    await bobs.send_json_to({"type": "presence.set", "state": "dnd", "text": "Board meeting"})
    await next_of(bobs, "my_presence.changed")
    await bobs.disconnect()
    presence._store = presence.MemoryPresenceStore()  # as after Redis lost its data
    await connect(bob)
    people = await people_seen_by(alice)
    assert (people[bob.pk]["state"], people[bob.pk]["text"]) == ("dnd", "Board meeting")
