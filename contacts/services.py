"""Writes of address books and contacts; imports live in contacts.importing."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from contacts import normalise, selectors
from contacts.formats import records
from contacts.models import Address, AddressBook, Contact, Email, Phone
from uc_web.lib import media
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
    """What a person enters for a contact (form or API); phone numbers as typed."""

    given_name: str = ""
    family_name: str = ""
    company: str = ""
    job_title: str = ""
    notes: str = ""
    birthday: str = ""
    emails: list[tuple[str, str]] = field(default_factory=list)
    phones: list[tuple[str, str]] = field(default_factory=list)
    addresses: list[dict[str, str]] = field(default_factory=list)
    linked_user_id: int | None = None


def _validated(data: ContactInput, by: User) -> records.ContactData:
    """Normalise a person's input; unlike an import, any bad field is refused."""
    parsed = records.ParsedContact(
        line=0,
        given_name=data.given_name,
        family_name=data.family_name,
        company=data.company,
        job_title=data.job_title,
        notes=data.notes,
        birthday=data.birthday,
        emails=[(k, v) for k, v in data.emails if v.strip()],
        phones=[(k, v) for k, v in data.phones if v.strip()],
        addresses=data.addresses,
    )
    clean = records.clean(parsed, selectors.dialling_country_for(by))
    if isinstance(clean, records.Rejected):
        raise ApplicationError(
            _("Give the contact a name, a company, an email address or a phone number."),
            code="empty_contact",
        )
    if clean.problems:
        message = "; ".join(clean.problems)
        raise ApplicationError(message[:1].upper() + message[1:] + ".", code="invalid_field")
    return clean


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
        phone_keys = [normalise.phone_search_key(p) for p in phones]
    return normalise.fold(" ".join(w for w in words if w)), " ".join(phone_keys)


def search_fields(
    contact: Contact, emails: list[str], phones: list[str], phone_keys: list[str] | None = None
) -> None:
    """Fill the folded search columns of a contact from its values."""
    words = [contact.display_name, contact.given_name, contact.family_name, contact.company]
    contact.search_text, contact.search_phones = search_values(words + emails, phones, phone_keys)


def _write_children(contact: Contact, data: records.ContactData) -> None:
    Phone.objects.bulk_create(
        Phone(contact=contact, kind=k, number=n, extension=x, position=i)
        for i, (k, n, x) in enumerate(data.phones)
    )
    Email.objects.bulk_create(
        Email(contact=contact, kind=k, address=a, position=i)
        for i, (k, a) in enumerate(data.emails)
    )
    Address.objects.bulk_create(
        Address(contact=contact, position=i, **a) for i, a in enumerate(data.addresses)
    )


def _auto_link(by: User, emails: list[tuple[str, str]]) -> User | None:
    addresses = [a for _k, a in emails]
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
        given_name=clean.given_name,
        family_name=clean.family_name,
        display_name=clean.display_name,
        company=clean.company,
        job_title=clean.job_title,
        notes=clean.notes,
        birth_year=clean.birth_year,
        birth_month=clean.birth_month,
        birth_day=clean.birth_day,
        linked_user=_linked_user(by, data.linked_user_id) or _auto_link(by, clean.emails),
    )
    search_fields(contact, [a for _k, a in clean.emails], [n for _k, n, _x in clean.phones])
    try:
        contact.full_clean()
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), code="invalid") from error
    if photo is not None:
        _photo_store(contact, photo)  # last: a refused photo leaves nothing behind
    try:
        contact.save()
        _write_children(contact, clean)
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
    clean = _validated(data, by)
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
    for name in (
        "given_name",
        "family_name",
        "company",
        "job_title",
        "notes",
        "birth_year",
        "birth_month",
        "birth_day",
    ):
        setattr(contact, name, getattr(clean, name))
    if not keeps_full_name:
        contact.display_name = clean.display_name
    if book is not None:
        contact.book = book
    if data.linked_user_id is not None:
        contact.linked_user = linked
    contact.updated_at = timezone.now()
    search_fields(contact, [a for _k, a in clean.emails], [n for _k, n, _x in clean.phones])
    try:
        contact.save()
        contact.phones.all().delete()
        contact.emails.all().delete()
        contact.addresses.all().delete()
        _write_children(contact, clean)
    except Exception:
        if photo is not None:
            media.image_delete(contact.photo_names)
        raise
    transaction.on_commit(lambda: media.image_delete(old_photos))
    return contact


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
