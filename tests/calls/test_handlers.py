"""Calls over the websocket: every transition and end reason, multi-tab ringing, who may
signal into a call, and bad input that gets an error and changes nothing."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from accounts import presence
from calls import services
from calls.models import Call, CallLeg
from tests.accounts.factories import make_contacts
from tests.fixtures.sockets import next_of, quiet_but_presence
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db(transaction=True)

SDP = "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 10.231.0.1 50000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "abcd",
}


async def get_call(call_id: str) -> Call:
    """The call behind the public id that events carry."""
    return await sync_to_async(Call.objects.prefetch_related("legs").get)(
        pk=publicid.decode("calls.call", call_id)
    )


async def count_calls() -> int:
    return await sync_to_async(Call.objects.count)()


async def start(comm, callee, media="video", device="alice-tab-1") -> dict:
    await comm.send_json_to(
        {
            "type": "call.start",
            "id": 1,
            "callee": publicid.of(callee),
            "media": media,
            "device": device,
        }
    )
    return await next_of(comm, "call.ringing")


async def ringing_call(connect, alice, bob):
    a = await connect(alice)
    b = await connect(bob)
    ringing = await start(a, bob)
    assert (await next_of(b, "call.ringing"))["call"]["id"] == ringing["call"]["id"]
    return a, b, ringing["call"]["id"]


async def answered_call(connect, alice, bob):
    a, b, call_id = await ringing_call(connect, alice, bob)
    await b.send_json_to({"type": "call.accept", "call": call_id, "device": "bob-tab-1"})
    await next_of(a, "call.answered")
    await next_of(b, "call.answered")
    return a, b, call_id


async def connected_call(connect, alice, bob):
    """Answered, and Alice's browser reported its media connection up."""
    a, b, call_id = await answered_call(connect, alice, bob)
    await a.send_json_to({"type": "call.connected", "call": call_id})
    await next_of(a, "call.connected")
    await next_of(b, "call.connected")
    return a, b, call_id


async def state_of(user) -> str:
    snap = await presence.get_store().snapshot([user.pk], now=presence.clock())
    return snap[user.pk].state.value


async def test_alice_calls_bob_who_answers_talks_and_hangs_up(alice, bob, connect):
    a = await connect(alice)
    b = await connect(bob)
    ringing = await start(a, bob)
    call = ringing["call"]
    assert call["direction"] == "outgoing" and call["state"] == "ringing"
    assert call["peer"]["name"] == "Bob Okafor" and call["caller_device"] == "alice-tab-1"
    incoming = (await next_of(b, "call.ringing"))["call"]
    assert incoming["direction"] == "incoming" and incoming["peer"]["name"] == "Alice Fernandez"
    assert incoming["media"] == "video"

    await b.send_json_to({"type": "call.accept", "call": call["id"], "device": "bob-tab-1"})
    answered = (await next_of(a, "call.answered"))["call"]
    assert answered["state"] == "answered"
    assert (await next_of(b, "call.answered"))["call"]["answered_device"] == "bob-tab-1"
    assert await state_of(alice) == "on_call" and await state_of(bob) == "on_call"
    await b.send_json_to({"type": "call.connected", "call": call["id"]})
    connected = (await next_of(a, "call.connected"))["call"]
    assert connected["connected_at"] is not None
    assert (await next_of(b, "call.connected"))["call"]["connected_at"] is not None

    await a.send_json_to({"type": "call.hangup", "call": call["id"]})
    ended = (await next_of(a, "call.ended"))["call"]
    assert ended["end_reason"] == "completed" and ended["end_reason_label"] == "Completed"
    assert ended["duration_seconds"] is not None
    assert (await next_of(b, "call.ended"))["call"]["end_reason"] == "completed"
    assert await state_of(alice) == "online" and await state_of(bob) == "online"
    stored = await get_call(call["id"])
    assert stored.answered_at and stored.ended_at and stored.callee_leg.device == "bob-tab-1"


