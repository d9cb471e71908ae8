"""Voicemail: services that let the caller of an unanswered call leave a message.

The call's life is in calls.services; this is the part after it ended unanswered
(calls.transitions.VOICEMAIL: offered -> recording -> left | discarded):
- `voicemail_check` / `voicemail_record`: the caller chose Leave a message; the handler
  opened a *voicemail* session on a relay worker (calls.relay_worker), which joins the call
  as its relay leg, plays the callee's greeting (or a tone) and records the caller into a
  spool file (`spool_path`);
- `voicemail_finish_locked`: the caller hung up or their tab went away: the session is told
  to stop; it then calls
- `voicemail_deliver`: the recording goes through messaging's pipeline
  (messaging.services.recording_send: PyAV checks, remux, storage, the callee told live)
  and becomes a voice or video message in the callee's inbox; shorter than a second or
  silent, it is discarded and the caller told;
- `voicemail_salvage`: the worker died mid-recording: the complete part of its spool file
  is copied out and delivered the same way.
Greetings (recorded on the profile page) are stored through the same pipeline.
"""

import contextlib
import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from calls import relay, selectors, services, transitions
from calls.models import Call, CallLeg, VoicemailBox
from uc_web.lib import publicid
from uc_web.lib.exceptions import ApplicationError, PermissionDenied

logger = logging.getLogger(__name__)

# How long after the call ended the caller may still choose Leave a message.
OFFER_SECONDS = 120
MIN_MS = 1000  # shorter than this is not delivered
# No sample louder than this (of 32767): no sound at all.
SILENCE_PEAK = 300


def spool_path(call_id: int) -> Path:
    """Where the relay writes a call's recording while it lasts (VOICEMAIL_SPOOL_DIR: a
    directory the relay workers and the web processes share)."""
    return Path(settings.VOICEMAIL_SPOOL_DIR) / f"call-{call_id}.webm"


def _remove(*paths: Any) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def voicemail_check(*, user: User, call_id: Any) -> Call:
    """May this person leave a message on this call now? (Before a session is opened.)"""
    call = selectors.call_get(user=user, call_id=call_id)
    if call is None:
        raise services._not_found()
    _check_record(call, user)
    return call


def _check_record(call: Call, user: User) -> None:
    if call.caller_id != user.pk:
        raise PermissionDenied(_("Only the caller can leave a message."), code="not_caller")
    if not transitions.voicemail_allows(call, "voicemail_record") or (
        call.ended_at is not None
        and call.ended_at < timezone.now() - timedelta(seconds=OFFER_SECONDS)
    ):
        transitions.voicemail_apply(call, "voicemail_record")  # the refusal
        raise ApplicationError(_("It is too late to leave a message."), code="no_voicemail")


def session_options(*, call: Call) -> dict[str, Any]:
    """What the voicemail session needs: where to record, for how long, what to play."""
    from messaging import selectors as messaging_selectors

    limits = [
        messaging_selectors.company_rules(company_id=person.company_id)[0]
        for person in (call.caller, call.callee)
    ]
    box = VoicemailBox.objects.filter(user_id=call.callee_id).first()
    greeting = box.greeting if box is not None else ""
    video_greeting = bool(box and box.greeting_video)
    if greeting and video_greeting and call.media != Call.Media.VIDEO:
        greeting = ""  # a video greeting's sound would do, but keep to what they recorded
    return {
        "file": str(spool_path(call.pk)),
        "max_seconds": min(limits),
        "greeting": greeting,
        "greeting_video": video_greeting,
    }


@transaction.atomic
def voicemail_record(
    *, user: User, call_id: Any, device: Any, channel: str, relay: dict[str, str]
) -> Call:
    """The caller leaves a message: their tab (this socket) and the voicemail session the
    handler opened become the call's legs; the tab offers to the session next."""
    device = services._check_device(device)
    call = services._lock(user=user, call_id=call_id)
    _check_record(call, user)
    transitions.voicemail_apply(call, "voicemail_record")
    call.save(update_fields=["voicemail"])
    now = timezone.now()
    leg = call.caller_leg
    if leg is None:  # every call is created with its caller's leg
        raise ApplicationError(_("You cannot leave a message on this call."), code="no_voicemail")
    leg.device, leg.channel, leg.seen_at, leg.detached_at = device, channel, now, None
    leg.save(update_fields=["device", "channel", "seen_at", "detached_at"])
    services._add_relay_leg(call, relay, now)
    services._route(call)
    services._notify(call, "voicemail.started")
    return call


