"""Round trips over generated contacts (hypothesis): what we export as vCard 3.0, vCard 4.0
or CSV reads back as the same contact, field by field; and once through the database."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts import importing, selectors, services
from contacts.formats import csvfile, records, vcard
from contacts.models import Contact

# Text people type: any letter, digit, mark, punctuation or symbol, in any script, with the
# characters vCard and CSV must escape (; , \ : " newline) among them; no control or
# format characters, no line separators.
CHARACTERS = st.characters(
    exclude_categories=("Cc", "Cs", "Co", "Cn", "Cf", "Zl", "Zp"), exclude_characters="\x85"
)
WORD = st.text(CHARACTERS, min_size=1, max_size=12).map(lambda s: "".join(s.split())).filter(bool)
PHRASE = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
OPTIONAL = st.one_of(st.just(""), PHRASE)
NOTES = st.one_of(st.just(""), st.lists(PHRASE, min_size=1, max_size=3).map("\n".join))
LABEL = st.one_of(st.just(""), PHRASE.filter(lambda s: not s.startswith("*")))
# Valid numbers of several countries (the rule keeps them as they are, in E.164).
NUMBERS = [
    "+442079460018",
    "+447911123456",
    "+33142685300",
    "+33612345678",
    "+4930901820",
    "+491712345678",
    "+12025550143",
    "+819012345678",
    "+81312345678",
    "+61412345678",
    "+2348031234567",
    "+4315123456",
]
URL = st.from_regex(r"https?://[a-z0-9]{1,10}\.example(/[a-z0-9._~%?=&-]{0,12})?", fullmatch=True)
HANDLE = st.from_regex(r"[a-z0-9][a-z0-9._@-]{0,15}", fullmatch=True)
SERVICE = st.one_of(
    st.just(""), st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{0,10}[A-Za-z0-9]", fullmatch=True)
)
DATE = st.one_of(
    st.dates(min_value=__import__("datetime").date(1900, 1, 1)).map(lambda d: d.isoformat()),
    st.dates().map(lambda d: f"--{d.month:02d}-{d.day:02d}"),
)


def unique_by(key):
    return lambda items: len({key(i) for i in items}) == len(items)


@st.composite
def contacts(draw, *, csv: bool = False) -> dict:
    """A contact as contacts.selectors.contact_export_rows gives it to the writers. For
    CSV (Google's layout: one label column per value) a custom label stands in for the
    kind, so a labelled value is of kind "other"."""
    row: dict = {name: draw(OPTIONAL) for name in records.TEXT_FIELDS}
    row["display_name"] = draw(PHRASE)
    row["uid"] = draw(st.uuids()).hex
    row["notes"] = draw(NOTES)
    row["birthday"] = draw(st.one_of(st.just(""), DATE))
    kinds = st.sampled_from(records.PHONE_KINDS)
    phones = draw(
        st.lists(
            st.tuples(
                kinds,
                st.sampled_from(NUMBERS),
                st.sampled_from(["", "12", ",,1234#", ";5"]),
                LABEL,
            ),
            max_size=3,
            unique_by=lambda p: p[1],
        )
    )
    row["phones"] = [
        ("other" if csv and label else kind, number, post, label, True)
        for kind, number, post, label in phones
    ]
    emails = draw(
        st.lists(
            st.tuples(
                st.sampled_from(records.EMAIL_KINDS),
                st.from_regex(r"[a-z0-9]{1,8}@[a-z]{1,8}\.example", fullmatch=True),
                LABEL,
            ),
            max_size=3,
            unique_by=lambda e: e[1],
        )
    )
    row["emails"] = [
        ("other" if csv and label else kind, address, label) for kind, address, label in emails
    ]
    addresses = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "kind": st.sampled_from(records.EMAIL_KINDS),
                    "label": LABEL,
                    "street": st.one_of(st.just(""), st.lists(PHRASE, max_size=2).map("\n".join)),
                    "city": PHRASE,
                    "region": OPTIONAL,
                    "postal_code": OPTIONAL.map(lambda s: s[:20].strip()),
                    "country": OPTIONAL.map(lambda s: s[:100]),
                }
            ),
            max_size=2,
        )
    )
    for address in addresses:
        if csv and address["label"]:
            address["kind"] = "other"
    row["addresses"] = addresses
    groups = draw(
        st.lists(
            PHRASE.map(lambda s: s[:100].strip()).filter(
                lambda s: s and ";" not in s and ":::" not in s and not s.startswith("*")
            ),
            max_size=3,
            unique_by=str.lower,
        )
    )
    row["groups"] = sorted(groups, key=str.lower)

    def labelled(values):
        return st.lists(
            st.fixed_dictionaries({"label": LABEL, "value": values}),
            max_size=2,
            unique_by=lambda item: (item["label"], item["value"]),
        )

    row["urls"] = draw(labelled(URL))
    row["dates"] = draw(labelled(DATE))
    row["related"] = draw(labelled(PHRASE))
    row["ims"] = draw(
        st.lists(
            st.fixed_dictionaries({"label": SERVICE, "value": HANDLE}),
            max_size=2,
            unique_by=lambda item: (item["label"], item["value"]),
        )
    )
    row["vcard_extra"] = []
    row["photo"] = None
    return row


def normalised(row: dict) -> dict:
    """What a contact looks like once read: labels that are vCard words in lower case."""
    row = dict(row)
    for name in ("urls", "dates", "related"):
        items = []
        for item in row[name]:
            label = item["label"]
            if label.lower() in records.RELATION_WORDS | {"anniversary", "work", "home"}:
                label = label.lower()
            items.append({"label": label, "value": item["value"]})
        row[name] = items
    row["phones"] = [
        (k, n, x, "" if lb.lower() in records.PHONE_KIND_WORDS else lb, v)
        for k, n, x, lb, v in row["phones"]
    ]
    row["emails"] = [
        (k, a, "" if lb.lower() in records.EMAIL_KIND_WORDS else lb) for k, a, lb in row["emails"]
    ]
    row["addresses"] = [
        {**a, "label": "" if a["label"].lower() in records.EMAIL_KIND_WORDS else a["label"]}
        for a in row["addresses"]
    ]
    return row


def as_row(data: records.ContactData) -> dict:
    """A read contact in the shape of contact_export_rows."""
    row = {name: getattr(data, name) for name in records.TEXT_FIELDS}
    row.update(
        uid=data.uid,
        display_name=data.display_name,
        notes=data.notes,
        birthday=records.normalise.birthday_iso(data.birth_year, data.birth_month, data.birth_day),
        groups=sorted(data.groups, key=str.lower),
        emails=data.emails,
        phones=data.phones,
        addresses=data.addresses,
        urls=data.urls,
        dates=data.dates,
        related=data.related,
        ims=data.ims,
        vcard_extra=data.vcard_extra,
        photo=None,
    )
    return row


def read_back(text: str, fmt: str) -> list[dict]:
    if fmt == "csv":
        detected = csvfile.detect(next(csvfile.reader(text)[0]))
        assert detected.format == csvfile.GOOGLE
        items = list(csvfile.parse(text, detected.mapping))
    else:
        items = list(vcard.parse(text))
    rows = []
    for item in items:
        assert isinstance(item, records.ParsedContact), item
        if item.is_group:
            continue
        data = records.clean(item, "GB", date_order="ymd")
        assert isinstance(data, records.ContactData), data
        assert data.problems == [] and data.notices == [] and data.unverified == []
        rows.append(as_row(data))
    return rows


def check(rows: list[dict], fmt: str) -> None:
    if fmt == "csv":
        text = csvfile.write(rows)
    else:
        text = "".join(vcard.write(rows, "4.0" if fmt == "vcard4" else "3.0"))
    back = read_back(text, fmt)
    expected = [normalised(r) for r in rows]
    if fmt == "csv":
        for row in [*expected, *back]:
            row.pop("uid")  # Google's layout has no UID column
    assert back == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(contacts(), min_size=1, max_size=3))
def test_vcard_3_round_trip_keeps_every_field(rows):
    check(rows, "vcard3")


@settings(max_examples=150, deadline=None)
@given(st.lists(contacts(), min_size=1, max_size=3))
def test_vcard_4_round_trip_keeps_every_field(rows):
    check(rows, "vcard4")


@settings(max_examples=150, deadline=None)
@given(st.lists(contacts(csv=True), min_size=1, max_size=3))
def test_csv_round_trip_keeps_every_field(rows):
    check(rows, "csv")


@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fmt=st.sampled_from(["vcard3", "vcard4", "csv"]), data=st.data())
def test_import_export_import_through_the_database_keeps_every_field(alice, fmt, data):
    """The file is imported into a book, exported, and imported into another book: both
    books hold the same contacts (CSV: without UIDs and vCard-only properties)."""
    rows = data.draw(
        st.lists(
            contacts(csv=fmt == "csv"),
            min_size=1,
            max_size=3,
            unique_by=lambda r: r["display_name"],
        )
    )
    Contact.objects.filter(owner=alice).delete()
    alice.address_books.filter(is_default=False).delete()
    source = services.book_create(owner=alice, name="Source")
    text = "".join(vcard.write(rows, "3.0"))
    first = importing.import_upload(owner=alice, file=SimpleUploadedFile("in.vcf", text.encode()))
    importing.import_start(contact_import=first, by=alice, book=source, duplicates="create")
    content, _type, filename = importing.book_export(user=alice, book=source, fmt=fmt)
    copy = services.book_create(owner=alice, name="Copy")
    second = importing.import_upload(owner=alice, file=SimpleUploadedFile(filename, content))
    importing.import_start(contact_import=second, by=alice, book=copy, duplicates="create")

    def snapshot(book):
        found = []
        for row in selectors.contact_export_rows(user=alice, book=book):
            if fmt == "csv":
                row.pop("uid")
                row.pop("vcard_extra")
            found.append(row)
        return sorted(found, key=lambda r: r["display_name"])

    before = snapshot(source)
    assert len(before) == len(rows)
    assert snapshot(copy) == before
