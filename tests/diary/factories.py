import datetime as dt

from diary import services

UTC = dt.UTC


def appointment(owner, title="Meeting", start=None, hours=1, **kwargs):
    start = start or dt.datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    return services.appointment_create(
        owner=owner,
        title=title,
        start=start,
        end=kwargs.pop("end", start + dt.timedelta(hours=hours)),
        **kwargs,
    )
