from celery import shared_task

from messaging import services


@shared_task
def reminders_deliver_due() -> int:
    """Deliver due reminders (every few seconds from the beat schedule)."""
    return services.reminders_deliver_due()


@shared_task
def trash_purge_expired() -> int:
    """Delete messages left in Trash past the retention (hourly)."""
    return services.trash_purge_expired()


@shared_task
def announcements_purge_expired() -> int:
    """Delete announcements that expired a while ago, with their marks (hourly)."""
    return services.announcements_purge_expired()


@shared_task
def recording_notify(message_id: int) -> int:
    """Mail the recipients of a new voice/video mail a notice with a link (after commit)."""
    return services.recording_notify(message_id=message_id)
