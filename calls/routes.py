"""Where an answered call's signals go: a derived index of the two participant devices.

The database is the truth; this copy (in Redis when REDIS_URL is set, else in process
memory) lets the hot path of signalling (offers, answers, a dozen candidates per call)
relay without a database round trip. Services write it after commit when a call is
answered or resumed and delete it when the call ends; a miss falls back to the database
(calls.services.call_signal_route), which also gives every refusal its precise reason.
"""

import json
import threading
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings

from uc_web.lib import realtime

TTL_SECONDS = 24 * 3600
_memory: dict[int, dict[str, Any]] = {}
_lock = threading.Lock()


def _key(call_id: int) -> str:
    return f"{realtime.redis_prefix()}:calls:route:{call_id}"


async def aroute_set(call_id: int, route: dict[str, Any]) -> None:
    if settings.REDIS_URL:
        await realtime.redis_for_loop(settings.REDIS_URL).set(
            _key(call_id), json.dumps(route), ex=TTL_SECONDS
        )
    else:
        with _lock:
            _memory[call_id] = route


async def aroute_drop(call_id: int) -> None:
    if settings.REDIS_URL:
        await realtime.redis_for_loop(settings.REDIS_URL).delete(_key(call_id))
    else:
        with _lock:
            _memory.pop(call_id, None)


async def aroute_get(call_id: int) -> dict[str, Any] | None:
    if settings.REDIS_URL:
        raw = await realtime.redis_for_loop(settings.REDIS_URL).get(_key(call_id))
        return json.loads(raw) if raw else None
    with _lock:
        return _memory.get(call_id)


def route_set(call_id: int, route: dict[str, Any]) -> None:
    async_to_sync(aroute_set)(call_id, route)


def route_drop(call_id: int) -> None:
    async_to_sync(aroute_drop)(call_id)