async def test_signals_go_only_to_the_answering_tab_and_back(alice, bob, connect):
    a = await connect(alice)
    b1 = await connect(bob)
    b2 = await connect(bob)
    call_id = (await start(a, bob))["call"]["id"]
    assert (await next_of(b1, "call.ringing"))["call"]["id"] == call_id
    assert (await next_of(b2, "call.ringing"))["call"]["id"] == call_id  # every tab rings

    await b1.send_json_to({"type": "call.accept", "call": call_id, "device": "bob-tab-1"})
    await next_of(a, "call.answered")
    await next_of(b1, "call.answered")
    elsewhere = (await next_of(b2, "call.answered"))["call"]
    assert elsewhere["answered_device"] == "bob-tab-1"  # tab 2 stops: answered elsewhere

    await a.send_json_to({"type": "call.signal", "call": call_id, "kind": "offer", "sdp": SDP})
    offer = await next_of(b1, "call.signalled")
    assert offer == {
        "type": "call.signalled",
        "call": call_id,
        "kind": "offer",
        "sdp": SDP,
        "restart": False,
    }
    await b1.send_json_to({"type": "call.signal", "call": call_id, "kind": "answer", "sdp": SDP})
    assert (await next_of(a, "call.signalled"))["kind"] == "answer"
    await a.send_json_to(
        {"type": "call.signal", "call": call_id, "kind": "candidate", "candidate": CANDIDATE}
    )
    assert (await next_of(b1, "call.signalled"))["candidate"] == CANDIDATE
    await a.send_json_to(
        {"type": "call.signal", "call": call_id, "kind": "offer", "sdp": SDP, "restart": True}
    )
    assert (await next_of(b1, "call.signalled"))["restart"] is True  # ICE restart relayed
    assert await quiet_but_presence(b2)


async def test_the_other_tab_cannot_answer_or_signal_after_the_answer(alice, bob, connect):
    a = await connect(alice)
    b1 = await connect(bob)
    b2 = await connect(bob)
    call_id = (await start(a, bob))["call"]["id"]
    await next_of(b2, "call.ringing")
    await b1.send_json_to({"type": "call.accept", "call": call_id, "device": "bob-tab-1"})
    await next_of(a, "call.answered")
    await next_of(b2, "call.answered")
    await b2.send_json_to({"type": "call.accept", "call": call_id, "device": "bob-tab-2", "id": 7})
    error = await next_of(b2, "error")
    assert error["code"] == "not_ringing" and error["ref"] == 7
    await b2.send_json_to({"type": "call.signal", "call": call_id, "kind": "offer", "sdp": SDP})
    assert (await next_of(b2, "error"))["code"] == "other_device"
    await b2.send_json_to({"type": "call.hangup", "call": call_id})
    assert (await next_of(b2, "error"))["code"] == "other_device"
    assert await quiet_but_presence(a)
    assert (await get_call(call_id)).state == Call.State.ANSWERED


async def test_bob_declines(alice, bob, connect):
    a, b, call_id = await ringing_call(connect, alice, bob)
    await b.send_json_to({"type": "call.decline", "call": call_id})
    ended = (await next_of(a, "call.ended"))["call"]
    assert ended["end_reason"] == "declined" and ended["end_reason_label"] == "Declined"
    assert (await next_of(b, "call.ended"))["call"]["missed"] is False


async def test_alice_cancels_and_bob_has_a_missed_call(alice, bob, connect):
    a, b, call_id = await ringing_call(connect, alice, bob)
    await a.send_json_to({"type": "call.cancel", "call": call_id})
    assert (await next_of(a, "call.ended"))["call"]["end_reason"] == "cancelled"
    assert (await next_of(b, "call.ended"))["call"]["missed"] is True
    assert (await next_of(b, "missed_calls.changed"))["count"] == 1


