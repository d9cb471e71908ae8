from celery import shared_task

from contacts import importing


@shared_task(ignore_result=True)
def contacts_import_run(contact_import_id: int) -> None:
    """Run a queued address-book import."""
    importing.import_run(contact_import_id=contact_import_id)


@shared_task(ignore_result=True)
def contacts_trash_purge() -> None:
    """Delete contacts that have been in the trash longer than 30 days."""
    from contacts import services

    services.trash_purge_expired()
