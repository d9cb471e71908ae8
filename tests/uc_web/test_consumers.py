"""The per-tab websocket: who may connect, what it accepts, and when it closes."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts import services
from tests.fixtures.sockets import communicator, next_of, quiet_but_presence, session_cookie_for
from uc_web.lib import realtime

pytestmark = pytest.mark.django_db(transaction=True)


async def closed_with(comm, timeout: float = 5) -> int:
    """Wait for the server to close the socket; return the close code."""
    while True:
        message = await comm.receive_output(timeout=timeout)
        if message["type"] == "websocket.close":
            return message.get("code", 1000)


async def test_alice_connects_and_is_greeted_with_her_identity(alice, connect):
    comm = await connect(alice)
    await comm.send_json_to({"type": "ping", "id": 7})
    assert await next_of(comm, "pong") == {"type": "pong", "id": 7}


async def test_a_socket_without_a_session_is_refused(alice):
    comm = communicator(session_key=None)
    connected, _ = await comm.connect()
    assert not connected


async def test_a_forged_session_cookie_is_refused(alice):
    comm = communicator(session_key="notarealsessionkey0123456789abcd")
    connected, _ = await comm.connect()
    assert not connected


async def test_a_socket_from_another_origin_is_refused(alice):
    key = await sync_to_async(session_cookie_for)(alice)
    comm = communicator(key, origin=b"https://evil.example")
    connected, _ = await comm.connect()
    assert not connected


@pytest.mark.parametrize(
    "origin",
    [
        b"http://127.0.0.1:8001",  # the same host on another port
        b"https://127.0.0.1:8000",  # ... or scheme
        b"http://127.0.0.1",  # ... or the default port
        b"http://127.0.0.1:8000.evil.example",
        b"http://evil.example@127.0.0.1:8000",
        b"null",
        b"http://127.0.0.1:8000/page",
    ],
)
async def test_a_socket_from_the_same_host_at_another_port_or_scheme_is_refused(alice, origin):
    key = await sync_to_async(session_cookie_for)(alice)
    connected, _ = await communicator(key, origin=origin).connect()
    assert not connected


async def test_the_sites_own_origin_is_accepted_in_any_spelling_and_trusted_ones_too(
    alice, settings
):
    key = await sync_to_async(session_cookie_for)(alice)
    for origin in (b"http://127.0.0.1:8000", b"HTTP://127.0.0.1:8000"):
        comm = communicator(key, origin=origin)
        connected, _ = await comm.connect()
        assert connected
        await comm.disconnect()
    settings.CSRF_TRUSTED_ORIGINS = ["https://uc.example.com"]
    comm = communicator(key, origin=b"https://uc.example.com:443")
    assert (await comm.connect())[0]
    await comm.disconnect()


async def test_behind_the_tls_proxy_only_the_https_origin_is_accepted(alice, settings):
    settings.HTTPS = True
    key = await sync_to_async(session_cookie_for)(alice)
    assert not (await communicator(key, origin=b"http://127.0.0.1:8000").connect())[0]
    comm = communicator(key, origin=b"https://127.0.0.1:8000")
    assert (await comm.connect())[0]
    await comm.disconnect()


async def test_a_socket_without_origin_header_is_refused(alice):
    key = await sync_to_async(session_cookie_for)(alice)
    comm = communicator(key, origin=None)
    connected, _ = await comm.connect()
    assert not connected


async def test_a_deactivated_users_session_cannot_connect(alice):
    key = await sync_to_async(session_cookie_for)(alice)
    await sync_to_async(services.user_deactivate)(user=alice)
    comm = communicator(key)
    connected, _ = await comm.connect()
    assert not connected


async def test_malformed_json_gets_an_error_frame_and_the_socket_stays_open(alice, connect):
    comm = await connect(alice)
    await comm.send_to(text_data="{not json")
    error = await next_of(comm, "error")
    assert error["code"] == "malformed"
    await comm.send_to(text_data=json.dumps(["a", "list"]))
    assert (await next_of(comm, "error"))["code"] == "malformed"
    await comm.send_json_to({"type": "ping"})
    assert await next_of(comm, "pong")


async def test_an_unknown_message_type_is_answered_with_an_error(alice, connect):
    comm = await connect(alice)
    await comm.send_json_to({"type": "call.hijack", "id": "x1"})
    error = await next_of(comm, "error")
    assert error == {
        "type": "error",
        "code": "unknown_type",
        "detail": "Unknown message type.",
        "ref": "x1",
    }


# Oversized and binary frames, deep JSON and failing handlers: test_websocket_daphne.py,
# on real daphne (whose websocket library this test client never reaches).


async def test_events_reach_only_the_users_they_are_sent_to(alice, charlie, connect):
    alices = await connect(alice)
    charlies = await connect(charlie)
    await sync_to_async(realtime.send_to_users)([alice.pk], {"type": "test.happened", "n": 1})
    assert await next_of(alices, "test.happened") == {"type": "test.happened", "n": 1}
    assert await quiet_but_presence(charlies)


async def test_every_tab_of_a_user_receives_her_events(alice, connect):
    first, second = await connect(alice), await connect(alice)
    await sync_to_async(realtime.send_to_users)([alice.pk], {"type": "test.happened"})
    assert await next_of(first, "test.happened")
    assert await next_of(second, "test.happened")


def _logout(session_key: str) -> None:
    client = Client()
    client.cookies["sessionid"] = session_key
    response = client.post("/accounts/logout/")
    assert response.status_code == 302


async def test_signing_out_closes_that_sessions_sockets_within_5_seconds(alice, connect):
    comm = await connect(alice)
    await sync_to_async(_logout)(comm.session_key)
    assert await next_of(comm, "session.ended") == {"type": "session.ended"}
    assert await closed_with(comm) == 4401


async def test_signing_out_in_one_browser_leaves_her_other_browser_connected(alice, connect):
    signing_out, other_browser = await connect(alice), await connect(alice)
    await sync_to_async(_logout)(signing_out.session_key)
    assert await closed_with(signing_out, timeout=5) == 4401
    await other_browser.send_json_to({"type": "ping"})
    assert await next_of(other_browser, "pong")


async def test_a_password_change_closes_her_other_sessions_sockets(alice, connect, password):
    other_browser = await connect(alice)
    client = Client()
    await sync_to_async(client.force_login)(alice)
    changing_tab = await connect(alice, session_key=client.cookies["sessionid"].value)

    def change_password() -> None:
        response = client.post(
            "/accounts/password/change/",
            {
                "oldpassword": password,
                "password1": "n3w-Secret-phrase!",
                "password2": "n3w-Secret-phrase!",
            },
        )
        assert response.status_code == 302, response.content

    await sync_to_async(change_password)()
    assert await closed_with(other_browser, timeout=5) == 4401
    # The changing browser got a new session key: its old socket closes, and it can
    # reconnect at once with the cookie it now holds, while the other browser cannot.
    assert await closed_with(changing_tab, timeout=5) == 4401
    await connect(alice, session_key=client.cookies["sessionid"].value)
    refused = communicator(other_browser.session_key)
    assert not (await refused.connect())[0]


async def test_deactivating_a_user_closes_her_sockets(alice, bob, connect):
    comm = await connect(bob)
    await sync_to_async(services.user_deactivate)(user=bob)
    assert await closed_with(comm, timeout=5) == 4401


async def test_a_socket_rechecks_its_session_on_heartbeat_even_if_the_event_was_lost(
    alice, connect, settings
):
    settings.WEBSOCKET_SESSION_RECHECK_SECONDS = 0
    comm = await connect(alice)

    def delete_session_silently() -> None:
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key=comm.session_key).delete()

    await sync_to_async(delete_session_silently)()
    await asyncio.sleep(0.01)
    await comm.send_json_to({"type": "ping"})
    assert await next_of(comm, "pong")
    assert await closed_with(comm, timeout=5) == 4401


async def test_an_idle_socket_outlives_the_channel_layers_blocking_read(alice, connect):
    # channels-redis blocks 5 s in BZPOPMIN; redis-py 6+ used to time such reads out at
    # 5 s and kill the socket with 1011 (settings give the layer a longer socket timeout).
    comm = await connect(alice)
    await asyncio.sleep(6.5)
    await comm.send_json_to({"type": "ping"})
    assert await next_of(comm, "pong")