async def test_only_the_callee_answers_or_declines_and_only_the_caller_cancels(alice, bob, connect):
    a, b, call_id = await ringing_call(connect, alice, bob)
    await a.send_json_to({"type": "call.accept", "call": call_id, "device": "alice-tab-1"})
    assert (await next_of(a, "error"))["code"] == "not_callee"
    await a.send_json_to({"type": "call.decline", "call": call_id})
    assert (await next_of(a, "error"))["code"] == "not_callee"
    await b.send_json_to({"type": "call.cancel", "call": call_id})
    assert (await next_of(b, "error"))["code"] == "not_caller"
    assert (await get_call(call_id)).state == Call.State.RINGING


async def test_bob_with_do_not_disturb_is_busy(alice, bob, connect):
    a = await connect(alice)
    b = await connect(bob)
    await b.send_json_to({"type": "presence.set", "state": "dnd", "text": ""})
    await next_of(b, "my_presence.changed")
    await a.send_json_to(
        {
            "type": "call.start",
            "callee": publicid.of(bob),
            "media": "audio",
            "device": "alice-tab-1",
        }
    )
    assert (await next_of(a, "call.ended"))["call"]["end_reason"] == "busy"
    assert (await next_of(b, "call.ended"))["call"]["end_reason_label"] == "Busy"


async def test_bob_on_another_call_is_busy(alice, bob, connect, company):
    from tests.accounts.factories import UserFactory

    dave = await sync_to_async(UserFactory)(company=company, first_name="Dave")
    a, b, _ = await answered_call(connect, alice, bob)
    d = await connect(dave)
    await d.send_json_to(
        {"type": "call.start", "callee": publicid.of(bob), "media": "audio", "device": "dave-tab-1"}
    )
    assert (await next_of(d, "call.ended"))["call"]["end_reason"] == "busy"
    # and Alice, on a call herself, cannot start another
    await a.send_json_to(
        {
            "type": "call.start",
            "callee": publicid.of(dave),
            "media": "audio",
            "device": "alice-tab-1",
        }
    )
    assert (await next_of(a, "error"))["code"] == "already_in_call"


async def test_bob_offline_gets_a_missed_call(alice, bob, connect):
    a = await connect(alice)
    await a.send_json_to(
        {
            "type": "call.start",
            "callee": publicid.of(bob),
            "media": "video",
            "device": "alice-tab-1",
        }
    )
    ended = (await next_of(a, "call.ended"))["call"]
    assert ended["end_reason"] == "no_answer" and ended["end_reason_label"] == "No answer"
    assert (await get_call(ended["id"])).is_missed


async def test_nobody_answers_within_bobs_ring_timeout(alice, bob, connect):
    bob.profile.ring_timeout_seconds = 5
    await sync_to_async(bob.profile.save)()
    a, b, call_id = await ringing_call(connect, alice, bob)
    ended = (await next_of(a, "call.ended", timeout=10))["call"]
    assert ended["end_reason"] == "no_answer"
    assert (await next_of(b, "call.ended"))["call"]["missed"] is True
    assert (await next_of(b, "missed_calls.changed"))["count"] == 1


async def test_the_caller_closing_her_tab_while_ringing_cancels(alice, bob, connect):
    a, b, call_id = await ringing_call(connect, alice, bob)
    await a.disconnect()
    assert (await next_of(b, "call.ended"))["call"]["end_reason"] == "cancelled"


async def test_bobs_last_tab_closing_while_ringing_fails_the_call(alice, bob, connect):
    a = await connect(alice)
    b1 = await connect(bob)
    b2 = await connect(bob)
    call_id = (await start(a, bob))["call"]["id"]
    await b1.disconnect()
    assert await quiet_but_presence(a)  # bob still has a tab that rings
    await b2.disconnect()
    assert (await next_of(a, "call.ended"))["call"]["end_reason"] == "failed"
    assert (await get_call(call_id)).end_reason == Call.EndReason.FAILED


async def test_the_answering_tab_vanishing_ends_the_call_for_alice(alice, bob, connect):
    a, b, call_id = await answered_call(connect, alice, bob)
    await b.disconnect()
    ended = (await next_of(a, "call.ended", timeout=services.RESUME_GRACE_SECONDS + 5))["call"]
    assert ended["end_reason"] == "failed"
    assert await state_of(alice) == "online"


