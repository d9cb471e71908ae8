"""The only code that changes calls; events go out through uc_web.lib.realtime after commit.

Every change of state goes through the one table of calls.transitions (docs/calls.md):
ringing -> answered -> ended, or ringing -> ended (declined, busy, no_answer, cancelled,
failed). A call that cannot ring at all (the callee is on another call, has Do not
disturb, or has no open tab) is stored already ended. Who takes part is in the call's legs
(calls.models.CallLeg): the caller's device from the start, the answering device from the
answer, a relay session when the call is relayed.
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
from accounts.models import Company, User
from calls import relay, routes, selectors, transitions
from calls.models import Call, CallLeg
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
    return (
        Call.objects.select_for_update(of=("self",))
        .select_related("caller__profile", "callee__profile")
        .prefetch_related("legs")
    )


def _device_leg(call: Call, *, user: User, channel: str) -> CallLeg:
    """The participant device leg on this socket, or refused ("on another device")."""
    if not channel:
        raise PermissionDenied(_("This call is on another device."), code="other_device")
    for leg in call.legs.all():
        if leg.kind == CallLeg.Kind.DEVICE and leg.user_id == user.pk and leg.channel == channel:
            return leg
    raise PermissionDenied(_("This call is on another device."), code="other_device")


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
    if call.state == Call.State.ANSWERED or call.recording_voicemail:
        route = {"paths": _signal_paths(call)}
        transaction.on_commit(lambda: _quietly(routes.route_set, call_id, route))
    else:
        transaction.on_commit(lambda: _quietly(routes.route_drop, call_id))


def _signal_paths(call: Call) -> list[dict[str, Any]]:
    """Which socket's signals go where: between the two device legs, or, when the call
    is relayed, between each device leg and the relay session."""
    caller, callee, relay = call.caller_leg, call.callee_leg, call.relay_leg
    paths = []
    for leg, other in ((caller, callee), (callee, caller)):
        if leg is None or not leg.channel:
            continue
        if relay is not None:
            paths.append(
                {
                    "user": leg.user_id,
                    "from": leg.channel,
                    "to": relay.channel,
                    "session": relay.device,
                    "leg": leg.role,
                }
            )
        else:
            paths.append(
                {"user": leg.user_id, "from": leg.channel, "to": other.channel if other else ""}
            )
    return paths


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


def _end(call: Call, event: str, reason: str, *, now: datetime | None = None) -> Call:
    was_answered = transitions.apply(call, event, reason) == Call.State.ANSWERED
    call.ended_at = now or timezone.now()
    _clean_transition(call)
    call.save(update_fields=["state", "end_reason", "ended_at"])
    if was_answered:
        _route(call)
        _set_on_call(call, False)  # before the event: whoever hears it sees presence right
    leg = call.relay_leg
    if leg is not None:
        _close_relay_session(leg.channel, leg.device)
    _offer_voicemail(call)
    _notify(call, "call.ended")
    if call.is_missed:
        _missed_changed(call.callee_id)
    return call


def _offer_voicemail(call: Call) -> None:
    """A call that could not be answered: its caller may leave a message, unless the
    callee turned voicemail off (calls.transitions.VOICEMAIL)."""
    if transitions.voicemail_allows(call, "voicemail_offer") and selectors.voicemail_enabled(
        user_id=call.callee_id
    ):
        transitions.voicemail_apply(call, "voicemail_offer")
        call.save(update_fields=["voicemail"])


def _close_relay_session(channel: str, session: str) -> None:
    transaction.on_commit(lambda: async_to_sync(relay.aclose_session)(channel, session))


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
    call = Call(caller=caller, callee=callee, media=media, created_at=now)
    snap = async_to_sync(presence.get_store().snapshot)([callee.pk], now=presence.clock())[
        callee.pk
    ]
    if callee.pk in busy or snap.state == presence.State.DND:
        reason: str = Call.EndReason.BUSY
    elif snap.connections == 0:
        reason = Call.EndReason.NO_ANSWER  # nobody to ring: a missed call
    else:
        reason = ""
    transitions.apply(call, "start", reason)
    if reason:
        call.ended_at = now
        if transitions.voicemail_allows(call, "voicemail_offer") and selectors.voicemail_enabled(
            user_id=callee.pk
        ):
            transitions.voicemail_apply(call, "voicemail_offer")
        _clean_new(call)
        call.save()
        _add_leg(call, CallLeg.Role.CALLER, user=caller, device=device, channel=channel, now=now)
        _notify(call, "call.ended")
        if call.is_missed:
            _missed_changed(callee.pk)
        return call
    call.ringing_at = now
    call.ring_expires_at = now + timedelta(seconds=_ring_timeout(callee))
    _clean_new(call)
    call.save()
    _add_leg(call, CallLeg.Role.CALLER, user=caller, device=device, channel=channel, now=now)
    _notify(call, "call.ringing")
    return call


def _add_leg(
    call: Call, role: str, *, user: User, device: str, channel: str, now: datetime, **fields: Any
) -> CallLeg:
    leg = CallLeg(
        call=call,
        kind=CallLeg.Kind.DEVICE,
        role=role,
        user=user,
        device=device,
        channel=channel,
        joined_at=now,
        **fields,
    )
    leg.full_clean(exclude=["call", "user"], validate_constraints=False)
    leg.save()
    # Keep the call's loaded legs current for the events that follow.
    cache = call.__dict__.setdefault("_prefetched_objects_cache", {})
    if "legs" not in cache:
        cache["legs"] = CallLeg.objects.filter(call=call)
        cache["legs"]._result_cache = []
        cache["legs"]._prefetch_done = True
    cache["legs"]._result_cache.append(leg)
    return leg


def call_relay_reason(*, user: User, call_id: Any) -> str:
    """Why this call must go through the media relay ("" when it may go direct): the
    caller's or the callee's own setting, or their company's."""
    call = selectors.call_get(user=user, call_id=call_id)
    if call is None:
        return ""
    people = [call.caller, call.callee]
    if any(getattr(p.profile, "calls_via_server", False) for p in people):
        return Call.RelayReason.USER
    companies = [p.company_id for p in people if p.company_id]
    if Company.objects.filter(pk__in=companies, calls_via_server=True).exists():
        return Call.RelayReason.COMPANY
    return ""


