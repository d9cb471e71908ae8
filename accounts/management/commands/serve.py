"""`make run`: the embedded server, with the periodic schedule run in-process.

Production runs `celery -A uc_web beat` and workers; the embedded default has no broker,
so this command ticks CELERY_BEAT_SCHEDULE itself in a thread of the server process
(tasks run eagerly there, and realtime events reach the in-process channel layer).
"""

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from uc_web.celery import app as celery_app

logger = logging.getLogger(__name__)


def run_schedule_forever(stop: threading.Event, tick: float = 1.0) -> None:
    """Run each CELERY_BEAT_SCHEDULE entry when its schedule says it is due."""
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
            try:
                celery_app.tasks[entry["task"]].apply()
            except Exception:
                logger.exception("periodic task %s failed", entry["name"])


class Command(BaseCommand):
    help = "Run the embedded server on 127.0.0.1:8000 with periodic tasks in-process."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if settings.CELERY_TASK_ALWAYS_EAGER:
            threading.Thread(
                target=run_schedule_forever, args=(stop,), name="embedded-beat", daemon=True
            ).start()
            self.stdout.write("Periodic tasks run in this process (no broker configured).")
        try:
            call_command("runserver", options["addrport"], use_reloader=False)
        finally:
            stop.set()