async def test_heartbeats_keep_a_long_call_alive_through_the_sweep(alice, bob, connect):
    """Both tabs ping (the browser's heartbeat) while it rings and while they talk."""
    from datetime import timedelta

    from django.utils import timezone

    a, b, call_id = await ringing_call(connect, alice, bob)
    await a.send_json_to({"type": "ping"})  # while it rings
    await next_of(a, "pong")
    await b.send_json_to({"type": "call.accept", "call": call_id, "device": "bob-tab-1"})
    await next_of(a, "call.answered")
    await next_of(b, "call.answered")
    long_ago = timezone.now() - timedelta(seconds=services.HEARTBEAT_STALE_SECONDS + 30)
    await sync_to_async(CallLeg.objects.filter(call=publicid.decode("calls.call", call_id)).update)(
        seen_at=long_ago
    )
    for comm in (a, b):
        await comm.send_json_to({"type": "ping"})
        await next_of(comm, "pong")
    await asyncio.sleep(0.2)  # the hooks run after the pong
    assert await sync_to_async(services.call_sweep)() == 0
    assert (await get_call(call_id)).state == Call.State.ANSWERED


async def test_a_call_whose_tabs_stopped_heart_beating_is_swept(alice, bob, connect):
    from datetime import timedelta

    from django.utils import timezone

    a, b, call_id = await connected_call(connect, alice, bob)
    long_ago = timezone.now() - timedelta(seconds=services.HEARTBEAT_STALE_SECONDS + 30)
    await sync_to_async(
        CallLeg.objects.filter(call=publicid.decode("calls.call", call_id), role="caller").update
    )(seen_at=long_ago)
    assert await sync_to_async(services.call_sweep)() == 1
    assert (await next_of(b, "call.ended"))["call"]["end_reason"] == "failed"
    assert (await next_of(a, "call.ended"))["call"]["end_reason_label"] == "Connection failed"


async def test_a_reloaded_tab_resumes_its_call(alice, bob, connect):
    a, b, call_id = await answered_call(connect, alice, bob)
    await b.disconnect()
    b_again = await connect(bob)
    await b_again.send_json_to({"type": "call.resume", "call": call_id, "device": "bob-tab-1"})
    assert (await next_of(a, "call.resumed"))["call"]["state"] == "answered"
    assert (await next_of(b_again, "call.resumed"))["call"]["answered_device"] == "bob-tab-1"
    await a.send_json_to(
        {"type": "call.signal", "call": call_id, "kind": "offer", "sdp": SDP, "restart": True}
    )
    assert (await next_of(b_again, "call.signalled"))["restart"] is True
    await asyncio.sleep(services.RESUME_GRACE_SECONDS + 0.5)
    assert (await get_call(call_id)).state == Call.State.ANSWERED


async def test_another_device_cannot_resume_bobs_call(alice, bob, connect):
    a, b, call_id = await answered_call(connect, alice, bob)
    other = await connect(bob)
    await other.send_json_to({"type": "call.resume", "call": call_id, "device": "bob-tab-2"})
    assert (await next_of(other, "error"))["code"] == "other_device"
    assert (await get_call(call_id)).callee_leg.channel != ""


async def test_charlie_cannot_call_alice(alice, charlie, connect):
    c = await connect(charlie)
    await c.send_json_to(
        {
            "type": "call.start",
            "id": 3,
            "callee": publicid.of(alice),
            "media": "audio",
            "device": "charlie-tab-1",
        }
    )
    error = await next_of(c, "error")
    assert error["code"] == "not_allowed" and error["ref"] == 3
    assert await count_calls() == 0


async def test_charlie_calls_alice_once_she_accepted_his_contact_request(alice, charlie, connect):
    await sync_to_async(make_contacts)(charlie, alice)
    c = await connect(charlie)
    a = await connect(alice)
    ringing = await start(c, alice, media="audio", device="charlie-tab-1")
    assert (await next_of(a, "call.ringing"))["call"]["id"] == ringing["call"]["id"]