@transaction.atomic
def call_accept(
    *,
    user: User,
    call_id: Any,
    device: Any,
    channel: str,
    relay: dict[str, str] | None = None,
) -> Call:
    """The callee answers on this tab; the others stop ringing ("answered elsewhere").

    With `relay` ({worker, channel, session, reason}, a session the handler opened) the
    call is relayed from the start: its relay leg joins with the answer.
    """
    device = _check_device(device)
    call = _lock(user=user, call_id=call_id)
    if call.callee_id != user.pk:
        raise PermissionDenied(_("Only the person called can answer."), code="not_callee")
    transitions.apply(call, "accept")
    now = timezone.now()
    call.answered_at = now
    fields = ["state", "answered_at"]
    if relay:
        transitions.apply(call, "relay")
        call.relay_reason = relay["reason"]
        fields.append("relay_reason")
    _clean_transition(call)
    call.save(update_fields=fields)
    if relay:
        _add_relay_leg(call, relay, now)
    caller_leg = call.caller_leg
    if caller_leg is None:  # every call is created with its caller's leg
        raise ApplicationError(_("The call is not in progress."), code="not_answered")
    caller_leg.seen_at = now
    caller_leg.save(update_fields=["seen_at"])
    _add_leg(
        call, CallLeg.Role.CALLEE, user=user, device=device, channel=channel, now=now, seen_at=now
    )
    _route(call)
    _set_on_call(call, True)
    _notify(call, "call.answered")
    return call


