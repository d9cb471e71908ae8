from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts import roles
from accounts.models import Block, Company, ContactRequest, MonitorMark, Profile, Region, User
from uc_web.lib import publicid


def person_data(person: User) -> dict[str, str]:
    """How a person appears in the API and in events (the monitor, calls, requests): the
    one place that builds it. The caller decides whether the viewer may see this person."""
    return {
        "id": publicid.of(person),
        "name": person.get_full_name() or person.email,
        "email": person.email,
        "initials": person.initials,
        "photo": person.photo_url_small,
    }


def user_has_mfa(*, user: User) -> bool:
    """Whether the user has a second factor (an authenticator app or a security key)."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def user_mfa_missing(*, user: User) -> bool:
    """Whether the user's company requires two-factor sign-in and the user has none yet."""
    company = getattr(user, "company", None)
    return bool(company is not None and company.mfa_required and not user_has_mfa(user=user))


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


def role_grantable_list(*, user: User) -> QuerySet[Group]:
    """The roles `user` may grant: every company role for a company admin (to anyone in
    their company, themselves included), any group for a superuser, none otherwise."""
    if user.is_superuser:
        return Group.objects.all()
    if user.company_id is None or not user.has_perm("accounts.manage_company"):
        return Group.objects.none()
    return Group.objects.filter(name__in=list(roles.ROLE_PERMISSIONS))


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
    if user.company_id is None:
        return Region.objects.none()
    return Region.objects.filter(kind=Region.Kind.MARKET, company_id=user.company_id)


def person_list(*, user: User) -> QuerySet[User]:
    """Users whose photo and name the acting user may see: their company, their contacts,
    anyone in a contact request with them, and themselves."""
    if user.is_superuser:
        return User.objects.all()
    related = Q(pk=user.pk) | Q(pk__in=_request_partners(user.pk, None))
    if user.company_id is not None:
        related |= Q(company_id=user.company_id)
    return User.objects.filter(related)


def member_list(*, user: User) -> QuerySet[User]:
    """Everyone in the acting user's company, deactivated people too, with their roles."""
    if user.company_id is None:
        return User.objects.none()
    return (
        User.objects.filter(company_id=user.company_id)
        .select_related("profile")
        .prefetch_related("groups")
        .order_by("first_name", "last_name", "email")
    )


def invitation_list(*, user: User) -> QuerySet[User]:
    """People of the acting user's company invited and not joined yet, newest first."""
    return (
        member_list(user=user)
        .filter(is_active=True, invited_at__isnull=False, last_login__isnull=True)
        .order_by("-invited_at")
    )


def company_get(*, user: User) -> Company | None:
    """The company the acting user belongs to."""
    if user.company_id is None:
        return None
    return Company.objects.prefetch_related("regions").get(pk=user.company_id)


# --- contacts, blocks and the Online Monitor ------------------------------------------


def contact_request_cutoff() -> datetime:
    """Requests not accepted by now that were made before this have expired: they are
    gone for both people, and the sender may ask again (see contact_request_send)."""
    return timezone.now() - ContactRequest.EXPIRES_AFTER


def _live_requests() -> QuerySet[ContactRequest]:
    """Contact requests that still count: accepted ones, and the others not yet expired."""
    return ContactRequest.objects.filter(
        Q(state=ContactRequest.State.ACCEPTED) | Q(created_at__gte=contact_request_cutoff())
    )


def _request_partners(user_id: int, state: str | None) -> QuerySet[User]:
    """Users in a contact request with this user (either direction), in `state` if given."""
    sent = _live_requests().filter(sender_id=user_id)
    received = _live_requests().filter(recipient_id=user_id)
    if state is not None:
        sent, received = sent.filter(state=state), received.filter(state=state)
    return User.objects.filter(
        Q(pk__in=sent.values("recipient_id")) | Q(pk__in=received.values("sender_id"))
    ).values("pk")  # type: ignore[return-value]  # a subquery of ids


def _others(pairs: Iterable[tuple[int, int]], user_id: int) -> set[int]:
    return {b if a == user_id else a for a, b in pairs}


