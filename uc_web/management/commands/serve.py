"""`make run`: the embedded server, with the periodic schedule and a media relay
worker run in-process.

Production runs `celery -A uc_web beat` and workers; the embedded default has no broker,
so this command ticks CELERY_BEAT_SCHEDULE itself in a thread of the server process
(tasks run eagerly there, and realtime events reach the in-process channel layer).
It listens on HOST:PORT (127.0.0.1:8000 unless the environment says otherwise) and,
with DEBUG off, first collects the static files that whitenoise serves.
"""

import asyncio
import logging
import os
import socket
import threading
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from uc_web.celery import app as celery_app

logger = logging.getLogger(__name__)


def run_schedule_forever(
    stop: threading.Event, tick: float = 1.0, loop: asyncio.AbstractEventLoop | None = None
) -> None:
    """Run each CELERY_BEAT_SCHEDULE entry when its schedule says it is due.

    With `loop` (the server's event loop) each task runs as if called from a request, so
    the events it sends reach the in-process channel layer on the loop that serves sockets.
    """
    celery_app.loader.import_default_modules()  # registers every app's tasks.py
    entries = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        if isinstance(schedule, int | float):
            from celery.schedules import schedule as interval

            schedule = interval(run_every=schedule, app=celery_app)
        entries.append(
            {"name": name, "task": entry["task"], "schedule": schedule, "last": timezone.now()}
        )
    while not stop.wait(tick):
        for entry in entries:
            due, _ = entry["schedule"].is_due(entry["last"])
            if not due:
                continue
            entry["last"] = timezone.now()
            task = celery_app.tasks[entry["task"]]
            try:
                if loop is None:
                    task.apply()
                else:
                    call = sync_to_async(task.apply, thread_sensitive=False)()
                    asyncio.run_coroutine_threadsafe(call, loop).result(timeout=300)
            except Exception:
                logger.exception("periodic task %s failed", entry["name"])


def _port_taken(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


class Command(BaseCommand):
    help = "Run the embedded server on HOST:PORT (127.0.0.1:8000) with periodic tasks in-process."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "addrport",
            nargs="?",
            help="host:port; default $HOST:$PORT, or 127.0.0.1:8000",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host = os.environ.get("HOST") or "127.0.0.1"
        port = os.environ.get("PORT") or "8000"
        if options["addrport"]:
            host, _, port = options["addrport"].rpartition(":")
            host = host or "127.0.0.1"
        host = host.strip("[]")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise CommandError(f"PORT must be a number from 1 to 65535, not {port!r}.")
        if _port_taken(host, int(port)):
            raise CommandError(
                f"Port {port} on {host} is in use. Choose another, e.g. `PORT=8080 make run`."
            )
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        addrport = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.stdout.write(f"UC Web: http://{addrport}/ (DEBUG {'on' if settings.DEBUG else 'off'})")
        stop = threading.Event()
        if settings.CELERY_TASK_ALWAYS_EAGER:
            from daphne.server import twisted_loop  # the loop runserver's daphne will serve on

            threading.Thread(
                target=run_schedule_forever,
                args=(stop, 1.0, twisted_loop),
                name="embedded-beat",
                daemon=True,
            ).start()
            self.stdout.write("Periodic tasks run in this process (no broker configured).")
        relay_stop = None
        if settings.RELAY_EMBEDDED:
            relay_stop = self.start_embedded_relay()
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            stop.set()
            if relay_stop is not None:
                relay_stop()

    def start_embedded_relay(self) -> Any:
        """A media relay worker on the server's own event loop (the in-process channel
        layer reaches no other process); production runs `manage.py relay` instead."""
        from daphne.server import twisted_loop

        from calls.relay_worker import Worker

        worker = Worker()
        stopping = asyncio.Event()
        # Queued now, run once the server's loop starts.
        asyncio.run_coroutine_threadsafe(worker.run(stopping), twisted_loop)
        self.stdout.write("A media relay runs in this process.")
        return lambda: twisted_loop.call_soon_threadsafe(stopping.set)
