"""Services without a socket: the periodic sweep ends calls nobody will end."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from calls import services, tasks
from calls.models import Call
from tests.calls.factories import CallFactory

pytestmark = pytest.mark.django_db


def live_call(alice, bob, **fields) -> Call:
    now = timezone.now()
    return CallFactory(
        caller=alice,
        callee=bob,
        state=Call.State.ANSWERED,
        end_reason="",
        answered_at=now,
        ended_at=None,
        caller_channel="chan-a",
        callee_channel="chan-b",
        caller_seen_at=now,
        callee_seen_at=now,
        **fields,
    )


def test_the_sweep_ends_a_call_that_rang_out_as_missed(alice, bob):
    now = timezone.now()
    call = CallFactory(
        caller=alice,
        callee=bob,
        state=Call.State.RINGING,
        end_reason="",
        answered_at=None,
        ended_at=None,
        ring_expires_at=now + timedelta(seconds=30),
    )
    assert services.call_sweep(now=now) == 0
    assert services.call_sweep(now=now + timedelta(seconds=31)) == 1
    call.refresh_from_db()
    assert call.end_reason == Call.EndReason.NO_ANSWER and call.is_missed


def test_the_sweep_fails_a_call_whose_device_stopped_its_heartbeat(alice, bob):
    call = live_call(alice, bob)
    later = timezone.now() + timedelta(seconds=services.HEARTBEAT_STALE_SECONDS + 1)
    assert tasks.calls_sweep() == 0  # the beat task: nothing stale yet
    assert services.call_sweep(now=later) == 1
    call.refresh_from_db()
    assert call.state == Call.State.ENDED and call.end_reason == Call.EndReason.FAILED


def test_the_sweep_fails_a_call_whose_device_left_and_did_not_resume(alice, bob):
    call = live_call(alice, bob, callee_detached_at=timezone.now())
    assert services.call_sweep(now=timezone.now()) == 0
    later = timezone.now() + timedelta(seconds=services.RESUME_GRACE_SECONDS + 1)
    assert services.call_sweep(now=later) == 1
    call.refresh_from_db()
    assert call.end_reason == Call.EndReason.FAILED


def test_a_heartbeat_keeps_only_the_devices_own_call_alive(alice, bob):
    call = live_call(alice, bob)
    assert services.call_heartbeat(user=bob, channel="chan-b") == 1
    assert services.call_heartbeat(user=bob, channel="chan-other") == 0
    assert services.call_heartbeat(user=alice, channel="chan-b") == 0
    call.refresh_from_db()
    assert call.state == Call.State.ANSWERED


def test_a_call_cannot_end_without_a_reason(alice, bob):
    call = live_call(alice, bob)
    call.state = Call.State.ENDED
    with pytest.raises(IntegrityError), transaction.atomic():
        call.save()