def contact_ids(*, user_id: int) -> set[int]:
    """Users who accepted this user's contact request or whose request this user accepted."""
    pairs = ContactRequest.objects.filter(
        Q(sender_id=user_id) | Q(recipient_id=user_id), state=ContactRequest.State.ACCEPTED
    ).values_list("sender_id", "recipient_id")
    return _others(pairs, user_id)


def _blocks_with(user_id: int) -> QuerySet[Block]:
    return Block.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id))


def blocked_ids(*, user_id: int) -> set[int]:
    """Users this user blocked or who blocked this user: neither sees nor reaches the other."""
    return _others(_blocks_with(user_id).values_list("blocker_id", "blocked_id"), user_id)


def is_blocked(*, user_id: int, other_id: int) -> bool:
    return Block.objects.filter(
        Q(blocker_id=user_id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=user_id)
    ).exists()


def is_contact(*, user_id: int, other_id: int) -> bool:
    return ContactRequest.objects.filter(
        Q(sender_id=user_id, recipient_id=other_id) | Q(sender_id=other_id, recipient_id=user_id),
        state=ContactRequest.State.ACCEPTED,
    ).exists()


def may_see_presence(*, viewer: User, person: User, contacts: set[int] | None = None) -> bool:
    """Whether `viewer` sees `person`'s real presence (otherwise: Offline).

    `person.profile` must be loaded; `contacts` (the viewer's contact ids) saves a query.
    """
    visibility = person.profile.presence_visibility
    if visibility == Profile.PresenceVisibility.NOBODY:
        return False
    if contacts is None:
        contacts = contact_ids(user_id=viewer.pk)
    if person.pk in contacts:
        return True
    return (
        visibility == Profile.PresenceVisibility.COMPANY
        and viewer.company_id is not None
        and viewer.company_id == person.company_id
    )


@dataclass(frozen=True)
class MonitorPerson:
    """One entry of a user's Online Monitor."""

    user: User
    group: str  # favourites, company, contacts
    relation: str  # colleague, contact, pending (my request waits for an answer)
    favourite: bool
    visible: bool  # whether the viewer sees the person's real presence


def monitor_people(*, user: User, only: int | None = None) -> list[MonitorPerson]:
    """Everyone in the user's Online Monitor: colleagues (unless removed), accepted contacts
    and people whose answer to my request is awaited; never anyone I blocked (a colleague
    who blocked me stays, always Offline). `only` limits it to one person (monitor_entry)."""
    contacts = contact_ids(user_id=user.pk)
    pending = set(
        _live_requests()
        .filter(
            sender_id=user.pk,
            state__in=[ContactRequest.State.PENDING, ContactRequest.State.DECLINED],
        )
        .values_list("recipient_id", flat=True)
    )
    marks = dict(MonitorMark.objects.filter(owner_id=user.pk).values_list("person_id", "kind"))
    removed = {pk for pk, kind in marks.items() if kind == MonitorMark.Kind.REMOVED}
    wanted = Q(pk__in=contacts | pending)
    if user.company_id is not None:
        wanted |= Q(company_id=user.company_id) & ~Q(pk__in=removed)
    blocks = list(_blocks_with(user.pk).values_list("blocker_id", "blocked_id"))
    i_blocked = {blocked for blocker, blocked in blocks if blocker == user.pk}
    blocked_me = {blocker for blocker, blocked in blocks if blocked == user.pk}
    people = (
        User.objects.filter(wanted, is_active=True)
        .exclude(pk=user.pk)
        .exclude(pk__in=i_blocked)
        .select_related("profile")
    )
    if only is not None:
        people = people.filter(pk=only)
    entries = []
    for person in people:
        colleague = user.company_id is not None and person.company_id == user.company_id
        if person.pk in blocked_me and not colleague:
            continue  # (a colleague who blocked me stays, always Offline)
        if person.pk in contacts:
            relation = "contact"
        elif colleague:
            relation = "colleague"
        else:
            relation = "pending"  # a declined request looks pending to its sender
        favourite = relation != "pending" and marks.get(person.pk) == MonitorMark.Kind.FAVOURITE
        group = "favourites" if favourite else "company" if colleague else "contacts"
        visible = (
            relation != "pending"
            and person.pk not in blocked_me
            and may_see_presence(viewer=user, person=person, contacts=contacts)
        )
        entries.append(MonitorPerson(person, group, relation, favourite, visible))
    return entries


