"""Presence fan-out: one daphne process, the Redis channel layer, 2,000 websocket clients.

One user with 500 watching colleagues changes status again and again; for each change we
time how long until *every* watcher has the update. The same client harness then drives a
bare `websockets` broadcast server doing the same fan-out (the physical baseline of Python
on this machine), and we report our p99 as a ratio to it. Also: daphne's memory per idle
connection. Run by hand (figures go to docs/performance.md):

    .venv/bin/python bench/presence_fanout.py            # PostgreSQL + Redis on 127.0.0.1

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/uc_bench, the
database is created when missing and its tables emptied), BENCH_REDIS_URL (default
redis://127.0.0.1:6379/9), CLIENTS (2000), WATCHERS (500), CHANGES (100).
Everything listens on 127.0.0.1 and the script stops what it starts by PID.
"""

import asyncio
import gc
import json
import logging
import os
import resource
import secrets
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _server import free_port, percentile, production_environment, start_daphne  # noqa: E402

CLIENTS = int(os.environ.get("CLIENTS", 2000))
WATCHERS = int(os.environ.get("WATCHERS", 500))
CHANGES = int(os.environ.get("CHANGES", 100))
CONNECTING = int(os.environ.get("CONNECTING", 5))  # handshakes in flight while setting up
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/uc_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
PREFIX = f"uc_bench_{secrets.token_hex(4)}"
LOG = ROOT / "var" / "bench-daphne.log"  # the server's output, for when something fails


logging.getLogger("websockets").setLevel(logging.WARNING)  # not a line per connection


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < 2 * CLIENTS + 100:
        raise SystemExit(f"the file-descriptor limit {hard} is too low for {CLIENTS} clients")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def settle(pid: int, limit: float = 120) -> None:
    """Wait until the server has worked off the connection storm.

    Idle here still means 2,000 heartbeats every 20 s, so "settled" is under a third of
    a core for two seconds running.
    """
    deadline = time.monotonic() + limit
    calm = 0
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        await asyncio.sleep(1)
        calm = calm + 1 if cpu_seconds(pid) - before < 0.33 else 0
        if calm >= 2:
            return
    raise SystemExit("the server never became idle")


