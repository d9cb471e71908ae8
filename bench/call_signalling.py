"""Call signalling under load: PAIRS caller/callee websocket pairs set up calls at once
through one daphne process, PostgreSQL and the Redis channel layer.

Per round every caller sends `call.start` at the same moment; each callee accepts when it
rings; each caller sends a realistic (about 6 KB) offer when it hears `call.answered`; we
time how long each offer takes to reach its callee (the figure of the issue), and also
start -> ringing and accept -> answered. Then everyone hangs up and the next round starts.
Run by hand, inside the test network (figures go to docs/performance.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/issue6_bench \\
    REDIS_URL=redis://127.0.0.1:6379/6 scripts/testnet .venv/bin/python bench/call_signalling.py

The database is created when missing and emptied. Environment: PAIRS (200), ROUNDS (5),
CONNECTING (5 handshakes in flight while connecting). daphne listens on 127.0.0.1 inside
the namespace and is stopped by PID.
"""

import asyncio
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _server import free_port, percentile, production_environment, start_daphne  # noqa: E402

PAIRS = int(os.environ.get("PAIRS", 200))
ROUNDS = int(os.environ.get("ROUNDS", 5))
CONNECTING = int(os.environ.get("CONNECTING", 5))
DATABASE_URL = os.environ["DATABASE_URL"]
REDIS_URL = os.environ["REDIS_URL"]
PREFIX = f"uc_bench_{secrets.token_hex(4)}"
LOG = ROOT / "var" / "bench-call-signalling-daphne.log"
# An offer the size Chromium makes for audio + video (the content is not parsed).
OFFER = "v=0\r\n" + "a=candidate-and-codec-lines-of-a-real-offer-look-about-like-this\r\n" * 90


def summary(name: str, values: list[float]) -> str:
    return (
        f"{name}: p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 95):.1f} ms,"
        f" p99 {percentile(values, 99):.1f} ms, max {max(values):.1f} ms (n={len(values)})"
    )


def prepare_database() -> list[tuple[str, str]]:
    """PAIRS companies of two; returns (caller session, callee session) per pair."""
    import psycopg

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(CHANNEL_LAYER_PREFIX=PREFIX, DJANGO_SETTINGS_MODULE="uc_web.settings")
    production_environment()  # as the servers it starts: DEBUG off, the same key
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from accounts.models import Company, Profile, User

    call_command("migrate", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    password = make_password("bench-password-2026")
    companies = Company.objects.bulk_create([Company(name=f"Pair {i}") for i in range(PAIRS)])
    users = User.objects.bulk_create(
        [
            User(email=f"{role}{i}@bench.example", company=c, password=password)
            for i, c in enumerate(companies)
            for role in ("caller", "callee")
        ]
    )
    Profile.objects.bulk_create([Profile(user=u) for u in users])

    def session(user: User) -> str:
        store = SessionStore()
        store["_auth_user_id"] = str(user.pk)
        store["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
        store["_auth_user_hash"] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    ordered = list(User.objects.order_by("pk"))
    return [(session(ordered[i]), session(ordered[i + 1])) for i in range(0, len(ordered), 2)]


class Client:
    """One websocket; routes events by type to waiting futures."""

    def __init__(self, ws: websockets.ClientConnection, user_id: int) -> None:
        self.ws = ws
        self.user_id = user_id
        self.waiting: dict[str, asyncio.Future] = {}
        self.errors: list[dict] = []
        self.reader = asyncio.ensure_future(self.read())

    async def read(self) -> None:
        async for raw in self.ws:
            event = json.loads(raw)
            if event["type"] == "error":
                self.errors.append(event)
            future = self.waiting.pop(event["type"], None)
            if future is not None and not future.done():
                future.set_result((time.perf_counter(), event))

    def expect(self, kind: str) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.waiting[kind] = future
        return future

    async def send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message))


async def connect(url: str, origin: str, key: str) -> Client:
    for attempt in range(5):
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
            await asyncio.sleep(1 + attempt)
    else:
        raise SystemExit("a client could not connect after 5 attempts")
    ready = json.loads(await ws.recv())
    assert ready["type"] == "session.ready"
    return Client(ws, ready["user"]["id"])


async def one_call(n: int, caller: Client, callee: Client, out: dict[str, list[float]]) -> None:
    device_a, device_b = f"bench-caller-{n}", f"bench-callee-{n}"
    ringing_a, ringing_b = caller.expect("call.ringing"), callee.expect("call.ringing")
    answered = caller.expect("call.answered")
    started = time.perf_counter()
    await caller.send(
        {"type": "call.start", "callee": callee.user_id, "media": "video", "device": device_a}
    )
    at, event = await asyncio.wait_for(ringing_b, 30)
    await ringing_a
    out["start -> callee rings"].append((at - started) * 1000)
    call_id = event["call"]["id"]
    offer_seen = callee.expect("call.signalled")
    accepted = time.perf_counter()
    await callee.send({"type": "call.accept", "call": call_id, "device": device_b})
    at, _ = await asyncio.wait_for(answered, 30)
    out["accept -> caller hears answered"].append((at - accepted) * 1000)
    sent = time.perf_counter()
    await caller.send({"type": "call.signal", "call": call_id, "kind": "offer", "sdp": OFFER})
    at, event = await asyncio.wait_for(offer_seen, 30)
    assert event["kind"] == "offer" and len(event["sdp"]) == len(OFFER)
    out["offer -> callee"].append((at - sent) * 1000)
    ended = callee.expect("call.ended")
    await caller.send({"type": "call.hangup", "call": call_id})
    await asyncio.wait_for(ended, 30)


async def main(keys: list[tuple[str, str]]) -> None:
    port = free_port()
    daphne = start_daphne(port, LOG)
    url, origin = f"ws://127.0.0.1:{port}/ws/", f"http://127.0.0.1:{port}"
    profiler = None
    if os.environ.get("PROFILE"):  # PROFILE=var/calls.txt: py-spy's collapsed stacks of daphne
        profiler = subprocess.Popen(
            ["py-spy", "record", "--nonblocking", "--format", "raw", "--pid", str(daphne.pid)]
            + ["-o", os.environ["PROFILE"]]
        )
    try:
        semaphore = asyncio.Semaphore(CONNECTING)

        async def limited(key: str) -> Client:
            async with semaphore:
                return await connect(url, origin, key)

        pairs = await asyncio.gather(*(asyncio.gather(limited(a), limited(b)) for a, b in keys))
        await asyncio.sleep(3)  # let the sign-in presence chatter drain
        out: dict[str, list[float]] = {
            "start -> callee rings": [],
            "accept -> caller hears answered": [],
            "offer -> callee": [],
        }
        started = time.perf_counter()
        for _ in range(ROUNDS):
            await asyncio.gather(
                *(one_call(n, caller, callee, out) for n, (caller, callee) in enumerate(pairs))
            )
            await asyncio.sleep(1)
        took = time.perf_counter() - started
        errors = sum(len(c.errors) for pair in pairs for c in pair)
        for pair in pairs:
            for client in pair:
                await client.ws.close()
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=30)
        daphne.terminate()
        daphne.wait(timeout=10)
    print(f"{PAIRS} pairs, {ROUNDS} rounds of simultaneous calls; {took:.1f} s; errors {errors}")
    for name, values in out.items():
        print(summary(name, values))


if __name__ == "__main__":
    if os.environ.get("UC_TESTNET") != "10.231.0.1":
        raise SystemExit("run inside the test network: scripts/testnet .venv/bin/python ...")
    print(f"preparing {PAIRS} pairs ...", flush=True)
    asyncio.run(main(prepare_database()))
