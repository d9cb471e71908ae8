"""The only code that changes calls; events go out through uc_web.lib.realtime after commit.

State machine (docs/calls.md): ringing -> answered -> ended, or ringing -> ended
(declined, busy, no_answer, cancelled, failed). A call that cannot ring at all (the callee
is on another call, has Do not disturb, or has no open tab) is stored already ended.
"""

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import presence
from accounts import selectors as account_selectors
from accounts.models import User
from calls import routes, selectors
from calls.models import Call
from uc_web.lib import publicid, realtime
from uc_web.lib.exceptions import ApplicationError, PermissionDenied

logger = logging.getLogger(__name__)
CALL = publicid.kind_of(Call)

DEVICE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
CANDIDATE_MAX = 1024
SIGNAL_KINDS = ("offer", "answer", "candidate")
# A device whose socket went away has this long to come back (reload, network blip).
RESUME_GRACE_SECONDS = 8
# Answered calls whose devices stopped heart-beating this long ago are swept.
HEARTBEAT_STALE_SECONDS = 60


def _not_found() -> ApplicationError:
    # One answer for a forged id, a stranger's call and a call that does not exist.
    return ApplicationError(_("There is no such call."), code="not_found")


def _check_device(device: Any) -> str:
    if not isinstance(device, str) or not DEVICE_RE.match(device):
        raise ApplicationError(
            _("device must be 8-64 letters, digits, '-' or '_'."), code="malformed"
        )
    return device


def _locked() -> Any:
    """Calls locked for a transition, with both people (and photos) for the events."""
    return Call.objects.select_for_update(of=("self",)).select_related(
        "caller__profile", "callee__profile"
    )


def _clean_transition(call: Call) -> None:
    # The people were validated when the call was created, and the database enforces the
    # Meta constraints on save; checking both again here would cost five queries on every
    # transition of every call.
    call.full_clean(exclude=["caller", "callee"], validate_constraints=False)


def _clean_new(call: Call) -> None:
    # Both people are loaded and checked by the caller (may_reach); the database enforces
    # the Meta constraints. Validating those again would cost five queries per call.
    call.full_clean(exclude=["caller", "callee"], validate_constraints=False)


def _lock(*, user: User, call_id: Any) -> Call:
    if isinstance(call_id, bool) or not isinstance(call_id, int):
        raise _not_found()
    call = _locked().filter(Q(caller=user) | Q(callee=user), pk=call_id).first()
    if call is None:
        raise _not_found()
    return call


def _notify(call: Call, kind: str) -> None:
    """Tell every tab of both people the call's new state, after commit."""
    caller, callee = call.caller, call.callee  # loaded with their profiles (_locked)
    events = [
        (user.pk, {"type": kind, "call": selectors.call_data(call=call, user=user)})
        for user in (caller, callee)
    ]

    def send() -> None:
        for user_id, event in events:
            realtime.send_to_users([user_id], event)

    transaction.on_commit(send)


def _set_on_call(call: Call, on_call: bool) -> None:
    """Presence shows On a call for both people while the call is answered."""
    people = [call.caller, call.callee]  # loaded with the call (_locked)

    def send() -> None:
        for user in people:
            try:
                async_to_sync(presence.presence_set_on_call)(
                    user_id=user.pk,
                    company_id=user.company_id,
                    call_key=f"call.{call.pk}",
                    on_call=on_call,
                )
            except Exception:
                # Presence is a view; the heartbeat and reconnects repair it (handlers).
                logger.exception("calls: presence update failed")

    transaction.on_commit(send)


def _route(call: Call) -> None:
    """Keep the signalling index (calls.routes) in step with the call, after commit."""
    call_id = call.pk
    if call.state == Call.State.ANSWERED:
        route = {
            "caller": call.caller_id,
            "callee": call.callee_id,
            "caller_channel": call.caller_channel,
            "callee_channel": call.callee_channel,
        }
        transaction.on_commit(lambda: _quietly(routes.route_set, call_id, route))
    else:
        transaction.on_commit(lambda: _quietly(routes.route_drop, call_id))