def voicemail_finish_locked(*, call: Call, user: User, channel: str) -> Call:
    """The caller hung up (or their tab went away): the session stops recording and
    delivers (voicemail_deliver). The call is locked by the caller of this function."""
    transitions.voicemail_apply(call, "voicemail_finish")
    if call.caller_id != user.pk:
        raise PermissionDenied(_("Only the caller can leave a message."), code="not_caller")
    leg = call.relay_leg
    if leg is not None:
        target, session = leg.channel, leg.device
        transaction.on_commit(
            lambda: async_to_sync(relay.asend_signal)(
                target, {"type": "relay.finish", "session": session}
            )
        )
    return call


@transaction.atomic
def voicemail_caller_gone(*, user: User, channel: str) -> int:
    """The tab leaving a message closed (no hang-up): the session stops and delivers what
    was recorded. How many messages were being left from that tab."""
    finished = 0
    for call in services._locked().filter(
        caller=user, state=Call.State.ENDED, voicemail=Call.Voicemail.RECORDING
    ):
        leg = call.caller_leg
        if leg is not None and leg.channel == channel:
            voicemail_finish_locked(call=call, user=user, channel=channel)
            finished += 1
    return finished


def _audible(path: str) -> bool:
    """Whether the recording's sound rises above silence anywhere (its peak, as 16-bit
    samples, over SILENCE_PEAK)."""
    import array

    import av

    resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
    with av.open(path) as container:
        if not container.streams.audio:
            return False
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                samples = array.array("h", bytes(out.planes[0])[: out.samples * 2])
                if samples and max(max(samples), -min(samples)) > SILENCE_PEAK:
                    return True
    return False


def voicemail_deliver(*, call_id: int, path: str) -> Call | None:
    """The session's recording (a WebM at `path`) becomes a voice or video message in the
    callee's inbox through messaging's pipeline, or is discarded (too short, silent,
    refused) and the caller told why. The file is removed either way."""
    from messaging import media
    from messaging import services as messaging_services

    try:
        with transaction.atomic():
            call = services._locked().filter(pk=call_id).first()
            if call is None or not transitions.voicemail_allows(call, "voicemail_left"):
                return call  # delivered already (the session and a salvage both tried)
            kind = "video" if call.media == Call.Media.VIDEO else "voice"
            note: str = ""
            message = None
            try:
                if not os.path.exists(path):
                    raise FileNotFoundError(path)
                found = media.probe(path, kind=kind)
                if found.duration_ms < MIN_MS:
                    note = _("Your message was shorter than a second, so it was not delivered.")
                elif not _audible(path):
                    note = _("Your message had no sound, so it was not delivered.")
            except ApplicationError as error:
                note = str(error.message)
            except FileNotFoundError:
                note = _("Nothing was recorded, so no message was delivered.")
            if not note:
                try:
                    with open(path, "rb") as handle:
                        message = messaging_services.recording_send(
                            sender=call.caller,
                            recipients=[call.callee],
                            kind=kind,
                            upload=_named(handle, path),
                            subject=_("Message left when you could not take a call"),
                        )
                except ApplicationError as error:
                    note = str(error.message)
            if message is not None:
                transitions.voicemail_apply(call, "voicemail_left")
                call.voicemail_message = message
                call.voicemail_note = ""
                call.save(update_fields=["voicemail", "voicemail_message", "voicemail_note"])
                services._notify(call, "voicemail.left")
            else:
                transitions.voicemail_apply(call, "voicemail_discard")
                call.voicemail_note = note[:200]
                call.save(update_fields=["voicemail", "voicemail_note"])
                services._notify(call, "voicemail.discarded")
            leg = call.relay_leg
            if leg is not None:
                services._close_relay_session(leg.channel, leg.device)
            services._route(call)
            _remove(path)  # gone before anyone hears of the outcome (events go on commit)
            return call
    finally:
        _remove(path)