def _add_relay_leg(call: Call, relay: dict[str, str], now: datetime) -> CallLeg:
    leg = CallLeg(
        call=call,
        kind=CallLeg.Kind.RELAY,
        role=CallLeg.Role.RELAY,
        device=relay["session"],
        channel=relay["channel"],
        worker=relay["worker"],
        joined_at=now,
    )
    leg.full_clean(exclude=["call"], validate_constraints=False)
    leg.save()
    call._prefetched_objects_cache["legs"]._result_cache.append(leg)  # type: ignore[attr-defined]
    return leg


def call_relay_check(*, user: User, call_id: Any, channel: str) -> Call:
    """May this device move its call to the relay? (Asked before a session is opened.)"""
    call = selectors.call_get(user=user, call_id=call_id)
    if call is None:
        raise _not_found()
    transitions.apply(call, "relay")  # refused unless answered
    _device_leg(call, user=user, channel=channel)
    if call.relay_leg is not None:
        raise ApplicationError(_("The call is already relayed."), code="already_relayed")
    return call


@transaction.atomic
def call_relay_attach(*, user: User, call_id: Any, channel: str, relay: dict[str, str]) -> Call:
    """A direct call that could not connect (ICE failed even through TURN) goes through
    the relay session the handler opened: both devices connect to it afresh."""
    call = _lock(user=user, call_id=call_id)
    transitions.apply(call, "relay")
    _device_leg(call, user=user, channel=channel)
    if call.relay_leg is not None:
        raise ApplicationError(_("The call is already relayed."), code="already_relayed")
    call.relay_reason = relay["reason"]
    call.save(update_fields=["relay_reason"])
    _add_relay_leg(call, relay, timezone.now())
    _route(call)
    _notify(call, "call.relayed")
    return call


@transaction.atomic
def call_relay_unavailable(*, user: User, call_id: Any) -> Call | None:
    """The call was to be relayed and no relay answered: it ends "Media server
    unavailable" for both sides (not a missed call: it was answered)."""
    call = _lock(user=user, call_id=call_id)
    if not transitions.allows(call, "relay_lost", Call.EndReason.MEDIA_LOST):
        return call
    return _end(call, "relay_lost", Call.EndReason.MEDIA_LOST)


def call_relay_watch(*, call_id: int) -> bool:
    """One look at a relayed call's worker (two light queries, no lock while all is
    well): ends the call when the worker is gone. False: nothing more to watch."""
    leg = (
        CallLeg.objects.filter(call_id=call_id, kind=CallLeg.Kind.RELAY)
        .select_related("call")
        .only("worker", "call__state")
        .first()
    )
    if leg is None:
        return False
    if leg.call.state == Call.State.ENDED:
        if not CallLeg.objects.filter(pk=leg.pk, call__voicemail=Call.Voicemail.RECORDING).exists():
            return False
        if relay.worker_alive(leg.worker):
            return True
        from calls import voicemail

        voicemail.voicemail_salvage(call_id=call_id)  # the worker died mid-recording
        return False
    if leg.call.state != Call.State.ANSWERED:
        return False
    if relay.worker_alive(leg.worker):
        return True
    call = call_relay_lost(call_id=call_id)
    return call is not None and call.state == Call.State.ANSWERED


@transaction.atomic
def call_relay_lost(*, call_id: int, now: datetime | None = None) -> Call | None:
    """End a relayed call whose relay worker stopped answering (its heartbeat is stale)."""
    call = _locked().filter(pk=call_id).first()
    if call is None or not transitions.allows(call, "relay_lost", Call.EndReason.MEDIA_LOST):
        return call
    leg = call.relay_leg
    if leg is None or relay.worker_alive(leg.worker, now):
        return call
    return _end(call, "relay_lost", Call.EndReason.MEDIA_LOST, now=now)


@transaction.atomic
def call_decline(*, user: User, call_id: Any) -> Call:
    """The callee refuses a ringing call (from any of their tabs)."""
    call = _lock(user=user, call_id=call_id)
    if call.callee_id != user.pk:
        raise PermissionDenied(_("Only the person called can decline."), code="not_callee")
    return _end(call, "decline", Call.EndReason.DECLINED)


