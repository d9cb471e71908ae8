"""Running an import (in a Celery task): read the file, normalise every contact, check
duplicates against the book, and write in batches with progress events; then the groups."""

import io
import json
import logging
import queue
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from accounts.models import User
from contacts import normalise, selectors, services
from contacts.formats import csvfile, records, sniff, vcard
from contacts.importing.uploading import announce, event, send_on_commit
from contacts.models import (
    Address,
    AddressBook,
    Contact,
    ContactGroup,
    ContactImport,
    Email,
    Phone,
)
from uc_web.lib import media
from uc_web.lib.exceptions import ApplicationError

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_REJECTED_REPORTED = 1000
_VCARD_BEGIN = re.compile(r"^(?:[\w-]+\.)?BEGIN:VCARD\s*$", re.IGNORECASE | re.MULTILINE)
# Contact row columns written as they are from ContactData (after the ids).
_DATA_COLUMNS = [
    *records.TEXT_FIELDS,
    "display_name",
    "birth_year",
    "birth_month",
    "birth_day",
    "notes",
    "uid",
]
_JSON_COLUMNS = [*records.LABELLED_LISTS, "vcard_extra"]


class DuplicateIndex:
    """What is already in the target book, to recognise a contact seen before: by vCard UID,
    by a shared e-mail address, or by the same name with a shared phone number (or with no
    e-mail or phone on either side)."""

    def __init__(self) -> None:
        self.by_uid: dict[str, Any] = {}
        self.by_email: dict[str, Any] = {}
        self.by_name: dict[str, list[tuple[Any, set[str], set[str]]]] = {}

    @classmethod
    def for_book(cls, book: AddressBook) -> "DuplicateIndex":
        index = cls()
        contacts = Contact.objects.filter(book=book, deleted_at__isnull=True)
        phone_sets: dict[int, set[str]] = {}
        emails: dict[int, set[str]] = {}
        for contact_id, number in Phone.objects.filter(contact__in=contacts).values_list(
            "contact_id", "number"
        ):
            phone_sets.setdefault(contact_id, set()).add(number)
        for contact_id, address in Email.objects.filter(contact__in=contacts).values_list(
            "contact_id", "address"
        ):
            emails.setdefault(contact_id, set()).add(address)
        for pk, name, uid in contacts.values_list("pk", "display_name", "uid"):
            index.add(pk, name, uid, phone_sets.get(pk, set()), emails.get(pk, set()))
        return index

    def add(self, key: Any, name: str, uid: str, numbers: set[str], emails: set[str]) -> None:
        if uid:
            self.by_uid.setdefault(uid, key)
        for address in emails:
            self.by_email.setdefault(address, key)
        self.by_name.setdefault(normalise.fold(name), []).append((key, numbers, emails))

    def find(self, data: records.ContactData) -> Any:
        if data.uid and data.uid in self.by_uid:
            return self.by_uid[data.uid]
        for _kind, address, _label in data.emails:
            if address in self.by_email:
                return self.by_email[address]
        numbers = {p[1] for p in data.phones}
        emails = {e[1] for e in data.emails}
        for key, known_phones, known_emails in self.by_name.get(
            normalise.fold(data.display_name), []
        ):
            if (
                numbers & known_phones
                or not (numbers or emails)
                or not (known_phones or known_emails)
            ):
                return key
        return None


def _records(contact_import: ContactImport, data: bytes) -> Iterator[Any]:
    if contact_import.format == sniff.VCARD:
        text = sniff.decode_vcard(data, contact_import.encoding)
        return vcard.parse(text, charset=contact_import.encoding)
    text = sniff.decode(data, contact_import.encoding)
    return csvfile.parse(text, contact_import.mapping)


def _count(contact_import: ContactImport, data: bytes) -> int:
    """How many cards or rows the file holds, for the progress bar."""
    if contact_import.format == sniff.VCARD:
        return len(_VCARD_BEGIN.findall(sniff.decode_vcard(data, contact_import.encoding)))
    rows, _delimiter = csvfile.reader(sniff.decode(data, contact_import.encoding))
    return max(0, sum(1 for row in rows if any(cell.strip() for cell in row)) - 1)


