"""The Celery app. With REDIS_URL unset, tasks run in the calling process (eager)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "uc_web.settings")

app = Celery("uc_web")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
