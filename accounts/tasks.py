from asgiref.sync import async_to_sync
from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts import presence


@shared_task
def sessions_clear_expired() -> int:
    """Delete expired sessions (runs hourly from the beat schedule)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task
def presence_sweep() -> int:
    """Mark offline the connections whose heartbeat stopped (every 15 s from beat)."""
    return async_to_sync(presence.presence_sweep)()