async def test_a_blocked_colleague_cannot_call(alice, bob, connect):
    from accounts import services as account_services

    await sync_to_async(account_services.block_create)(blocker=bob, blocked=alice)
    a = await connect(alice)
    b = await connect(bob)
    await a.send_json_to(
        {
            "type": "call.start",
            "id": 4,
            "callee": publicid.of(bob),
            "media": "audio",
            "device": "alice-tab-1",
        }
    )
    assert (await next_of(a, "error"))["code"] == "not_allowed"
    assert await quiet_but_presence(b)
    assert await count_calls() == 0


@pytest.mark.parametrize(
    "message",
    [
        {"type": "call.accept", "device": "charlie-tab-1"},
        {"type": "call.decline"},
        {"type": "call.cancel"},
        {"type": "call.hangup"},
        {"type": "call.resume", "device": "bob-tab-1"},
        {"type": "call.signal", "kind": "offer", "sdp": SDP},
    ],
)
async def test_charlie_cannot_touch_or_signal_into_alices_call(
    alice, bob, charlie, connect, message
):
    a, b, call_id = await answered_call(connect, alice, bob)
    c = await connect(charlie)
    await c.send_json_to({**message, "call": call_id})
    assert (await next_of(c, "error"))["code"] == "not_found"
    assert await quiet_but_presence(a) and await quiet_but_presence(b)
    call = await get_call(call_id)
    assert call.state == Call.State.ANSWERED and call.callee_leg.device == "bob-tab-1"


async def test_signals_before_the_answer_are_refused(alice, bob, connect):
    a, b, call_id = await ringing_call(connect, alice, bob)
    await a.send_json_to({"type": "call.signal", "call": call_id, "kind": "offer", "sdp": SDP})
    assert (await next_of(a, "error"))["code"] == "not_answered"
    assert await quiet_but_presence(b)


@pytest.mark.parametrize(
    ("signal", "code"),
    [
        ({"kind": "bye"}, "invalid_signal"),
        ({"kind": "offer", "sdp": 42}, "invalid_signal"),
        ({"kind": "offer", "sdp": "<script>"}, "invalid_signal"),
        ({"kind": "offer", "sdp": SDP, "restart": "yes"}, "invalid_signal"),
        ({"kind": "offer", "sdp": SDP + "a=x\r\n" * 8000}, "too_large"),
        ({"kind": "candidate", "candidate": "candidate:1"}, "invalid_signal"),
        ({"kind": "candidate", "candidate": {**CANDIDATE, "evil": 1}}, "invalid_signal"),
        (
            {"kind": "candidate", "candidate": {**CANDIDATE, "candidate": "rm -rf"}},
            "invalid_signal",
        ),
        ({"kind": "candidate", "candidate": {**CANDIDATE, "sdpMLineIndex": 999}}, "invalid_signal"),
        (
            {
                "kind": "candidate",
                "candidate": {**CANDIDATE, "candidate": "candidate:" + "1" * 2000},
            },
            "too_large",
        ),
        ({"kind": "offer", "sdp": SDP, "call": "1"}, "not_found"),
        ({"kind": "offer", "sdp": SDP, "call": 10**9}, "not_found"),
    ],
)
async def test_malformed_or_oversized_signals_are_refused_and_not_relayed(
    alice, bob, connect, signal, code
):
    a, b, call_id = await answered_call(connect, alice, bob)
    await a.send_json_to({"type": "call.signal", "call": call_id, "id": 9, **signal})
    error = await next_of(a, "error")
    assert error["code"] == code and error["ref"] == 9
    assert await quiet_but_presence(b)
    assert (await get_call(call_id)).state == Call.State.ANSWERED


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (
            {"type": "call.start", "callee": "2", "media": "video", "device": "alice-tab-1"},
            "not_allowed",
        ),
        ({"type": "call.start", "media": "fax", "device": "alice-tab-1"}, "malformed"),
        ({"type": "call.start", "media": "audio", "device": "no"}, "malformed"),
        ({"type": "call.hangup", "call": 1, "reason": "whatever"}, "malformed"),
        ({"type": "call.transfer"}, "unknown_type"),
    ],
)
async def test_bad_call_messages_get_an_error_and_change_nothing(
    alice, bob, connect, message, code
):
    a = await connect(alice)
    await connect(bob)
    await a.send_json_to({"callee": publicid.of(bob), **message})
    assert (await next_of(a, "error"))["code"] == code
    assert await count_calls() == 0


