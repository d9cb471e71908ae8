"""What the admin's user change form posts, for tests that save it."""

from accounts.models import User


def user_change_data(user: User, **overrides) -> dict:
    """What the admin's change form posts for `user` when a company admin saves it."""
    profile = user.profile
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on" if user.is_active else "",
        "groups": [g.pk for g in user.groups.all()],
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "1",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-user": str(user.pk),
        "profile-0-job_title": profile.job_title,
        "profile-0-department": profile.department,
        "profile-0-date_format": profile.date_format,
        "profile-0-ring_timeout_seconds": str(profile.ring_timeout_seconds),
        "profile-0-away_after_minutes": str(profile.away_after_minutes),
        "profile-0-presence_visibility": profile.presence_visibility,
        "profile-0-contact_requests_from": profile.contact_requests_from,
        "profile-0-sounds_enabled": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}
