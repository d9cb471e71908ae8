"""Rate limits: one mechanism for the API's throttles, the websocket and the services.

A limit is written `<count>/<period>`: `30/h`, `600/m`, `60/6s` (period: a number, then
s, m, h or d). Every limit lives in `settings.RATE_LIMITS` under a name
(`api.search.user`, `websocket.message`, `contact_request.user`, ...) and production
may change any of them through the environment (README "Settings").

- `hit(name, who)` counts one event in Django's cache (Redis in production, so every
  process shares the count) with a sliding window; the API's throttles
  (`uc_web.lib.api.UserThrottle`/`IPThrottle`) and the services' own limits use it.
- `TokenBucket` is the same limit kept in memory by one websocket: `count` messages at
  once, refilled at `count` per period.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

# Tests give each test its own prefix (tests/conftest.py), so counts never leak between them.
KEY_PREFIX = "rl"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_FORMAT = re.compile(r"(\d+)/(\d*)([smhd])")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> "Rate":
        match = _FORMAT.fullmatch(text.strip())
        if not match or int(match[1]) < 1 or match[2] == "0":
            raise ValueError(f"{text!r} is not a rate such as 30/h, 600/m or 60/6s")
        return cls(int(match[1]), int(match[2] or 1) * _UNITS[match[3]])


def rate(name: str) -> Rate | None:
    """The limit called `name` in settings.RATE_LIMITS, or None: not limited."""
    text = settings.RATE_LIMITS.get(name)
    return Rate.parse(text) if text else None


def hit(name: str, who: object) -> float:
    """Count one event of `who` (a user id, an address) against the limit `name`.

    Returns 0 when it is within the limit, else the seconds to wait; a refused event is
    not counted, so whoever waits that long gets through. The count is a sliding window:
    this period's count plus the previous period's, weighted by how much of it still lies
    within one period of now (atomic in Redis: `add` then `incr`)."""
    from django.core.cache import cache  # not at import: settings.py imports Rate

    limit = rate(name)
    if limit is None:
        return 0.0
    now = time.time()
    window, into = divmod(now, limit.seconds)
    key = f"{KEY_PREFIX}:{name}:{who}:"
    current_key = key + str(int(window))
    cache.add(current_key, 0, timeout=int(limit.seconds * 2) + 1)
    current = cache.incr(current_key)
    previous = cache.get(key + str(int(window) - 1), 0)
    weight = 1 - into / limit.seconds
    if previous * weight + current <= limit.count:
        return 0.0
    cache.decr(current_key)
    current -= 1
    if current + 1 > limit.count or not previous:
        # This period is full: room comes only after it ends, and then only as its events
        # slide out of the next one: current * (1 - t) + 1 <= count.
        needed = max(0.0, 1 - (limit.count - 1) / current) if current else 0.0
        return (limit.seconds - into) + needed * limit.seconds
    # Room comes as the previous period slides out: previous * (1 - t) + current + 1 <= count.
    needed = 1 - (limit.count - current - 1) / previous
    return max(0.1, (needed - into / limit.seconds) * limit.seconds)


class TokenBucket:
    """A limit kept in memory by one owner (a websocket): holds at most `count` tokens and
    gains `count` per period; each message takes one."""

    def __init__(self, limit: Rate, clock: Callable[[], float] = time.monotonic):
        self.capacity = float(limit.count)
        self.per_second = limit.count / limit.seconds
        self.tokens = self.capacity
        self.clock = clock
        self.updated = clock()

    def take(self, cost: float = 1.0) -> float:
        """0 when the tokens were taken, else the seconds until there are enough."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.per_second
