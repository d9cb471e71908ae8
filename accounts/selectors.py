from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db.models import Q, QuerySet
from django.utils.crypto import constant_time_compare

from accounts.models import Company, Profile, Region, User


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


def profile_get(*, user: User) -> Profile:
    """The acting user's own profile with its user, company and regions loaded."""
    return (
        Profile.objects.select_related("user__company").prefetch_related("regions").get(user=user)
    )


def region_list(*, user: User) -> QuerySet[Region]:
    """Regions the user may choose: every country plus their own company's markets."""
    if user.company_id is None:
        return Region.objects.filter(kind=Region.Kind.COUNTRY)
    return Region.objects.filter(
        Q(kind=Region.Kind.COUNTRY) | Q(kind=Region.Kind.MARKET, company_id=user.company_id)
    )


def market_list(*, user: User) -> QuerySet[Region]:
    """The named markets of the user's company."""
    return Region.objects.filter(kind=Region.Kind.MARKET, company_id=user.company_id)


def person_list(*, user: User) -> QuerySet[User]:
    """Users whose photo and name the acting user may see: their company and themselves."""
    if user.is_superuser:
        return User.objects.all()
    if user.company_id is None:
        return User.objects.filter(pk=user.pk)
    return User.objects.filter(company_id=user.company_id)


def company_get(*, user: User) -> Company | None:
    """The company the acting user belongs to."""
    if user.company_id is None:
        return None
    return Company.objects.prefetch_related("regions").get(pk=user.company_id)


def presence_watchable_users(*, user: User):
    """Users whose presence `user` may see: active colleagues (outside contacts come later)."""
    return user_colleagues(user=user).exclude(pk=user.pk).select_related("profile")


def presence_hidden_ids(*, user_ids: list[int]) -> set[int]:
    """Of these users, those who chose that nobody sees their presence."""
    return set(
        User.objects.filter(
            pk__in=user_ids, profile__presence_visibility=Profile.PresenceVisibility.NOBODY
        ).values_list("pk", flat=True)
    )


def may_reach(*, user: User, other: User) -> bool:
    """Whether `user` may call or message `other`: both active, and colleagues.

    Accepted contacts outside the company and blocks join this rule with contact requests.
    """
    if user.pk == other.pk or not (user.is_active and other.is_active):
        return False
    return user.company_id is not None and user.company_id == other.company_id
