"""The one way events reach browsers: through the channel layer to the user's sockets.

Services call these helpers inside `transaction.on_commit` so that a browser never
hears of a row it cannot yet read. Delivery is at most once: a client that reconnects
fetches a snapshot, so a dropped event costs freshness, never correctness.
"""

import asyncio
import json
import logging
import re
import uuid
import weakref
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

_GROUP_RE = re.compile(r"^[A-Za-z0-9.\-]{1,100}$")
_TYPE_RE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")


def redis_prefix() -> str:
    """The prefix of the live layer's own Redis keys (CHANNEL_LAYER_PREFIX)."""
    layers: Any = settings.CHANNEL_LAYERS
    return str(layers["default"]["CONFIG"]["prefix"])


def user_group(user_id: int) -> str:
    """Every socket of a user joins this group."""
    return f"accounts.user.{user_id}"


def _check(group: str, event: dict[str, Any]) -> None:
    if not _GROUP_RE.match(group):
        raise ValueError(f"invalid group name {group!r}")
    if not _TYPE_RE.match(str(event.get("type", ""))):
        raise ValueError(f"event type must be <entity>.<verb>: {event.get('type')!r}")


def _forward(event: dict[str, Any], skip: Iterable[int] = ()) -> dict[str, Any]:
    # Encoded once here rather than once per receiving socket (a group may hold hundreds).
    message: dict[str, Any] = {
        "type": "event.forward",
        "text": json.dumps(event, separators=(",", ":")),
    }
    if skip:
        message["skip"] = sorted(skip)  # users whose sockets must not receive it
    return message


def send_to_group(group: str, event: dict[str, Any]) -> None:
    """Push `event` to every socket in `group` (from sync code)."""
    _check(group, event)
    layer = get_channel_layer()
    try:
        async_to_sync(layer.group_send)(group, _forward(event))
    except Exception:
        # The database already holds the change; clients catch up from a snapshot.
        logger.exception("realtime: could not send %s to %s", event.get("type"), group)


def send_to_users(user_ids: Iterable[int], event: dict[str, Any]) -> None:
    """Push `event` to every open socket of each user."""
    for user_id in dict.fromkeys(user_ids):
        send_to_group(user_group(user_id), event)


def revalidate_sessions(user_id: int) -> None:
    """Ask each socket of the user to re-check its session and close if it is no longer valid."""
    layer = get_channel_layer()
    try:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": "session.revalidate"})
    except Exception:
        # The sockets re-check on their own timer as well (WEBSOCKET_SESSION_RECHECK_SECONDS).
        logger.exception("realtime: could not ask user %s's sockets to revalidate", user_id)


async def agroup_send(group: str, event: dict[str, Any], *, skip: Iterable[int] = ()) -> None:
    """Push `event` to every socket in `group` (from async code), except the sockets of the
    users in `skip` (say, people blocked from hearing of the user the event is about)."""
    _check(group, event)
    await get_channel_layer().group_send(group, _forward(event, skip))


async def asend_to_channel(channel: str, event: dict[str, Any]) -> None:
    """Push `event` to one socket (a call's participant device) from async code."""
    _check("device", event)
    await get_channel_layer().send(channel, _forward(event))


_loop_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]]" = (
    weakref.WeakKeyDictionary()
)


def redis_for_loop(url: str) -> Any:
    """A redis.asyncio client for the running event loop (a client cannot change loops)."""
    import redis.asyncio as aioredis

    clients = _loop_clients.setdefault(asyncio.get_running_loop(), {})
    if url not in clients:
        # Many sockets share one pool; when all connections are busy, wait for one.
        pool = aioredis.BlockingConnectionPool.from_url(
            url, decode_responses=True, socket_timeout=5, max_connections=64, timeout=10
        )
        clients[url] = aioredis.Redis(connection_pool=pool)
    return clients[url]


async def aepoch() -> str:
    """An id of the shared state's life (Redis): it changes when Redis lost its data.

    Channel-layer groups and presence live in Redis; after a Redis restart each socket
    sees a new epoch on its next heartbeat, rejoins its groups and has its client resync.
    """
    if not settings.REDIS_URL:
        return "in-process"
    client = redis_for_loop(settings.REDIS_URL)
    key = f"{redis_prefix()}:epoch"
    epoch = await client.get(key)
    if epoch is None:  # first use, or Redis restarted empty
        await client.set(key, uuid.uuid4().hex, nx=True)
        epoch = await client.get(key)
    return epoch or ""
