import uuid

import pytest

from accounts import presence
from calls import handlers


@pytest.fixture(autouse=True)
def fresh_presence(settings):
    """Each test starts with nobody online: its own memory, or its own Redis key prefix."""
    if settings.REDIS_URL:
        presence._store = presence.RedisPresenceStore(
            settings.REDIS_URL, f"uc_test_{uuid.uuid4().hex[:8]}"
        )
    else:
        presence._store = presence.MemoryPresenceStore()
    yield
    presence._store = None


@pytest.fixture(autouse=True)
def no_timers_left():
    """Ring and resume timers of a test end with it."""
    yield
    for task in list(handlers._timers):
        task.cancel()
