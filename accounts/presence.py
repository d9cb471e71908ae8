"""Presence: who is online, aggregated over all of a user's tabs and devices.

State lives in Redis when REDIS_URL is set (keys expire, so a dead daphne process cannot
leave ghosts online) and in process memory in the embedded default, behind one small
interface (`PresenceStore`). Each socket registers a connection that its heartbeat keeps
alive; a periodic sweep (`presence_sweep`) ends connections whose heartbeat stopped.

A socket that closes *lingers* for PRESENCE_OFFLINE_GRACE_SECONDS: it still counts, so a
reload or a reconnect within that time changes nothing anyone sees. The store decides it
for every process (a lingering connection is an entry with that deadline); the process
that saw the close settles it when the grace ends (`presence_settle`), and if that process
died first, the sweep does.

What a watcher sees is the *visible* state: "appear offline" is indistinguishable from
offline, and a user whose presence is hidden from the watcher is offline to them.
"""

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from uc_web.lib import publicid, realtime
from uc_web.lib.exceptions import ApplicationError

logger = logging.getLogger(__name__)

CONNECTION_TTL_SECONDS = 60  # three missed heartbeats (20 s each) and a socket is gone
STATUS_TEXT_MAX = 140


class State(TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    BUSY = "busy", _("Busy")
    DND = "dnd", _("Do not disturb")
    ON_CALL = "on_call", _("On a call")
    APPEAR_OFFLINE = "appear_offline", _("Appear offline")
    OFFLINE = "offline", _("Offline")


# What a user may choose by hand; None (automatic) means Online/Away by activity.
MANUAL_STATES = {State.BUSY, State.DND, State.APPEAR_OFFLINE}


@dataclass(frozen=True)
class Snapshot:
    """The raw aggregated facts about one user."""

    connections: int = 0
    leaving: int = 0  # sockets that closed less than the grace period ago
    active: int = 0
    on_call: bool = False
    manual: str | None = None
    text: str = ""

    @property
    def state(self) -> State:
        """The user's own state (what they see of themselves)."""
        if not self.connections and not self.leaving:
            return State.OFFLINE
        if self.manual == State.APPEAR_OFFLINE:
            return State.APPEAR_OFFLINE
        if self.manual == State.DND:
            return State.DND
        if self.on_call:
            return State.ON_CALL
        if self.manual == State.BUSY:
            return State.BUSY
        return State.ONLINE if self.active else State.AWAY

    def public(self) -> dict[str, Any]:
        """What others may see: appear-offline looks exactly like offline."""
        state = self.state
        if state in (State.OFFLINE, State.APPEAR_OFFLINE):
            return {"state": State.OFFLINE.value, "text": ""}
        return {"state": state.value, "text": self.text}


class PresenceStore:
    """The interface both stores implement (all methods are coroutines)."""

    async def touch(self, user_id: int, conn: str, *, active: bool | None, now: float) -> None:
        """Register or refresh a connection; `active` None keeps its activity."""
        raise NotImplementedError

    async def drop(self, user_id: int, conn: str, *, linger_until: float | None = None) -> None:
        """The socket closed; with `linger_until` it still counts until then."""
        raise NotImplementedError

    async def set_manual(self, user_id: int, state: str | None, text: str) -> None:
        raise NotImplementedError

    async def set_on_call(self, user_id: int, call_key: str, on_call: bool) -> None:
        raise NotImplementedError

    async def snapshot(self, user_ids: list[int], *, now: float) -> dict[int, Snapshot]:
        raise NotImplementedError

    async def due(self, *, now: float, user_id: int | None = None) -> list[tuple[int, str, float]]:
        """(user, conn, deadline) of connections past their deadline, left in place."""
        raise NotImplementedError

    async def expired(
        self, *, now: float, user_id: int | None = None
    ) -> list[tuple[int, str, float]]:
        """Remove the connections past their deadline (a stopped heartbeat, a grace that
        ran out) and return those this process removed: each is handled once."""
        raise NotImplementedError


@dataclass
class _UserState:
    conns: dict[str, float] = field(default_factory=dict)  # conn -> expires at
    leaving: dict[str, float] = field(default_factory=dict)  # closed conn -> grace ends at
    active: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)
    manual: str | None = None
    text: str = ""


