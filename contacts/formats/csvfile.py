"""CSV exports of Outlook, Google Contacts and Thunderbird, or any CSV with a column mapping.

A mapping is a list with one target per column ("" ignores the column). Targets:
a field name (`given_name`, `notes`...), `email[:kind]`, `phone:<kind>`,
`address:<kind>:<part>`, and Google's numbered pairs `email#N:label`, `phone#N:value`,
`address#N:<part>`.
"""

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_lazy as _

from contacts.formats.records import ADDRESS_PARTS, PHONE_KINDS, ParsedContact, Rejected

OUTLOOK = "outlook"
GOOGLE = "google"
THUNDERBIRD = "thunderbird"
CUSTOM = "custom"
FORMAT_LABELS = {
    OUTLOOK: _("Outlook CSV"),
    GOOGLE: _("Google Contacts CSV"),
    THUNDERBIRD: _("Thunderbird CSV"),
    CUSTOM: _("CSV with your column mapping"),
}

SCALAR_TARGETS = (
    "given_name",
    "middle_name",
    "family_name",
    "full_name",
    "company",
    "job_title",
    "notes",
    "birthday",
    "birth_year",
    "birth_month",
    "birth_day",
    "categories",
    "uid",
)
_TARGET = re.compile(
    r"^(|"
    + "|".join(SCALAR_TARGETS)
    + r"|email(:(work|home|other))?|phone:("
    + "|".join(PHONE_KINDS)
    + r")|address:(work|home|other):("
    + "|".join(ADDRESS_PARTS)
    + r")|(email|phone|address)#\d{1,2}:(label|value|"
    + "|".join(ADDRESS_PARTS)
    + r"))$"
)

# What a person may pick for a column of an unrecognised CSV.
CUSTOM_TARGETS = [
    ("", _("Ignore this column")),
    ("given_name", _("First name")),
    ("family_name", _("Last name")),
    ("full_name", _("Full name")),
    ("company", _("Company")),
    ("job_title", _("Job title")),
    ("email", _("Email")),
    ("phone:mobile", _("Mobile phone")),
    ("phone:work", _("Work phone")),
    ("phone:home", _("Home phone")),
    ("phone:fax", _("Fax")),
    ("phone:other", _("Other phone")),
    ("address:home:street", _("Street")),
    ("address:home:city", _("City")),
    ("address:home:region", _("Region")),
    ("address:home:postal_code", _("Postal code")),
    ("address:home:country", _("Country")),
    ("birthday", _("Birthday")),
    ("notes", _("Notes")),
    ("categories", _("Groups")),
]

_OUTLOOK_PHONES = {
    "business phone": "work",
    "business phone 2": "work",
    "company main phone": "work",
    "assistant's phone": "work",
    "callback": "other",
    "car phone": "mobile",
    "home phone": "home",
    "home phone 2": "home",
    "mobile phone": "mobile",
    "business fax": "fax",
    "home fax": "fax",
    "other fax": "fax",
    "other phone": "other",
    "primary phone": "other",
    "pager": "other",
    "radio phone": "other",
    "isdn": "other",
    "tty/tdd phone": "other",
    "telex": "other",
}
_OUTLOOK_FIELDS = {
    "first name": "given_name",
    "middle name": "middle_name",
    "last name": "family_name",
    "company": "company",
    "job title": "job_title",
    "birthday": "birthday",
    "notes": "notes",
    "categories": "categories",
    "e-mail address": "email",
    "e-mail 2 address": "email",
    "e-mail 3 address": "email",
}
_OUTLOOK_ADDRESS_PARTS = {
    "street": "street",
    "street 2": "street",
    "street 3": "street",
    "city": "city",
    "state": "region",
    "postal code": "postal_code",
    "country/region": "country",
}

