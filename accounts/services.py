from collections.abc import Iterable
from typing import IO, Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, presence, roles, selectors
from accounts.models import (
    Block,
    Company,
    ContactRequest,
    MonitorMark,
    Profile,
    Region,
    User,
)
from uc_web.lib import media, publicid, ratelimit, realtime
from uc_web.lib.exceptions import ApplicationError, PermissionDenied

PROFILE_FIELDS = frozenset(Profile.EDITABLE_FIELDS)
USER_FIELDS = frozenset({"first_name", "last_name"})
COMPANY_FIELDS = frozenset(
    {
        "name",
        "address",
        "website",
        "phone",
        "default_time_zone",
        "default_dialling_country",
        "calls_via_server",
    }
)


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
        raise ApplicationError(
            _("A user with this email address already exists."), code="email_taken"
        )
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
    profile_create(user=user)
    if roles_:
        user.groups.set(Group.objects.filter(name__in=roles_))
    return user


def profile_create(*, user: User) -> Profile:
    """Give a new member their profile, starting from the company's defaults."""
    company = user.company
    profile = Profile(
        user=user,
        time_zone=company.default_time_zone if company else "",
        dialling_country=company.default_dialling_country if company else "",
    )
    profile.full_clean()
    profile.save()
    return profile


def profile_ensure(*, user: User) -> Profile:
    """The user's profile, created with the company's defaults if they have none yet."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        return profile_create(user=user)


@transaction.atomic
def profile_update(*, user: User, data: dict[str, Any]) -> Profile:
    """Change the user's own details, preferences and options (validated values)."""
    unknown = set(data) - PROFILE_FIELDS - USER_FIELDS
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(unknown)}
        )
    profile = profile_ensure(user=user)
    user_changed = [f for f in USER_FIELDS & set(data) if getattr(user, f) != data[f]]
    profile_changed = [f for f in PROFILE_FIELDS & set(data) if getattr(profile, f) != data[f]]
    for field in user_changed:
        setattr(user, field, data[field].strip())
    for field in profile_changed:
        setattr(profile, field, data[field])
    if user_changed:
        user.full_clean(exclude=["password"])
        user.save(update_fields=user_changed)
    if profile_changed:
        profile.full_clean()
        profile.save(update_fields=profile_changed)
    if "presence_visibility" in profile_changed:
        user_id, company_id = user.pk, user.company_id
        transaction.on_commit(
            lambda: presence.presence_republish(user_id=user_id, company_id=company_id)
        )
    return profile


def _check_regions(*, company: Company | None, regions: Iterable[Region]) -> list[Region]:
    regions = list(regions)
    for region in regions:
        if region.kind == Region.Kind.MARKET and (
            company is None or region.company_id != company.pk
        ):
            raise ApplicationError(_("Choose countries or your own company's markets."))
    return regions


def profile_regions_set(*, user: User, regions: Iterable[Region]) -> Profile:
    """Set the markets the user belongs to: countries or markets of their own company."""
    profile = profile_ensure(user=user)
    profile.regions.set(_check_regions(company=user.company, regions=regions))
    return profile


@transaction.atomic
def profile_photo_set(*, user: User, upload: IO[bytes]) -> Profile:
    """Store a new photo through the image pipeline; the old files go once committed."""
    profile = profile_ensure(user=user)
    stored = media.image_store(upload, folder="avatars", fit="crop")
    old = [profile.avatar_large, profile.avatar_small]
    profile.avatar_large, profile.avatar_small = stored.large, stored.small
    profile.save(update_fields=["avatar_large", "avatar_small"])
    transaction.on_commit(lambda: media.image_delete(old))
    return profile


@transaction.atomic
def profile_photo_remove(*, user: User) -> Profile:
    """Remove the user's photo; initials are shown instead."""
    profile = profile_ensure(user=user)
    old = [profile.avatar_large, profile.avatar_small]
    profile.avatar_large = profile.avatar_small = ""
    profile.save(update_fields=["avatar_large", "avatar_small"])
    transaction.on_commit(lambda: media.image_delete(old))
    return profile