class MemoryPresenceStore(PresenceStore):
    """One process (the embedded default)."""

    def __init__(self) -> None:
        self.users: dict[int, _UserState] = {}
        self.lock = threading.Lock()

    def _user(self, user_id: int) -> _UserState:
        return self.users.setdefault(user_id, _UserState())

    async def touch(self, user_id: int, conn: str, *, active: bool | None, now: float) -> None:
        with self.lock:
            user = self._user(user_id)
            user.conns[conn] = now + CONNECTION_TTL_SECONDS
            user.leaving.pop(conn, None)
            if active is True:
                user.active.add(conn)
            elif active is False:
                user.active.discard(conn)

    async def drop(self, user_id: int, conn: str, *, linger_until: float | None = None) -> None:
        with self.lock:
            user = self._user(user_id)
            user.conns.pop(conn, None)
            if linger_until is None:
                user.active.discard(conn)
            else:
                user.leaving[conn] = linger_until

    async def set_manual(self, user_id: int, state: str | None, text: str) -> None:
        with self.lock:
            user = self._user(user_id)
            user.manual, user.text = state, text

    async def set_on_call(self, user_id: int, call_key: str, on_call: bool) -> None:
        with self.lock:
            calls = self._user(user_id).calls
            if on_call:
                calls.add(call_key)
            else:
                calls.discard(call_key)

    async def snapshot(self, user_ids: list[int], *, now: float) -> dict[int, Snapshot]:
        result = {}
        with self.lock:
            for user_id in user_ids:
                user = self.users.get(user_id)
                if user is None:
                    result[user_id] = Snapshot()
                    continue
                live = {c for c, expires in user.conns.items() if expires > now}
                leaving = {c for c, until in user.leaving.items() if until > now}
                result[user_id] = Snapshot(
                    connections=len(live),
                    leaving=len(leaving),
                    active=len((live | leaving) & user.active),
                    on_call=bool(user.calls),
                    manual=user.manual,
                    text=user.text,
                )
        return result

    def _due(self, now: float, user_id: int | None) -> list[tuple[int, str, float]]:
        found = []
        for uid, user in self.users.items():
            if user_id is not None and uid != user_id:
                continue
            for entries in (user.conns, user.leaving):
                found += [(uid, conn, at) for conn, at in entries.items() if at <= now]
        return found

    async def due(self, *, now: float, user_id: int | None = None) -> list[tuple[int, str, float]]:
        with self.lock:
            return self._due(now, user_id)

    async def expired(
        self, *, now: float, user_id: int | None = None
    ) -> list[tuple[int, str, float]]:
        with self.lock:
            gone = self._due(now, user_id)
            for uid, conn, _at in gone:
                user = self.users[uid]
                user.conns.pop(conn, None)
                user.leaving.pop(conn, None)
                user.active.discard(conn)
        return gone


