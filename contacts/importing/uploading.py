"""Upload and start an import: what the file is, its language and charset, the country of
its numbers, its column mapping; nothing is written to a book here."""

import hashlib
import os
import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from contacts import normalise, selectors, services, tasks
from contacts.formats import csvfile, records, sniff, vcard
from contacts.models import AddressBook, ContactImport, ImportMapping
from uc_web.lib import phones, publicid, realtime
from uc_web.lib.exceptions import ApplicationError, PermissionDenied

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
SNIFF_BYTES = 64 * 1024
EVIDENCE_RECORDS = 500


def max_upload_bytes() -> int:
    return int(getattr(settings, "CONTACTS_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def too_large_error() -> ApplicationError:
    limit = filesizeformat(max_upload_bytes())
    return ApplicationError(
        _("The file is larger than %(limit)s; nothing was imported. Split it and upload the parts.")
        % {"limit": limit},
        code="file_too_large",
    )


def header_key(header: list[str]) -> str:
    """What identifies a CSV layout: its column names, in order, case and spaces aside."""
    folded = "\x1f".join(" ".join(h.lower().split()) for h in header)
    return hashlib.sha256(folded.encode()).hexdigest()


def country_evidence(items: Iterable[records.ParsedContact | records.Rejected]) -> str:
    """The country a file's numbers most likely belong to, from the file alone: the
    countries its rows name (address countries, Outlook's Country/Region columns) and the
    countries of the numbers it writes with a country code; "" when it shows none."""
    votes: Counter[str] = Counter()
    for item in items:
        if not isinstance(item, records.ParsedContact):
            continue
        if code := normalise.country_code(item.country) if item.country else None:
            votes[code] += 1
        for _kind, raw, _label in item.phones:
            try:
                reading = phones.read(raw, "")
            except phones.NotAPhoneNumber:
                continue
            if reading.valid and reading.region:
                votes[reading.region] += 1
    return votes.most_common(1)[0][0] if votes else ""


def _date_order(owner: User, detected: csvfile.Detected, items: list[Any], text: str) -> str:
    """How the file writes numeric dates: its own unambiguous dates decide (31/12 can only
    be day first), else the Outlook language's locale, else the user's date format."""
    order = ""
    for item in items:
        if not isinstance(item, records.ParsedContact):
            continue
        for value in [item.birthday, *(v for _l, v in item.dates)]:
            parts = value.replace(".", "/").replace("-", "/").split("/")
            if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[0]) <= 2:
                first, second = int(parts[0]), int(parts[1])
                if first > 12 >= second:
                    return "dmy"
                if second > 12 >= first:
                    return "mdy"
    if detected.language:
        return detected.date_order
    profile = getattr(owner, "profile", None)
    if profile is not None and profile.date_format == "mdy":
        order = "mdy"
    return order or ("mdy" if detected.format in (csvfile.GOOGLE, csvfile.THUNDERBIRD) else "dmy")


def _detect_csv(head: bytes, encoding: str) -> tuple[str, list[str], csvfile.Detected, str]:
    """The header, its detected application and language, and the encoding: an 8-bit file
    is read in the code page of the Outlook language whose column names it then matches
    (Windows-1250 for Polish, Windows-1252 for Western languages)."""
    candidates = [encoding]
    if encoding not in ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"):
        candidates = csvfile.legacy_encodings()
    best: tuple[str, list[str], csvfile.Detected, str] | None = None
    for candidate in candidates:
        text = sniff.decode_head(head, candidate)
        header, _sample = csvfile.preview(text, limit=1)
        detected = csvfile.detect(header)
        if detected.language:
            language = next(
                lang for lang in csvfile.outlook_languages() if lang.code == detected.language
            )
            if language.legacy_encoding == candidate or len(candidates) == 1:
                return candidate, header, detected, text
        if best is None:
            best = (candidate, header, detected, text)
    assert best is not None
    return best


def import_upload(*, owner: User, file: UploadedFile) -> ContactImport:
    """Store an uploaded address-book file after checking what it is; nothing is imported yet."""
    if file.size is None or file.size > max_upload_bytes():
        raise too_large_error()
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    sniffed = sniff.sniff(head, size=file.size)
    contact_import = ContactImport(
        owner=owner,
        file_name=os.path.basename(file.name or "contacts")[:255],
        size=file.size,
        format=sniff.VCARD,
        encoding=sniffed.encoding,
        book=services.book_ensure_default(user=owner),
    )
    if sniffed.format == sniff.CSV:
        encoding, header, detected, text = _detect_csv(head, sniffed.encoding)
        if len(header) < 2:
            raise sniff.UnreadableFile(_("The CSV file has no header row with column names."))
        _header, sample = csvfile.preview(text, limit=1)
        if not sample and file.size <= SNIFF_BYTES:
            raise sniff.UnreadableFile(
                _("This file has column names but no contacts under them; nothing was imported.")
            )
        contact_import.encoding = encoding
        contact_import.format = detected.format
        contact_import.language = detected.language
        contact_import.mapping = detected.mapping
        remembered = ImportMapping.objects.filter(
            owner=owner, header_key=header_key(header)
        ).first()
        if remembered is not None and len(remembered.mapping) == len(header):
            contact_import.mapping = remembered.mapping
            contact_import.mapping_remembered = True
        items = list(_head_items(csvfile.parse(text, contact_import.mapping)))
        contact_import.date_order = _date_order(owner, detected, items, text)
    else:
        text = sniff.decode_head(head, sniffed.encoding, vcard=True)
        items = list(_head_items(vcard.parse(text, charset=sniffed.encoding)))
    country, source = _country_for(owner, items)
    contact_import.country, contact_import.country_source = country, source
    contact_import.file.save(f"{uuid.uuid4().hex}.upload", file, save=False)
    contact_import.save()
    return contact_import


def _head_items(items: Iterable[Any]) -> Iterable[Any]:
    for count, item in enumerate(items):
        if count >= EVIDENCE_RECORDS:
            return
        yield item


def _country_for(owner: User, items: list[Any]) -> tuple[str, str]:
    """The dialling country an import reads numbers with, and where it comes from: the
    user's, else the company's, else the file's own evidence; ("", "") when none."""
    profile = getattr(owner, "profile", None)
    if profile is not None and profile.dialling_country:
        return profile.dialling_country.upper(), "user"
    if owner.company is not None and owner.company.default_dialling_country:
        return owner.company.default_dialling_country.upper(), "company"
    evidence = country_evidence(items)
    return (evidence, "file") if evidence else ("", "")


def import_start(
    *,
    contact_import: ContactImport,
    by: User,
    book: AddressBook,
    duplicates: str,
    mapping: list[str] | None = None,
    country: str | None = None,
) -> ContactImport:
    """Choose where and how an uploaded file is imported, and queue the import."""
    if contact_import.owner_id != by.pk or book.owner_id != by.pk:
        raise PermissionDenied()
    if contact_import.status != ContactImport.Status.UPLOADED:
        raise ApplicationError(_("This import has already started."), code="already_started")
    if duplicates not in ContactImport.Duplicates.values:
        raise ApplicationError(_("Choose what to do with duplicates."), code="invalid_duplicates")
    if country:
        country = country.strip().upper()
        if country not in phonenumbers.SUPPORTED_REGIONS:
            raise ApplicationError(_("Choose a country from the list."), code="invalid_country")
        if country != contact_import.country:
            contact_import.country, contact_import.country_source = country, "chosen"
    if not contact_import.country:
        raise ApplicationError(
            _(
                "Choose the country of the phone numbers that are written without a country "
                "code: neither your profile nor your company sets a dialling country, and "
                "the file does not show one."
            ),
            code="country_required",
        )
    header: list[str] = []
    if mapping is not None and contact_import.format != sniff.VCARD:
        if not all(isinstance(t, str) and csvfile.target_is_valid(t) for t in mapping):
            raise ApplicationError(_("The column mapping is not valid."), code="invalid_mapping")
        header = selectors.import_header(user=by, contact_import=contact_import)
        if len(mapping) != len(header):
            raise ApplicationError(
                _("The mapping must have one entry per column."), code="invalid_mapping"
            )
        if mapping == contact_import.mapping:
            header = []  # nothing chosen by hand: nothing to remember
        contact_import.mapping = mapping
    if contact_import.format != sniff.VCARD and not any(contact_import.mapping):
        raise ApplicationError(_("Choose what at least one column holds."), code="empty_mapping")
    contact_import.book = book
    contact_import.duplicates = duplicates
    contact_import.status = ContactImport.Status.QUEUED
    contact_import.save(
        update_fields=["book", "duplicates", "mapping", "status", "country", "country_source"]
    )
    if header:
        # The next file with these columns starts from this mapping.
        ImportMapping.objects.update_or_create(
            owner=by,
            header_key=header_key(header),
            defaults={"header": header, "mapping": mapping, "updated_at": timezone.now()},
        )
    pk = contact_import.pk
    transaction.on_commit(lambda: tasks.contacts_import_run.delay(pk))
    announce(contact_import)
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


def announce(contact_import: ContactImport) -> None:
    send_on_commit(contact_import.owner_id, event(contact_import))


def event(contact_import: ContactImport) -> dict[str, Any]:
    return {"type": "contacts_import.progressed", **import_status(contact_import)}


def send_on_commit(owner_id: int, message: dict[str, Any]) -> None:
    transaction.on_commit(lambda: realtime.send_to_users([owner_id], message))
