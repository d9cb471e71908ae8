from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils.crypto import constant_time_compare

from accounts.models import Company, User


def company_exists() -> bool:
    """Whether first-run setup has happened."""
    return Company.objects.exists()


def session_is_valid(*, session_key: str | None, user_id: int) -> bool:
    """Whether this session still signs in this active user with their current password."""
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    data = store.load()
    if str(data.get(SESSION_KEY)) != str(user_id) or BACKEND_SESSION_KEY not in data:
        return False
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    return constant_time_compare(str(data.get(HASH_SESSION_KEY, "")), user.get_session_auth_hash())


def user_colleagues(*, user: User):
    """Active users of the acting user's company (none for a company-less superuser)."""
    if user.company_id is None:
        return User.objects.none()
    return User.objects.filter(company_id=user.company_id, is_active=True)


def presence_watchable_users(*, user: User):
    """Users whose presence `user` may see: active colleagues (outside contacts come later)."""
    return user_colleagues(user=user).exclude(pk=user.pk)
