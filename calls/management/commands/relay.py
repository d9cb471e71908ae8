"""`manage.py relay`: run a media relay worker (calls.relay_worker) until stopped.

Start as many as the machines carry; they find each other's load through the database
and are fed through the channel layer (Redis), so each needs REDIS_URL set like the web
servers. SIGTERM or SIGINT stops it cleanly (its row is removed and its sessions closed).
"""

import asyncio
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from calls.relay_worker import Worker


class Command(BaseCommand):
    help = "Run a media relay worker (aiortc) fed through the channel layer."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--name", help="worker name (default host:pid:random)")

    def handle(self, *args: Any, **options: Any) -> None:
        if "InMemoryChannelLayer" in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
            raise CommandError(
                "A separate relay worker needs a shared channel layer: set REDIS_URL "
                "(`make run` without Redis runs a relay inside the server instead)."
            )
        worker = Worker(options.get("name"))

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await worker.run(stop)

        self.stdout.write(f"Relay worker {worker.name} starting.")
        asyncio.run(main())
