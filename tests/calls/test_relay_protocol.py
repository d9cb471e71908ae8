"""The relay's part of the protocol without a worker: the table of transitions, who may
ask for the relay, the echo's refusals, and a relayed call when no relay answers."""

import time

import pytest
from asgiref.sync import sync_to_async

from calls import relay, services, transitions
from calls.models import Call, CallLeg, RelayWorker
from tests.calls.factories import CallFactory
from tests.calls.test_handlers import SDP, answered_call, count_calls, get_call, ringing_call
from tests.fixtures.sockets import next_of
from uc_web.lib.exceptions import ApplicationError

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_table_refuses_what_does_not_fit_the_state_with_the_users_words(alice, bob):
    ended = CallFactory(caller=alice, callee=bob)
    for event, code in (
        ("accept", "not_ringing"),
        ("decline", "not_ringing"),
        ("hangup", "ended"),
        ("signal", "not_answered"),
        ("relay", "not_answered"),
    ):
        with pytest.raises(ApplicationError) as refused:
            transitions.apply(ended, event)
        assert refused.value.code == code
    assert ended.state == Call.State.ENDED
    ringing = CallFactory(
        caller=alice, callee=bob, state="ringing", end_reason="", answered_at=None
    )
    assert not transitions.allows(ringing, "decline", Call.EndReason.COMPLETED)
    with pytest.raises(ValueError):  # an end reason the move cannot have is a bug
        transitions.apply(ringing, "decline", Call.EndReason.COMPLETED)
    assert transitions.apply(ringing, "decline", Call.EndReason.DECLINED) == "ringing"
    assert (ringing.state, ringing.end_reason) == ("ended", "declined")


def test_every_end_reason_is_reachable_through_the_table():
    reachable = {
        reason for rules in transitions.TABLE.values() for r in rules for reason in r.reasons
    }
    assert reachable == set(Call.EndReason.values)


async def test_a_relayed_call_with_no_relay_ends_within_seconds_and_says_why(
    alice, bob, connect, settings
):
    settings.RELAY_OPEN_TIMEOUT_SECONDS = 1.0
    alice.profile.calls_via_server = True
    await sync_to_async(alice.profile.save)()
    a, b, call_id = await ringing_call(connect, alice, bob)
    started = time.monotonic()
    await b.send_json_to({"type": "call.accept", "call": call_id, "device": "bob-tab-1", "id": 7})
    error = await next_of(b, "error")
    assert error["code"] == "relay_unavailable" and error["ref"] == 7
    assert "Media server unavailable" in error["detail"]
    ended = (await next_of(a, "call.ended"))["call"]
    assert ended["end_reason_label"] == "Media server unavailable" and not ended["missed"]
    assert time.monotonic() - started < 3
    assert (await get_call(call_id)).end_reason == Call.EndReason.MEDIA_LOST


async def test_a_worker_that_never_answers_is_passed_over_within_the_timeout(
    alice, bob, connect, settings
):
    settings.RELAY_OPEN_TIMEOUT_SECONDS = 1.0
    # A row that looks alive, on a channel nobody reads (a hung worker).
    await sync_to_async(RelayWorker.objects.create)(name="hung", channel="relay.nobody!x")
    started = time.monotonic()
    with pytest.raises(relay.RelayUnavailable):
        await relay.aopen_session(kind="echo", ice={})
    assert time.monotonic() - started < 2


async def test_only_a_participant_device_may_move_a_call_to_the_relay(alice, bob, charlie, connect):
    a, b, call_id = await answered_call(connect, alice, bob)
    other_tab = await connect(bob)
    await other_tab.send_json_to({"type": "call.relay", "call": call_id})
    assert (await next_of(other_tab, "error"))["code"] == "other_device"
    stranger = await connect(charlie)
    await stranger.send_json_to({"type": "call.relay", "call": call_id})
    assert (await next_of(stranger, "error"))["code"] == "not_found"
    await stranger.send_json_to({"type": "call.relay", "call": "forged-id"})
    assert (await next_of(stranger, "error"))["code"] == "not_found"
    assert not await sync_to_async(CallLeg.objects.filter(role="relay").exists)()
    assert await count_calls() == 1


async def test_a_ringing_call_cannot_be_moved_to_the_relay(alice, bob, connect):
    a, b, call_id = await ringing_call(connect, alice, bob)
    await a.send_json_to({"type": "call.relay", "call": call_id})
    assert (await next_of(a, "error"))["code"] == "not_answered"


async def test_echo_signals_need_an_echo_session_of_this_very_socket(alice, connect):
    tab = await connect(alice)
    offer = {"type": "echo.signal", "kind": "offer", "sdp": SDP}
    await tab.send_json_to({**offer, "session": "made-up"})
    assert (await next_of(tab, "error"))["code"] == "not_found"
    await tab.send_json_to({**offer, "session": 5})
    assert (await next_of(tab, "error"))["code"] == "not_found"
    await tab.send_json_to({"type": "echo.nonsense"})
    assert (await next_of(tab, "error"))["code"] == "unknown_type"


async def test_echo_without_a_relay_fails_within_seconds(alice, connect, settings):
    settings.RELAY_OPEN_TIMEOUT_SECONDS = 1.0
    tab = await connect(alice)
    started = time.monotonic()
    await tab.send_json_to({"type": "echo.start", "id": "e"})
    error = await next_of(tab, "error")
    assert error["code"] == "relay_unavailable" and error["ref"] == "e"
    assert time.monotonic() - started < 3


def test_the_sweep_ends_a_relayed_call_whose_worker_is_gone(alice, bob):
    call = CallFactory(
        caller=alice,
        callee=bob,
        state="answered",
        end_reason="",
        ended_at=None,
        relay_reason="user",
    )
    CallLeg.objects.create(
        call=call, kind="relay", role="relay", device="s1", channel="relay.x!y", worker="gone"
    )
    assert services.call_sweep() == 1
    call.refresh_from_db()
    assert call.end_reason == Call.EndReason.MEDIA_LOST
    assert call.outcome_label == "Media server unavailable"


def test_the_options_route_calls_through_the_server(alice, bob, company):
    call = CallFactory(caller=alice, callee=bob, state="ringing", end_reason="", answered_at=None)
    assert services.call_relay_reason(user=bob, call_id=call.pk) == ""
    company.calls_via_server = True
    company.save()
    assert services.call_relay_reason(user=bob, call_id=call.pk) == "company"
    bob.profile.calls_via_server = True
    bob.profile.save()
    assert services.call_relay_reason(user=bob, call_id=call.pk) == "user"