def _check_company_admin(*, company: Company, by: User) -> None:
    if not by.is_superuser and (
        by.company_id != company.pk or not by.has_perm("accounts.manage_company")
    ):
        raise PermissionDenied(_("Only this company's admins may change it."))


@transaction.atomic
def company_update(*, company: Company, by: User, data: dict[str, Any]) -> Company:
    """Change the company profile (company admins of that company only)."""
    _check_company_admin(company=company, by=by)
    unknown = set(data) - COMPANY_FIELDS
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(unknown)}
        )
    changed = [f for f in data if getattr(company, f) != data[f]]
    for field in changed:
        setattr(company, field, data[field])
    if changed:
        company.full_clean()
        company.save(update_fields=changed)
    return company


@transaction.atomic
def company_mfa_required_set(
    *, company: Company, by: User, required: bool, request: Any = None
) -> Company:
    """Require (or stop requiring) two-factor sign-in for everyone in the company."""
    _check_company_admin(company=company, by=by)
    if company.mfa_required != required:
        company.mfa_required = required
        company.save(update_fields=["mfa_required"])
        audit.record(
            kind=audit.Kind.MFA_REQUIREMENT_CHANGED,
            subject=by,
            actor=by,
            company=company,
            request=request,
            detail="required" if required else "no longer required",
        )
    return company


def company_regions_set(*, company: Company, by: User, regions: Iterable[Region]) -> Company:
    """Set the countries and markets the company serves."""
    _check_company_admin(company=company, by=by)
    company.regions.set(_check_regions(company=company, regions=regions))
    return company


@transaction.atomic
def company_logo_set(*, company: Company, by: User, upload: IO[bytes]) -> Company:
    """Store a new logo through the image pipeline (not cropped); old files go on commit."""
    _check_company_admin(company=company, by=by)
    stored = media.image_store(upload, folder="logos", fit="contain")
    old = [company.logo_large, company.logo_small]
    company.logo_large, company.logo_small = stored.large, stored.small
    company.save(update_fields=["logo_large", "logo_small"])
    transaction.on_commit(lambda: media.image_delete(old))
    return company


@transaction.atomic
def company_logo_remove(*, company: Company, by: User) -> Company:
    """Remove the company logo."""
    _check_company_admin(company=company, by=by)
    old = [company.logo_large, company.logo_small]
    company.logo_large = company.logo_small = ""
    company.save(update_fields=["logo_large", "logo_small"])
    transaction.on_commit(lambda: media.image_delete(old))
    return company


def market_create(*, company: Company, by: User, name: str) -> Region:
    """Define a named market (such as "UK retail") for the company."""
    _check_company_admin(company=company, by=by)
    name = name.strip()
    if Region.objects.filter(kind=Region.Kind.MARKET, company=company, name__iexact=name).exists():
        raise ApplicationError(_("Your company already has a market with this name."))
    region = Region(kind=Region.Kind.MARKET, company=company, name=name)
    region.full_clean()
    region.save()
    return region


def market_delete(*, region: Region, by: User) -> None:
    """Delete one of the company's named markets; members and the company lose it."""
    if region.kind != Region.Kind.MARKET or region.company is None:
        raise ApplicationError(_("Only a company's own markets can be deleted."))
    _check_company_admin(company=region.company, by=by)
    region.delete()


def _check_roles(roles_: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(roles_))
    unknown = set(chosen) - set(roles.ROLE_PERMISSIONS)
    if unknown:
        raise ApplicationError(_("These are not roles: %(names)s") % {"names": ", ".join(unknown)})
    return chosen


@transaction.atomic
def user_invite(
    *,
    company: Company,
    by: User,
    email: str,
    base_url: str,
    first_name: str = "",
    last_name: str = "",
    roles_: Iterable[str] = (),
) -> User:
    """A company admin adds someone to their company: an account without a password, the
    roles chosen, and an email with a link to join (the app's page and Django admin)."""
    _check_company_admin(company=company, by=by)
    user = user_create(
        company=company,
        email=email,
        password=None,
        first_name=first_name,
        last_name=last_name,
        roles_=_check_roles(roles_),
    )
    audit.record(kind=audit.Kind.INVITED, subject=user, actor=by, detail=", ".join(roles_))
    return user_invitation_send(user=user, by=by, base_url=base_url)


