"""The one websocket per browser tab (/ws/).

It authenticates by the session cookie, joins the user's group, forwards events sent
by services (uc_web.lib.realtime) and hands each inbound message to the handler of the
app that owns its type prefix (HANDLERS). The protocol is described in docs/realtime.md.
"""

import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts import selectors as account_selectors
from uc_web.lib import publicid, ratelimit, realtime
from uc_web.lib.exceptions import ApplicationError

logger = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
HEARTBEAT_SECONDS = 20

# Close codes. A server may send only 1000 and 3000-4999 (daphne's websocket library
# refuses 1003 or 1009 from us and closes with 1011 instead), so ours are 4000-4999: the
# protocol's own number plus 3000 where one exists. The client reads them (static/js/live.js).
CLOSE_SESSION_ENDED = 4401
CLOSE_UNSUPPORTED_DATA = 4003  # a binary frame (1003 + 3000)
CLOSE_TOO_BIG = 4009  # a text frame over WEBSOCKET_MAX_MESSAGE_BYTES (1009 + 3000)
# Deeper JSON is refused with `malformed` before any handler sees it; no message of the
# protocol nests more than four levels (a WebRTC signal inside a call message).
MAX_JSON_DEPTH = 16

# Inbound message type prefix -> "module.function" taking (consumer, message).
HANDLERS: dict[str, str] = {
    "presence": "accounts.handlers.handle",
    "call": "calls.handlers.handle",
    "echo": "calls.handlers.handle_echo",
}
# Modules with async on_connect(consumer), on_heartbeat(consumer), on_disconnect(consumer):
# what a feature does when a tab opens, is still alive, or closes.
# Presence first: calls.handlers.on_disconnect asks whether the user has tabs left.
LIFECYCLE_HOOKS: list[str] = [
    "accounts.handlers",
    "calls.handlers",
    "messaging.handlers",
]