def _named(handle: IO[bytes], path: str) -> File:
    upload = File(handle, name=os.path.basename(path))
    upload.size = os.path.getsize(path)
    return upload


def salvage(source: str, target: str) -> bool:
    """Copy every complete packet of a recording cut short (its writer died) into a fresh
    WebM; whether anything was saved."""
    import av

    copied = 0
    try:
        with av.open(source) as inp, av.open(target, mode="w", format="webm") as out:
            streams = [s for s in inp.streams if s.type in ("audio", "video")]
            mapping = {s.index: out.add_stream_from_template(s) for s in streams}
            try:
                for packet in inp.demux(*streams):
                    if packet.dts is None or packet.size == 0 or packet.is_corrupt:
                        continue
                    packet.stream = mapping[packet.stream.index]
                    out.mux(packet)
                    copied += 1
            except (av.FFmpegError, EOFError):
                pass  # the cut: keep what came before it
    except (av.FFmpegError, FileNotFoundError, ValueError):
        return False
    return copied > 0


def voicemail_salvage(*, call_id: int) -> Call | None:
    """The relay worker recording this call's message is gone (killed, machine lost):
    what it wrote before is delivered; the half-written file is removed."""
    call = Call.objects.filter(pk=call_id).first()
    if call is None or call.voicemail != Call.Voicemail.RECORDING:
        return call
    leg = CallLeg.objects.filter(call_id=call_id, kind=CallLeg.Kind.RELAY).first()
    if leg is not None and relay.worker_alive(leg.worker):
        return call
    source = spool_path(call_id)
    target = source.with_suffix(".salvaged.webm")
    saved = salvage(str(source), str(target))
    _remove(source)
    if not saved:
        _remove(target)
    return voicemail_deliver(call_id=call_id, path=str(target))


# --- the callee's side: on or off, and the greeting -------------------------------------


def voicemail_settings_update(*, user: User, enabled: bool) -> VoicemailBox:
    """Let callers leave a message, or not."""
    box, _created = VoicemailBox.objects.get_or_create(user=user)
    box.enabled = enabled
    box.updated_at = timezone.now()
    box.full_clean(exclude=["user"])
    box.save(update_fields=["enabled", "updated_at"])
    return box


def greeting_save(*, user: User, upload: IO[bytes], video: bool) -> VoicemailBox:
    """Check a recorded greeting with messaging's pipeline (PyAV: containers, codecs,
    duration, remux, poster) and make it the person's greeting; the old one is deleted."""
    from messaging import media

    recording = media.recording_store(
        upload,
        kind="video" if video else "voice",
        max_seconds=VoicemailBox.GREETING_MAX_SECONDS,
    )
    try:
        with transaction.atomic():
            box, _created = VoicemailBox.objects.select_for_update().get_or_create(user=user)
            old = [n for n in (box.greeting, box.greeting_poster) if n]
            box.greeting = recording.name
            box.greeting_content_type = recording.content_type
            box.greeting_bytes = recording.size
            box.greeting_duration_ms = recording.duration_ms
            box.greeting_poster = recording.poster
            box.greeting_video = video
            box.updated_at = timezone.now()
            box.save()
            if old:
                transaction.on_commit(lambda: media.recording_delete(old))
    except BaseException:
        media.recording_delete(recording.names)
        raise
    return box


@transaction.atomic
def greeting_delete(*, user: User) -> VoicemailBox | None:
    """Callers hear the tone again; the greeting's files are deleted."""
    from messaging import media

    box = VoicemailBox.objects.select_for_update().filter(user=user).first()
    if box is None or not box.greeting:
        return box
    old = [n for n in (box.greeting, box.greeting_poster) if n]
    box.greeting = box.greeting_content_type = box.greeting_poster = ""
    box.greeting_bytes = box.greeting_duration_ms = 0
    box.greeting_video = False
    box.updated_at = timezone.now()
    box.save()
    transaction.on_commit(lambda: media.recording_delete(old))
    return box


def call_public_id(call: Call) -> str:
    return publicid.of(call)
