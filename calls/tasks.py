from celery import shared_task

from calls import services


@shared_task
def calls_sweep() -> int:
    """End calls nobody will end: rang out, or devices gone (every 15 s from beat)."""
    return services.call_sweep()