class RedisPresenceStore(PresenceStore):
    """Shared by every daphne process; every key expires if nobody refreshes it."""

    KEY_TTL = CONNECTION_TTL_SECONDS * 2
    MANUAL_TTL = 30 * 24 * 3600

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix

    @property
    def redis(self) -> Any:
        return realtime.redis_for_loop(self.url)

    def _key(self, user_id: int, part: str) -> str:
        return f"{self.prefix}:presence:u:{user_id}:{part}"

    @property
    def _expiring(self) -> str:
        return f"{self.prefix}:presence:expiring"

    async def touch(self, user_id: int, conn: str, *, active: bool | None, now: float) -> None:
        expires = now + CONNECTION_TTL_SECONDS
        conns, act = self._key(user_id, "conns"), self._key(user_id, "active")
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(conns, {conn: expires})
        pipe.expire(conns, self.KEY_TTL)
        pipe.zrem(self._key(user_id, "leaving"), conn)
        pipe.zadd(self._expiring, {f"{user_id}:{conn}": expires})
        if active is True:
            pipe.sadd(act, conn)
        elif active is False:
            pipe.srem(act, conn)
        pipe.expire(act, self.KEY_TTL)
        await pipe.execute()

    async def drop(self, user_id: int, conn: str, *, linger_until: float | None = None) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.zrem(self._key(user_id, "conns"), conn)
        if linger_until is None:
            pipe.srem(self._key(user_id, "active"), conn)
            pipe.zrem(self._expiring, f"{user_id}:{conn}")
        else:
            leaving = self._key(user_id, "leaving")
            pipe.zadd(leaving, {conn: linger_until})
            pipe.expire(leaving, self.KEY_TTL)
            # the sweep's index: ends the lingering even if this process dies
            pipe.zadd(self._expiring, {f"{user_id}:{conn}": linger_until})
        await pipe.execute()

    async def set_manual(self, user_id: int, state: str | None, text: str) -> None:
        key = self._key(user_id, "manual")
        if state is None and not text:
            await self.redis.delete(key)
        else:
            await self.redis.set(key, json.dumps([state, text]), ex=self.MANUAL_TTL)

    async def set_on_call(self, user_id: int, call_key: str, on_call: bool) -> None:
        key = self._key(user_id, "calls")
        if on_call:
            await self.redis.sadd(key, call_key)
            await self.redis.expire(key, 24 * 3600)
        else:
            await self.redis.srem(key, call_key)

    async def snapshot(self, user_ids: list[int], *, now: float) -> dict[int, Snapshot]:
        if not user_ids:
            return {}
        pipe = self.redis.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.zrangebyscore(self._key(user_id, "conns"), now, "+inf")
            pipe.zrangebyscore(self._key(user_id, "leaving"), now, "+inf")
            pipe.smembers(self._key(user_id, "active"))
            pipe.scard(self._key(user_id, "calls"))
            pipe.get(self._key(user_id, "manual"))
        rows = await pipe.execute()
        result = {}
        for i, user_id in enumerate(user_ids):
            live, leaving, active, calls, manual = rows[i * 5 : i * 5 + 5]
            state, text = json.loads(manual) if manual else (None, "")
            result[user_id] = Snapshot(
                connections=len(live),
                leaving=len(leaving),
                active=len((set(live) | set(leaving)) & set(active)),
                on_call=bool(calls),
                manual=state,
                text=text,
            )
        return result

    async def due(self, *, now: float, user_id: int | None = None) -> list[tuple[int, str, float]]:
        members = await self.redis.zrangebyscore(self._expiring, "-inf", now, withscores=True)
        found = []
        for member, at in members:
            uid, conn = member.split(":", 1)
            if user_id is None or int(uid) == user_id:
                found.append((int(uid), conn, float(at)))
        return found

    async def expired(
        self, *, now: float, user_id: int | None = None
    ) -> list[tuple[int, str, float]]:
        gone = []
        for uid, conn, at in await self.due(now=now, user_id=user_id):
            # Only the process that removes the entry handles it (several may sweep).
            if await self.redis.zrem(self._expiring, f"{uid}:{conn}"):
                pipe = self.redis.pipeline(transaction=False)
                pipe.zrem(self._key(uid, "conns"), conn)
                pipe.zrem(self._key(uid, "leaving"), conn)
                pipe.srem(self._key(uid, "active"), conn)
                await pipe.execute()
                gone.append((uid, conn, at))
        return gone


_store: PresenceStore | None = None


def get_store() -> PresenceStore:
    """The process's presence store, chosen by REDIS_URL."""
    global _store
    if _store is None:
        if settings.REDIS_URL:
            prefix = realtime.redis_prefix()
            _store = RedisPresenceStore(settings.REDIS_URL, prefix)
        else:
            _store = MemoryPresenceStore()
    return _store