async def test_alice_cannot_call_herself(alice, connect):
    a = await connect(alice)
    await a.send_json_to(
        {
            "type": "call.start",
            "callee": publicid.of(alice),
            "media": "audio",
            "device": "alice-tab-1",
        }
    )
    assert (await next_of(a, "error"))["code"] == "not_allowed"
    assert await count_calls() == 0


async def test_a_call_hung_up_before_its_media_connected_is_logged_as_could_not_connect(
    alice, bob, connect
):
    a, b, call_id = await answered_call(connect, alice, bob)
    await a.send_json_to({"type": "call.hangup", "call": call_id})
    ended = (await next_of(a, "call.ended"))["call"]
    assert ended["end_reason"] == "failed"
    assert ended["end_reason_label"] == "Could not connect"
    assert ended["duration_seconds"] is None and ended["connected_at"] is None
    stored = await get_call(call_id)
    assert stored.end_reason == Call.EndReason.FAILED and stored.duration is None


async def test_media_connected_counts_once_and_the_duration_starts_there(alice, bob, connect):
    a, b, call_id = await connected_call(connect, alice, bob)
    first = (await get_call(call_id)).connected_at
    await b.send_json_to({"type": "call.connected", "call": call_id})  # the other side too
    await a.send_json_to({"type": "ping"})
    await next_of(a, "pong")
    stored = await get_call(call_id)
    assert stored.connected_at == first and stored.connected_at >= stored.answered_at
    await b.send_json_to({"type": "call.hangup", "call": call_id})
    ended = (await next_of(a, "call.ended"))["call"]
    assert ended["end_reason"] == "completed"
    stored = await get_call(call_id)
    assert stored.duration == stored.ended_at - stored.connected_at


async def test_a_ringing_call_cannot_be_reported_connected(alice, bob, connect):
    a, b, call_id = await ringing_call(connect, alice, bob)
    await a.send_json_to({"type": "call.connected", "call": call_id, "id": 7})
    error = await next_of(a, "error")
    assert (error["code"], error["ref"]) == ("not_answered", 7)
    assert (await get_call(call_id)).connected_at is None


async def test_bobs_other_tab_cannot_report_the_call_connected(alice, bob, connect):
    a, b, call_id = await answered_call(connect, alice, bob)
    other = await connect(bob)
    await other.send_json_to({"type": "call.connected", "call": call_id, "id": 1})
    assert (await next_of(other, "error"))["code"] == "other_device"
    assert (await get_call(call_id)).connected_at is None


async def test_charlie_cannot_report_alices_call_connected(alice, bob, charlie, connect):
    a, b, call_id = await answered_call(connect, alice, bob)
    c = await connect(charlie)
    await c.send_json_to({"type": "call.connected", "call": call_id, "id": 2})
    assert (await next_of(c, "error"))["code"] == "not_found"
    assert (await get_call(call_id)).connected_at is None


async def test_two_people_calling_each_other_at_once_are_told_the_other_is_calling(
    alice, bob, connect
):
    a = await connect(alice)
    b = await connect(bob)
    call_id = (await start(a, bob))["call"]["id"]
    await next_of(b, "call.ringing")
    await b.send_json_to(
        {
            "type": "call.start",
            "callee": publicid.of(alice),
            "media": "audio",
            "device": "bob-tab-1",
            "id": 3,
        }
    )
    error = await next_of(b, "error")
    assert error["code"] == "calling_you" and error["ref"] == 3
    assert error["detail"] == "Alice Fernandez is calling you."
    assert await count_calls() == 1
    assert (await get_call(call_id)).state == Call.State.RINGING  # hers still rings
