"""Writes of address books and contacts; imports live in contacts.importing."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from accounts.models import User
from contacts import normalise, selectors
from contacts.formats import records
from contacts.models import Address, AddressBook, Contact, ContactGroup, Email, Phone
from uc_web.lib import media
from uc_web.lib import phones as phone_rule
from uc_web.lib.exceptions import ApplicationError, PermissionDenied

DEFAULT_BOOK_NAME = "Personal"
TRASH_DAYS = 30
PHOTO_FOLDER = "contacts"


# --- Address books -----------------------------------------------------------------------
def book_ensure_default(*, user: User) -> AddressBook:
    """The user's "Personal" book, created on first use."""
    book = selectors.book_get_default(user=user)
    if book is not None:
        return book
    try:
        with transaction.atomic():
            return AddressBook.objects.create(owner=user, name=DEFAULT_BOOK_NAME, is_default=True)
    except IntegrityError:
        # Two first requests at once: the other one created it.
        return AddressBook.objects.get(owner=user, is_default=True)


def _book_name(owner: User, name: str, exclude_pk: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ApplicationError(_("Give the address book a name."), code="name_required")
    if len(name) > 100:
        raise ApplicationError(_("A book name has at most 100 characters."), code="name_too_long")
    clash = AddressBook.objects.filter(owner=owner, name__iexact=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ApplicationError(
            _("You already have an address book called “%(name)s”.") % {"name": name},
            code="name_taken",
        )
    return name


def book_create(*, owner: User, name: str) -> AddressBook:
    """Add an address book."""
    book_ensure_default(user=owner)
    book = AddressBook(owner=owner, name=_book_name(owner, name))
    book.full_clean()
    book.save()
    return book


def book_rename(*, book: AddressBook, name: str, by: User) -> AddressBook:
    """Rename one of the user's address books."""
    if book.owner_id != by.pk:
        raise PermissionDenied()
    book.name = _book_name(by, name, exclude_pk=book.pk)
    book.full_clean()
    book.save(update_fields=["name"])
    return book


@transaction.atomic
def book_delete(*, book: AddressBook, by: User) -> int:
    """Remove an address book and its contacts (the default book stays); returns how many
    contacts went with it."""
    if book.owner_id != by.pk:
        raise PermissionDenied()
    if book.is_default:
        raise ApplicationError(
            _("Your Personal address book cannot be removed."), code="default_book"
        )
    count = book.contacts.count()
    _photos_delete_on_commit(Contact.objects.filter(book=book))
    book.delete()
    return count


# --- Contacts ----------------------------------------------------------------------------
@dataclass
class ContactInput:
    """What a person enters for a contact (form or API); phone numbers as typed.
    Phones are (kind, number) or (kind, number, label); e-mails likewise; the labelled
    lists (urls, dates, related, ims) are (label, value) pairs; `groups` are names of
    groups of the contact's book (None: leave the contact's groups as they are)."""

    given_name: str = ""
    family_name: str = ""
    company: str = ""
    job_title: str = ""
    notes: str = ""
    birthday: str = ""
    name_prefix: str = ""
    middle_name: str = ""
    name_suffix: str = ""
    nickname: str = ""
    phonetic_given_name: str = ""
    phonetic_middle_name: str = ""
    phonetic_family_name: str = ""
    department: str = ""
    role: str = ""
    emails: list[tuple[str, ...]] = field(default_factory=list)
    phones: list[tuple[str, ...]] = field(default_factory=list)
    addresses: list[dict[str, str]] = field(default_factory=list)
    urls: list[tuple[str, str]] = field(default_factory=list)
    dates: list[tuple[str, str]] = field(default_factory=list)
    related: list[tuple[str, str]] = field(default_factory=list)
    ims: list[tuple[str, str]] = field(default_factory=list)
    groups: list[str] | None = None
    linked_user_id: int | None = None


def _triples(pairs: list[tuple[str, ...]]) -> list[tuple[str, str, str]]:
    return [(p[0], p[1], p[2] if len(p) > 2 else "") for p in pairs if len(p) > 1 and p[1].strip()]


def _validated(
    data: ContactInput, by: User, keep_unverified: set[str] | None = None
) -> records.ContactData:
    """Normalise a person's input; unlike an import, any bad field is refused, and so is a
    number that is not valid for its country, unless it is one the contact already has
    unverified (kept as typed by an import) and it was not changed."""
    parsed = records.ParsedContact(
        line=0,
        **{name: getattr(data, name) for name in records.TEXT_FIELDS},
        notes=data.notes,
        birthday=data.birthday,
        emails=_triples(data.emails),
        phones=_triples(data.phones),
        addresses=data.addresses,
        urls=list(data.urls),
        dates=list(data.dates),
        related=list(data.related),
        ims=list(data.ims),
        groups=list(data.groups or []),
    )
    country = selectors.dialling_country_for(by)
    clean = records.clean(parsed, country, date_order="ymd")
    if isinstance(clean, records.Rejected):
        raise ApplicationError(
            _("Give the contact a name, a company, an email address or a phone number."),
            code="empty_contact",
        )
    refused = [n for n in clean.unverified if n not in (keep_unverified or set())]
    problems = list(clean.problems)
    if refused:
        where = phones_country(country)
        problems.append(
            _(
                "%(numbers)s is not a valid phone number%(where)s; check it, or start it "
                "with + and the country code"
            )
            % {"numbers": ", ".join(refused), "where": where}
        )
    if problems:
        message = "; ".join(problems)
        raise ApplicationError(message[:1].upper() + message[1:] + ".", code="invalid_field")
    return clean


def phones_country(country: str) -> str:
    return _(" for %(country)s") % {"country": countries.name(country)} if country else ""


def _linked_user(by: User, user_id: int | None) -> User | None:
    if not user_id:
        return None
    user = selectors.linkable_users(user=by).filter(pk=user_id).first()
    if user is None:
        raise ApplicationError(_("That user cannot be linked."), code="invalid_user")
    return user


def search_values(
    words: list[str], phones: list[str], phone_keys: list[str] | None = None
) -> tuple[str, str]:
    """The folded search columns (search_text, search_phones) of a contact's names, company
    and e-mails, and of its E.164 numbers (or their search keys, when known already)."""
    if phone_keys is None:
        phone_keys = [phone_rule.search_key(p) for p in phones]
    return normalise.fold(" ".join(w for w in words if w)), " ".join(phone_keys)


def search_fields(
    contact: Contact, emails: list[str], phones: list[str], phone_keys: list[str] | None = None
) -> None:
    """Fill the folded search columns of a contact from its values."""
    words = [
        contact.display_name,
        contact.given_name,
        contact.family_name,
        contact.company,
        contact.nickname,
    ]
    contact.search_text, contact.search_phones = search_values(words + emails, phones, phone_keys)


def _write_children(contact: Contact, data: records.ContactData) -> None:
    Phone.objects.bulk_create(
        Phone(contact=contact, kind=k, number=n, extension=x, label=lb, verified=v, position=i)
        for i, (k, n, x, lb, v) in enumerate(data.phones)
    )
    Email.objects.bulk_create(
        Email(contact=contact, kind=k, address=a, label=lb, position=i)
        for i, (k, a, lb) in enumerate(data.emails)
    )
    Address.objects.bulk_create(
        Address(contact=contact, position=i, **a) for i, a in enumerate(data.addresses)
    )


def _set_fields(contact: Contact, clean: records.ContactData) -> None:
    for name in (*records.TEXT_FIELDS, "notes", "birth_year", "birth_month", "birth_day"):
        setattr(contact, name, getattr(clean, name))
    for name in records.LABELLED_LISTS:
        setattr(contact, name, getattr(clean, name))


def _auto_link(by: User, emails: list[tuple[str, str, str]]) -> User | None:
    addresses = [e[1] for e in emails]
    if not addresses:
        return None
    return selectors.linkable_users(user=by).filter(email__in=addresses).first()


def _photo_store(contact: Contact, upload: IO[bytes]) -> list[str]:
    """Put a new photo through the image pipeline (checks, 256/64 px WebP, no metadata) and
    return the names of the files it replaces; ImageRejected says what is wrong with it."""
    stored = media.image_store(upload, folder=PHOTO_FOLDER, fit="crop")
    old = contact.photo_names
    contact.photo, contact.photo_small = stored.large, stored.small
    return old


def _photos_delete_on_commit(contacts: "models.QuerySet[Contact]") -> None:
    names = [n for pair in contacts.values_list("photo", "photo_small") for n in pair if n]
    if names:
        transaction.on_commit(lambda: media.image_delete(names))


@transaction.atomic
def contact_create(
    *, by: User, book: AddressBook, data: ContactInput, photo: IO[bytes] | None = None
) -> Contact:
    """Add a contact to one of the user's books."""
    if book.owner_id != by.pk:
        raise PermissionDenied()
    clean = _validated(data, by)
    contact = Contact(
        book=book,
        owner=by,
        display_name=clean.display_name,
        linked_user=_linked_user(by, data.linked_user_id) or _auto_link(by, clean.emails),
    )
    _set_fields(contact, clean)
    search_fields(
        contact, [e[1] for e in clean.emails], [p[1] for p in clean.phones], clean.phone_keys
    )
    try:
        contact.full_clean()
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), code="invalid") from error
    if photo is not None:
        _photo_store(contact, photo)  # last: a refused photo leaves nothing behind
    try:
        contact.save()
        _write_children(contact, clean)
        _groups_set(contact, clean.groups)
    except Exception:
        media.image_delete(contact.photo_names)
        raise
    return contact


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    by: User,
    data: ContactInput,
    book: AddressBook | None = None,
    photo: IO[bytes] | None = None,
    remove_photo: bool = False,
) -> Contact:
    """Change a contact: its fields, numbers, e-mails and addresses are replaced."""
    if contact.owner_id != by.pk or (book is not None and book.owner_id != by.pk):
        raise PermissionDenied()
    kept = {p.number for p in contact.phones.all() if not p.verified}
    clean = _validated(data, by, keep_unverified=kept)
    group_names = [g.name for g in contact.groups.all()] if data.groups is None else clean.groups
    linked = _linked_user(by, data.linked_user_id) if data.linked_user_id is not None else None
    old_photos: list[str] = []
    if photo is not None:
        # Before the contact is touched: a refused photo changes nothing.
        old_photos = _photo_store(contact, photo)
    elif remove_photo:
        old_photos = contact.photo_names
        contact.photo = contact.photo_small = ""
    # An imported contact known only by its full name ("Dr. Chen Wei") keeps it while no
    # first or last name is entered.
    keeps_full_name = (
        not (clean.given_name or clean.family_name)
        and contact.display_name
        and contact.display_name
        not in (f"{contact.given_name} {contact.family_name}".strip(), contact.company)
    )
    _set_fields(contact, clean)
    if not keeps_full_name:
        contact.display_name = clean.display_name
    if book is not None:
        contact.book = book
    if data.linked_user_id is not None:
        contact.linked_user = linked
    contact.updated_at = timezone.now()
    search_fields(
        contact, [e[1] for e in clean.emails], [p[1] for p in clean.phones], clean.phone_keys
    )
    try:
        contact.save()
        contact.phones.all().delete()
        contact.emails.all().delete()
        contact.addresses.all().delete()
        _write_children(contact, clean)
        _groups_set(contact, group_names)
    except Exception:
        if photo is not None:
            media.image_delete(contact.photo_names)
        raise
    transaction.on_commit(lambda: media.image_delete(old_photos))
    return contact