def clock() -> float:
    return time.time()


# --- services: the only code that changes presence and tells watchers -----------------


def company_presence_group(company_id: int) -> str:
    """Every socket of a company's members joins this group to hear colleagues' presence."""
    return f"accounts.company.{company_id}.presence"


def presence_republish(*, user_id: int, company_id: int | None) -> None:
    """After a privacy change: tell watchers what they may see now (from sync code)."""
    async_to_sync(publish)(user_id=user_id, company_id=company_id, before=None)


async def _snapshot(user_id: int) -> Snapshot:
    return (await get_store().snapshot([user_id], now=clock()))[user_id]


OFFLINE = Snapshot()


async def publish(*, user_id: int, company_id: int | None, before: Snapshot | None) -> None:
    """Tell watchers the user's visible state if it changed from `before` (None: unknown),
    and always tell the user's own tabs their own state.

    Colleagues hear through the company group (one publish, however many watchers), except
    those blocked either way; accepted contacts through their own user groups. Whoever may
    not see the user hears "offline", exactly as if they were (or nothing at all).
    """
    from accounts import selectors
    from accounts.models import Profile

    after = await _snapshot(user_id)
    audience = await database_sync_to_async(selectors.presence_audience)(user_id=user_id)
    visibility = audience.visibility
    person = publicid.encode("accounts.user", user_id)

    def seen(snapshot: Snapshot | None, visible: bool) -> dict[str, Any] | None:
        if snapshot is None:
            return None
        return snapshot.public() if visible else OFFLINE.public()

    async def tell(group: str, visible: bool, skip: frozenset[int] = frozenset()) -> None:
        public = seen(after, visible)
        if seen(before, visible) != public:
            event = {"type": "presence.changed", "user": person, **(public or {})}
            await realtime.agroup_send(group, event, skip=skip)

    contacts_visible = visibility != Profile.PresenceVisibility.NOBODY
    company_visible = visibility == Profile.PresenceVisibility.COMPANY
    if company_id is not None:
        skip = audience.blocked
        if not company_visible and contacts_visible:
            # colleagues who are contacts hear the real state below instead
            skip |= {pk for pk, company in audience.contacts.items() if company == company_id}
        await tell(company_presence_group(company_id), company_visible, skip)
    for contact_id, contact_company in audience.contacts.items():
        if contact_company == company_id and (company_visible or not contacts_visible):
            continue  # the company group told them already
        await tell(realtime.user_group(contact_id), contacts_visible)
    await realtime.agroup_send(
        realtime.user_group(user_id),
        {
            "type": "my_presence.changed",
            "state": after.state.value,
            "manual": after.manual,
            "text": after.text,
        },
    )


async def _restore_manual(user_id: int, current: Snapshot) -> None:
    """The database keeps the status chosen by hand; put it back if the store lost it."""
    from accounts.models import Profile

    row = (
        await Profile.objects.filter(user_id=user_id)
        .values_list("presence_manual", "presence_text")
        .afirst()
    )
    if row is None:
        return
    manual, text = row[0] or None, row[1]
    if (manual, text) != (current.manual, current.text):
        await get_store().set_manual(user_id, manual, text)


async def presence_connect(*, user_id: int, company_id: int | None, conn: str) -> None:
    """A tab opened: it counts as active until it says otherwise."""
    before = await _snapshot(user_id)
    await _restore_manual(user_id, before)
    await get_store().touch(user_id, conn, active=True, now=clock())
    await publish(user_id=user_id, company_id=company_id, before=before)


async def presence_heartbeat(*, user_id: int, conn: str) -> None:
    """Keep the tab's connection alive (one round trip: heartbeats are the common case)."""
    await get_store().touch(user_id, conn, active=None, now=clock())