_THUNDERBIRD = {
    "first name": "given_name",
    "last name": "family_name",
    "display name": "full_name",
    "primary email": "email",
    "secondary email": "email",
    "work phone": "phone:work",
    "home phone": "phone:home",
    "fax number": "phone:fax",
    "pager number": "phone:other",
    "mobile number": "phone:mobile",
    "home address": "address:home:street",
    "home address 2": "address:home:street",
    "home city": "address:home:city",
    "home state": "address:home:region",
    "home zipcode": "address:home:postal_code",
    "home country": "address:home:country",
    "work address": "address:work:street",
    "work address 2": "address:work:street",
    "work city": "address:work:city",
    "work state": "address:work:region",
    "work zipcode": "address:work:postal_code",
    "work country": "address:work:country",
    "job title": "job_title",
    "organization": "company",
    "birth year": "birth_year",
    "birth month": "birth_month",
    "birth day": "birth_day",
    "notes": "notes",
}

_GOOGLE_FIELDS = {
    "name": "full_name",
    "first name": "given_name",
    "given name": "given_name",
    "middle name": "middle_name",
    "additional name": "middle_name",
    "last name": "family_name",
    "family name": "family_name",
    "organization name": "company",
    "organization 1 - name": "company",
    "organization title": "job_title",
    "organization 1 - title": "job_title",
    "birthday": "birthday",
    "notes": "notes",
    "labels": "categories",
    "group membership": "categories",
}
_GOOGLE_NUMBERED = re.compile(r"^(e-mail|phone|address) (\d+) - (.+)$")
_GOOGLE_PARTS = {
    "label": "label",
    "type": "label",
    "value": "value",
    "street": "street",
    "city": "city",
    "region": "region",
    "postal code": "postal_code",
    "country": "country",
}

# Words in a header that suggest a target, for CSV files we do not recognise.
_GUESSES = [
    ("e-mail", "email"),
    ("email", "email"),
    ("mail", "email"),
    ("mobile", "phone:mobile"),
    ("cell", "phone:mobile"),
    ("fax", "phone:fax"),
    ("phone", "phone:other"),
    ("tel", "phone:other"),
    ("first", "given_name"),
    ("given", "given_name"),
    ("forename", "given_name"),
    ("last", "family_name"),
    ("surname", "family_name"),
    ("family", "family_name"),
    ("full name", "full_name"),
    ("name", "full_name"),
    ("company", "company"),
    ("organi", "company"),
    ("title", "job_title"),
    ("street", "address:home:street"),
    ("address", "address:home:street"),
    ("city", "address:home:city"),
    ("town", "address:home:city"),
    ("zip", "address:home:postal_code"),
    ("postcode", "address:home:postal_code"),
    ("postal", "address:home:postal_code"),
    ("country", "address:home:country"),
    ("birth", "birthday"),
    ("note", "notes"),
]


def _key(header: str) -> str:
    return header.strip().strip("\ufeff").lower()


def target_is_valid(target: str) -> bool:
    return bool(_TARGET.match(target))


def outlook_mapping(header: list[str]) -> list[str]:
    mapping = []
    for column in map(_key, header):
        target = _OUTLOOK_FIELDS.get(column, "")
        if column in _OUTLOOK_PHONES:
            target = f"phone:{_OUTLOOK_PHONES[column]}"
        for prefix, kind in (("business ", "work"), ("home ", "home"), ("other ", "other")):
            if column.startswith(prefix) and column[len(prefix) :] in _OUTLOOK_ADDRESS_PARTS:
                target = f"address:{kind}:{_OUTLOOK_ADDRESS_PARTS[column[len(prefix) :]]}"
        mapping.append(target)
    return mapping


def google_mapping(header: list[str]) -> list[str]:
    mapping = []
    for column in map(_key, header):
        target = _GOOGLE_FIELDS.get(column, "")
        if m := _GOOGLE_NUMBERED.match(column):
            kind = "email" if m[1] == "e-mail" else m[1]
            part = _GOOGLE_PARTS.get(m[3], "")
            if part and (kind == "address" or part in ("label", "value")):
                target = f"{kind}#{m[2]}:{part}"
        mapping.append(target)
    return mapping