# --- Groups ------------------------------------------------------------------------------
def _group_name(book: AddressBook, name: str, exclude_pk: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ApplicationError(_("Give the group a name."), code="name_required")
    if len(name) > 100:
        raise ApplicationError(_("A group name has at most 100 characters."), code="name_too_long")
    clash = ContactGroup.objects.filter(book=book, name__iexact=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ApplicationError(
            _("This book already has a group called “%(name)s”.") % {"name": name},
            code="name_taken",
        )
    return name


def group_create(*, by: User, book: AddressBook, name: str) -> ContactGroup:
    """Add a group to one of the user's books."""
    if book.owner_id != by.pk:
        raise PermissionDenied()
    group = ContactGroup(book=book, name=_group_name(book, name))
    group.full_clean()
    group.save()
    return group


def group_rename(*, group: ContactGroup, by: User, name: str) -> ContactGroup:
    """Rename a group; its members stay."""
    if group.book.owner_id != by.pk:
        raise PermissionDenied()
    group.name = _group_name(group.book, name, exclude_pk=group.pk)
    group.save(update_fields=["name"])
    return group


def group_delete(*, group: ContactGroup, by: User) -> None:
    """Remove a group; its members stay in the book."""
    if group.book.owner_id != by.pk:
        raise PermissionDenied()
    group.delete()


@transaction.atomic
def group_members_set(*, group: ContactGroup, by: User, contacts: list[Contact]) -> ContactGroup:
    """Make exactly `contacts` (of the group's book) the group's members."""
    if group.book.owner_id != by.pk:
        raise PermissionDenied()
    if any(c.book_id != group.book_id or c.owner_id != by.pk for c in contacts):
        raise ApplicationError(
            _("Only contacts of the group's address book can be its members."),
            code="invalid_member",
        )
    group.members.set(contacts)
    return group


def _groups_set(contact: Contact, names: list[str]) -> None:
    """The contact's groups by name, in its book; missing groups are created."""
    wanted = {n.lower(): n for n in names if n.strip()}
    existing = {g.name.lower(): g for g in ContactGroup.objects.filter(book_id=contact.book_id)}
    groups = []
    for key, name in wanted.items():
        group = existing.get(key)
        if group is None:
            group = ContactGroup.objects.create(book_id=contact.book_id, name=name[:100])
        groups.append(group)
    contact.groups.set(groups)


def contact_delete(*, contact: Contact, by: User) -> Contact:
    """Move a contact to the trash, from where it can be restored for 30 days."""
    if contact.owner_id != by.pk:
        raise PermissionDenied()
    contact.deleted_at = timezone.now()
    contact.save(update_fields=["deleted_at"])
    return contact


def contact_restore(*, contact: Contact, by: User) -> Contact:
    """Bring a contact back from the trash."""
    if contact.owner_id != by.pk:
        raise PermissionDenied()
    contact.deleted_at = None
    contact.save(update_fields=["deleted_at"])
    return contact


def contact_purge(*, contact: Contact, by: User) -> None:
    """Delete a contact from the trash for good."""
    if contact.owner_id != by.pk:
        raise PermissionDenied()
    if contact.deleted_at is None:
        raise ApplicationError(_("Only contacts in the trash can be deleted for good."))
    old_photos = contact.photo_names
    contact.delete()
    transaction.on_commit(lambda: media.image_delete(old_photos))


def trash_purge_expired() -> int:
    """Delete contacts that have been in the trash longer than TRASH_DAYS."""
    cutoff = timezone.now() - timedelta(days=TRASH_DAYS)
    expired = Contact.objects.filter(deleted_at__lt=cutoff)
    with transaction.atomic():
        _photos_delete_on_commit(expired)
        deleted, _by_model = expired.delete()
    return deleted