def _quietly(fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        # Only an index: a miss falls back to the database.
        logger.exception("calls: could not update the signalling route")


def _missed_changed(user_id: int) -> None:
    user = User.objects.get(pk=user_id)
    count = selectors.call_missed_unseen_count(user=user)
    transaction.on_commit(
        lambda: realtime.send_to_users([user_id], {"type": "missed_calls.changed", "count": count})
    )


def _end(call: Call, reason: str, *, now: datetime | None = None) -> Call:
    was_answered = call.state == Call.State.ANSWERED
    call.state = Call.State.ENDED
    call.end_reason = reason
    call.ended_at = now or timezone.now()
    _clean_transition(call)
    call.save(update_fields=["state", "end_reason", "ended_at"])
    if was_answered:
        _route(call)
        _set_on_call(call, False)  # before the event: whoever hears it sees presence right
    _notify(call, "call.ended")
    if call.is_missed:
        _missed_changed(call.callee_id)
    return call


def _ring_timeout(callee: User) -> int:
    profile = getattr(callee, "profile", None)
    return profile.ring_timeout_seconds if profile is not None else 30


@transaction.atomic
def call_start(*, caller: User, callee_id: Any, media: Any, device: Any, channel: str) -> Call:
    """Ring every tab of the callee, or record at once why the call cannot ring."""
    if media not in Call.Media.values:
        raise ApplicationError(_("media must be 'audio' or 'video'."), code="malformed")
    device = _check_device(device)
    callee = None
    if isinstance(callee_id, int) and not isinstance(callee_id, bool):
        callee = User.objects.select_related("profile").filter(pk=callee_id).first()
    if callee is None or not account_selectors.may_reach(user=caller, other=callee):
        raise PermissionDenied(_("You cannot call this person."), code="not_allowed")
    # Serialise starts that involve either person (two tabs clicking at once, two people
    # calling the same callee), in a fixed order so two starts cannot deadlock.
    list(User.objects.select_for_update().filter(pk__in=[caller.pk, callee.pk]).order_by("pk"))
    busy = selectors.busy_user_ids(user_ids=[caller.pk, callee.pk])
    if caller.pk in busy:
        if Call.objects.filter(caller=callee, callee=caller, state=Call.State.RINGING).exists():
            # Both called each other at the same moment: the other call rings here.
            raise ApplicationError(
                _("%(name)s is calling you.") % {"name": callee.get_full_name() or callee.email},
                code="calling_you",
            )
        raise ApplicationError(_("You are already in a call."), code="already_in_call")
    now = timezone.now()
    call = Call(
        caller=caller,
        callee=callee,
        media=media,
        created_at=now,
        caller_device=device,
        caller_channel=channel,
    )
    snap = async_to_sync(presence.get_store().snapshot)([callee.pk], now=presence.clock())[
        callee.pk
    ]
    if callee.pk in busy or snap.state == presence.State.DND:
        reason = Call.EndReason.BUSY
    elif snap.connections == 0:
        reason = Call.EndReason.NO_ANSWER  # nobody to ring: a missed call
    else:
        reason = ""
    if reason:
        call.state, call.end_reason, call.ended_at = Call.State.ENDED, reason, now
        _clean_new(call)
        call.save()
        _notify(call, "call.ended")
        if call.is_missed:
            _missed_changed(callee.pk)
        return call
    call.ringing_at = now
    call.ring_expires_at = now + timedelta(seconds=_ring_timeout(callee))
    _clean_new(call)
    call.save()
    _notify(call, "call.ringing")
    return call


@transaction.atomic
def call_accept(*, user: User, call_id: Any, device: Any, channel: str) -> Call:
    """The callee answers on this tab; the others stop ringing ("answered elsewhere")."""
    device = _check_device(device)
    call = _lock(user=user, call_id=call_id)
    if call.callee_id != user.pk:
        raise PermissionDenied(_("Only the person called can answer."), code="not_callee")
    if call.state != Call.State.RINGING:
        raise ApplicationError(_("The call is no longer ringing."), code="not_ringing")
    now = timezone.now()
    call.state = Call.State.ANSWERED
    call.answered_at = now
    call.callee_device, call.callee_channel = device, channel
    call.caller_seen_at = call.callee_seen_at = now
    _clean_transition(call)
    call.save(
        update_fields=[
            "state",
            "answered_at",
            "callee_device",
            "callee_channel",
            "caller_seen_at",
            "callee_seen_at",
        ]
    )
    _route(call)
    _set_on_call(call, True)
    _notify(call, "call.answered")
    return call


@transaction.atomic
def call_decline(*, user: User, call_id: Any) -> Call:
    """The callee refuses a ringing call (from any of their tabs)."""
    call = _lock(user=user, call_id=call_id)
    if call.callee_id != user.pk:
        raise PermissionDenied(_("Only the person called can decline."), code="not_callee")
    if call.state != Call.State.RINGING:
        raise ApplicationError(_("The call is no longer ringing."), code="not_ringing")
    return _end(call, Call.EndReason.DECLINED)


@transaction.atomic
def call_cancel(*, user: User, call_id: Any) -> Call:
    """The caller gives up before an answer (a missed call for the callee)."""
    call = _lock(user=user, call_id=call_id)
    if call.caller_id != user.pk:
        raise PermissionDenied(_("Only the caller can cancel."), code="not_caller")
    if call.state != Call.State.RINGING:
        raise ApplicationError(_("The call is no longer ringing."), code="not_ringing")
    return _end(call, Call.EndReason.CANCELLED)


@transaction.atomic
def call_connected(*, user: User, call_id: Any, channel: str) -> Call:
    """A participant device's media connection is up: the call is connected from now
    (the first report counts; its duration starts here)."""
    call = _lock(user=user, call_id=call_id)
    if call.state != Call.State.ANSWERED:
        raise ApplicationError(_("The call is not in progress."), code="not_answered")
    if channel not in (call.caller_channel, call.callee_channel) or not channel:
        raise PermissionDenied(_("This call is on another device."), code="other_device")
    if call.connected_at is None:
        call.connected_at = timezone.now()
        _clean_transition(call)
        call.save(update_fields=["connected_at"])
        _notify(call, "call.connected")
    return call


@transaction.atomic
def call_hangup(*, user: User, call_id: Any, channel: str, failed: bool = False) -> Call:
    """Either participant device ends an answered call (failed: ICE gave up). A call
    whose media never connected ends failed ("Could not connect") either way."""
    call = _lock(user=user, call_id=call_id)
    if call.state == Call.State.RINGING:
        if call.caller_id == user.pk:
            return _end(call, Call.EndReason.CANCELLED)
        return _end(call, Call.EndReason.DECLINED)
    if call.state != Call.State.ANSWERED:
        raise ApplicationError(_("The call has already ended."), code="ended")
    if channel not in (call.caller_channel, call.callee_channel) or not channel:
        raise PermissionDenied(_("This call is on another device."), code="other_device")
    failed = failed or call.connected_at is None
    return _end(call, Call.EndReason.FAILED if failed else Call.EndReason.COMPLETED)


@transaction.atomic
def call_ring_timeout(*, call_id: int, now: datetime | None = None) -> Call | None:
    """End a call nobody answered within the callee's ring timeout (a missed call)."""
    now = now or timezone.now()
    call = _locked().filter(pk=call_id).first()
    if call is None or call.state != Call.State.RINGING or call.ring_expires_at > now:
        return call
    return _end(call, Call.EndReason.NO_ANSWER, now=now)


@transaction.atomic
def call_device_gone(*, user: User, channel: str) -> list[Call]:
    """A tab's socket closed: what that means for the calls it took part in.

    Ringing and it started the call: cancelled. Ringing and it was the callee's last tab:
    failed. Answered and it was a participant device: detached; it has
    RESUME_GRACE_SECONDS to resume (call_resume) before call_detached_end fails the call.
    Returns the calls that were detached.
    """
    detached = []
    now = timezone.now()
    for call in _locked().filter(
        Q(caller=user) | Q(callee=user), state__in=[Call.State.RINGING, Call.State.ANSWERED]
    ):
        is_caller = call.caller_id == user.pk
        if call.state == Call.State.RINGING:
            if is_caller and call.caller_channel == channel:
                _end(call, Call.EndReason.CANCELLED)
            elif not is_caller:
                snap = async_to_sync(presence.get_store().snapshot)(
                    [user.pk], now=presence.clock()
                )[user.pk]
                if snap.connections == 0:
                    _end(call, Call.EndReason.FAILED)
            continue
        side = "caller" if is_caller else "callee"
        if getattr(call, f"{side}_channel") != channel:
            continue
        setattr(call, f"{side}_detached_at", now)
        call.save(update_fields=[f"{side}_detached_at"])
        detached.append(call)
    return detached


@transaction.atomic
def call_detached_end(*, call_id: int, now: datetime | None = None) -> Call | None:
    """Fail an answered call whose device went away and did not come back in time."""
    now = now or timezone.now()
    call = _locked().filter(pk=call_id).first()
    if call is None or call.state != Call.State.ANSWERED:
        return call
    limit = now - timedelta(seconds=RESUME_GRACE_SECONDS)
    gone = [t for t in (call.caller_detached_at, call.callee_detached_at) if t is not None]
    if gone and min(gone) <= limit:
        return _end(call, Call.EndReason.FAILED, now=now)
    return call


@transaction.atomic
def call_resume(*, user: User, call_id: Any, device: Any, channel: str) -> Call:
    """A participant device is back on a new socket (reload, network blip)."""
    device = _check_device(device)
    call = _lock(user=user, call_id=call_id)
    if call.state != Call.State.ANSWERED:
        raise ApplicationError(_("The call is not in progress."), code="not_answered")
    side = "caller" if call.caller_id == user.pk else "callee"
    if getattr(call, f"{side}_device") != device:
        raise PermissionDenied(_("This call is on another device."), code="other_device")
    setattr(call, f"{side}_channel", channel)
    setattr(call, f"{side}_detached_at", None)
    setattr(call, f"{side}_seen_at", timezone.now())
    call.save(update_fields=[f"{side}_channel", f"{side}_detached_at", f"{side}_seen_at"])
    _route(call)
    _set_on_call(call, True)
    _notify(call, "call.resumed")
    return call


def call_heartbeat(*, user: User, channel: str) -> int:
    """A participant device is alive; returns how many active calls it takes part in.

    Ringing calls count too: the caller's tab keeps heart-beating while it rings, so that
    it is still known as a participant when the call is answered.
    """
    now = timezone.now()
    active = Call.objects.exclude(state=Call.State.ENDED)
    return active.filter(caller=user, caller_channel=channel).update(
        caller_seen_at=now
    ) + active.filter(callee=user, callee_channel=channel).update(callee_seen_at=now)


def call_sweep(*, now: datetime | None = None) -> int:
    """End calls nobody will end: rang out, device gone for good, heartbeat stopped."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=HEARTBEAT_STALE_SECONDS)
    detached = now - timedelta(seconds=RESUME_GRACE_SECONDS)
    ended = 0
    for call_id in Call.objects.filter(
        state=Call.State.RINGING, ring_expires_at__lte=now
    ).values_list("pk", flat=True):
        call = call_ring_timeout(call_id=call_id, now=now)
        ended += bool(call and call.state == Call.State.ENDED)
    orphans = Call.objects.filter(state=Call.State.ANSWERED).filter(
        Q(caller_seen_at__lt=stale)
        | Q(callee_seen_at__lt=stale)
        | Q(caller_detached_at__lte=detached)
        | Q(callee_detached_at__lte=detached)
    )
    for call_id in orphans.values_list("pk", flat=True):
        with transaction.atomic():
            call = _locked().filter(pk=call_id).first()
            if call is not None and call.state == Call.State.ANSWERED:
                _end(call, Call.EndReason.FAILED, now=now)
                ended += 1
    return ended


@transaction.atomic
def call_missed_mark_seen(*, user: User) -> int:
    """The user has looked at the call log: their missed calls are no longer new."""
    updated = (
        selectors.call_list(user=user, filter="missed")
        .filter(missed_seen=False)
        .update(missed_seen=True)
    )
    if updated:
        transaction.on_commit(
            lambda: realtime.send_to_users([user.pk], {"type": "missed_calls.changed", "count": 0})
        )
    return updated


def _check_signal(message: dict[str, Any]) -> dict[str, Any]:
    """The relayed part of a call.signal message, validated; raises on anything else."""
    kind = message.get("kind")
    if kind not in SIGNAL_KINDS:
        raise ApplicationError(
            _("kind must be 'offer', 'answer' or 'candidate'."), code="invalid_signal"
        )
    if kind in ("offer", "answer"):
        sdp = message.get("sdp")
        if not isinstance(sdp, str) or not sdp.startswith("v=0"):
            raise ApplicationError(_("sdp must be a session description."), code="invalid_signal")
        if len(sdp.encode()) > settings.CALL_SDP_MAX_BYTES:
            raise ApplicationError(_("The session description is too large."), code="too_large")
        restart = message.get("restart", False)
        if not isinstance(restart, bool):
            raise ApplicationError(_("restart must be true or false."), code="invalid_signal")
        return {"kind": kind, "sdp": sdp, "restart": restart}
    candidate = message.get("candidate")
    if candidate is None:
        return {"kind": kind, "candidate": None}  # end of candidates
    if not isinstance(candidate, dict) or set(candidate) - {
        "candidate",
        "sdpMid",
        "sdpMLineIndex",
        "usernameFragment",
    }:
        raise ApplicationError(_("candidate must be an ICE candidate."), code="invalid_signal")
    text, mid = candidate.get("candidate", ""), candidate.get("sdpMid")
    index, ufrag = candidate.get("sdpMLineIndex"), candidate.get("usernameFragment")
    if (
        not isinstance(text, str)
        or (text and not text.startswith("candidate:"))
        or not (mid is None or (isinstance(mid, str) and len(mid) <= 64))
        or not (
            index is None
            or (isinstance(index, int) and not isinstance(index, bool) and 0 <= index < 64)
        )
        or not (ufrag is None or (isinstance(ufrag, str) and len(ufrag) <= 256))
    ):
        raise ApplicationError(_("candidate must be an ICE candidate."), code="invalid_signal")
    if len(text) > CANDIDATE_MAX:
        raise ApplicationError(_("The candidate is too large."), code="too_large")
    return {
        "kind": kind,
        "candidate": {
            "candidate": text,
            "sdpMid": mid,
            "sdpMLineIndex": index,
            "usernameFragment": ufrag,
        },
    }


async def acall_signal_route(
    *, user_id: int, channel: str, call_id: Any, message: dict[str, Any]
) -> tuple[str, dict[str, Any]] | None:
    """The relay target from the signalling index, without the database; None: ask it."""
    signal = _check_signal(message)
    if isinstance(call_id, bool) or not isinstance(call_id, int):
        return None
    try:
        route = await routes.aroute_get(call_id)
    except Exception:
        logger.exception("calls: signalling index unreachable")
        return None
    if route is None:
        return None
    if user_id == route["caller"] and channel == route["caller_channel"]:
        target = route["callee_channel"]
    elif user_id == route["callee"] and channel == route["callee_channel"]:
        target = route["caller_channel"]
    else:
        return None  # the database gives the precise refusal
    return target, {"type": "call.signalled", "call": publicid.encode(CALL, call_id), **signal}


def call_signal_route(
    *, user: User, channel: str, call_id: Any, message: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Where an offer/answer/candidate from this device goes, and the event to relay.

    Only between the two participant devices of an answered call; nothing is stored.
    """
    signal = _check_signal(message)
    call = selectors.call_get(user=user, call_id=call_id)
    if call is None:
        raise _not_found()
    if call.state != Call.State.ANSWERED:
        raise ApplicationError(_("The call is not in progress."), code="not_answered")
    if channel == call.caller_channel and user.pk == call.caller_id:
        target = call.callee_channel
    elif channel == call.callee_channel and user.pk == call.callee_id:
        target = call.caller_channel
    else:
        raise PermissionDenied(_("This call is on another device."), code="other_device")
    if not target:
        raise ApplicationError(_("The other side is reconnecting."), code="peer_away")
    return target, {"type": "call.signalled", "call": publicid.of(call), **signal}
