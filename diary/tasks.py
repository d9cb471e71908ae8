from celery import shared_task

from diary import services


@shared_task
def reminders_fire() -> int:
    """Send the diary reminders that are due (every 30 s from the beat schedule)."""
    return len(services.reminders_fire())
