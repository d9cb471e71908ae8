"""The move to calls with legs keeps every call's devices (calls 0003)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("calls", "0002_call_connected_at")]
AFTER = [("calls", "0004_call_legs_columns_go")]
LATEST = [("calls", "0005_voicemail")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_each_calls_devices_become_its_legs_and_back(alice, bob):
    old = migrate(BEFORE)
    Call = old.get_model("calls", "Call")
    now = timezone.now()
    answered = Call.objects.create(
        caller_id=alice.pk,
        callee_id=bob.pk,
        media="video",
        state="answered",
        created_at=now,
        answered_at=now,
        caller_device="alice-tab",
        caller_channel="chan-a",
        callee_device="bob-tab",
        callee_channel="chan-b",
        caller_seen_at=now,
        callee_detached_at=now,
    )
    missed = Call.objects.create(
        caller_id=bob.pk,
        callee_id=alice.pk,
        media="audio",
        state="ended",
        end_reason="no_answer",
        created_at=now,
        ended_at=now,
        caller_device="bob-tab",
    )
    new = migrate(AFTER)
    CallLeg = new.get_model("calls", "CallLeg")
    legs = {(leg.call_id, leg.role): leg for leg in CallLeg.objects.filter(kind="device")}
    assert set(legs) == {(answered.pk, "caller"), (answered.pk, "callee"), (missed.pk, "caller")}
    caller = legs[answered.pk, "caller"]
    assert (caller.user_id, caller.device, caller.channel) == (alice.pk, "alice-tab", "chan-a")
    assert caller.seen_at == now and caller.detached_at is None
    callee = legs[answered.pk, "callee"]
    assert (callee.user_id, callee.device, callee.channel) == (bob.pk, "bob-tab", "chan-b")
    assert callee.detached_at == now and callee.joined_at == now
    assert legs[missed.pk, "caller"].user_id == bob.pk

    back = migrate(BEFORE).get_model("calls", "Call")
    restored = back.objects.get(pk=answered.pk)
    assert (restored.caller_device, restored.callee_channel) == ("alice-tab", "chan-b")
    assert restored.callee_detached_at == now
    migrate(LATEST)  # leave the database as the other tests expect it