class _Writer:
    """Writes an import's batches, on a thread of its own when it can.

    On PostgreSQL most of a batch's writing time is the server's (COPY into tables with
    trigram indexes, then the commit), so a thread that waits for it while the import's
    thread reads the next batch saves that time (docs/performance.md). The thread has its
    own database connection, so it is used only when the caller has no transaction open:
    its writes could not be part of one.
    """

    def __init__(self) -> None:
        self.error: BaseException | None = None
        self.queue: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=1)
        self.thread: threading.Thread | None = None
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.thread = threading.Thread(target=self._work, name="contacts-import-writer")
            self.thread.start()

    def _work(self) -> None:
        try:
            while (job := self.queue.get()) is not None:
                try:
                    if self.error is None:  # after a failure the rest is dropped
                        job()
                except BaseException as error:
                    self.error = error
                finally:
                    self.queue.task_done()
        finally:
            connection.close()  # this thread's own connection

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def submit(self, job: Callable[[], None]) -> None:
        self._raise()
        if self.thread is None:
            job()
        else:
            self.queue.put(job)

    def wait(self) -> None:
        """Return once everything submitted is committed (or raise what went wrong)."""
        if self.thread is not None:
            self.queue.join()
        self._raise()

    def close(self) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None
        self._raise()


class _Run:
    """The state of one running import."""

    def __init__(self, contact_import: ContactImport) -> None:
        self.imp = contact_import
        self.owner = contact_import.owner
        if contact_import.book is None:  # the import was started before a book was chosen
            raise ApplicationError(_("Choose the address book to import into."), code="no_book")
        self.book: AddressBook = contact_import.book
        self.country = contact_import.country
        self.country_name = phones_country_name(self.country)
        self.index = DuplicateIndex.for_book(self.book)
        self.pending: list[records.ContactData] = []
        self.links = dict(selectors.linkable_users(user=self.owner).values_list("email", "pk"))
        self.writer = _Writer()
        # Groups: the contacts of the file in each named group (CATEGORIES, Outlook's
        # Categories, Google's labels), and the group cards with their members' UIDs.
        self.members: dict[str, tuple[str, list[Any]]] = {}
        self.group_cards: list[records.GroupData] = []
        self.by_uid: dict[str, Any] = {}

    def reject(self, line: int, reason: str, name: str = "", whole: bool = True) -> None:
        if len(self.imp.rejected) < MAX_REJECTED_REPORTED:
            self.imp.rejected.append({"line": line, "name": name, "reason": reason, "whole": whole})

    def take(self, item: records.ParsedContact | records.Rejected) -> None:
        self.imp.processed += 1
        if isinstance(item, records.Rejected):
            self.reject(item.line, item.reason)
            return
        if item.is_group:
            name = item.full_name.strip()[:100]
            if name:
                self.group_cards.append(
                    records.GroupData(item.line, name, item.uid.strip()[:255], item.members)
                )
            else:
                self.reject(item.line, _("a group card without a name"))
            return
        data = records.clean(item, self.country, date_order=self.imp.date_order)
        if isinstance(data, records.Rejected):
            self.reject(data.line, data.reason)
            return
        if data.photo is not None:
            # Checked and re-encoded now, stored with its batch; the raw bytes are not kept.
            try:
                data.photo_sizes = media.image_prepare(io.BytesIO(data.photo))
            except media.ImageRejected as error:
                data.problems.append(_("the photo: %(reason)s") % {"reason": error.message})
            data.photo = None
        if data.problems:
            reason = _("imported without: %(fields)s") % {"fields": "; ".join(data.problems)}
            self.reject(data.line, reason, name=data.display_name, whole=False)
        if data.notices:
            self.reject(data.line, "; ".join(data.notices), name=data.display_name, whole=False)
        if data.unverified:
            reason = _(
                "kept as typed and marked unverified (not a valid number for %(country)s): "
                "%(numbers)s"
            ) % {"country": self.country_name, "numbers": ", ".join(data.unverified)}
            self.reject(data.line, reason, name=data.display_name, whole=False)
        mode = self.imp.duplicates
        existing = None if mode == ContactImport.Duplicates.CREATE else self.index.find(data)
        target: Any = None
        if existing is None:
            self.pending.append(data)
            self.index.add(
                data,
                data.display_name,
                data.uid,
                {p[1] for p in data.phones},
                {e[1] for e in data.emails},
            )
            self.imp.imported += 1
            target = data
        elif mode == ContactImport.Duplicates.SKIP:
            self.imp.skipped += 1
        else:
            self.merge(existing, data)
            self.imp.merged += 1
            target = existing
        if target is not None:
            if data.uid:
                self.by_uid[vcard.uid_key(data.uid)] = target
            for group in data.groups:
                self.members.setdefault(group.lower(), (group, []))[1].append(target)

    def merge(self, existing: Any, data: records.ContactData) -> None:
        if isinstance(existing, records.ContactData):  # seen earlier in the same file
            if not existing.queued:
                _merge_data(existing, data)
                return
            self.writer.wait()  # it is being written: its primary key comes with it
            existing = existing.pk
        self.flush()  # keep the order of writes simple: pending rows first
        self.writer.wait()
        contact = Contact.objects.prefetch_related("phones", "emails", "addresses").get(pk=existing)
        with transaction.atomic():
            _merge_into(contact, data)

    def flush(self) -> None:
        """Hand the pending contacts and the progress so far to the writer."""
        batch, self.pending = self.pending, []
        for data in batch:
            data.queued = True
        self.imp.total = max(self.imp.total, self.imp.processed)
        progress = {
            "processed": self.imp.processed,
            "total": self.imp.total,
            "imported": self.imp.imported,
            "merged": self.imp.merged,
            "skipped": self.imp.skipped,
            "rejected": list(self.imp.rejected),
        }
        message = event(self.imp)  # as it is now, not when the writer gets to it
        owner, book, links, pk = self.owner, self.book, self.links, self.imp.pk

        def write() -> None:
            with transaction.atomic():
                if batch:
                    _create_contacts(owner, book, batch, links)
                ContactImport.objects.filter(pk=pk).update(**progress)
                send_on_commit(owner.pk, message)
            for data in batch:
                data.release()

        self.writer.submit(write)

    def write_groups(self) -> int:
        """Create the file's groups in the book (or find them by name) and add their
        members, once every contact is written; returns how many groups were new."""
        self.writer.wait()
        known = {vcard.uid_key(uid): pk for uid, pk in self.index.by_uid.items()}
        for card in self.group_cards:
            entry = self.members.setdefault(card.name.lower(), (card.name, []))
            for member in card.members:
                found = self.by_uid.get(member)
                if found is None:
                    found = known.get(member)
                if found is None:
                    self.reject(
                        card.line,
                        _("a member of group “%(group)s” is not in the file (%(uid)s)")
                        % {"group": card.name, "uid": member},
                        name=card.name,
                        whole=False,
                    )
                    continue
                entry[1].append(found)
        if not self.members:
            return 0
        uids = {c.name.lower(): c.uid for c in self.group_cards}
        with transaction.atomic():
            existing = {g.name.lower(): g for g in ContactGroup.objects.filter(book=self.book)}
            created = 0
            rows = []
            for key, (name, targets) in self.members.items():
                group = existing.get(key)
                if group is None:
                    group = ContactGroup.objects.create(
                        book=self.book, name=name, uid=uids.get(key, "")
                    )
                    created += 1
                for target in targets:
                    pk = target.pk if isinstance(target, records.ContactData) else target
                    if pk is not None:
                        rows.append(
                            ContactGroup.members.through(contactgroup_id=group.pk, contact_id=pk)
                        )
            ContactGroup.members.through.objects.bulk_create(rows, ignore_conflicts=True)
        return created


