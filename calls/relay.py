"""The media relay as the rest of the server sees it: live workers, and sessions on them.

A relay worker (calls.relay_worker, `manage.py relay`; `make run` embeds one) reads its
own channel-layer channel and keeps a row in RelayWorker with its load and a heartbeat.
A *session* on it is one server-side call participant (a bridge between the legs of a
relayed call, or an echo for the connection test) and is addressed like a browser device:
by the worker's channel name plus the session id. Any number of workers on any number of
machines share the load through the channel layer (Redis).
"""

import asyncio
import logging
import secrets
from datetime import timedelta
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import RelayWorker
from uc_web.lib.exceptions import ApplicationError

logger = logging.getLogger(__name__)

SESSION_KINDS = ("bridge", "echo", "voicemail")


class RelayUnavailable(ApplicationError):
    def __init__(self) -> None:
        super().__init__(
            _("Media server unavailable: no media relay answered. Try again in a moment."),
            code="relay_unavailable",
        )


def stale_before(now: Any = None) -> Any:
    return (now or timezone.now()) - timedelta(seconds=settings.RELAY_STALE_SECONDS)


def live_workers(now: Any = None) -> QuerySet[RelayWorker]:
    """Workers whose heartbeat is recent, least loaded first."""
    return RelayWorker.objects.filter(seen_at__gte=stale_before(now)).order_by("load", "seen_at")


def worker_alive(name: str, now: Any = None) -> bool:
    return live_workers(now).filter(name=name).exists()


def status() -> dict[str, Any]:
    """For /healthz: how many workers answer, and how many sessions they carry."""
    workers = list(live_workers().values_list("load", flat=True))
    return {"workers": len(workers), "sessions": sum(workers)}


def new_session_id() -> str:
    return secrets.token_urlsafe(12)


def _pick(exclude: set[str]) -> RelayWorker | None:
    worker = live_workers().exclude(name__in=exclude).first()
    if worker is not None:
        # Count it at once, so sessions opened before its next heartbeat spread out.
        RelayWorker.objects.filter(pk=worker.pk).update(load=worker.load + 1)
    return worker


async def aopen_session(
    *,
    kind: str,
    call: str = "",
    media: str = "video",
    ice: dict[str, Any],
    voicemail: dict[str, Any] | None = None,
) -> tuple[RelayWorker, str]:
    """Open a session on the least loaded live worker; its (worker, session id).

    Waits at most RELAY_OPEN_TIMEOUT_SECONDS in all (a worker that does not answer is
    passed over for the next), then raises RelayUnavailable.
    """
    assert kind in SESSION_KINDS
    layer = get_channel_layer()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.RELAY_OPEN_TIMEOUT_SECONDS
    tried: set[str] = set()
    while loop.time() < deadline:
        worker = await database_sync_to_async(_pick, thread_sensitive=False)(tried)
        if worker is None:
            break
        tried.add(worker.name)
        session = new_session_id()
        reply = await layer.new_channel("relay.reply.")
        await layer.send(
            worker.channel,
            {
                "type": "relay.open",
                "session": session,
                "kind": kind,
                "call": call,
                "media": media,
                "ice": ice,
                "voicemail": voicemail or {},
                "reply": reply,
            },
        )
        try:
            answer = await asyncio.wait_for(layer.receive(reply), deadline - loop.time())
        except TimeoutError:
            logger.warning("relay: worker %s did not open a session in time", worker.name)
            continue
        if answer.get("type") == "relay.opened" and answer.get("session") == session:
            return worker, session
    raise RelayUnavailable()


async def aclose_session(channel: str, session: str) -> None:
    try:
        await get_channel_layer().send(channel, {"type": "relay.close", "session": session})
    except Exception:
        logger.exception("relay: could not close session %s", session)


async def asend_signal(channel: str, event: dict[str, Any]) -> None:
    """A browser's offer/answer/candidate to a session (event: type relay.signal)."""
    await get_channel_layer().send(channel, event)
