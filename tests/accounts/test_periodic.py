"""The embedded default runs the beat schedule in-process (no broker)."""

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from uc_web.management.commands.serve import run_schedule_forever

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_embedded_scheduler_runs_due_tasks(settings):
    settings.CELERY_BEAT_SCHEDULE = {
        "sessions": {"task": "accounts.tasks.sessions_clear_expired", "schedule": 0.2}
    }
    now = timezone.now()
    Session.objects.create(session_key="expired", session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="current", session_data="", expire_date=now + timedelta(1))
    stop = threading.Event()
    worker = threading.Thread(target=run_schedule_forever, args=(stop, 0.05), daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while Session.objects.filter(session_key="expired").exists():
            assert time.monotonic() < deadline, "the periodic task never ran"
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(timeout=5)
    assert Session.objects.filter(session_key="current").exists()