def user_invitation_send(*, user: User, base_url: str, by: User | None = None) -> User:
    """Mark the user invited and email them a link to join (on commit)."""
    from accounts import tasks

    user.invited_at = timezone.now()
    user.save(update_fields=["invited_at"])
    user_id, by_id = user.pk, by.pk if by is not None else None
    transaction.on_commit(lambda: tasks.user_invitation_mail.delay(user_id, base_url, by_id))
    return user


def _check_pending_invitation(*, user: User, by: User) -> None:
    if user.company is None:
        raise PermissionDenied(_("Only this company's admins may change it."))
    _check_company_admin(company=user.company, by=by)
    if not user.is_active or not user.is_invited:
        raise ApplicationError(
            _("%(email)s has already joined, so there is no invitation to change.")
            % {"email": user.email},
            code="not_invited",
        )


@transaction.atomic
def user_invitation_resend(*, user: User, by: User, base_url: str) -> User:
    """Send an invitation again with a fresh link (the old link keeps working until used)."""
    _check_pending_invitation(user=user, by=by)
    return user_invitation_send(user=user, by=by, base_url=base_url)


@transaction.atomic
def user_invitation_revoke(*, user: User, by: User) -> None:
    """Withdraw an invitation: its link stops working and the address can be invited again.

    The account goes, unless someone already called it (calls keep both people); then it
    is deactivated and its link made useless instead."""
    _check_pending_invitation(user=user, by=by)
    audit.record(kind=audit.Kind.INVITATION_REVOKED, subject=user, actor=by)
    try:
        with transaction.atomic():
            user.delete()
    except ProtectedError:
        user.is_active = False
        user.invited_at = None
        user.set_unusable_password()  # a new hash: the mailed link no longer matches
        user.save(update_fields=["is_active", "invited_at", "password"])
        user_sessions_revalidate(user=user)


def user_set_password(*, user: User, password: str) -> User:
    """Change a password; the user's other sessions end and their sockets close."""
    user.set_password(password)
    user.save(update_fields=["password"])
    user_sessions_revalidate(user=user)
    return user


def user_deactivate(*, user: User, by: User | None = None) -> User:
    """Deactivate a user, keeping their history; their sockets close."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit.record(kind=audit.Kind.DEACTIVATED, subject=user, actor=by)
    user_sessions_revalidate(user=user)
    return user


def user_roles_set(*, user: User, roles_: Iterable[Group], by: User | None = None) -> User:
    """Set a user's role groups; only company admins use the admin site (is_staff)."""
    groups = list(roles_)
    before = sorted(user.groups.values_list("name", flat=True))
    user.groups.set(groups)
    after = sorted(g.name for g in groups)
    if before != after:
        audit.record(
            kind=audit.Kind.ROLES_CHANGED,
            subject=user,
            actor=by,
            detail=f"{', '.join(before) or '-'} → {', '.join(after) or '-'}",
        )
    is_admin = any(g.name == roles.COMPANY_ADMIN for g in groups)
    if not user.is_superuser and user.is_staff != is_admin:
        user.is_staff = is_admin
        user.save(update_fields=["is_staff"])
    return user


def user_sessions_revalidate(*, user: User) -> None:
    """Make every open socket of the user re-check its session (after commit)."""
    user_id = user.pk
    transaction.on_commit(lambda: realtime.revalidate_sessions(user_id))


# --- contact requests, blocks and the Online Monitor ---------------------------------


def _monitor_changed(*user_ids: int) -> None:
    """After commit, each user's Online Monitor reloads its snapshot (who is in it)."""
    ids = list(user_ids)
    transaction.on_commit(lambda: realtime.send_to_users(ids, {"type": "monitor.changed"}))


