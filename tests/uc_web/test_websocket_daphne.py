"""The websocket's edge cases on real daphne, through the `websockets` client library.

Channels' test client never reaches daphne's websocket library, which refuses close codes a
server may not send (1003, 1009) and answers 1011 instead, skipping the consumer's clean-up:
so these tests talk to a daphne process over TCP, as a browser or an attacker would. The
server runs with production's frame limit (docs/deploy.md) and a short offline grace."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.fixtures.live import LiveServer, start_daphne, stop_daphne
from tests.fixtures.sockets import session_cookie_for
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db(transaction=True)

GRACE = 1.0  # PRESENCE_OFFLINE_GRACE_SECONDS of this server
APP_LIMIT = 16384  # WEBSOCKET_MAX_MESSAGE_BYTES: the consumer closes with 4009 above it
WIRE_LIMIT = 65536  # daphne --websocket-max-message-size: daphne closes with 1009 above it
BURST = 30  # websocket.message of this server: 30 messages at once, then 3 a second
# Offline reaches watchers when the grace ends; a second more is plenty on a loaded machine
# and far below the 61 s a skipped clean-up took (the presence sweep's timeout).
OFFLINE_WITHIN = GRACE + 5


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[LiveServer]:
    logs = tmp_path_factory.mktemp("daphne-ws")
    live = start_daphne(
        logs,
        logs,
        daphne_args=("--websocket-max-message-size", str(WIRE_LIMIT)),
        application="tests.fixtures.faulty_asgi:application",
        PRESENCE_OFFLINE_GRACE_SECONDS=str(GRACE),
        WEBSOCKET_MAX_MESSAGE_BYTES=str(APP_LIMIT),
        RATE_LIMITS=f"websocket.message={BURST}/10s,websocket.call_start=3/m",
    )
    yield live
    stop_daphne(live)


@pytest.fixture
def server_log(server):
    """server_log() -> what the server logged during this test."""
    path = Path(server.log.name)
    start = path.stat().st_size
    return lambda: path.read_bytes()[start:].decode(errors="replace")


def cookie_for(user) -> str:
    """A session cookie, from a worker thread that then lets its connection go (or the test
    database could not be dropped at the end)."""
    try:
        return session_cookie_for(user)
    finally:
        connection.close()


@pytest.fixture
async def open_socket(server) -> AsyncIterator:
    """open_socket(user) -> a websocket that has read `session.ready`; all closed after."""
    opened: list[ClientConnection] = []

    async def open_for(user, origin: str | None = None) -> ClientConnection:
        cookie = await sync_to_async(cookie_for)(user)
        socket = await connect(
            server.url.replace("http://", "ws://") + "/ws/",
            origin=origin or server.url,
            additional_headers={"Cookie": f"sessionid={cookie}"},
            ping_interval=None,
            max_size=None,
        )
        opened.append(socket)
        assert (await next_message(socket, "session.ready"))["protocol"] == 1
        return socket

    yield open_for
    for socket in opened:
        await socket.close()


async def next_message(socket: ClientConnection, kind: str, timeout: float = 5) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await socket.recv())
            if message["type"] == kind:
                return message


async def presence_of(socket: ClientConnection, user, timeout: float) -> str:
    """The next state of `user` that `socket` hears."""
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await socket.recv())
            if message["type"] == "presence.changed" and message["user"] == publicid.of(user):
                return message["state"]


async def close_code(socket: ClientConnection, timeout: float = 5) -> int | None:
    """The code of the close frame the server sends (None: the connection just dropped)."""
    async with asyncio.timeout(timeout):
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await socket.recv()
    return closed.value.rcvd.code if closed.value.rcvd else None


async def watched(open_socket, alice, bob) -> tuple[ClientConnection, ClientConnection]:
    """Bob's tab, then Alice's; Bob has seen Alice come online."""
    bobs = await open_socket(bob)
    alices = await open_socket(alice)
    assert await presence_of(bobs, alice, timeout=5) == "online"
    return alices, bobs


async def test_an_oversized_frame_closes_with_4009_and_alice_goes_offline_for_bob(
    server, open_socket, alice, bob, server_log
):
    alices, bobs = await watched(open_socket, alice, bob)
    await alices.send(json.dumps({"type": "ping", "pad": "x" * APP_LIMIT}))
    assert await close_code(alices) == 4009
    assert await presence_of(bobs, alice, timeout=OFFLINE_WITHIN) == "offline"
    assert "invalid close code" not in server_log()
    assert "Exception inside application" not in server_log()


async def test_a_frame_over_daphnes_limit_ends_the_socket_and_alice_goes_offline(
    server, open_socket, alice, bob, server_log
):
    alices, bobs = await watched(open_socket, alice, bob)
    await alices.send("x" * (WIRE_LIMIT + 1))
    # daphne's websocket library ends it before the application sees a byte: it drops the
    # connection (its failByDrop) rather than sending a close frame.
    assert await close_code(alices) in (1009, None)
    assert await presence_of(bobs, alice, timeout=OFFLINE_WITHIN) == "offline"


async def test_a_binary_frame_closes_with_4003_and_alice_goes_offline_for_bob(
    server, open_socket, alice, bob, server_log
):
    alices, bobs = await watched(open_socket, alice, bob)
    await alices.send(b"\x00\x01binary")
    assert await close_code(alices) == 4003
    assert await presence_of(bobs, alice, timeout=OFFLINE_WITHIN) == "offline"
    assert "Exception inside application" not in server_log()


async def test_json_nested_5000_deep_is_refused_and_the_socket_stays(
    server, open_socket, alice, server_log
):
    alices = await open_socket(alice)
    await alices.send("[" * 5000 + "]" * 5000)
    error = await next_message(alices, "error")
    assert error["code"] == "malformed" and "nested" in error["detail"]
    # Deep enough to parse, but deeper than any message of the protocol: refused the same.
    await alices.send('{"type": "presence.set", "text": ' + "[" * 20 + "]" * 20 + "}")
    assert (await next_message(alices, "error"))["code"] == "malformed"
    await alices.send(json.dumps({"type": "ping", "id": 7}))
    assert (await next_message(alices, "pong"))["id"] == 7
    assert "RecursionError" not in server_log()


async def test_a_failing_handler_answers_internal_and_the_socket_stays(
    server, open_socket, alice, server_log
):
    alices = await open_socket(alice)
    await alices.send(json.dumps({"type": "selftest.fail", "id": "m1"}))
    error = await next_message(alices, "error")
    assert error == {
        "type": "error",
        "code": "internal",
        "detail": "Something went wrong on our side.",
        "ref": "m1",
    }
    await alices.send(json.dumps({"type": "ping", "id": 8}))
    assert (await next_message(alices, "pong"))["id"] == 8
    assert "ZeroDivisionError: a bug in a handler" in server_log()  # logged for us


async def test_a_connection_dropped_without_a_close_frame_still_goes_offline(
    server, open_socket, alice, bob, server_log
):
    alices, bobs = await watched(open_socket, alice, bob)
    alices.transport.abort()  # the network went away: no close frame
    assert await presence_of(bobs, alice, timeout=OFFLINE_WITHIN) == "offline"


async def test_a_page_of_another_origin_cannot_open_alices_socket(server, open_socket, alice):
    with pytest.raises(InvalidStatus) as refused:
        await open_socket(alice, origin="http://evil.example")
    assert refused.value.response.status_code == 403


async def test_a_flood_of_messages_is_refused_with_rate_limited_and_the_socket_stays(
    server, open_socket, alice
):
    alices = await open_socket(alice)
    for n in range(BURST + 5):
        await alices.send(json.dumps({"type": "ping", "id": n}))
    answers = [json.loads(await alices.recv()) for _ in range(BURST + 5)]
    answers = [a for a in answers if a["type"] in ("pong", "error")]
    pongs = [a["id"] for a in answers if a["type"] == "pong"]
    refused = [a for a in answers if a["type"] == "error"]
    assert pongs == list(range(len(pongs))) and BURST <= len(pongs) < BURST + 5
    assert refused and all(a["code"] == "rate_limited" for a in refused)
    assert refused[0]["ref"] == len(pongs) and 0 < refused[0]["retry_after"] <= 1
    await asyncio.sleep(1)  # the bucket refills: the socket works again
    await alices.send(json.dumps({"type": "ping", "id": "later"}))
    assert (await next_message(alices, "pong"))["id"] == "later"


async def test_call_start_in_a_loop_is_refused_with_rate_limited(server, open_socket, alice):
    alices = await open_socket(alice)
    codes = []
    for n in range(5):
        await alices.send(
            json.dumps(
                {
                    "type": "call.start",
                    "id": n,
                    "callee": "forged",
                    "media": "audio",
                    "device": "tab-0001",
                }
            )
        )
        codes.append((await next_message(alices, "error"))["code"])
    assert codes == ["not_allowed"] * 3 + ["rate_limited"] * 2


async def test_a_page_on_the_same_host_at_another_port_cannot_open_alices_socket(
    server, open_socket, alice
):
    other_port = int(server.url.rsplit(":", 1)[1]) + 1
    with pytest.raises(InvalidStatus) as refused:
        await open_socket(alice, origin=f"http://127.0.0.1:{other_port}")
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        await open_socket(alice, origin=server.url.replace("http://", "https://"))