def prepare_database() -> list[str]:
    """Create the users and sessions; returns one session key per client, target first."""
    import psycopg

    parts = urlsplit(DATABASE_URL)
    admin = parts._replace(path="/postgres").geturl()
    name = parts.path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')

    os.environ.update(DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, CHANNEL_LAYER_PREFIX=PREFIX)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "uc_web.settings")
    production_environment()  # as the servers it starts: DEBUG off, the same key
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from accounts.models import Company, User

    call_command("migrate", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    password = make_password("bench-password-2026")
    watched = Company.objects.create(name="Watched Co")
    # the other clients work in companies of 50, so their sign-ins fan out to 49 each
    others = [Company.objects.create(name=f"Other Co {i}") for i in range(max(1, CLIENTS // 50))]
    users = []
    for i in range(CLIENTS):
        company = watched if i <= WATCHERS else others[i % len(others)]
        users.append(
            User(
                email=f"user{i}@bench.example",
                first_name="User",
                last_name=str(i),
                company=company,
                password=password,
            )
        )
    User.objects.bulk_create(users, batch_size=1000)
    keys = []
    for user in User.objects.order_by("pk"):
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    return keys


class Watcher:
    """A client that records when it sees each expected update."""

    def __init__(self) -> None:
        self.expect: str | None = None
        self.seen: asyncio.Event = asyncio.Event()
        self.at = 0.0


async def run_ours(port: int, pid: int, keys: list[str]) -> dict:
    url = f"ws://127.0.0.1:{port}/ws/"
    origin = f"http://127.0.0.1:{port}"
    target_id: int | None = None
    sockets = []
    stats = {"retries": 0}
    stop = asyncio.Event()

    async def open_client(key: str, watcher: Watcher | None) -> None:
        for attempt in range(5):  # like the browser client: retry a refused handshake
            try:
                ws = await websockets.connect(
                    url,
                    origin=origin,
                    additional_headers={"Cookie": f"sessionid={key}"},
                    max_queue=None,
                    ping_interval=None,
                )
                break
            except (OSError, websockets.exceptions.InvalidHandshake):
                stats["retries"] += 1
                await asyncio.sleep(1 + attempt)
        else:
            raise SystemExit("a client could not connect after 5 attempts")
        sockets.append(ws)
        ready = json.loads(await ws.recv())
        assert ready["type"] == "session.ready"

        async def read() -> None:
            async for raw in ws:
                if watcher is None or watcher.expect is None:
                    continue
                event = json.loads(raw)
                if (
                    event.get("type") == "presence.changed"
                    and event.get("user") == target_id
                    and event["state"] == watcher.expect
                    and not watcher.seen.is_set()
                ):
                    watcher.at = time.perf_counter()
                    watcher.seen.set()

        async def ping() -> None:
            while not stop.is_set():
                await asyncio.sleep(20)  # the browser client's heartbeat
                await ws.send('{"type":"ping"}')

        asyncio.ensure_future(read())
        asyncio.ensure_future(ping())
        return ready["user"]["id"]

    semaphore = asyncio.Semaphore(CONNECTING)

    async def limited(key: str, watcher: Watcher | None) -> int:
        async with semaphore:
            return await open_client(key, watcher)

    target_id = await open_client(keys[0], None)
    target_ws = sockets[0]
    # keys[1..WATCHERS] are the target's colleagues; the rest work elsewhere
    watchers = [Watcher() for _ in range(WATCHERS)]
    roles = watchers + [None] * (len(keys) - 1 - WATCHERS)
    await asyncio.gather(*(limited(key, role) for key, role in zip(keys[1:], roles, strict=True)))
    await settle(pid)  # let the connection storm's presence chatter drain
    latencies, per_watcher = await measure(
        watchers,
        lambda state: target_ws.send(
            json.dumps({"type": "presence.set", "state": state, "text": ""})
        ),
        states=["busy", "online"],
        send_state=lambda s: None if s == "online" else s,
    )
    stop.set()
    return {"sockets": sockets, "latencies": latencies, "per_watcher": per_watcher, **stats}


async def measure(watchers, send, states, send_state) -> tuple[list[float], list[float]]:
    """Alternate states CHANGES times; per change the time until the last watcher has it.

    The client process holds thousands of sockets: its own garbage collector is paused
    while measuring, so that what is timed is the server (the same for both servers)."""
    latencies, per_watcher = [], []
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        await _measure(watchers, send, states, send_state, latencies, per_watcher)
    finally:
        gc.enable()
        gc.unfreeze()
    return latencies, per_watcher


async def _measure(watchers, send, states, send_state, latencies, per_watcher) -> None:
    for n in range(CHANGES):
        state = states[n % 2]
        for watcher in watchers:
            watcher.expect, watcher.at = state, 0.0
            watcher.seen.clear()
        started = time.perf_counter()
        await send(send_state(state))
        try:
            await asyncio.wait_for(asyncio.gather(*(w.seen.wait() for w in watchers)), timeout=30)
        except TimeoutError:
            missing = sum(not w.seen.is_set() for w in watchers)
            raise SystemExit(
                f"change {n}: {missing} of {len(watchers)} watchers never saw it"
            ) from None
        arrivals = [w.at - started for w in watchers]
        latencies.append(max(arrivals) * 1000)
        per_watcher.extend(a * 1000 for a in arrivals)
        await asyncio.sleep(0.1)


async def run_baseline() -> dict:
    """A bare websockets server broadcasting each message from the sender to its watchers."""
    clients: set = set()

    async def handler(ws) -> None:
        clients.add(ws)
        try:
            async for message in ws:
                websockets.broadcast([c for c in clients if c is not ws], message)
        finally:
            clients.discard(ws)

    port = free_port()
    async with websockets.serve(handler, "127.0.0.1", port, max_queue=None):
        url = f"ws://127.0.0.1:{port}"
        sender = await websockets.connect(url)
        watchers = [Watcher() for _ in range(WATCHERS)]
        sockets = [sender]

        async def open_watcher(watcher: Watcher) -> None:
            ws = await websockets.connect(url, max_queue=None)
            sockets.append(ws)

            async def read() -> None:
                async for raw in ws:
                    event = json.loads(raw)
                    if watcher.expect == event["state"] and not watcher.seen.is_set():
                        watcher.at = time.perf_counter()
                        watcher.seen.set()

            asyncio.ensure_future(read())

        await asyncio.gather(*(open_watcher(w) for w in watchers))
        await asyncio.sleep(1)
        latencies, per_watcher = await measure(
            watchers,
            lambda state: sender.send(
                json.dumps({"type": "presence.changed", "user": 1, "state": state, "text": ""})
            ),
            states=["busy", "online"],
            send_state=lambda s: s,
        )
        for ws in sockets:
            await ws.close()
    return {"latencies": latencies, "per_watcher": per_watcher}


def summary(name: str, values: list[float]) -> str:
    return (
        f"{name}: p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 95):.1f} ms,"
        f" p99 {percentile(values, 99):.1f} ms (n={len(values)})"
    )


async def main(keys: list[str]) -> None:
    port = free_port()
    daphne = start_daphne(port, LOG)
    try:
        await asyncio.sleep(1)
        before = rss_kib(daphne.pid)
        started = time.perf_counter()
        ours = await run_ours(port, daphne.pid, keys)
        connect_s = time.perf_counter() - started
        after = rss_kib(daphne.pid)
        baseline = await run_baseline()
        for ws in ours["sockets"]:
            await ws.close()
    finally:
        daphne.terminate()
        daphne.wait(timeout=10)
    ours_p99 = percentile(ours["latencies"], 99)
    base_p99 = percentile(baseline["latencies"], 99)
    print(f"clients {CLIENTS}, watchers {WATCHERS}, changes {CHANGES}; ran {connect_s:.0f} s")
    print(summary("uc_web, until every watcher has it", ours["latencies"]))
    print(summary("uc_web, each watcher", ours["per_watcher"]))
    print(summary("baseline, until every watcher has it", baseline["latencies"]))
    print(summary("baseline, each watcher", baseline["per_watcher"]))
    print(f"handshake retries ({CLIENTS} clients, {CONNECTING} at a time): {ours['retries']}")
    print(f"p99 ratio uc_web / baseline: {ours_p99 / base_p99:.2f}")
    print(
        f"daphne RSS {before / 1024:.0f} MiB idle -> {after / 1024:.0f} MiB with {CLIENTS}"
        f" sockets: {(after - before) / CLIENTS:.1f} KiB per connection"
    )


if __name__ == "__main__":
    raise_fd_limit()
    print(f"preparing {CLIENTS} users ({WATCHERS} watchers of one) ...", flush=True)
    asyncio.run(main(prepare_database()))
