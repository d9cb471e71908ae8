"""Reads of address books, contacts and imports; each takes the acting user."""

import uuid
from typing import Any

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Collate, Concat, Left

from accounts import selectors as account_selectors
from accounts.models import User
from contacts import normalise
from contacts.formats import csvfile, records, sniff, vcard
from contacts.models import AddressBook, Contact, ContactGroup, ContactImport, Email, Phone
from uc_web.lib import media, phones

SEARCH_LIMIT = 20
PREVIEW_BYTES = 256 * 1024
PREFIX_CHARS = 100  # the length the prefix index of migration 0002 covers


def dialling_country_for(user: User) -> str:
    """The country whose numbers a user may type without a country code: the user's, else
    the company's; "" when neither is set (then only numbers with + can be read; nothing
    is guessed)."""
    return str(getattr(user, "default_dialling_country", "") or "").upper()


def book_list(*, user: User) -> QuerySet[AddressBook]:
    """The user's own address books with their number of (not deleted) contacts."""
    return AddressBook.objects.filter(owner=user).annotate(
        contact_count=Count("contacts", filter=Q(contacts__deleted_at__isnull=True))
    )


def book_get_default(*, user: User) -> AddressBook | None:
    """The user's "Personal" book, if it exists yet."""
    return AddressBook.objects.filter(owner=user, is_default=True).first()


def contact_list(
    *, user: User, book: AddressBook | None = None, deleted: bool = False
) -> QuerySet[Contact]:
    """The user's contacts (of one book, or all), or those in the trash."""
    queryset = Contact.objects.filter(owner=user, deleted_at__isnull=not deleted)
    if book is not None:
        queryset = queryset.filter(book=book)
    return queryset.select_related("book", "linked_user").prefetch_related(
        Prefetch("phones", queryset=Phone.objects.order_by("position", "pk")),
        Prefetch("emails", queryset=Email.objects.order_by("position", "pk")),
    )


def contact_get(*, user: User, pk: int, deleted: bool = False) -> Contact | None:
    """One of the user's contacts with everything its page shows."""
    return (
        contact_list(user=user, deleted=deleted)
        .prefetch_related(
            "addresses", Prefetch("groups", queryset=ContactGroup.objects.order_by("name"))
        )
        .filter(pk=pk)
        .first()
    )


def group_list(*, user: User, book: AddressBook) -> QuerySet[ContactGroup]:
    """The groups of one of the user's books, with their number of (not deleted) members."""
    return ContactGroup.objects.filter(book=book, book__owner=user).annotate(
        member_count=Count("members", filter=Q(members__deleted_at__isnull=True))
    )


def group_get(*, user: User, pk: int) -> ContactGroup | None:
    """One of the groups of the user's books."""
    return ContactGroup.objects.filter(pk=pk, book__owner=user).select_related("book").first()


def group_uids(*, user: User, book: AddressBook) -> dict[str, str]:
    """Every group of a book by name, with its vCard UID ("" when it has none yet)."""
    assert book.owner_id == user.pk
    return dict(ContactGroup.objects.filter(book=book).values_list("name", "uid"))


def _prefix_expression() -> Collate | Left:
    # Byte order ("C") lets PostgreSQL both range-scan and return the index's order, so the
    # first 20 of thousands of names starting with "ol" cost a few index entries.
    collation = {"postgresql": "C", "sqlite": "BINARY"}.get(connection.vendor)
    prefix = Left("search_text", PREFIX_CHARS)
    return Collate(prefix, collation) if collation else prefix