def phones_country_name(code: str) -> str:
    return str(countries.name(code)) if code else ""


def _merge_data(target: records.ContactData, data: records.ContactData) -> None:
    for name in (*records.TEXT_FIELDS, "notes", "uid"):
        if not getattr(target, name):
            setattr(target, name, getattr(data, name))
    if target.birth_month is None:
        target.birth_year, target.birth_month, target.birth_day = (
            data.birth_year,
            data.birth_month,
            data.birth_day,
        )
    known = {p[1] for p in target.phones}
    target.phones += [p for p in data.phones if p[1] not in known]
    known = {e[1] for e in target.emails}
    target.emails += [e for e in data.emails if e[1] not in known]
    target.addresses += [a for a in data.addresses if a not in target.addresses]
    target.groups += [g for g in data.groups if g not in target.groups]
    for name in (*records.LABELLED_LISTS, "vcard_extra"):
        current = getattr(target, name)
        current += [item for item in getattr(data, name) if item not in current]
    target.photo_sizes = target.photo_sizes or data.photo_sizes


def _merge_into(contact: Contact, data: records.ContactData) -> None:
    """Fill what the contact lacks from `data` and add numbers, e-mails and addresses."""
    changed = []
    for name in (*records.TEXT_FIELDS, "notes", "uid"):
        if not getattr(contact, name) and getattr(data, name):
            setattr(contact, name, getattr(data, name))
            changed.append(name)
    if contact.birth_month is None and data.birth_month:
        contact.birth_year, contact.birth_month, contact.birth_day = (
            data.birth_year,
            data.birth_month,
            data.birth_day,
        )
        changed += ["birth_year", "birth_month", "birth_day"]
    for name in (*records.LABELLED_LISTS, "vcard_extra"):
        current = list(getattr(contact, name) or [])
        new = [item for item in getattr(data, name) if item not in current]
        if new:
            setattr(contact, name, current + new)
            changed.append(name)
    numbers = {p.number for p in contact.phones.all()}
    emails = {e.address for e in contact.emails.all()}
    new_phones = [p for p in data.phones if p[1] not in numbers]
    new_emails = [e for e in data.emails if e[1] not in emails]
    Phone.objects.bulk_create(
        Phone(
            contact=contact,
            kind=k,
            number=n,
            extension=x,
            label=lb,
            verified=v,
            position=len(numbers) + i,
        )
        for i, (k, n, x, lb, v) in enumerate(new_phones)
    )
    Email.objects.bulk_create(
        Email(contact=contact, kind=k, address=a, label=lb, position=len(emails) + i)
        for i, (k, a, lb) in enumerate(new_emails)
    )
    known_addresses = [
        (a.street, a.city, a.postal_code, a.country) for a in contact.addresses.all()
    ]
    Address.objects.bulk_create(
        Address(contact=contact, position=len(known_addresses) + i, **a)
        for i, a in enumerate(data.addresses)
        if (a["street"], a["city"], a["postal_code"], a["country"]) not in known_addresses
    )
    services.search_fields(
        contact,
        sorted(emails | {e[1] for e in new_emails}),
        sorted(numbers | {p[1] for p in new_phones}),
    )
    if not contact.photo and data.photo_sizes:
        stored = media.image_save(data.photo_sizes, folder=services.PHOTO_FOLDER)
        contact.photo, contact.photo_small = stored.large, stored.small
        changed += ["photo", "photo_small"]
    contact.updated_at = timezone.now()
    contact.save(update_fields=[*changed, "search_text", "search_phones", "updated_at"])


