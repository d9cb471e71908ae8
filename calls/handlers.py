"""Calls over the per-tab websocket: `call.*` messages and lifecycle hooks.

The protocol is described in docs/calls.md. Every state change goes through
calls.services; signals (offer/answer/candidates) are validated there and relayed only
to the other participant device of an answered call.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone

from accounts import presence
from accounts.models import User
from calls import relay, selectors, services, turn, voicemail
from calls.models import Call
from uc_web.lib import publicid, realtime
from uc_web.lib.exceptions import ApplicationError

logger = logging.getLogger(__name__)
CALL = publicid.kind_of(Call)
USER = publicid.kind_of(User)

# Timers of this process (ring timeouts, resume grace); the periodic sweep
# (calls.tasks.calls_sweep) covers them if this process dies.
_timers: set[asyncio.Task] = set()


def _later(at: datetime | float, fn: Callable[[], Any]) -> None:
    delay = at if isinstance(at, float) else (at - timezone.now()).total_seconds()

    async def run() -> None:
        await asyncio.sleep(max(0.0, delay) + 0.05)
        try:
            await _in_thread(fn)()
        except Exception:
            logger.exception("calls: timer failed")

    task = asyncio.create_task(run())
    _timers.add(task)
    task.add_done_callback(_timers.discard)


def _user(consumer: Any) -> User:
    return User.objects.get(pk=consumer.user_id)


def _in_thread(fn: Callable[..., Any]) -> Callable[..., Any]:
    # Not the one thread Channels shares for all database work of a process: calls of
    # different sockets proceed side by side (each thread keeps its own connection, row
    # locks serialise what must be), so one slow call never holds up everyone's signalling.
    return database_sync_to_async(fn, thread_sensitive=False)


async def _run(consumer: Any, service: Callable[..., Any], **kwargs: Any) -> Any:
    return await _in_thread(lambda: service(user=_user(consumer), **kwargs))()


async def handle(consumer: Any, message: dict[str, Any]) -> None:
    """call.start / accept / decline / cancel / hangup / connected / resume / signal."""
    kind = message["type"]
    # Ids arrive as public ids; anything else becomes None, which services answer with
    # not_found like the id of a call that is not yours.
    call_id = publicid.decode_or_none(CALL, message.get("call"))
    channel = consumer.channel_name
    if kind == "call.start":
        call = await _in_thread(
            lambda: services.call_start(
                caller=_user(consumer),
                callee_id=publicid.decode_or_none(USER, message.get("callee")),
                media=message.get("media"),
                device=message.get("device"),
                channel=channel,
            )
        )()
        if call.state == Call.State.RINGING:
            consumer.in_call = True
            _later(
                call.ring_expires_at,
                lambda: services.call_ring_timeout(call_id=call.pk),
            )
    elif kind == "call.accept":
        # Relayed from the start when a setting says so: the session is opened first, so
        # the answer and the relay leg are one change (and no relay: the call ends).
        reason = await _run(consumer, services.call_relay_reason, call_id=call_id)
        opened = await _open_relay(consumer, call_id, reason, end_call=True) if reason else None
        try:
            call = await _run(
                consumer,
                services.call_accept,
                call_id=call_id,
                device=message.get("device"),
                channel=channel,
                relay=opened,
            )
        except Exception:
            if opened:
                await relay.aclose_session(opened["channel"], opened["session"])
            raise
        consumer.in_call = True
        if opened:
            _watch_relay(call.pk)
    elif kind == "call.relay":
        # A direct call whose ICE failed even through TURN: through the relay instead.
        await _run(consumer, services.call_relay_check, call_id=call_id, channel=channel)
        opened = await _open_relay(consumer, call_id, Call.RelayReason.ICE, end_call=False)
        try:
            call = await _run(
                consumer,
                services.call_relay_attach,
                call_id=call_id,
                channel=channel,
                relay=opened,
            )
        except Exception:
            await relay.aclose_session(opened["channel"], opened["session"])
            raise
        _watch_relay(call.pk)
    elif kind == "call.voicemail":
        # Leave a message: a voicemail session on a relay answers this tab (docs/calls.md).
        call = await _run(consumer, voicemail.voicemail_check, call_id=call_id)
        options = await _in_thread(lambda: voicemail.session_options(call=call))()
        ice = await _in_thread(lambda: turn.ice_configuration(user_id=consumer.user_id))()
        worker, session = await relay.aopen_session(
            kind="voicemail",
            call=publicid.encode(CALL, call.pk),
            media=call.media,
            ice=ice,
            voicemail=options,
        )
        opened = {"worker": worker.name, "channel": worker.channel, "session": session}
        try:
            call = await _run(
                consumer,
                voicemail.voicemail_record,
                call_id=call_id,
                device=message.get("device"),
                channel=channel,
                relay=opened,
            )
        except Exception:
            await relay.aclose_session(worker.channel, session)
            raise
        consumer.leaving_message = True
        _watch_relay(call.pk)
    elif kind == "call.decline":
        await _run(consumer, services.call_decline, call_id=call_id)
    elif kind == "call.cancel":
        await _run(consumer, services.call_cancel, call_id=call_id)
    elif kind == "call.hangup":
        reason = message.get("reason", "hangup")
        if reason not in ("hangup", "failed"):
            raise ApplicationError("reason must be 'hangup' or 'failed'.", code="malformed")
        await _run(
            consumer,
            services.call_hangup,
            call_id=call_id,
            channel=channel,
            failed=reason == "failed",
        )
    elif kind == "call.connected":
        await _run(consumer, services.call_connected, call_id=call_id, channel=channel)
    elif kind == "call.resume":
        await _run(
            consumer,
            services.call_resume,
            call_id=call_id,
            device=message.get("device"),
            channel=channel,
        )
        consumer.in_call = True
    elif kind == "call.signal":
        # The hot path (a dozen per call) relays from the signalling index, no database.
        routed = await services.acall_signal_route(
            user_id=consumer.user_id, channel=channel, call_id=call_id, message=message
        )
        if routed is None:
            routed = await _run(
                consumer,
                services.call_signal_route,
                channel=channel,
                call_id=call_id,
                message=message,
            )
        await realtime.asend_to_channel(*routed)
    else:
        raise ApplicationError("Unknown message type.", code="unknown_type")


async def _open_relay(
    consumer: Any, call_id: int | None, reason: str, *, end_call: bool
) -> dict[str, str]:
    """A bridge session on the least loaded live relay worker, or (within a few seconds)
    RelayUnavailable, after ending the call "Media server unavailable" if `end_call`."""
    ice = await _in_thread(lambda: turn.ice_configuration(user_id=consumer.user_id))()
    try:
        worker, session = await relay.aopen_session(
            kind="bridge", call=publicid.encode(CALL, call_id) if call_id else "", ice=ice
        )
    except relay.RelayUnavailable:
        if end_call:
            await _run(consumer, services.call_relay_unavailable, call_id=call_id)
        raise
    return {"worker": worker.name, "channel": worker.channel, "session": session, "reason": reason}


def _watch_relay(call_id: int) -> None:
    """While a relayed call lasts, check its worker's heartbeat every beat: a worker gone
    ends the call "Media server unavailable" within RELAY_STALE_SECONDS and a beat (the
    periodic sweep covers this process dying too)."""

    async def run() -> None:
        while True:
            await asyncio.sleep(settings.RELAY_HEARTBEAT_SECONDS)
            try:
                if not await _in_thread(lambda: services.call_relay_watch(call_id=call_id))():
                    return
            except Exception:
                logger.exception("calls: relay watch failed")

    task = asyncio.create_task(run())
    _timers.add(task)
    task.add_done_callback(_timers.discard)


async def handle_echo(consumer: Any, message: dict[str, Any]) -> None:
    """echo.start / echo.signal / echo.stop: the connection test's echo through the relay
    (what this tab sends comes back after RELAY_ECHO_DELAY_SECONDS). One per socket."""
    kind = message["type"]
    echoes: dict[str, str] = consumer.__dict__.setdefault("echo_sessions", {})
    if kind == "echo.start":
        await _close_echoes(consumer)
        ice = await _in_thread(lambda: turn.ice_configuration(user_id=consumer.user_id))()
        worker, session = await relay.aopen_session(kind="echo", ice=ice)
        echoes[session] = worker.channel
        await consumer.send_json(
            {"type": "echo.started", "session": session, "ref": message.get("id")}
        )
    elif kind == "echo.signal":
        session = str(message.get("session"))
        if session not in echoes:
            raise ApplicationError("There is no such echo session.", code="not_found")
        signal = services.check_signal(message)
        await relay.asend_signal(
            echoes[session],
            {
                "type": "relay.signal",
                "session": session,
                "leg": "echo",
                "reply_to": consumer.channel_name,
                **signal,
            },
        )
    elif kind == "echo.stop":
        await _close_echoes(consumer)
    else:
        raise ApplicationError("Unknown message type.", code="unknown_type")


async def _close_echoes(consumer: Any) -> None:
    echoes: dict[str, str] = consumer.__dict__.get("echo_sessions", {})
    for session, channel in list(echoes.items()):
        await relay.aclose_session(channel, session)
    echoes.clear()


async def on_connect(consumer: Any) -> None:
    """Show On a call again if the shared state (Redis) forgot it while a call runs."""
    answered = await _in_thread(
        lambda: list(
            selectors.call_active_list(user=_user(consumer))
            .filter(state=Call.State.ANSWERED)
            .values_list("pk", flat=True)
        )
    )()
    for call_id in answered:
        await presence.presence_set_on_call(
            user_id=consumer.user_id,
            company_id=consumer.company_id,
            call_key=f"call.{call_id}",
            on_call=True,
        )


async def on_heartbeat(consumer: Any) -> None:
    """A participant device is alive (the sweep fails calls whose devices stopped)."""
    if not getattr(consumer, "in_call", False):
        return
    count = await _run(consumer, services.call_heartbeat, channel=consumer.channel_name)
    consumer.in_call = count > 0


async def on_disconnect(consumer: Any) -> None:
    """Cancel what this tab was ringing, fail what it answered unless it comes back."""
    await _close_echoes(consumer)
    detached = await _run(consumer, services.call_device_gone, channel=consumer.channel_name)
    if getattr(consumer, "leaving_message", False):
        # A tab that was leaving a message: what it said is delivered (docs/calls.md).
        await _run(consumer, voicemail.voicemail_caller_gone, channel=consumer.channel_name)
    for call in detached:
        _later(
            float(services.RESUME_GRACE_SECONDS),
            partial(services.call_detached_end, call_id=call.pk),
        )