def _not_allowed() -> ApplicationError:
    # One message for every refusal, so a request tells nothing about the other person.
    return ApplicationError(
        _("You cannot send a contact request to this person."), code="not_allowed"
    )


@transaction.atomic
def contact_request_send(*, sender: User, recipient: User, message: str = "") -> ContactRequest:
    """Ask `recipient` to become contacts; if they asked first, that makes us contacts."""
    if recipient.pk == sender.pk:
        raise ApplicationError(_("You cannot add yourself."), code="self")
    if not recipient.is_active or selectors.is_blocked(user_id=sender.pk, other_id=recipient.pk):
        raise _not_allowed()
    outsider = sender.company_id is None or sender.company_id != recipient.company_id
    wants = profile_ensure(user=recipient).contact_requests_from
    if outsider and wants == Profile.ContactRequestsFrom.COMPANY:
        raise _not_allowed()
    if selectors.is_contact(user_id=sender.pk, other_id=recipient.pk):
        raise ApplicationError(_("You are already contacts."), code="already_contacts")
    cutoff = selectors.contact_request_cutoff()
    theirs = (
        ContactRequest.objects.select_for_update()
        .filter(sender=recipient, recipient=sender)
        .first()
    )
    if theirs is not None and theirs.created_at < cutoff:
        theirs.delete()  # expired: they may no longer want it, so it counts for nothing
    elif theirs is not None:  # pending, or declined earlier and now wanted after all
        return contact_request_accept(request=theirs, by=sender)
    mine = ContactRequest.objects.select_for_update().filter(sender=sender, recipient=recipient)
    existing = mine.first()
    if existing is not None and existing.created_at >= cutoff:
        return existing  # asking again changes nothing (a declined one stays declined)
    if ratelimit.hit("contact_request.user", sender.pk):  # settings.RATE_LIMITS
        raise ApplicationError(
            _("You have sent many contact requests in the last hour. Try again later."),
            code="rate_limited",
        )
    if existing is not None:  # expired unanswered (or declined): asked afresh
        existing.delete()
    request = ContactRequest(sender=sender, recipient=recipient, message=" ".join(message.split()))
    request.full_clean()
    request.save()
    recipient_id, public_id = recipient.pk, publicid.of(request)
    transaction.on_commit(
        lambda: realtime.send_to_users(
            [recipient_id], {"type": "contact_request.received", "id": public_id}
        )
    )
    _monitor_changed(sender.pk, recipient.pk)
    return request


def _check_recipient(request: ContactRequest, by: User) -> None:
    if request.recipient_id != by.pk:
        raise PermissionDenied(_("Only the person asked can answer this request."))


@transaction.atomic
def contact_request_accept(*, request: ContactRequest, by: User) -> ContactRequest:
    """The recipient accepts: from now on both see each other's presence and may call."""
    _check_recipient(request, by)
    if request.state != ContactRequest.State.ACCEPTED:
        request.state = ContactRequest.State.ACCEPTED
        request.answered_at = timezone.now()
        request.save(update_fields=["state", "answered_at"])
        _monitor_changed(request.sender_id, request.recipient_id)
    return request


@transaction.atomic
def contact_request_decline(*, request: ContactRequest, by: User) -> ContactRequest:
    """The recipient declines; the sender is not told and cannot ask again until the
    request expires (ContactRequest.EXPIRES_AFTER)."""
    _check_recipient(request, by)
    if request.state == ContactRequest.State.PENDING:
        request.state = ContactRequest.State.DECLINED
        request.answered_at = timezone.now()
        request.save(update_fields=["state", "answered_at"])
        _monitor_changed(request.recipient_id)
    return request


@transaction.atomic
def contact_request_cancel(*, request: ContactRequest, by: User) -> None:
    """The sender withdraws a request that was not accepted."""
    if request.sender_id != by.pk or request.state == ContactRequest.State.ACCEPTED:
        raise PermissionDenied(_("Only the sender can withdraw an unanswered request."))
    request.delete()
    _monitor_changed(request.sender_id, request.recipient_id)