_CONTACT_COLUMNS = [
    "book_id",
    "owner_id",
    *_DATA_COLUMNS,
    *_JSON_COLUMNS,
    "photo",
    "photo_small",
    "linked_user_id",
    "search_text",
    "search_phones",
    "deleted_at",
    "created_at",
    "updated_at",
]


def _contact_values(
    owner: User, book: AddressBook, data: records.ContactData, links: dict[str, int], now: Any
) -> dict[str, Any]:
    """The contact row of `data`, by column name."""
    emails = [e[1] for e in data.emails]
    search_text, search_phones = services.search_values(
        [
            data.display_name,
            data.given_name,
            data.family_name,
            data.company,
            data.nickname,
            *emails,
        ],
        [p[1] for p in data.phones],
        data.phone_keys if len(data.phone_keys) == len(data.phones) else None,
    )
    row = {name: getattr(data, name) for name in _DATA_COLUMNS}
    row.update({name: getattr(data, name) for name in _JSON_COLUMNS})
    row.update(
        {
            "book_id": book.pk,
            "owner_id": owner.pk,
            "photo": data.photo_names[0] if data.photo_names else "",
            "photo_small": data.photo_names[1] if data.photo_names else "",
            "linked_user_id": next((links[a] for a in emails if a in links), None),
            "search_text": search_text,
            "search_phones": search_phones,
            "deleted_at": None,
            "created_at": now,
            "updated_at": now,
        }
    )
    return row


def _store_photos(batch: list[records.ContactData]) -> list[str]:
    """Save the photos of a batch (already checked and re-encoded in `take`)."""
    names: list[str] = []
    for data in batch:
        if data.photo_sizes:
            stored = media.image_save(data.photo_sizes, folder=services.PHOTO_FOLDER)
            data.photo_names, data.photo_sizes = stored.names, {}
            names += stored.names
    return names


def _create_contacts(
    owner: User, book: AddressBook, batch: list[records.ContactData], links: dict[str, int]
) -> None:
    now = timezone.now()
    photos = _store_photos(batch)
    try:
        rows = [_contact_values(owner, book, data, links, now) for data in batch]
        if connection.vendor == "postgresql":
            _copy_contacts(rows, batch)
        else:
            _bulk_create_contacts(rows, batch)
    except Exception:
        media.image_delete(photos)
        raise


