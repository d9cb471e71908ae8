"""The calls' state machine: the one table of what may happen to a call in which state.

Every service that changes a call's state or its legs goes through `apply` (or asks
`allows` first, for timers and sweeps that quietly do nothing when the call moved on).
New features (voicemail, PSTN, FollowMe!) add events and legs here, not special cases in
the services. docs/calls.md draws the same table.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from calls.models import Call
from uc_web.lib.exceptions import ApplicationError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NEW = ""  # a call being created has no state yet
RINGING, ANSWERED, ENDED = Call.State.RINGING, Call.State.ANSWERED, Call.State.ENDED
R = Call.EndReason


@dataclass(frozen=True)
class Rule:
    source: str
    target: str
    reasons: tuple[str, ...] = ()  # the end reasons allowed when target is ENDED


# event -> the states it may happen in, where each leads and with which end reasons.
TABLE: dict[str, tuple[Rule, ...]] = {
    # call.start: the callee's tabs ring, or the call is stored already ended (the callee
    # is busy, has Do not disturb, or has no open tab).
    "start": (Rule(NEW, RINGING), Rule(NEW, ENDED, (R.BUSY, R.NO_ANSWER))),
    "accept": (Rule(RINGING, ANSWERED),),  # a callee device leg joins
    "decline": (Rule(RINGING, ENDED, (R.DECLINED,)),),
    "cancel": (Rule(RINGING, ENDED, (R.CANCELLED,)),),
    "ring_timeout": (Rule(RINGING, ENDED, (R.NO_ANSWER,)),),
    # The caller's tab closed while ringing (cancelled), or the callee's last one (failed).
    "device_gone": (Rule(RINGING, ENDED, (R.CANCELLED, R.FAILED)), Rule(ANSWERED, ANSWERED)),
    "hangup": (
        Rule(RINGING, ENDED, (R.CANCELLED, R.DECLINED)),
        Rule(ANSWERED, ENDED, (R.COMPLETED, R.FAILED)),
    ),
    "connected": (Rule(ANSWERED, ANSWERED),),  # media flows: connected_at
    "resume": (Rule(ANSWERED, ANSWERED),),  # a device leg is back on a new socket
    "signal": (Rule(ANSWERED, ANSWERED),),
    "relay": (Rule(ANSWERED, ANSWERED),),  # a relay session leg joins
    "detached_end": (Rule(ANSWERED, ENDED, (R.FAILED,)),),
    # No relay answered when the call was to be relayed, or the worker carrying it
    # stopped answering.
    "relay_lost": (Rule(RINGING, ENDED, (R.MEDIA_LOST,)), Rule(ANSWERED, ENDED, (R.MEDIA_LOST,))),
    "sweep": (Rule(RINGING, ENDED, (R.NO_ANSWER,)), Rule(ANSWERED, ENDED, (R.FAILED,))),
}

# What a person is told when their message does not fit the call's state.
REFUSALS: "dict[str, tuple[StrOrPromise, str]]" = {
    "accept": (_("The call is no longer ringing."), "not_ringing"),
    "decline": (_("The call is no longer ringing."), "not_ringing"),
    "cancel": (_("The call is no longer ringing."), "not_ringing"),
    "hangup": (_("The call has already ended."), "ended"),
    "connected": (_("The call is not in progress."), "not_answered"),
    "resume": (_("The call is not in progress."), "not_answered"),
    "signal": (_("The call is not in progress."), "not_answered"),
    "relay": (_("The call is not in progress."), "not_answered"),
}


# --- voicemail --------------------------------------------------------------------------
# A call that could not be answered (declined, no answer, busy / Do not disturb, callee
# offline) ends as above; then its caller may leave a message. That part of its life has
# a table of its own, on `Call.voicemail`, so that the call's end stays what it was (a
# missed call is still missed) while a relay leg records the caller.
V = Call.Voicemail
NONE = ""
OFFER_REASONS = (R.DECLINED, R.NO_ANSWER, R.BUSY)


@dataclass(frozen=True)
class VoicemailRule:
    source: str
    target: str


VOICEMAIL: dict[str, tuple[VoicemailRule, ...]] = {
    # The call ended unanswered (OFFER_REASONS) and the callee takes messages.
    "voicemail_offer": (VoicemailRule(NONE, V.OFFERED),),
    # The caller chose Leave a message: a relay leg (a voicemail session) joins the call.
    "voicemail_record": (VoicemailRule(V.OFFERED, V.RECORDING),),
    # Offer/candidates between the caller's device and the voicemail session.
    "voicemail_signal": (VoicemailRule(V.RECORDING, V.RECORDING),),
    # The caller hung up: the session is told to stop and deliver.
    "voicemail_finish": (VoicemailRule(V.RECORDING, V.RECORDING),),
    # The recording became a message in the callee's inbox (whole, or what was recorded
    # before the relay or the caller vanished).
    "voicemail_left": (VoicemailRule(V.RECORDING, V.LEFT),),
    # Shorter than a second, silent, refused by the pipeline, or nothing recorded.
    "voicemail_discard": (VoicemailRule(V.RECORDING, V.DISCARDED),),
}

VOICEMAIL_REFUSALS: "dict[str, tuple[StrOrPromise, str]]" = {
    "voicemail_record": (_("You cannot leave a message on this call."), "no_voicemail"),
    "voicemail_signal": (_("No message is being recorded on this call."), "not_recording"),
    "voicemail_finish": (_("No message is being recorded on this call."), "not_recording"),
}


def voicemail_allows(call: Call, event: str) -> bool:
    if event == "voicemail_offer" and not (
        call.state == ENDED and call.end_reason in OFFER_REASONS
    ):
        return False
    return any(r.source == call.voicemail for r in VOICEMAIL[event])


def voicemail_apply(call: Call, event: str) -> str:
    """Move the call's voicemail as VOICEMAIL says (the caller saves); the state before."""
    before = call.voicemail
    if not voicemail_allows(call, event):
        if event not in VOICEMAIL_REFUSALS:
            raise ValueError(f"calls: {event} is not allowed for voicemail {before!r}")
        message, code = VOICEMAIL_REFUSALS[event]
        raise ApplicationError(str(message), code=code)
    call.voicemail = next(r.target for r in VOICEMAIL[event] if r.source == before)
    return before


def rule(state: str, event: str, reason: str = "") -> Rule | None:
    """The rule that lets `event` (ending with `reason`, if it ends) happen in `state`."""
    for candidate in TABLE[event]:
        if candidate.source != state:
            continue
        if candidate.target == ENDED and reason not in candidate.reasons:
            continue
        if candidate.target != ENDED and reason:
            continue
        return candidate
    return None


def allows(call: Call, event: str, reason: str = "") -> bool:
    return rule(NEW if call._state.adding else call.state, event, reason) is not None


def apply(call: Call, event: str, reason: str = "") -> str:
    """Move the call as the table says (state and end reason; the caller saves).

    Returns the state it was in. A move the table does not allow raises the refusal the
    person is told (or a plain error for server-side events, which should have asked
    `allows` first).
    """
    before = NEW if call._state.adding else call.state
    found = rule(before, event, reason)
    if found is None:
        if event not in REFUSALS or any(r.source == before for r in TABLE[event]):
            # A server-side event, or an end reason this move cannot have: a bug.
            raise ValueError(f"calls: {event} ({reason!r}) is not allowed for {before!r}")
        message, code = REFUSALS[event]
        raise ApplicationError(str(message), code=code)
    call.state = found.target
    if found.target == ENDED:
        call.end_reason = reason
    return before