def guess_mapping(header: list[str]) -> list[str]:
    mapping = []
    for column in map(_key, header):
        target = next((t for word, t in _GUESSES if word in column), "")
        mapping.append(target)
    return mapping


def detect(header: list[str]) -> tuple[str, list[str]]:
    """The application that wrote a CSV header, and the mapping of its columns."""
    keys = {_key(h) for h in header}
    if {"first name", "last name", "e-mail address", "business phone"} <= keys:
        return OUTLOOK, outlook_mapping(header)
    if any(_GOOGLE_NUMBERED.match(k) for k in keys) and (
        keys & {"first name", "given name", "name"}
    ):
        return GOOGLE, google_mapping(header)
    if {"first name", "last name", "display name", "primary email"} <= keys:
        return THUNDERBIRD, [_THUNDERBIRD.get(k, "") for k in map(_key, header)]
    return CUSTOM, guess_mapping(header)


def delimiter_of(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: counts[sep])


def reader(text: str) -> tuple[Any, str]:
    """A csv reader over `text` and the delimiter it uses."""
    first_line = text.split("\n", 1)[0]
    delimiter = delimiter_of(first_line)
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), delimiter


# Spreadsheets run a cell that starts with these as a formula; exported cells get a leading
# apostrophe (which spreadsheets hide), and imported ones lose it again.
_FORMULA_START = ("=", "@", "\t", "\r")


