from typing import Any

from django.db.models import Q, QuerySet

from accounts import selectors as account_selectors
from accounts.models import User
from calls.models import Call, VoicemailBox
from uc_web.lib import publicid

FILTERS = ("missed", "incoming", "outgoing")


def call_list(*, user: User, filter: str | None = None) -> QuerySet[Call]:  # noqa: A002
    """The acting user's own calls, newest first, with both people and photos loaded."""
    calls = Call.objects.filter(Q(caller=user) | Q(callee=user))
    if filter == "incoming":
        calls = calls.filter(callee=user)
    elif filter == "outgoing":
        calls = calls.filter(caller=user)
    elif filter == "missed":
        calls = calls.filter(
            callee=user,
            state=Call.State.ENDED,
            end_reason__in=[Call.EndReason.NO_ANSWER, Call.EndReason.CANCELLED],
        )
    return calls.select_related("caller__profile", "callee__profile").prefetch_related("legs")


def call_get(*, user: User, call_id: Any) -> Call | None:
    """One of the acting user's calls by a client-sent id (None for anything else)."""
    if isinstance(call_id, bool) or not isinstance(call_id, int):
        return None
    return call_list(user=user).filter(pk=call_id).first()


def call_active_list(*, user: User) -> QuerySet[Call]:
    """The acting user's calls that are ringing or answered."""
    return call_list(user=user).exclude(state=Call.State.ENDED)


def call_missed_unseen_count(*, user: User) -> int:
    """Missed calls the acting user has not yet seen in the call log."""
    return call_list(user=user, filter="missed").filter(missed_seen=False).count()


def busy_user_ids(*, user_ids: list[int]) -> set[int]:
    """Of these users, those in a call that rings or is answered (there is no call waiting)."""
    pairs = (
        Call.objects.filter(Q(caller__in=user_ids) | Q(callee__in=user_ids))
        .exclude(state=Call.State.ENDED)
        .values_list("caller_id", "callee_id")
    )
    return {pk for pair in pairs for pk in pair} & set(user_ids)


def callable_people(*, user: User, query: str = "", limit: int = 10) -> list[User]:
    """People the acting user may call whose name or e-mail matches `query`."""
    people = account_selectors.reachable_users(user=user)
    for word in query.split():
        people = people.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    return list(people.select_related("profile").order_by("first_name", "last_name")[:limit])


def call_data(*, call: Call, user: User) -> dict[str, Any]:
    """The call as the acting user sees it (events and the API carry this)."""
    outgoing = call.caller_id == user.pk
    peer = call.callee if outgoing else call.caller
    duration = call.duration
    caller_leg, callee_leg = call.caller_leg, call.callee_leg
    return {
        "id": publicid.of(call),
        "direction": "outgoing" if outgoing else "incoming",
        "peer": account_selectors.person_data(peer),
        "media": call.media,
        "state": call.state,
        "end_reason": call.end_reason,
        "end_reason_label": call.outcome_label,
        "missed": call.is_missed and not outgoing,
        "caller_device": caller_leg.device if outgoing and caller_leg else "",
        "answered_device": callee_leg.device if not outgoing and callee_leg else "",
        "answered": call.answered_at is not None,
        # Through the media relay (both devices connect to the server, not to each other).
        "relayed": call.relayed,
        "created_at": call.created_at.isoformat(),
        "answered_at": call.answered_at.isoformat() if call.answered_at else None,
        "connected_at": call.connected_at.isoformat() if call.connected_at else None,
        "ended_at": call.ended_at.isoformat() if call.ended_at else None,
        "ring_expires_at": call.ring_expires_at.isoformat() if call.ring_expires_at else None,
        "duration_seconds": round(duration.total_seconds()) if duration is not None else None,
        # Voicemail (docs/calls.md): "offered" (the caller may leave a message),
        # "recording", "left", "discarded"; why a message was not delivered, to the caller.
        "voicemail": call.voicemail,
        "voicemail_label": call.get_voicemail_display() if call.voicemail else "",
        "voicemail_note": call.voicemail_note if outgoing else "",
    }


def voicemail_enabled(*, user_id: int) -> bool:
    """Whether callers may leave this person a message (on unless they turned it off)."""
    enabled = VoicemailBox.objects.filter(user_id=user_id).values_list("enabled", flat=True)
    return next(iter(enabled), True)


def voicemail_box_get(*, user: User) -> VoicemailBox:
    """The acting user's own voicemail settings and greeting (unsaved defaults if none)."""
    return VoicemailBox.objects.filter(user=user).first() or VoicemailBox(user=user)
