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
from uc_web.lib import publicid, realtime
from uc_web.lib.exceptions import ApplicationError

logger = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
HEARTBEAT_SECONDS = 20

# Close codes (4000-4999 are ours; the client reads them, see static/js/live.js).
CLOSE_SESSION_ENDED = 4401
CLOSE_UNSUPPORTED_DATA = 1003
CLOSE_TOO_BIG = 1009

# Inbound message type prefix -> "module.function" taking (consumer, message).
HANDLERS: dict[str, str] = {
    "presence": "accounts.handlers.handle",
    "call": "calls.handlers.handle",
}
# Modules with async on_connect(consumer), on_heartbeat(consumer), on_disconnect(consumer):
# what a feature does when a tab opens, is still alive, or closes.
# Presence first: calls.handlers.on_disconnect asks whether the user has tabs left.
LIFECYCLE_HOOKS: list[str] = [
    "accounts.handlers",
    "calls.handlers",
    "messaging.handlers",
]


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

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user_id"):
            return  # refused before accept
        await self.run_hooks("on_disconnect")
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)

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
        except ValueError:
            await self.send_error("malformed", "The message is not valid JSON.")
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.send_error("malformed", "A message is a JSON object with a 'type'.")
            return
        await self.dispatch_message(message)

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
