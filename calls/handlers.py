"""Calls over the per-tab websocket: `call.*` messages and lifecycle hooks.

The protocol is described in docs/calls.md. Every state change goes through
calls.services; signals (offer/answer/candidates) are validated there and relayed only
to the other participant device of an answered call.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from accounts import presence
from accounts.models import User
from calls import selectors, services
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
        await _run(
            consumer,
            services.call_accept,
            call_id=call_id,
            device=message.get("device"),
            channel=channel,
        )
        consumer.in_call = True
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
    detached = await _run(consumer, services.call_device_gone, channel=consumer.channel_name)
    for call in detached:
        _later(
            float(services.RESUME_GRACE_SECONDS),
            lambda call_id=call.pk: services.call_detached_end(call_id=call_id),
        )