@transaction.atomic
def contact_requests_expire() -> int:
    """Delete the requests that expired unaccepted; both sides' monitors reload (periodic)."""
    expired = (
        ContactRequest.objects.select_for_update()
        .filter(created_at__lt=selectors.contact_request_cutoff())
        .exclude(state=ContactRequest.State.ACCEPTED)
    )
    pairs = list(expired.values_list("sender_id", "recipient_id"))
    if pairs:
        expired.delete()
        _monitor_changed(*sorted({pk for pair in pairs for pk in pair}))
    return len(pairs)


@transaction.atomic
def monitor_add(*, user: User, person: User, message: str = "") -> ContactRequest | None:
    """Add someone to the Online Monitor: a colleague directly, anyone else by a contact
    request (returned) that they accept or decline."""
    if user.company_id is not None and person.company_id == user.company_id:
        if person.pk == user.pk or not person.is_active:
            raise ApplicationError(_("You cannot add this person."), code="not_allowed")
        MonitorMark.objects.filter(
            owner=user, person=person, kind=MonitorMark.Kind.REMOVED
        ).delete()
        _monitor_changed(user.pk)
        return None
    return contact_request_send(sender=user, recipient=person, message=message)


@transaction.atomic
def monitor_remove(*, user: User, person: User) -> None:
    """Remove someone from the Online Monitor: ends a contact for both sides, withdraws an
    unanswered request, or hides a colleague (who can be added back)."""
    between = ContactRequest.objects.filter(
        Q(sender=user, recipient=person) | Q(sender=person, recipient=user)
    )
    accepted = between.filter(state=ContactRequest.State.ACCEPTED)
    if accepted.exists():
        accepted.delete()
        MonitorMark.objects.filter(
            Q(owner=user, person=person) | Q(owner=person, person=user),
            kind=MonitorMark.Kind.FAVOURITE,
        ).delete()
        _monitor_changed(user.pk, person.pk)
        return
    if between.filter(sender=user).delete()[0]:
        _monitor_changed(user.pk, person.pk)
        return
    if user.company_id is not None and person.company_id == user.company_id:
        MonitorMark.objects.update_or_create(
            owner=user, person=person, defaults={"kind": MonitorMark.Kind.REMOVED}
        )
        _monitor_changed(user.pk)
        return
    raise ApplicationError(_("This person is not in your Online Monitor."), code="not_in_monitor")


def monitor_favourite_set(*, user: User, person: User, favourite: bool) -> None:
    """Put a colleague or contact in the Favourites group of the Online Monitor, or back."""
    entry = selectors.monitor_entry(user=user, person_id=person.pk)
    if entry is None or entry.relation == "pending":
        raise ApplicationError(
            _("Only people in your Online Monitor can be favourites."), code="not_in_monitor"
        )
    if favourite:
        MonitorMark.objects.update_or_create(
            owner=user, person=person, defaults={"kind": MonitorMark.Kind.FAVOURITE}
        )
    else:
        MonitorMark.objects.filter(
            owner=user, person=person, kind=MonitorMark.Kind.FAVOURITE
        ).delete()
    _monitor_changed(user.pk)


@transaction.atomic
def block_create(*, blocker: User, blocked: User) -> Block:
    """Block someone: their requests stop, contacts end, presence is hidden both ways and
    neither can call the other."""
    if blocked.pk == blocker.pk:
        raise ApplicationError(_("You cannot block yourself."), code="self")
    block, _created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    ContactRequest.objects.filter(
        Q(sender=blocker, recipient=blocked) | Q(sender=blocked, recipient=blocker)
    ).delete()
    MonitorMark.objects.filter(
        Q(owner=blocker, person=blocked) | Q(owner=blocked, person=blocker)
    ).delete()
    _monitor_changed(blocker.pk, blocked.pk)
    return block


@transaction.atomic
def block_delete(*, blocker: User, blocked: User) -> None:
    """Unblock: presence between colleagues returns; a contact needs a new request."""
    if Block.objects.filter(blocker=blocker, blocked=blocked).delete()[0]:
        _monitor_changed(blocker.pk, blocked.pk)