def _bulk_create_contacts(rows: list[dict[str, Any]], batch: list[records.ContactData]) -> None:
    contacts = Contact.objects.bulk_create(Contact(**row) for row in rows)
    phone_rows, emails, addresses = [], [], []
    for contact, data in zip(contacts, batch, strict=True):
        data.pk = contact.pk
        phone_rows += [
            Phone(contact=contact, kind=k, number=n, extension=x, label=lb, verified=v, position=i)
            for i, (k, n, x, lb, v) in enumerate(data.phones)
        ]
        emails += [
            Email(contact=contact, kind=k, address=a, label=lb, position=i)
            for i, (k, a, lb) in enumerate(data.emails)
        ]
        addresses += [
            Address(contact=contact, position=i, **a) for i, a in enumerate(data.addresses)
        ]
    Phone.objects.bulk_create(phone_rows)
    Email.objects.bulk_create(emails)
    Address.objects.bulk_create(addresses)


_ADDRESS_COLUMNS = ["kind", "label", "street", "city", "region", "postal_code", "country"]


def _copy_contacts(rows: list[dict[str, Any]], batch: list[records.ContactData]) -> None:
    """Write a batch with PostgreSQL's COPY: with the ORM's bulk_create the writing took
    longer than reading the file (docs/performance.md)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Contact._meta.db_table, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        raw = cursor.cursor  # psycopg's own cursor, for COPY

        def copy(model: Any, columns: list[str], values: Iterator[tuple]) -> None:
            sql = "COPY {} ({}) FROM STDIN".format(
                quote(model._meta.db_table), ", ".join(quote(c) for c in columns)
            )
            with raw.copy(sql) as stream:
                for row in values:
                    stream.write_row(row)

        for data, row, pk in zip(batch, rows, ids, strict=True):
            data.pk = pk
            for name in _JSON_COLUMNS:
                row[name] = json.dumps(row[name])
        copy(
            Contact,
            ["id", *_CONTACT_COLUMNS],
            ((pk, *[row[c] for c in _CONTACT_COLUMNS]) for pk, row in zip(ids, rows, strict=True)),
        )
        copy(
            Phone,
            ["contact_id", "kind", "number", "extension", "label", "verified", "position"],
            ((d.pk, *p, i) for d in batch for i, p in enumerate(d.phones)),
        )
        copy(
            Email,
            ["contact_id", "kind", "address", "label", "position"],
            ((d.pk, *e, i) for d in batch for i, e in enumerate(d.emails)),
        )
        copy(
            Address,
            ["contact_id", *_ADDRESS_COLUMNS, "position"],
            (
                (d.pk, *[a[c] for c in _ADDRESS_COLUMNS], i)
                for d in batch
                for i, a in enumerate(d.addresses)
            ),
        )


def import_run(*, contact_import_id: int) -> ContactImport | None:
    """Import a queued file into its book in batches, reporting progress as it goes."""
    updated = ContactImport.objects.filter(
        pk=contact_import_id, status=ContactImport.Status.QUEUED
    ).update(status=ContactImport.Status.RUNNING, started_at=timezone.now())
    if not updated:
        return None  # already run (a redelivered task) or never started
    contact_import = ContactImport.objects.select_related("owner", "book").get(pk=contact_import_id)
    try:
        with contact_import.file.open("rb") as handle:
            data = handle.read()
        contact_import.total = _count(contact_import, data)
        ContactImport.objects.filter(pk=contact_import.pk).update(total=contact_import.total)
        announce(contact_import)
        run = _Run(contact_import)
        try:
            for item in _records(contact_import, data):
                run.take(item)
                if len(run.pending) >= BATCH_SIZE or contact_import.processed % BATCH_SIZE == 0:
                    run.flush()
            run.flush()
            contact_import.groups_created = run.write_groups()
        finally:
            run.writer.close()  # waits for the last batch; raises what failed in it
        if contact_import.format != sniff.VCARD:
            text = sniff.decode(data, contact_import.encoding)
            contact_import.ignored_columns = csvfile.ignored_columns(text, contact_import.mapping)
        if contact_import.processed == 0:
            raise ApplicationError(
                _("No contacts were found in this file; nothing was imported."), code="empty"
            )
        contact_import.status = ContactImport.Status.DONE
    except ApplicationError as error:
        contact_import.status = ContactImport.Status.FAILED
        contact_import.error = str(error.message)
    except Exception:
        logger.exception("contacts import %s failed", contact_import.pk)
        contact_import.status = ContactImport.Status.FAILED
        contact_import.error = _("The import stopped because of an error on our side.")
    contact_import.total = max(contact_import.total, contact_import.processed)
    contact_import.finished_at = timezone.now()
    # The report stays; the uploaded file (other people's personal data) does not.
    contact_import.file.delete(save=False)
    contact_import.save(
        update_fields=[
            "status",
            "error",
            "total",
            "finished_at",
            "file",
            "rejected",
            "ignored_columns",
            "groups_created",
        ]
    )
    announce(contact_import)
    return contact_import
