"""Voicemail without media: who is offered Leave a message, who may take the offer, and
what becomes of a recording (delivered, or discarded and the caller told why)."""

import array
import io
import math
import os
from datetime import timedelta
from fractions import Fraction

import av
import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from calls import services, transitions, voicemail
from calls.models import Call, CallLeg, VoicemailBox
from messaging.models import Delivery, Message
from tests.calls.factories import CallFactory
from tests.fixtures.sockets import next_of
from tests.messaging import recordings
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media_and_spool(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.VOICEMAIL_SPOOL_DIR = str(tmp_path / "spool")
    os.makedirs(settings.VOICEMAIL_SPOOL_DIR)
    return tmp_path


def stored_files(root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


async def start(comm, callee, media="audio") -> None:
    await comm.send_json_to(
        {"type": "call.start", "callee": publicid.of(callee), "media": media, "device": "alice-tab"}
    )


async def ringing(connect, alice, bob, media="audio"):
    a, b = await connect(alice), await connect(bob)
    await start(a, bob, media)
    call_id = (await next_of(b, "call.ringing"))["call"]["id"]
    await next_of(a, "call.ringing")
    return a, b, call_id


# --- the offer -------------------------------------------------------------------------
async def test_bob_declining_offers_alice_to_leave_a_message(alice, bob, connect):
    a, b, call_id = await ringing(connect, alice, bob, "video")
    await b.send_json_to({"type": "call.decline", "call": call_id})
    ended = (await next_of(a, "call.ended"))["call"]
    assert (ended["end_reason"], ended["voicemail"], ended["media"]) == (
        "declined",
        "offered",
        "video",
    )


async def test_bob_offline_offers_alice_to_leave_a_message(alice, bob, connect):
    a = await connect(alice)
    await start(a, bob)
    ended = (await next_of(a, "call.ended"))["call"]
    assert (ended["end_reason"], ended["voicemail"]) == ("no_answer", "offered")


async def test_bob_on_do_not_disturb_offers_alice_to_leave_a_message(alice, bob, connect):
    a, b = await connect(alice), await connect(bob)
    await b.send_json_to({"type": "presence.set", "state": "dnd", "text": ""})
    await next_of(b, "my_presence.changed")
    await start(a, bob)
    ended = (await next_of(a, "call.ended"))["call"]
    assert (ended["end_reason"], ended["voicemail"]) == ("busy", "offered")


async def test_bob_busy_on_another_call_offers_alice_to_leave_a_message(
    alice, bob, connect, company
):
    from tests.accounts.factories import UserFactory

    dave = await sync_to_async(UserFactory)(company=company, first_name="Dave")
    b, d = await connect(bob), await connect(dave)
    await d.send_json_to(
        {"type": "call.start", "callee": publicid.of(bob), "media": "audio", "device": "dave-tab1"}
    )
    dave_call = (await next_of(b, "call.ringing"))["call"]["id"]
    await next_of(d, "call.ringing")
    await b.send_json_to({"type": "call.accept", "call": dave_call, "device": "bob-tab-1"})
    await next_of(d, "call.answered")
    a = await connect(alice)
    await start(a, bob)
    ended = (await next_of(a, "call.ended"))["call"]
    assert (ended["end_reason"], ended["voicemail"]) == ("busy", "offered")


async def test_no_answer_within_the_ring_timeout_offers_alice_to_leave_a_message(
    alice, bob, connect
):
    a, b, call_id = await ringing(connect, alice, bob)
    pk = publicid.decode("calls.call", call_id)
    later = timezone.now() + timedelta(seconds=120)
    await sync_to_async(services.call_ring_timeout)(call_id=pk, now=later)
    ended = (await next_of(a, "call.ended"))["call"]
    assert (ended["end_reason"], ended["voicemail"]) == ("no_answer", "offered")


async def test_bob_with_voicemail_off_gets_no_offer(alice, bob, connect):
    await sync_to_async(voicemail.voicemail_settings_update)(user=bob, enabled=False)
    a, b, call_id = await ringing(connect, alice, bob)
    await b.send_json_to({"type": "call.decline", "call": call_id})
    ended = (await next_of(a, "call.ended"))["call"]
    assert ended["end_reason"] == "declined" and ended["voicemail"] == ""
    await a.send_json_to({"type": "call.voicemail", "call": call_id, "device": "alice-tab"})
    assert (await next_of(a, "error"))["code"] == "no_voicemail"


async def test_alice_cancelling_herself_gets_no_offer(alice, bob, connect):
    a, b, call_id = await ringing(connect, alice, bob)
    await a.send_json_to({"type": "call.cancel", "call": call_id})
    assert (await next_of(a, "call.ended"))["call"]["voicemail"] == ""


async def test_only_alice_may_take_the_offer_and_charlie_learns_nothing(
    alice, bob, charlie, connect
):
    a, b, call_id = await ringing(connect, alice, bob)
    await b.send_json_to({"type": "call.decline", "call": call_id})
    await next_of(a, "call.ended")
    await next_of(b, "call.ended")
    await b.send_json_to({"type": "call.voicemail", "call": call_id, "device": "bob-tab-1"})
    assert (await next_of(b, "error"))["code"] == "not_caller"
    c = await connect(charlie)
    await c.send_json_to({"type": "call.voicemail", "call": call_id, "device": "charlie-1"})
    assert (await next_of(c, "error"))["code"] == "not_found"
    call = await sync_to_async(Call.objects.get)()
    assert call.voicemail == Call.Voicemail.OFFERED


async def test_no_relay_refuses_the_message_and_keeps_the_offer(alice, bob, connect, settings):
    settings.RELAY_OPEN_TIMEOUT_SECONDS = 0.5
    a, b, call_id = await ringing(connect, alice, bob)
    await b.send_json_to({"type": "call.decline", "call": call_id})
    await next_of(a, "call.ended")
    await a.send_json_to({"type": "call.voicemail", "call": call_id, "device": "alice-tab"})
    assert (await next_of(a, "error"))["code"] == "relay_unavailable"
    call = await sync_to_async(Call.objects.get)()
    assert call.voicemail == Call.Voicemail.OFFERED


async def test_signals_for_a_message_not_being_recorded_are_refused(alice, bob, connect):
    a, b, call_id = await ringing(connect, alice, bob)
    await b.send_json_to({"type": "call.decline", "call": call_id})
    await next_of(a, "call.ended")
    await a.send_json_to(
        {"type": "call.signal", "call": call_id, "kind": "offer", "sdp": "v=0\r\n"}
    )
    assert (await next_of(a, "error"))["code"] == "not_recording"


def test_the_offer_expires(alice, bob):
    call = CallFactory(
        caller=alice, callee=bob, end_reason="declined", voicemail="offered", answered_at=None
    )
    call.ended_at = timezone.now() - timedelta(seconds=voicemail.OFFER_SECONDS + 1)
    call.save()
    with pytest.raises(Exception) as refused:
        voicemail.voicemail_check(user=alice, call_id=call.pk)
    assert refused.value.code == "no_voicemail"


def test_only_unanswered_calls_can_be_offered():
    for reason in Call.EndReason.values:
        call = Call(state="ended", end_reason=reason)
        expected = reason in ("declined", "no_answer", "busy")
        assert transitions.voicemail_allows(call, "voicemail_offer") is expected, reason


# --- delivery ------------------------------------------------------------------------
def tone_webm(path, seconds: float, amplitude: int = 9000, video: bool = False) -> None:
    if amplitude == 9000:
        with open(path, "wb") as out:
            out.write(recordings.recording(seconds, video=video))
        return
    with av.open(path, mode="w", format="webm") as muxer:
        stream = muxer.add_stream("libopus", rate=48000)
        stream.layout = "mono"
        for start in range(0, int(seconds * 48000), 960):
            samples = array.array(
                "h", (int(amplitude * math.sin(i / 10)) for i in range(start, start + 960))
            )
            frame = av.AudioFrame(format="s16", layout="mono", samples=960)
            frame.planes[0].update(samples.tobytes())
            frame.sample_rate, frame.pts, frame.time_base = 48000, start, Fraction(1, 48000)
            for packet in stream.encode(frame):
                muxer.mux(packet)
        for packet in stream.encode(None):
            muxer.mux(packet)


def recording_call(alice, bob, media="audio") -> Call:
    call = CallFactory(
        caller=alice,
        callee=bob,
        media=media,
        end_reason="no_answer",
        voicemail="recording",
        answered_at=None,
    )
    CallLeg.objects.create(
        call=call, kind="relay", role="relay", device="sess", channel="relay.x", worker="r1"
    )
    return call


def test_a_recording_becomes_a_voice_message_in_bobs_inbox(alice, bob, media_and_spool):
    call = recording_call(alice, bob)
    path = voicemail.spool_path(call.pk)
    tone_webm(path, 3.0)
    voicemail.voicemail_deliver(call_id=call.pk, path=str(path))
    call.refresh_from_db()
    assert call.voicemail == Call.Voicemail.LEFT and call.voicemail_left
    message = call.voicemail_message
    assert message.kind == Message.Kind.VOICE and message.sender == alice
    assert 2900 <= message.duration_ms <= 3100
    assert Delivery.objects.filter(owner=bob, box="inbox", message=message).exists()
    assert not path.exists()  # nothing left in the spool


def test_a_video_call_leaves_a_video_message_with_a_poster(alice, bob):
    call = recording_call(alice, bob, media="video")
    path = voicemail.spool_path(call.pk)
    tone_webm(path, 2.0, video=True)
    voicemail.voicemail_deliver(call_id=call.pk, path=str(path))
    call.refresh_from_db()
    assert call.voicemail_message.kind == Message.Kind.VIDEO
    assert call.voicemail_message.poster


@pytest.mark.parametrize(
    ("seconds", "amplitude", "says"),
    [(0.6, 9000, "shorter than a second"), (2.0, 0, "no sound")],
)
def test_a_too_short_or_silent_recording_is_not_delivered_and_alice_is_told(
    alice, bob, media_and_spool, seconds, amplitude, says
):
    call = recording_call(alice, bob)
    path = voicemail.spool_path(call.pk)
    tone_webm(path, seconds, amplitude)
    voicemail.voicemail_deliver(call_id=call.pk, path=str(path))
    call.refresh_from_db()
    assert call.voicemail == Call.Voicemail.DISCARDED
    assert says in call.voicemail_note
    assert not Message.objects.exists()
    assert stored_files(media_and_spool / "media") == [] and not path.exists()


def test_nothing_recorded_is_not_delivered(alice, bob):
    call = recording_call(alice, bob)
    voicemail.voicemail_deliver(call_id=call.pk, path=str(voicemail.spool_path(call.pk)))
    call.refresh_from_db()
    assert call.voicemail == Call.Voicemail.DISCARDED and "Nothing" in call.voicemail_note


def test_a_recording_cut_short_by_a_dead_relay_is_salvaged(alice, bob, media_and_spool):
    call = recording_call(alice, bob)
    path = voicemail.spool_path(call.pk)
    whole = io.BytesIO(recordings.recording(4.0)).getvalue()
    path.write_bytes(whole[: int(len(whole) * 0.7)])  # the writer died here
    voicemail.voicemail_salvage(call_id=call.pk)  # worker r1 has no heartbeat: gone
    call.refresh_from_db()
    assert call.voicemail == Call.Voicemail.LEFT
    assert 1500 <= call.voicemail_message.duration_ms <= 3500
    assert sorted(os.listdir(media_and_spool / "spool")) == []


def test_delivering_twice_delivers_once(alice, bob):
    call = recording_call(alice, bob)
    path = voicemail.spool_path(call.pk)
    tone_webm(path, 2.0)
    voicemail.voicemail_deliver(call_id=call.pk, path=str(path))
    tone_webm(path, 2.0)
    voicemail.voicemail_deliver(call_id=call.pk, path=str(path))
    assert Message.objects.count() == 1 and not path.exists()


def test_voicemail_is_on_unless_turned_off(alice, bob):
    from calls import selectors

    assert selectors.voicemail_enabled(user_id=bob.pk)
    voicemail.voicemail_settings_update(user=bob, enabled=False)
    assert not selectors.voicemail_enabled(user_id=bob.pk)
    assert VoicemailBox.objects.get(user=bob).enabled is False