@transaction.atomic
def call_cancel(*, user: User, call_id: Any) -> Call:
    """The caller gives up before an answer (a missed call for the callee)."""
    call = _lock(user=user, call_id=call_id)
    if call.caller_id != user.pk:
        raise PermissionDenied(_("Only the caller can cancel."), code="not_caller")
    return _end(call, "cancel", Call.EndReason.CANCELLED)


@transaction.atomic
def call_connected(*, user: User, call_id: Any, channel: str) -> Call:
    """A participant device's media connection is up: the call is connected from now
    (the first report counts; its duration starts here)."""
    call = _lock(user=user, call_id=call_id)
    transitions.apply(call, "connected")
    _device_leg(call, user=user, channel=channel)
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
            return _end(call, "hangup", Call.EndReason.CANCELLED)
        return _end(call, "hangup", Call.EndReason.DECLINED)
    if call.state == Call.State.ENDED and call.recording_voicemail:
        from calls import voicemail

        return voicemail.voicemail_finish_locked(call=call, user=user, channel=channel)
    if call.state != Call.State.ANSWERED:
        transitions.apply(call, "hangup")  # refused: the call has already ended
    _device_leg(call, user=user, channel=channel)
    failed = failed or call.connected_at is None
    return _end(call, "hangup", Call.EndReason.FAILED if failed else Call.EndReason.COMPLETED)


@transaction.atomic
def call_ring_timeout(*, call_id: int, now: datetime | None = None) -> Call | None:
    """End a call nobody answered within the callee's ring timeout (a missed call)."""
    now = now or timezone.now()
    call = _locked().filter(pk=call_id).first()
    if call is None or not transitions.allows(call, "ring_timeout", Call.EndReason.NO_ANSWER):
        return call
    if call.ring_expires_at > now:
        return call
    return _end(call, "ring_timeout", Call.EndReason.NO_ANSWER, now=now)


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
            if is_caller and call.caller_leg.channel == channel:
                _end(call, "device_gone", Call.EndReason.CANCELLED)
            elif not is_caller:
                snap = async_to_sync(presence.get_store().snapshot)(
                    [user.pk], now=presence.clock()
                )[user.pk]
                if snap.connections == 0:
                    _end(call, "device_gone", Call.EndReason.FAILED)
            continue
        leg = call.caller_leg if is_caller else call.callee_leg
        if leg is None or leg.channel != channel:
            continue
        transitions.apply(call, "device_gone")
        leg.detached_at = now
        leg.save(update_fields=["detached_at"])
        detached.append(call)
    return detached


@transaction.atomic
def call_detached_end(*, call_id: int, now: datetime | None = None) -> Call | None:
    """Fail an answered call whose device went away and did not come back in time."""
    now = now or timezone.now()
    call = _locked().filter(pk=call_id).first()
    if call is None or not transitions.allows(call, "detached_end", Call.EndReason.FAILED):
        return call
    limit = now - timedelta(seconds=RESUME_GRACE_SECONDS)
    gone = [leg.detached_at for leg in call.legs.all() if leg.detached_at is not None]
    if gone and min(gone) <= limit:
        return _end(call, "detached_end", Call.EndReason.FAILED, now=now)
    return call


@transaction.atomic
def call_resume(*, user: User, call_id: Any, device: Any, channel: str) -> Call:
    """A participant device is back on a new socket (reload, network blip)."""
    device = _check_device(device)
    call = _lock(user=user, call_id=call_id)
    transitions.apply(call, "resume")
    leg = call.caller_leg if call.caller_id == user.pk else call.callee_leg
    if leg is None or leg.device != device:
        raise PermissionDenied(_("This call is on another device."), code="other_device")
    leg.channel, leg.detached_at, leg.seen_at = channel, None, timezone.now()
    leg.save(update_fields=["channel", "detached_at", "seen_at"])
    _route(call)
    _set_on_call(call, True)
    _notify(call, "call.resumed")
    return call


