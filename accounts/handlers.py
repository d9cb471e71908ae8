"""Presence over the per-tab websocket: lifecycle hooks and `presence.*` messages."""

from typing import Any

from accounts import presence
from uc_web.lib.exceptions import ApplicationError


async def on_connect(consumer: Any) -> None:
    """Also run again when Redis lost its state (see ConnectionConsumer.heartbeat)."""
    if consumer.company_id is not None:
        await consumer.join(presence.company_presence_group(consumer.company_id))
    await presence.presence_connect(
        user_id=consumer.user_id, company_id=consumer.company_id, conn=consumer.channel_name
    )


async def on_heartbeat(consumer: Any) -> None:
    await presence.presence_heartbeat(user_id=consumer.user_id, conn=consumer.channel_name)


async def on_disconnect(consumer: Any) -> None:
    await presence.presence_disconnect(
        user_id=consumer.user_id, company_id=consumer.company_id, conn=consumer.channel_name
    )


async def handle(consumer: Any, message: dict[str, Any]) -> None:
    """presence.set {state: busy|dnd|appear_offline|null, text}; presence.idle; presence.active."""
    kind = message["type"]
    who = {"user_id": consumer.user_id, "company_id": consumer.company_id}
    if kind == "presence.set":
        state, text = message.get("state"), message.get("text", "")
        if not (state is None or isinstance(state, str)) or not isinstance(text, str):
            raise ApplicationError(
                "state must be a string or null, text a string.", code="malformed"
            )
        await presence.presence_set(**who, state=state, text=text)
    elif kind in ("presence.idle", "presence.active"):
        await presence.presence_activity(
            **who, conn=consumer.channel_name, active=kind == "presence.active"
        )
    else:
        raise ApplicationError("Unknown message type.", code="unknown_type")
