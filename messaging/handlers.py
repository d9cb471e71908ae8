"""Messages over the per-tab websocket: each socket joins the groups of its user's regions,
so an announcement reaches every connected recipient with one send per region."""

from typing import Any

from channels.db import database_sync_to_async

from accounts.models import Profile
from messaging import selectors, services


def _groups(user_id: int) -> list[str]:
    if not Profile.objects.filter(pk=user_id).exists():
        return []
    from accounts.models import User

    user = User(pk=user_id)
    if not selectors.announcements_wanted(user=user):
        return []
    ids = Profile.regions.through.objects.filter(profile_id=user_id).values_list(
        "region_id", flat=True
    )
    return [services.region_group(pk) for pk in ids]


async def on_connect(consumer: Any) -> None:
    """Also run again when Redis lost its state (see ConnectionConsumer.heartbeat). A
    change of regions takes effect on the next connection; the snapshot is always right."""
    for group in await database_sync_to_async(_groups)(consumer.user_id):
        await consumer.join(group)


async def on_heartbeat(consumer: Any) -> None:
    return None


async def on_disconnect(consumer: Any) -> None:
    return None  # the consumer leaves every group it joined