def call_heartbeat(*, user: User, channel: str) -> int:
    """A participant device is alive; returns how many active calls it takes part in.

    Ringing calls count too: the caller's tab keeps heart-beating while it rings, so that
    it is still known as a participant when the call is answered.
    """
    return CallLeg.objects.filter(
        user=user,
        channel=channel,
        kind=CallLeg.Kind.DEVICE,
        call__state__in=[Call.State.RINGING, Call.State.ANSWERED],
    ).update(seen_at=timezone.now())


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
    orphans = CallLeg.objects.filter(
        call__state=Call.State.ANSWERED, kind=CallLeg.Kind.DEVICE
    ).filter(Q(seen_at__lt=stale) | Q(detached_at__lte=detached))
    lost = CallLeg.objects.filter(call__state=Call.State.ANSWERED, kind=CallLeg.Kind.RELAY)
    live = relay.live_workers(now).values_list("name", flat=True)
    for call_id in lost.exclude(worker__in=live).values_list("call_id", flat=True):
        call = call_relay_lost(call_id=call_id, now=now)
        ended += bool(call and call.state == Call.State.ENDED)
    recording = CallLeg.objects.filter(
        call__voicemail=Call.Voicemail.RECORDING, kind=CallLeg.Kind.RELAY
    ).exclude(worker__in=live)
    if recording.exists():
        from calls import voicemail

        for call_id in recording.values_list("call_id", flat=True):
            voicemail.voicemail_salvage(call_id=call_id)
    for call_id in orphans.values_list("call_id", flat=True).distinct():
        with transaction.atomic():
            call = _locked().filter(pk=call_id).first()
            if call is not None and transitions.allows(call, "sweep", Call.EndReason.FAILED):
                _end(call, "sweep", Call.EndReason.FAILED, now=now)
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


def check_signal(message: dict[str, Any]) -> dict[str, Any]:
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
    signal = check_signal(message)
    if isinstance(call_id, bool) or not isinstance(call_id, int):
        return None
    try:
        route = await routes.aroute_get(call_id)
    except Exception:
        logger.exception("calls: signalling index unreachable")
        return None
    if route is None:
        return None
    for path in route.get("paths", ()):
        if path["user"] == user_id and path["from"] == channel and path["to"]:
            return path["to"], _signal_event(path, call_id, signal)
    return None  # the database gives the precise refusal


def _signal_event(path: dict[str, Any], call_id: int, signal: dict[str, Any]) -> dict[str, Any]:
    if path.get("session"):
        # To the relay session: which of its legs this came from, and where to answer.
        return {
            "type": "relay.signal",
            "session": path["session"],
            "leg": path["leg"],
            "reply_to": path["from"],
            "call": publicid.encode(CALL, call_id),
            **signal,
        }
    return {"type": "call.signalled", "call": publicid.encode(CALL, call_id), **signal}


def call_signal_route(
    *, user: User, channel: str, call_id: Any, message: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Where an offer/answer/candidate from this device goes, and the event to relay.

    Only between the two participant devices of an answered call; nothing is stored.
    """
    signal = check_signal(message)
    call = selectors.call_get(user=user, call_id=call_id)
    if call is None:
        raise _not_found()
    if call.state == Call.State.ENDED and call.caller_id == user.pk and call.voicemail:
        transitions.voicemail_apply(call, "voicemail_signal")  # refused unless recording
    elif not transitions.allows(call, "signal"):
        transitions.apply(call, "signal")  # refused: not in progress
    _device_leg(call, user=user, channel=channel)
    for path in _signal_paths(call):
        if path["from"] == channel and path["user"] == user.pk and path["to"]:
            return path["to"], _signal_event(path, call.pk, signal)
    raise ApplicationError(_("The other side is reconnecting."), code="peer_away")
