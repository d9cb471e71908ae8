from django.contrib.auth.models import Group
from django.db import transaction

from accounts import roles
from accounts.models import Company, User
from uc_web.lib import realtime
from uc_web.lib.exceptions import ApplicationError


@transaction.atomic
def company_setup(
    *, company_name: str, email: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """First run: create the company and its first admin (refused once a company exists)."""
    if Company.objects.select_for_update().exists():
        raise ApplicationError("This installation is already set up.", code="already_set_up")
    company = company_create(name=company_name)
    return user_create(
        company=company,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        roles_=[roles.COMPANY_ADMIN],
    )


def company_create(*, name: str) -> Company:
    """Create a company."""
    company = Company(name=name.strip())
    company.full_clean()
    company.save()
    return company


@transaction.atomic
def user_create(
    *,
    company: Company,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    roles_: list[str] | None = None,
) -> User:
    """Create a user in a company; company admins may use the admin site."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError("A user with this email address already exists.", code="email_taken")
    user = User(
        company=company,
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        is_staff=roles.COMPANY_ADMIN in (roles_ or []),
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    if roles_:
        user.groups.set(Group.objects.filter(name__in=roles_))
    return user


def user_set_password(*, user: User, password: str) -> User:
    """Change a password; the user's other sessions end and their sockets close."""
    user.set_password(password)
    user.save(update_fields=["password"])
    user_sessions_revalidate(user=user)
    return user


def user_deactivate(*, user: User) -> User:
    """Deactivate a user, keeping their history; their sockets close."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_sessions_revalidate(user=user)
    return user


def user_sessions_revalidate(*, user: User) -> None:
    """Make every open socket of the user re-check its session (after commit)."""
    user_id = user.pk
    transaction.on_commit(lambda: realtime.revalidate_sessions(user_id))