def _cell_out(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _cell_in(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


def _split_multi(value: str) -> list[str]:
    # Google packs several values into one cell separated by " ::: ".
    return [v.strip() for v in value.split(":::") if v.strip()]


def row_to_contact(row: list[str], mapping: list[str], line: int) -> ParsedContact:
    """One CSV row read through a mapping."""
    parsed = ParsedContact(line=line)
    scalars: dict[str, list[str]] = {}
    addresses: dict[str, dict[str, str]] = {}
    numbered: dict[str, dict[str, str]] = {}
    for value, target in zip(row, mapping, strict=False):
        value = _cell_in(value.strip())
        if not value or not target:
            continue
        if "#" in target:
            group, _sep, part = target.partition(":")
            numbered.setdefault(group, {})[part] = value
        elif target.startswith("address:"):
            _a, kind, part = target.split(":")
            current = addresses.setdefault(kind, {"kind": kind})
            current[part] = f"{current[part]}\n{value}" if current.get(part) else value
        elif target.startswith("phone:"):
            parsed.phones.extend((target[6:], v) for v in _split_multi(value))
        elif target.startswith("email"):
            kind = target[6:] or "other"
            parsed.emails.extend((kind, v) for v in _split_multi(value))
        else:
            scalars.setdefault(target, []).append(value)

    def scalar(name: str, sep: str = " ") -> str:
        return sep.join(scalars.get(name, []))

    parsed.given_name = " ".join(filter(None, [scalar("given_name"), scalar("middle_name")]))
    parsed.family_name = scalar("family_name")
    parsed.full_name = scalar("full_name")
    parsed.company = scalar("company")
    parsed.job_title = scalar("job_title")
    parsed.notes = scalar("notes", "\n")
    parsed.uid = scalar("uid")
    parsed.birthday = scalar("birthday")
    year, month, day = scalar("birth_year"), scalar("birth_month"), scalar("birth_day")
    if month and day and not parsed.birthday:
        parsed.birthday = (
            f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
            if year.isdigit() and month.isdigit() and day.isdigit()
            else f"--{month.zfill(2)}-{day.zfill(2)}"
            if month.isdigit() and day.isdigit()
            else f"{year}-{month}-{day}"
        )
    for value in scalars.get("categories", []):
        for label in re.split(r":::|;", value):
            label = label.strip()
            # Google's system groups start with "* " (* myContacts, * starred).
            if label and not label.startswith("*"):
                parsed.categories.append(label)
    for group in sorted(numbered, key=lambda g: (g.split("#")[0], int(g.split("#")[1]))):
        parts = numbered[group]
        kind_word = group.split("#")[0]
        label = parts.get("label", "").lstrip("* ").lower()
        if kind_word == "address":
            address = {p: parts.get(p, "") for p in ADDRESS_PARTS}
            address["kind"] = "work" if "work" in label else "home" if "home" in label else "other"
            addresses[group] = address
            continue
        for value in _split_multi(parts.get("value", "")):
            if kind_word == "email":
                kind = "work" if "work" in label else "home" if "home" in label else "other"
                parsed.emails.append((kind, value))
            else:
                kind = next(
                    (k for k in ("fax", "mobile", "work", "home") if k in label),
                    "mobile" if "cell" in label else "other",
                )
                parsed.phones.append((kind, value))
    parsed.addresses = list(addresses.values())
    # Numbers without a country code belong to the row's country, when it names one.
    ordered = sorted(parsed.addresses, key=lambda a: a.get("kind") != "work")
    parsed.country = next((a["country"] for a in ordered if a.get("country")), "")
    return parsed


def parse(text: str, mapping: list[str]) -> Iterator[ParsedContact | Rejected]:
    """Every data row of a CSV file with its first line number; the header row is skipped."""
    rows, _delimiter = reader(text)
    previous_line = 0
    header_seen = False
    for row in rows:
        start = previous_line + 1
        previous_line = rows.line_num
        if not header_seen:
            header_seen = True
            continue
        if not any(cell.strip() for cell in row):
            continue
        yield row_to_contact(row, mapping, start)


def preview(text: str, limit: int = 5) -> tuple[list[str], list[list[str]]]:
    """The header and the first rows of a CSV file."""
    rows, _delimiter = reader(text)
    header: list[str] = []
    sample: list[list[str]] = []
    for row in rows:
        if not header:
            header = [h.strip().strip("\ufeff") for h in row]
            continue
        if any(cell.strip() for cell in row):
            sample.append(row)
        if len(sample) >= limit:
            break
    return header, sample


# --- Writing: Google's layout, which keeps every e-mail, phone and address ----------------
def write(contacts: list[dict[str, Any]]) -> str:
    """A CSV file in Google Contacts' column layout (plus Name for contacts without one)."""
    emails = max((len(c["emails"]) for c in contacts), default=0) or 1
    phones = max((len(c["phones"]) for c in contacts), default=0) or 1
    addrs = max((len(c["addresses"]) for c in contacts), default=0) or 1
    header = ["Name", "First Name", "Last Name", "Organization Name", "Organization Title"]
    header += ["Birthday", "Notes", "Labels"]
    for n in range(1, emails + 1):
        header += [f"E-mail {n} - Label", f"E-mail {n} - Value"]
    for n in range(1, phones + 1):
        header += [f"Phone {n} - Label", f"Phone {n} - Value"]
    for n in range(1, addrs + 1):
        header += [f"Address {n} - Label", f"Address {n} - Street", f"Address {n} - City"]
        header += [f"Address {n} - Region", f"Address {n} - Postal Code", f"Address {n} - Country"]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for c in contacts:
        row = [c["display_name"], c["given_name"], c["family_name"], c["company"], c["job_title"]]
        row += [c["birthday"], c["notes"], " ::: ".join(c["categories"])]
        for n in range(emails):
            row += list(c["emails"][n]) if n < len(c["emails"]) else ["", ""]
        for n in range(phones):
            if n < len(c["phones"]):
                kind, e164, extension = c["phones"][n]
                row += [kind, f"{e164} ext. {extension}" if extension else e164]
            else:
                row += ["", ""]
        for n in range(addrs):
            if n < len(c["addresses"]):
                a = c["addresses"][n]
                row += [a["kind"], a["street"], a["city"], a["region"], a["postal_code"]]
                row += [a["country"]]
            else:
                row += [""] * 6
        writer.writerow([_cell_out(str(cell)) for cell in row])
    return out.getvalue()
