"""Services of the import flow: upload, start, run (in a Celery task), and export."""

import io
import json
import logging
import os
import queue
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from contacts import normalise, selectors, services, tasks
from contacts.formats import csvfile, records, sniff, vcard
from contacts.models import Address, AddressBook, Contact, ContactImport, Email, Phone
from uc_web.lib import media, publicid, realtime
from uc_web.lib.exceptions import ApplicationError, PermissionDenied

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
BATCH_SIZE = 500
MAX_REJECTED_REPORTED = 1000
SNIFF_BYTES = 64 * 1024
_VCARD_BEGIN = re.compile(r"^BEGIN:VCARD\s*$", re.IGNORECASE | re.MULTILINE)


def max_upload_bytes() -> int:
    return int(getattr(settings, "CONTACTS_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def too_large_error() -> ApplicationError:
    limit = filesizeformat(max_upload_bytes())
    return ApplicationError(
        _("The file is larger than %(limit)s; nothing was imported. Split it and upload the parts.")
        % {"limit": limit},
        code="file_too_large",
    )


# --- Upload and start --------------------------------------------------------------------
def import_upload(*, owner: User, file: UploadedFile) -> ContactImport:
    """Store an uploaded address-book file after checking what it is; nothing is imported yet."""
    if file.size is None or file.size > max_upload_bytes():
        raise too_large_error()
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    sniffed = sniff.sniff(head, size=file.size)
    fmt, mapping = sniff.VCARD, []
    if sniffed.format == sniff.CSV:
        text = sniff.decode_head(head, sniffed.encoding)
        header, _sample = csvfile.preview(text, limit=1)
        if len(header) < 2:
            raise sniff.UnreadableFile(_("The CSV file has no header row with column names."))
        fmt, mapping = csvfile.detect(header)
    contact_import = ContactImport(
        owner=owner,
        file_name=os.path.basename(file.name or "contacts")[:255],
        size=file.size,
        format=fmt,
        encoding=sniffed.encoding,
        mapping=mapping,
        book=services.book_ensure_default(user=owner),
    )
    contact_import.file.save(f"{uuid.uuid4().hex}.upload", file, save=False)
    contact_import.save()
    return contact_import


def import_start(
    *,
    contact_import: ContactImport,
    by: User,
    book: AddressBook,
    duplicates: str,
    mapping: list[str] | None = None,
) -> ContactImport:
    """Choose where and how an uploaded file is imported, and queue the import."""
    if contact_import.owner_id != by.pk or book.owner_id != by.pk:
        raise PermissionDenied()
    if contact_import.status != ContactImport.Status.UPLOADED:
        raise ApplicationError(_("This import has already started."), code="already_started")
    if duplicates not in ContactImport.Duplicates.values:
        raise ApplicationError(_("Choose what to do with duplicates."), code="invalid_duplicates")
    if mapping is not None and contact_import.format != sniff.VCARD:
        if not all(isinstance(t, str) and csvfile.target_is_valid(t) for t in mapping):
            raise ApplicationError(_("The column mapping is not valid."), code="invalid_mapping")
        contact_import.mapping = mapping
    if contact_import.format != sniff.VCARD and not any(contact_import.mapping):
        raise ApplicationError(_("Choose what at least one column holds."), code="empty_mapping")
    contact_import.book = book
    contact_import.duplicates = duplicates
    contact_import.status = ContactImport.Status.QUEUED
    contact_import.save(update_fields=["book", "duplicates", "mapping", "status"])
    pk = contact_import.pk
    transaction.on_commit(lambda: tasks.contacts_import_run.delay(pk))
    _announce(contact_import)
    return contact_import


def import_status(contact_import: ContactImport) -> dict[str, Any]:
    """What the browser shows of an import (the event and the status endpoint agree)."""
    return {
        "id": publicid.of(contact_import),
        "status": contact_import.status,
        "total": contact_import.total,
        "processed": contact_import.processed,
        "percent": contact_import.percent,
        "imported": contact_import.imported,
        "merged": contact_import.merged,
        "skipped": contact_import.skipped,
        "rejected": len(contact_import.rejected),
        "error": contact_import.error,
    }


def _announce(contact_import: ContactImport) -> None:
    _send_on_commit(contact_import.owner_id, _event(contact_import))


def _event(contact_import: ContactImport) -> dict[str, Any]:
    return {"type": "contacts_import.progressed", **import_status(contact_import)}


def _send_on_commit(owner_id: int, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: realtime.send_to_users([owner_id], event))


# --- Running -----------------------------------------------------------------------------
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
        phones: dict[int, set[str]] = {}
        emails: dict[int, set[str]] = {}
        for contact_id, number in Phone.objects.filter(contact__in=contacts).values_list(
            "contact_id", "number"
        ):
            phones.setdefault(contact_id, set()).add(number)
        for contact_id, address in Email.objects.filter(contact__in=contacts).values_list(
            "contact_id", "address"
        ):
            emails.setdefault(contact_id, set()).add(address)
        for pk, name, uid in contacts.values_list("pk", "display_name", "uid"):
            index.add(pk, name, uid, phones.get(pk, set()), emails.get(pk, set()))
        return index

    def add(self, key: Any, name: str, uid: str, phones: set[str], emails: set[str]) -> None:
        if uid:
            self.by_uid.setdefault(uid, key)
        for address in emails:
            self.by_email.setdefault(address, key)
        self.by_name.setdefault(normalise.fold(name), []).append((key, phones, emails))

    def find(self, data: records.ContactData) -> Any:
        if data.uid and data.uid in self.by_uid:
            return self.by_uid[data.uid]
        for _kind, address in data.emails:
            if address in self.by_email:
                return self.by_email[address]
        phones = {n for _k, n, _x in data.phones}
        emails = {a for _k, a in data.emails}
        for key, known_phones, known_emails in self.by_name.get(
            normalise.fold(data.display_name), []
        ):
            if (
                phones & known_phones
                or not (phones or emails)
                or not (known_phones or known_emails)
            ):
                return key
        return None


def _records(contact_import: ContactImport, text: str) -> Iterator[Any]:
    if contact_import.format == sniff.VCARD:
        return vcard.parse(text.splitlines())
    return csvfile.parse(text, contact_import.mapping)


def _count(contact_import: ContactImport, text: str) -> int:
    """How many cards or rows the file holds, for the progress bar."""
    if contact_import.format == sniff.VCARD:
        return len(_VCARD_BEGIN.findall(text))
    rows, _delimiter = csvfile.reader(text)
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
        self.book = contact_import.book
        self.country = selectors.dialling_country_for(self.owner)
        self.index = DuplicateIndex.for_book(self.book)
        self.pending: list[records.ContactData] = []
        self.links = dict(selectors.linkable_users(user=self.owner).values_list("email", "pk"))
        self.writer = _Writer()

    def reject(self, line: int, reason: str, name: str = "", whole: bool = True) -> None:
        if len(self.imp.rejected) < MAX_REJECTED_REPORTED:
            self.imp.rejected.append({"line": line, "name": name, "reason": reason, "whole": whole})

    def take(self, item: records.ParsedContact | records.Rejected) -> None:
        self.imp.processed += 1
        if isinstance(item, records.Rejected):
            self.reject(item.line, item.reason)
            return
        data = records.clean(item, self.country)
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
        mode = self.imp.duplicates
        existing = None if mode == ContactImport.Duplicates.CREATE else self.index.find(data)
        if existing is None:
            self.pending.append(data)
            self.index.add(
                data,
                data.display_name,
                data.uid,
                {n for _k, n, _x in data.phones},
                {a for _k, a in data.emails},
            )
            self.imp.imported += 1
        elif mode == ContactImport.Duplicates.SKIP:
            self.imp.skipped += 1
        else:
            self.merge(existing, data)
            self.imp.merged += 1

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
        event = _event(self.imp)  # as it is now, not when the writer gets to it
        owner, book, links, pk = self.owner, self.book, self.links, self.imp.pk

        def write() -> None:
            with transaction.atomic():
                if batch:
                    _create_contacts(owner, book, batch, links)
                ContactImport.objects.filter(pk=pk).update(**progress)
                _send_on_commit(owner.pk, event)
            for data in batch:
                data.release()

        self.writer.submit(write)


def _merge_data(target: records.ContactData, data: records.ContactData) -> None:
    for name in ("given_name", "family_name", "company", "job_title", "notes", "uid"):
        if not getattr(target, name):
            setattr(target, name, getattr(data, name))
    if target.birth_month is None:
        target.birth_year, target.birth_month, target.birth_day = (
            data.birth_year,
            data.birth_month,
            data.birth_day,
        )
    known = {n for _k, n, _x in target.phones}
    target.phones += [p for p in data.phones if p[1] not in known]
    known = {a for _k, a in target.emails}
    target.emails += [e for e in data.emails if e[1] not in known]
    target.addresses += [a for a in data.addresses if a not in target.addresses]
    target.categories += [c for c in data.categories if c not in target.categories]
    target.photo_sizes = target.photo_sizes or data.photo_sizes


def _merge_into(contact: Contact, data: records.ContactData) -> None:
    """Fill what the contact lacks from `data` and add numbers, e-mails and addresses."""
    changed = []
    for name in ("given_name", "family_name", "company", "job_title", "notes", "uid"):
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
    new_categories = [c for c in data.categories if c not in contact.categories]
    if new_categories:
        contact.categories = [*contact.categories, *new_categories]
        changed.append("categories")
    phones = {p.number for p in contact.phones.all()}
    emails = {e.address for e in contact.emails.all()}
    new_phones = [p for p in data.phones if p[1] not in phones]
    new_emails = [e for e in data.emails if e[1] not in emails]
    Phone.objects.bulk_create(
        Phone(contact=contact, kind=k, number=n, extension=x, position=len(phones) + i)
        for i, (k, n, x) in enumerate(new_phones)
    )
    Email.objects.bulk_create(
        Email(contact=contact, kind=k, address=a, position=len(emails) + i)
        for i, (k, a) in enumerate(new_emails)
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
        sorted(emails | {a for _k, a in new_emails}),
        sorted(phones | {n for _k, n, _x in new_phones}),
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
    "given_name",
    "family_name",
    "display_name",
    "company",
    "job_title",
    "birth_year",
    "birth_month",
    "birth_day",
    "notes",
    "photo",
    "photo_small",
    "linked_user_id",
    "uid",
    "categories",
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
    emails = [a for _k, a in data.emails]
    search_text, search_phones = services.search_values(
        [data.display_name, data.given_name, data.family_name, data.company, *emails],
        [n for _k, n, _x in data.phones],
        data.phone_keys if len(data.phone_keys) == len(data.phones) else None,
    )
    return {
        "book_id": book.pk,
        "owner_id": owner.pk,
        "given_name": data.given_name,
        "family_name": data.family_name,
        "display_name": data.display_name,
        "company": data.company,
        "job_title": data.job_title,
        "birth_year": data.birth_year,
        "birth_month": data.birth_month,
        "birth_day": data.birth_day,
        "notes": data.notes,
        "photo": data.photo_names[0] if data.photo_names else "",
        "photo_small": data.photo_names[1] if data.photo_names else "",
        "linked_user_id": next((links[a] for a in emails if a in links), None),
        "uid": data.uid,
        "categories": data.categories,
        "search_text": search_text,
        "search_phones": search_phones,
        "deleted_at": None,
        "created_at": now,
        "updated_at": now,
    }


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
    phones, emails, addresses = [], [], []
    for contact, data in zip(contacts, batch, strict=True):
        data.pk = contact.pk
        phones += [
            Phone(contact=contact, kind=k, number=n, extension=x, position=i)
            for i, (k, n, x) in enumerate(data.phones)
        ]
        emails += [
            Email(contact=contact, kind=k, address=a, position=i)
            for i, (k, a) in enumerate(data.emails)
        ]
        addresses += [
            Address(contact=contact, position=i, **a) for i, a in enumerate(data.addresses)
        ]
    Phone.objects.bulk_create(phones)
    Email.objects.bulk_create(emails)
    Address.objects.bulk_create(addresses)


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
            row["categories"] = json.dumps(row["categories"])
        copy(
            Contact,
            ["id", *_CONTACT_COLUMNS],
            ((pk, *[row[c] for c in _CONTACT_COLUMNS]) for pk, row in zip(ids, rows, strict=True)),
        )
        copy(
            Phone,
            ["contact_id", "kind", "number", "extension", "position"],
            ((d.pk, k, n, x, i) for d in batch for i, (k, n, x) in enumerate(d.phones)),
        )
        copy(
            Email,
            ["contact_id", "kind", "address", "position"],
            ((d.pk, k, a, i) for d in batch for i, (k, a) in enumerate(d.emails)),
        )
        copy(
            Address,
            [
                "contact_id",
                "kind",
                "street",
                "city",
                "region",
                "postal_code",
                "country",
                "position",
            ],
            (
                (
                    d.pk,
                    a["kind"],
                    a["street"],
                    a["city"],
                    a["region"],
                    a["postal_code"],
                    a["country"],
                    i,
                )
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
            text = sniff.decode(handle.read(), contact_import.encoding)
        contact_import.total = _count(contact_import, text)
        ContactImport.objects.filter(pk=contact_import.pk).update(total=contact_import.total)
        _announce(contact_import)
        run = _Run(contact_import)
        try:
            for item in _records(contact_import, text):
                run.take(item)
                if len(run.pending) >= BATCH_SIZE or contact_import.processed % BATCH_SIZE == 0:
                    run.flush()
            run.flush()
        finally:
            run.writer.close()  # waits for the last batch; raises what failed in it
        contact_import.status = ContactImport.Status.DONE
    except ApplicationError as error:
        contact_import.status = ContactImport.Status.FAILED
        contact_import.error = error.message
    except Exception:
        logger.exception("contacts import %s failed", contact_import.pk)
        contact_import.status = ContactImport.Status.FAILED
        contact_import.error = _("The import stopped because of an error on our side.")
    contact_import.total = max(contact_import.total, contact_import.processed)
    contact_import.finished_at = timezone.now()
    # The report stays; the uploaded file (other people's personal data) does not.
    contact_import.file.delete(save=False)
    contact_import.save(update_fields=["status", "error", "total", "finished_at", "file"])
    _announce(contact_import)
    return contact_import


# --- Export ------------------------------------------------------------------------------
EXPORT_FORMATS = {
    "vcard3": ("text/vcard; charset=utf-8", "vcf"),
    "vcard4": ("text/vcard; charset=utf-8", "vcf"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}


def book_export(*, user: User, book: AddressBook, fmt: str) -> tuple[bytes, str, str]:
    """A book's contacts as one vCard 3.0/4.0 or CSV file: (content, content type, file name)."""
    if book.owner_id != user.pk:
        raise PermissionDenied()
    if fmt not in EXPORT_FORMATS:
        raise ApplicationError(_("Choose vCard 3.0, vCard 4.0 or CSV."), code="invalid_format")
    rows = selectors.contact_export_rows(user=user, book=book)
    if fmt == "csv":
        # A BOM so that Excel reads the file as UTF-8.
        content = ("\ufeff" + csvfile.write(rows)).encode()
    else:
        content = "".join(vcard.write(rows, "4.0" if fmt == "vcard4" else "3.0")).encode()
    content_type, ext = EXPORT_FORMATS[fmt]
    safe = re.sub(r"[^\w.-]+", "-", book.name, flags=re.ASCII).strip("-") or "contacts"
    return content, content_type, f"{safe}.{ext}"