def _search_ids(user: User, query: str, limit: int) -> list[int]:
    """Ids of the user's best matches for `query`, best first (see contact_search)."""
    terms = normalise.fold(query).split()
    if not terms:
        return []
    variants = phones.query_variants(query, dialling_country_for(user))
    live = Contact.objects.filter(owner=user, deleted_at__isnull=True)
    if variants:
        # Something only a phone number looks like: names are not searched. A whole number
        # is found through the E.164 index; a fragment through pg_trgm on the digits.
        whole = phones.whole(query, dialling_country_for(user))
        ids = []
        if whole:
            ids = list(
                live.filter(phones__number=whole)
                .distinct()
                .order_by("display_name", "pk")
                .values_list("pk", flat=True)[:limit]
            )
        if not ids:
            condition = Q()
            for variant in variants:
                condition |= Q(search_phones__contains=variant)
            ids = list(
                live.filter(condition)
                .order_by("display_name", "pk")
                .values_list("pk", flat=True)[:limit]
            )
    else:
        words = Q()
        for term in terms[:6]:
            words &= Q(search_text__contains=term)
        # People type the start of a name ("zoe", "zoe men"): those matches come first, from
        # a btree range (migration 0002); the words found anywhere in names, companies and
        # e-mails fill up the rest.
        ids = list(
            live.annotate(prefix=_prefix_expression())
            .filter(prefix__startswith=" ".join(terms)[:PREFIX_CHARS])
            .order_by("prefix", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if len(ids) < limit:
            ids += list(
                live.filter(words)
                .exclude(pk__in=ids)
                .order_by("display_name", "pk")
                .values_list("pk", flat=True)[: limit - len(ids)]
            )
    return ids


def contact_search(*, user: User, query: str, limit: int = SEARCH_LIMIT) -> list[Contact]:
    """The user's contacts matching every word of `query` in names, company or e-mail, or
    whose phone numbers contain the digits typed (in any format)."""
    ids = _search_ids(user, query, limit)
    if not ids:
        return []
    found = {
        c.pk: c
        for c in contact_list(user=user)
        .filter(pk__in=ids)
        .defer("notes", "search_text", "search_phones", "vcard_extra")
    }
    return [found[pk] for pk in ids if pk in found]


def contact_search_summaries(
    *, user: User, query: str, limit: int = SEARCH_LIMIT
) -> list[dict[str, Any]]:
    """contact_search as plain values (what a result row shows), for search as you type:
    it runs on every keystroke, and building model instances costs more than the queries."""
    ids = _search_ids(user, query, limit)
    if not ids:
        return []
    country = dialling_country_for(user)
    rows: dict[int, dict[str, Any]] = {}
    for pk, book_id, name, company, linked in Contact.objects.filter(
        pk__in=ids, owner=user, deleted_at__isnull=True
    ).values_list("id", "book_id", "display_name", "company", "linked_user_id"):
        rows[pk] = {
            "id": pk,
            "book": book_id,
            "display_name": name,
            "company": company,
            "is_on_net": linked is not None,
            "linked_user": linked,
        }
    for row in rows.values():
        row["phones"], row["emails"] = [], []
    for contact_id, kind, number, extension in (
        Phone.objects.filter(contact_id__in=rows)
        .order_by("position", "pk")
        .values_list("contact_id", "kind", "number", "extension")
    ):
        rows[contact_id]["phones"].append(
            {
                "kind": kind,
                "number": number,
                "extension": extension,
                "display": phones.display(number, country),
            }
        )
    for contact_id, kind, address in (
        Email.objects.filter(contact_id__in=rows)
        .order_by("position", "pk")
        .values_list("contact_id", "kind", "address")
    ):
        rows[contact_id]["emails"].append({"kind": kind, "address": address})
    return [rows[pk] for pk in ids if pk in rows]


def directory_list(*, user: User) -> QuerySet[User]:
    """The company directory: every active colleague of the user (read-only)."""
    return account_selectors.user_colleagues(user=user).order_by("first_name", "last_name", "email")


def directory_search(*, user: User, query: str, limit: int = SEARCH_LIMIT) -> list[User]:
    """Colleagues matching `query`, then users elsewhere who allow being found by it."""
    terms = query.strip().split()
    if not terms:
        return []
    condition = Q()
    for term in terms[:6]:
        condition &= (
            Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(email__icontains=term)
        )
    colleagues = list(directory_list(user=user).filter(condition)[:limit])
    outside = list(directory_search_outside_company(user=user, query=query))
    return colleagues + [u for u in outside if u not in colleagues]


def directory_search_outside_company(*, user: User, query: str) -> QuerySet[User]:
    """Users of other companies who allow being found, by exact e-mail or exact full name
    only (case aside), so the directory cannot be scraped across companies."""
    query = " ".join(query.split())
    if not query:
        return User.objects.none()
    exact = Q(email__iexact=query)
    if "@" not in query:
        exact |= Q(full_name__iexact=query)
    return (
        User.objects.filter(is_active=True, profile__directory_visible_outside=True)
        .exclude(company_id=user.company_id or 0)  # (ids start at 1)
        .exclude(company__isnull=True)
        .annotate(full_name=Concat("first_name", Value(" "), "last_name"))
        .filter(exact)[:5]
    )


def linkable_users(*, user: User) -> QuerySet[User]:
    """Users a contact may be linked to ("on-net"): those the user may find."""
    return directory_list(user=user)


def import_list(*, user: User) -> QuerySet[ContactImport]:
    """The user's imports, newest first."""
    return ContactImport.objects.filter(owner=user).select_related("book")


def import_header(*, user: User, contact_import: ContactImport) -> list[str]:
    """The column names of an uploaded CSV file ([] for a vCard)."""
    assert contact_import.owner_id == user.pk
    if contact_import.format == sniff.VCARD:
        return []
    with contact_import.file.open("rb") as handle:
        head = handle.read(PREVIEW_BYTES)
    header, _sample = csvfile.preview(sniff.decode_head(head, contact_import.encoding), limit=1)
    return header


def import_preview(
    *,
    user: User,
    contact_import: ContactImport,
    mapping: list[str] | None = None,
    country: str | None = None,
    limit: int = 5,
) -> dict[str, Any]:
    """The first contacts of an uploaded file as they would be imported (through `mapping`
    and `country`, else the detected ones), and its columns with their first values."""
    assert contact_import.owner_id == user.pk
    mapping = mapping if mapping is not None else contact_import.mapping
    country = (country if country is not None else contact_import.country).upper()
    with contact_import.file.open("rb") as handle:
        head = handle.read(PREVIEW_BYTES)
    vcard_file = contact_import.format == sniff.VCARD
    text = sniff.decode_head(head, contact_import.encoding, vcard=vcard_file)
    header: list[str] = []
    sample: list[list[str]] = []
    if vcard_file:
        items = vcard.parse(text, charset=contact_import.encoding)
    else:
        header, sample = csvfile.preview(text, limit)
        items = csvfile.parse(text, mapping)
    contacts: list[records.ContactData | records.Rejected] = []
    groups: list[str] = []
    for item in items:
        if isinstance(item, records.Rejected):
            continue  # the head of a file may end inside a card
        if item.is_group:
            groups.append(item.full_name)
            continue
        contacts.append(records.clean(item, country, date_order=contact_import.date_order))
        if len(contacts) >= limit:
            break
    padded = list(mapping) + [""] * len(header)
    columns = [
        {
            "index": i,
            "header": name,
            "target": padded[i],
            "samples": [row[i] for row in sample if i < len(row) and row[i].strip()],
        }
        for i, name in enumerate(header)
    ]
    return {
        "header": header,
        "sample": sample,
        "contacts": contacts,
        "columns": columns,
        "country": country,
        "groups": groups,
    }


def _labelled(items: Any) -> list[dict[str, str]]:
    return [
        {"label": str(i.get("label", "")), "value": str(i.get("value", ""))} for i in items or []
    ]


def contact_export_rows(
    *, user: User, book: AddressBook, photos: bool = False
) -> list[dict[str, Any]]:
    """Every contact of one of the user's books as plain values, for the file writers
    (with each photo as JPEG bytes when `photos`)."""
    assert book.owner_id == user.pk
    rows = []
    contacts = contact_list(user=user, book=book).prefetch_related(
        "addresses", Prefetch("groups", queryset=ContactGroup.objects.order_by("name"))
    )
    for c in contacts:
        row: dict[str, Any] = {name: getattr(c, name) for name in records.TEXT_FIELDS}
        row.update(
            {
                "uid": c.uid or str(uuid.uuid5(uuid.NAMESPACE_URL, f"uc-web-contact:{c.pk}")),
                "display_name": c.display_name,
                "notes": c.notes,
                "birthday": c.birthday_iso,
                "groups": [g.name for g in c.groups.all()],
                "emails": [(e.kind, e.address, e.label) for e in c.emails.all()],
                "phones": [
                    (p.kind, p.number, p.extension, p.label, p.verified) for p in c.phones.all()
                ],
                "addresses": [
                    {
                        "kind": a.kind,
                        "label": a.label,
                        "street": a.street,
                        "city": a.city,
                        "region": a.region,
                        "postal_code": a.postal_code,
                        "country": a.country,
                    }
                    for a in c.addresses.all()
                ],
                "urls": _labelled(c.urls),
                "dates": _labelled(c.dates),
                "related": _labelled(c.related),
                "ims": _labelled(c.ims),
                "vcard_extra": [str(line) for line in c.vcard_extra or []],
                "photo": media.image_as_jpeg(c.photo) if photos and c.photo else None,
            }
        )
        rows.append(row)
    return rows