def monitor_entry(*, user: User, person_id: int) -> MonitorPerson | None:
    """How one person appears in the user's Online Monitor, or None if not at all."""
    entries = monitor_people(user=user, only=person_id)
    return entries[0] if entries else None


def contact_request_inbox(*, user: User) -> QuerySet[ContactRequest]:
    """Requests waiting for this user's answer."""
    return (
        _live_requests()
        .filter(recipient=user, state=ContactRequest.State.PENDING)
        .exclude(sender_id__in=Block.objects.filter(blocker=user).values("blocked_id"))
        .filter(sender__is_active=True)
        .select_related("sender__profile", "sender__company")
    )


def contact_request_outbox(*, user: User) -> QuerySet[ContactRequest]:
    """Requests this user sent that are not accepted (a declined one looks pending)."""
    return (
        _live_requests()
        .filter(sender=user)
        .exclude(state=ContactRequest.State.ACCEPTED)
        .select_related("recipient__profile", "recipient__company")
    )


def monitor_addable(*, user: User) -> QuerySet[User]:
    """People the user may name by id to add to the Online Monitor (or block): those they
    may see already, and people of other companies who let themselves be found."""
    outsiders = Q(is_active=True, company__isnull=False, profile__directory_visible_outside=True)
    return User.objects.filter(Q(pk__in=person_list(user=user).values("pk")) | outsiders).exclude(
        pk=user.pk
    )


def block_list(*, user: User) -> QuerySet[Block]:
    """People this user blocked."""
    return Block.objects.filter(blocker=user).select_related("blocked")


def reachable_by_email(*, user: User, email: str) -> User | None:
    """Whom the user may add to their Online Monitor by email: an active colleague, or
    someone outside the company who lets themselves be found and takes requests from anyone.
    Anyone else is None, so the answer tells nothing about who has an account."""
    person = (
        User.objects.filter(email__iexact=email.strip(), is_active=True)
        .select_related("profile")
        .exclude(pk=user.pk)
        .first()
    )
    if person is None:
        return None
    if user.company_id is not None and person.company_id == user.company_id:
        return person
    profile = person.profile
    if (
        profile.directory_visible_outside
        and profile.contact_requests_from == Profile.ContactRequestsFrom.ANYONE
    ):
        return person
    return None


@dataclass(frozen=True)
class PresenceAudience:
    """Who hears about a user's presence, and what: see accounts.presence.publish."""

    company_id: int | None
    visibility: str
    contacts: dict[int, int | None]  # contact id -> their company id
    blocked: frozenset[int]


def presence_audience(*, user_id: int) -> PresenceAudience:
    """The facts about a user that decide who may hear of their presence."""
    company_id, visibility = (
        User.objects.filter(pk=user_id).values_list("company_id", "profile__presence_visibility")
    ).first() or (None, Profile.PresenceVisibility.NOBODY)
    ids = contact_ids(user_id=user_id)
    contacts: dict[int, int | None] = dict(
        User.objects.filter(pk__in=ids, is_active=True).values_list("pk", "company_id")
    )
    return PresenceAudience(
        company_id=company_id,
        visibility=visibility or Profile.PresenceVisibility.COMPANY,
        contacts=contacts,
        blocked=frozenset(blocked_ids(user_id=user_id)),
    )


def reachable_users(*, user: User) -> QuerySet[User]:
    """Everyone `user` may call or message (see may_reach): active colleagues and accepted
    contacts, without anyone blocked either way."""
    wanted = Q(pk__in=contact_ids(user_id=user.pk))
    if user.company_id is not None:
        wanted |= Q(company_id=user.company_id)
    return (
        User.objects.filter(wanted, is_active=True)
        .exclude(pk=user.pk)
        .exclude(pk__in=blocked_ids(user_id=user.pk))
    )


def may_reach(*, user: User, other: User) -> bool:
    """Whether `user` may call or message `other`: both active, not blocked either way, and
    colleagues or accepted contacts."""
    if user.pk == other.pk or not (user.is_active and other.is_active):
        return False
    if is_blocked(user_id=user.pk, other_id=other.pk):
        return False
    if user.company_id is not None and user.company_id == other.company_id:
        return True
    return is_contact(user_id=user.pk, other_id=other.pk)