async def presence_activity(
    *, user_id: int, company_id: int | None, conn: str, active: bool
) -> None:
    """The tab went idle (after the user's inactivity setting) or came back."""
    before = await _snapshot(user_id)
    await get_store().touch(user_id, conn, active=active, now=clock())
    await publish(user_id=user_id, company_id=company_id, before=before)


# Grace timers of this process; the sweep covers them if the process dies.
_timers: set[asyncio.Task] = set()


def _later(delay: float, fn: Callable[[], Awaitable[Any]]) -> None:
    async def run() -> None:
        await asyncio.sleep(delay)
        try:
            await fn()
        except Exception:
            logger.exception("presence: timer failed")

    task = asyncio.get_running_loop().create_task(run())
    _timers.add(task)
    task.add_done_callback(_timers.discard)


async def presence_disconnect(*, user_id: int, company_id: int | None, conn: str) -> None:
    """A tab closed. With a grace period it lingers: nobody hears anything now, and a new
    socket of the user within the grace (a reload, a reconnect) means nobody ever does."""
    grace = settings.PRESENCE_OFFLINE_GRACE_SECONDS
    if grace <= 0:
        before = await _snapshot(user_id)
        await get_store().drop(user_id, conn)
        await publish(user_id=user_id, company_id=company_id, before=before)
        return
    await get_store().drop(user_id, conn, linger_until=clock() + grace)
    _later(grace + 0.05, lambda: presence_settle(user_id=user_id, company_id=company_id))


async def _end_due(user_id: int | None) -> int:
    """Remove what is past its deadline (for one user, or everyone) and tell watchers
    what changed since just before the first of those deadlines."""
    from accounts.models import User

    store = get_store()
    now = clock()
    due = await store.due(now=now, user_id=user_id)
    if not due:
        return 0
    first: dict[int, float] = {}
    for uid, _conn, at in due:
        first[uid] = min(at, first.get(uid, at))
    # What watchers last saw: the state while those connections still counted.
    before = {uid: (await store.snapshot([uid], now=at - 0.001))[uid] for uid, at in first.items()}
    gone = await store.expired(now=now, user_id=user_id)
    user_ids = {uid for uid, _conn, _at in gone}
    companies = {
        pk: company
        async for pk, company in User.objects.filter(pk__in=user_ids).values_list(
            "pk", "company_id"
        )
    }
    for uid in user_ids:
        await publish(user_id=uid, company_id=companies.get(uid), before=before.get(uid))
    return len(gone)


async def presence_settle(*, user_id: int, company_id: int | None) -> int:
    """The grace of a closed tab ran out: Offline now, unless the user came back."""
    return await _end_due(user_id)


async def presence_set(
    *, user_id: int, company_id: int | None, state: str | None, text: str
) -> None:
    """Choose Busy, Do not disturb or Appear offline (None: automatic) and a status text."""
    if state is not None and state not in MANUAL_STATES:
        raise ApplicationError(_("That status cannot be chosen."), code="invalid_state")
    text = " ".join(text.split())
    if len(text) > STATUS_TEXT_MAX:
        raise ApplicationError(_("The status text is too long."), code="text_too_long")
    from accounts.models import Profile

    before = await _snapshot(user_id)
    await Profile.objects.filter(user_id=user_id).aupdate(
        presence_manual=state or "", presence_text=text
    )
    await get_store().set_manual(user_id, state, text)
    await publish(user_id=user_id, company_id=company_id, before=before)


async def presence_set_on_call(
    *, user_id: int, company_id: int | None, call_key: str, on_call: bool
) -> None:
    """Calls mark both sides On a call while connected."""
    before = await _snapshot(user_id)
    await get_store().set_on_call(user_id, call_key, on_call)
    await publish(user_id=user_id, company_id=company_id, before=before)


async def presence_sweep() -> int:
    """End connections whose heartbeat stopped (crashed tab, dead server) and lingering
    ones whose process died before settling them; returns how many."""
    return await _end_due(None)