def json_depth(value: Any) -> int:
    """How deeply a parsed JSON value nests (a scalar is 0), without recursing."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth) for child in item)
    return deepest


class ConnectionConsumer(AsyncWebsocketConsumer):
    user_id: int
    company_id: int | None
    session_key: str
    last_session_check: float
    epoch: str

    async def connect(self) -> None:
        user = self.scope.get("user")
        session = self.scope.get("session")
        if not user or not user.is_authenticated or not user.is_active or not session:
            await self.close()  # before accept: the handshake is refused with 403
            return
        self.user_id = user.pk
        self.company_id = user.company_id
        self.session_key = session.session_key
        self.last_session_check = time.monotonic()
        self.joined: set[str] = set()
        # Per socket, in memory (settings.RATE_LIMITS): every message, and call.start alone.
        self.buckets = {
            kind: ratelimit.TokenBucket(limit)
            for kind, limit in (
                ("message", ratelimit.rate("websocket.message")),
                ("call.start", ratelimit.rate("websocket.call_start")),
            )
            if limit is not None
        }
        self.epoch = await realtime.aepoch()
        await self.join(realtime.user_group(self.user_id))
        await self.accept()
        await self.send_json(
            {
                "type": "session.ready",
                "protocol": PROTOCOL_VERSION,
                "user": {
                    "id": publicid.of(user),
                    "email": user.email,
                    "name": user.get_full_name(),
                },
                "server_time": timezone.now().isoformat(),
                "heartbeat": HEARTBEAT_SECONDS,
            }
        )
        await self.run_hooks("on_connect")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # However the socket ends (a close from either side, a dropped connection, the
        # server cancelling the application, an error nothing caught), the clean-up runs:
        # otherwise the user would stay Online to colleagues until the presence sweep.
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.clean_up()

    async def disconnect(self, code: int) -> None:
        await self.clean_up()

    async def clean_up(self) -> None:
        """Leave presence, calls and groups; runs once, whichever way the socket ended."""
        if not hasattr(self, "user_id") or getattr(self, "cleaned_up", False):
            return  # refused before accept, or done already
        self.cleaned_up = True
        await self.run_hooks("on_disconnect")
        for group in self.joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                logger.exception("leaving %s failed for user %s", group, self.user_id)

    async def join(self, group: str) -> None:
        """Join a channel-layer group; rejoined after the layer loses its state."""
        self.joined.add(group)
        await self.channel_layer.group_add(group, self.channel_name)

    async def run_hooks(self, name: str) -> None:
        for module in LIFECYCLE_HOOKS:
            try:
                await import_string(f"{module}.{name}")(self)
            except Exception:
                # One feature's trouble (say Redis restarting) must not kill the socket;
                # the next heartbeat repairs the state.
                logger.exception("%s.%s failed for user %s", module, name, self.user_id)

    async def heartbeat(self) -> None:
        """Every ping: keep features alive, or re-register everything if Redis lost it."""
        try:
            epoch = await realtime.aepoch()
        except Exception:
            logger.warning("heartbeat: shared state unreachable for user %s", self.user_id)
            return
        if epoch == self.epoch:
            await self.run_hooks("on_heartbeat")
            return
        self.epoch = epoch
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.run_hooks("on_connect")
        await self.send_json({"type": "shared_state.reset"})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self.close(code=CLOSE_UNSUPPORTED_DATA)
            return
        if len(text_data.encode()) > settings.WEBSOCKET_MAX_MESSAGE_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            message = json.loads(text_data)
        except RecursionError:
            await self.send_error("malformed", "The message is nested too deeply.")
            return
        except ValueError:
            await self.send_error("malformed", "The message is not valid JSON.")
            return
        if json_depth(message) > MAX_JSON_DEPTH:
            await self.send_error("malformed", "The message is nested too deeply.")
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.send_error("malformed", "A message is a JSON object with a 'type'.")
            return
        if await self.rate_limited(message):
            return
        try:
            await self.dispatch_message(message)
        except Exception:
            # A bug of ours, or a part (database, Redis) failing: the client hears that
            # this message failed and keeps its socket; the log has the traceback.
            logger.exception("message %r failed for user %s", message["type"], self.user_id)
            await self.send_error(
                "internal", "Something went wrong on our side.", ref=message.get("id")
            )

    async def rate_limited(self, message: dict[str, Any]) -> bool:
        """Refuse a message over the socket's limits with a `rate_limited` error frame."""
        for kind in ("message", message["type"]):
            bucket = self.buckets.get(kind)
            wait = bucket.take() if bucket else 0
            if wait:
                await self.send_json(
                    {
                        "type": "error",
                        "code": "rate_limited",
                        "detail": "Too many messages: slow down.",
                        "ref": message.get("id"),
                        "retry_after": round(wait, 1),
                    }
                )
                return True
        return False

    async def dispatch_message(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "ping":
            await self.send_json({"type": "pong", "id": message.get("id")})
            await self.heartbeat()
            if (
                time.monotonic() - self.last_session_check
                > settings.WEBSOCKET_SESSION_RECHECK_SECONDS
            ):
                await self.session_revalidate({})
            return
        handler_path = HANDLERS.get(kind.split(".", 1)[0])
        if handler_path is None:
            await self.send_error("unknown_type", "Unknown message type.", ref=message.get("id"))
            return
        try:
            await import_string(handler_path)(self, message)
        except ApplicationError as error:
            await self.send_error(error.code, str(error.message), ref=message.get("id"))

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        # An event can arrive between the connection's end and its websocket.disconnect;
        # daphne then refuses the send ("Attempt to send on a closed protocol"). Nothing is
        # lost (clients resync on connect), so the socket's clean-up goes on undisturbed.
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except Exception as error:
            if getattr(self, "cleaned_up", False) or "closed" in str(error):
                logger.debug("send on a closed socket of user %s", getattr(self, "user_id", None))
                return
            raise

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def send_error(self, code: str, detail: str, ref: Any = None) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail, "ref": ref})

    # --- messages from the channel layer ---------------------------------------------
    async def dispatch(self, message: dict[str, Any]) -> None:
        if message["type"] == "event.forward":
            # Channels closes stale database connections before every handler, one
            # thread-pool round trip each; forwarding an event touches no database, and a
            # company-wide event reaches hundreds of sockets at once (bench/presence_fanout.py).
            await self.event_forward(message)
            return
        await super().dispatch(message)

    async def event_forward(self, message: dict[str, Any]) -> None:
        if self.user_id in message.get("skip", ()):
            return
        await self.send(text_data=message["text"])

    async def session_revalidate(self, message: dict[str, Any]) -> None:
        self.last_session_check = time.monotonic()
        # A password change also cycles the changing browser's session key, so its tabs
        # close too; the client finds it is still signed in and reconnects (live.js).
        valid = await database_sync_to_async(account_selectors.session_is_valid)(
            session_key=self.session_key, user_id=self.user_id
        )
        if not valid:
            await self.send_json({"type": "session.ended"})
            await self.close(code=CLOSE_SESSION_ENDED)
