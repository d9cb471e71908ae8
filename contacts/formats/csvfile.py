"""CSV exports of Outlook (in its languages), Google Contacts and Thunderbird, or any CSV
with a column mapping.

A mapping is a list with one target per column ("" ignores the column). Targets:
a field name (`given_name`, `department`, `notes`...), `groups`, `email[:kind]`,
`phone:<kind>`, `address:<kind>:<part>`, `url[:label]`, `date:<label>`, `related:<label>`,
`im[:service]`, and Google's numbered columns `<what>#N:<part>` (`email#1:label`,
`phone#2:value`, `address#1:city`, `website#1:value`, `relation#1:label`, `event#1:value`,
`im#1:service`).

Outlook's column names per language live in data/outlook_csv.json, not in code.
"""

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from contacts.formats import sniff
from contacts.formats.records import (
    ADDRESS_PARTS,
    PHONE_KINDS,
    TEXT_FIELDS,
    ParsedContact,
    Rejected,
)

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
    *TEXT_FIELDS,
    "full_name",
    "notes",
    "birthday",
    "birth_year",
    "birth_month",
    "birth_day",
    "groups",
    "uid",
)
_LABEL = r"[^:#]{0,60}"
_TARGET = re.compile(
    r"^(|"
    + "|".join(SCALAR_TARGETS)
    + r"|categories|email(:(work|home|other))?|phone:("
    + "|".join(PHONE_KINDS)
    + r")|address:(work|home|other):("
    + "|".join(ADDRESS_PARTS)
    + rf")|url(:{_LABEL})?|date:{_LABEL}|related:{_LABEL}|im(:{_LABEL})?"
    + r"|(email|phone|address|website|relation|event|im)#\d{1,2}:(label|value|service|"
    + "|".join(ADDRESS_PARTS)
    + r"))$"
)

# What a person may pick for a column: every field of a contact.
CUSTOM_TARGETS = [
    ("", _("Ignore this column")),
    ("full_name", _("Full name")),
    ("name_prefix", _("Title (Dr., Mrs.)")),
    ("given_name", _("First name")),
    ("middle_name", _("Middle name")),
    ("family_name", _("Last name")),
    ("name_suffix", _("Name suffix (Jr., PhD)")),
    ("nickname", _("Nickname")),
    ("phonetic_given_name", _("First name (phonetic)")),
    ("phonetic_middle_name", _("Middle name (phonetic)")),
    ("phonetic_family_name", _("Last name (phonetic)")),
    ("company", _("Company")),
    ("department", _("Department")),
    ("job_title", _("Job title")),
    ("role", _("Role")),
    ("email:work", _("Email (work)")),
    ("email:home", _("Email (home)")),
    ("email", _("Email (other)")),
    ("phone:mobile", _("Mobile phone")),
    ("phone:work", _("Work phone")),
    ("phone:home", _("Home phone")),
    ("phone:main", _("Main phone")),
    ("phone:fax", _("Work fax")),
    ("phone:home_fax", _("Home fax")),
    ("phone:pager", _("Pager")),
    ("phone:car", _("Car phone")),
    ("phone:isdn", _("ISDN")),
    ("phone:assistant", _("Assistant's phone")),
    ("phone:other", _("Other phone")),
    ("address:work:street", _("Work address: street")),
    ("address:work:city", _("Work address: city")),
    ("address:work:region", _("Work address: region")),
    ("address:work:postal_code", _("Work address: postal code")),
    ("address:work:country", _("Work address: country")),
    ("address:home:street", _("Home address: street")),
    ("address:home:city", _("Home address: city")),
    ("address:home:region", _("Home address: region")),
    ("address:home:postal_code", _("Home address: postal code")),
    ("address:home:country", _("Home address: country")),
    ("address:other:street", _("Other address: street")),
    ("address:other:city", _("Other address: city")),
    ("address:other:region", _("Other address: region")),
    ("address:other:postal_code", _("Other address: postal code")),
    ("address:other:country", _("Other address: country")),
    ("birthday", _("Birthday")),
    ("date:anniversary", _("Anniversary")),
    ("url", _("Web page")),
    ("related:spouse", _("Spouse or partner")),
    ("related:child", _("Children")),
    ("related:assistant", _("Assistant's name")),
    ("related:manager", _("Manager's name")),
    ("im", _("Instant messaging handle")),
    ("notes", _("Notes")),
    ("groups", _("Groups")),
]

_THUNDERBIRD = {
    "first name": "given_name",
    "last name": "family_name",
    "display name": "full_name",
    "nickname": "nickname",
    "primary email": "email",
    "secondary email": "email",
    "work phone": "phone:work",
    "home phone": "phone:home",
    "fax number": "phone:fax",
    "pager number": "phone:pager",
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
    "department": "department",
    "organization": "company",
    "web page 1": "url:work",
    "web page 2": "url:home",
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
    "name prefix": "name_prefix",
    "name suffix": "name_suffix",
    "nickname": "nickname",
    "phonetic first name": "phonetic_given_name",
    "given name yomi": "phonetic_given_name",
    "phonetic middle name": "phonetic_middle_name",
    "additional name yomi": "phonetic_middle_name",
    "phonetic last name": "phonetic_family_name",
    "family name yomi": "phonetic_family_name",
    "organization name": "company",
    "organization 1 - name": "company",
    "organization department": "department",
    "organization 1 - department": "department",
    "organization title": "job_title",
    "organization 1 - title": "job_title",
    "organization job description": "role",
    "organization 1 - job description": "role",
    "birthday": "birthday",
    "notes": "notes",
    "labels": "groups",
    "group membership": "groups",
}
_GOOGLE_NUMBERED = re.compile(r"^(e-mail|phone|address|website|relation|event|im) (\d+) - (.+)$")
_GOOGLE_PARTS = {
    "label": "label",
    "type": "label",
    "value": "value",
    "service": "service",
    "street": "street",
    "city": "city",
    "region": "region",
    "postal code": "postal_code",
    "country": "country",
}
_KIND_WORDS = {
    "mobile": "mobile",
    "cell": "mobile",
    "work": "work",
    "home": "home",
    "main": "main",
    "work fax": "fax",
    "fax": "fax",
    "home fax": "home_fax",
    "pager": "pager",
    "car": "car",
    "isdn": "isdn",
    "assistant": "assistant",
    "callback": "callback",
    "radio": "radio",
    "telex": "telex",
    "textphone": "textphone",
    "other": "other",
}
_EMAIL_WORDS = {"work": "work", "home": "home", "other": "other"}

# Words in a header that suggest a target, for CSV files we do not recognise; the first
# match wins, so longer and more specific words come first.
_GUESSES = [
    ("e-mail type", ""),
    ("email type", ""),
    ("display name", "full_name"),
    ("e-mail", "email"),
    ("email", "email"),
    ("mail", "email"),
    ("mobile", "phone:mobile"),
    ("cell", "phone:mobile"),
    ("fax", "phone:fax"),
    ("pager", "phone:pager"),
    ("work phone", "phone:work"),
    ("business phone", "phone:work"),
    ("home phone", "phone:home"),
    ("phone", "phone:other"),
    ("tel", "phone:other"),
    ("middle", "middle_name"),
    ("first", "given_name"),
    ("given", "given_name"),
    ("forename", "given_name"),
    ("last", "family_name"),
    ("surname", "family_name"),
    ("family", "family_name"),
    ("nickname", "nickname"),
    ("full name", "full_name"),
    ("name", "full_name"),
    ("company", "company"),
    ("organi", "company"),
    ("department", "department"),
    ("job", "job_title"),
    ("title", "job_title"),
    ("role", "role"),
    ("street", "address:home:street"),
    ("address", "address:home:street"),
    ("city", "address:home:city"),
    ("town", "address:home:city"),
    ("zip", "address:home:postal_code"),
    ("postcode", "address:home:postal_code"),
    ("postal", "address:home:postal_code"),
    ("state", "address:home:region"),
    ("country", "address:home:country"),
    ("birth", "birthday"),
    ("anniversary", "date:anniversary"),
    ("web", "url"),
    ("url", "url"),
    ("note", "notes"),
    ("categor", "groups"),
    ("group", "groups"),
]


def _key(header: str) -> str:
    return " ".join(header.strip().strip("\ufeff").lower().split())


def target_is_valid(target: str) -> bool:
    return bool(_TARGET.match(target))


def target_label(target: str) -> str:
    """What a mapping target is called on the mapping page."""
    labels = dict(CUSTOM_TARGETS)
    if target in labels:
        return str(labels[target])
    what, _sep, rest = target.partition(":")
    names = {
        "phone": _("Phone"),
        "address": _("Address"),
        "date": _("Date"),
        "related": _("Related person"),
        "url": _("Web page"),
        "im": _("Messaging"),
        "email": _("Email"),
    }
    base = names.get(what.split("#")[0], what)
    return f"{base} ({rest.replace(':', ', ')})" if rest else str(base)


# --- Outlook, in every language of data/outlook_csv.json --------------------------------
@dataclass(frozen=True)
class OutlookLanguage:
    code: str
    name: str
    date_order: str
    legacy_encoding: str
    targets: dict[str, str]  # folded column name -> mapping target


@lru_cache(maxsize=1)
def outlook_languages() -> list[OutlookLanguage]:
    data = json.loads((Path(__file__).parent / "data" / "outlook_csv.json").read_text("utf-8"))
    fields = data["fields"]
    english = {_key(name): target for name, target in fields.items()}
    languages = []
    for code, spec in data["languages"].items():
        targets = dict(english)  # some localised exports keep English names for a few columns
        targets.update({_key(h): fields[canonical] for h, canonical in spec["headers"].items()})
        languages.append(
            OutlookLanguage(
                code, spec["name"], spec["date_order"], spec["legacy_encoding"], targets
            )
        )
    return languages


@dataclass(frozen=True)
class Detected:
    format: str
    mapping: list[str]
    language: str = ""  # an Outlook export's language
    date_order: str = "mdy"


def _outlook(header: list[str]) -> tuple[OutlookLanguage, int] | None:
    """The Outlook language whose column names best match `header`, and how many match."""
    keys = [_key(h) for h in header]
    best: tuple[OutlookLanguage, int] | None = None
    for language in outlook_languages():
        hits = [language.targets[k] for k in keys if k in language.targets]
        native = sum(1 for k in keys if k in language.targets)
        # A person's names and a way to reach them: what every Outlook export has.
        if "given_name" not in hits or "family_name" not in hits or native < 4:
            continue
        if not any(t.startswith(("phone:", "email", "address:")) for t in hits):
            continue
        if best is None or native > best[1]:
            best = (language, native)
    return best


def outlook_mapping(header: list[str], language: OutlookLanguage) -> list[str]:
    return [language.targets.get(_key(h), "") for h in header]


def google_mapping(header: list[str]) -> list[str]:
    mapping = []
    for column in map(_key, header):
        target = _GOOGLE_FIELDS.get(column, "")
        if m := _GOOGLE_NUMBERED.match(column):
            kind = "email" if m[1] == "e-mail" else m[1]
            part = _GOOGLE_PARTS.get(m[3], "")
            if part and (kind == "address" or part in ("label", "value", "service")):
                target = f"{kind}#{m[2]}:{part}"
        mapping.append(target)
    return mapping


def guess_mapping(header: list[str]) -> list[str]:
    mapping = []
    for column in map(_key, header):
        target = next((t for word, t in _GUESSES if word in column), "")
        mapping.append(target)
    # Several columns guessed as the same name part (First, Middle, Last all "...name"):
    # only the first keeps it, so that nothing is silently merged into one field.
    seen: set[str] = set()
    for index, target in enumerate(mapping):
        if target in SCALAR_TARGETS and target not in ("notes", "groups"):
            if target in seen:
                mapping[index] = ""
            seen.add(target)
    return mapping


def detect(header: list[str]) -> Detected:
    """The application (and language) that wrote a CSV header, and its column mapping."""
    keys = {_key(h) for h in header}
    # Google's and Thunderbird's own columns first: they share a few English names with
    # Outlook's ("First Name", "Home Phone").
    if any(_GOOGLE_NUMBERED.match(k) for k in keys) and (
        keys & {"first name", "given name", "name"}
    ):
        return Detected(GOOGLE, google_mapping(header))
    if {"first name", "last name", "display name", "primary email"} <= keys:
        return Detected(THUNDERBIRD, [_THUNDERBIRD.get(k, "") for k in map(_key, header)])
    if found := _outlook(header):
        language, _hits = found
        mapping = outlook_mapping(header, language)
        return Detected(OUTLOOK, mapping, language.code, language.date_order)
    return Detected(CUSTOM, guess_mapping(header))


def legacy_encodings() -> list[str]:
    """The 8-bit code pages Outlook exports are written in, most common first."""
    return list(dict.fromkeys(lang.legacy_encoding for lang in outlook_languages()))


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
_FORMULA_START = ("=", "@", "\t", "\r", "+", "-")
# Cells that start like a formula but are a phone number or a yearless date, and only that.
_NOT_FORMULA = re.compile(r"^(?:\+[\d ().\-/]+(?: ext\. \d+|[,;\d*#]*)|--\d\d-?\d\d)$")


def _cell_out(value: str) -> str:
    if value.startswith(_FORMULA_START) and not _NOT_FORMULA.match(value):
        return f"'{value}"
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return f"'{value}"  # an apostrophe of its own survives the one taken off on import
    return value


def _cell_in(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


def _split_multi(value: str) -> list[str]:
    # Google packs several values into one cell separated by " ::: ".
    return [v.strip() for v in value.split(":::") if v.strip()]


def _phone_kind(label: str, fallback: str = "other") -> tuple[str, str]:
    """Our kind for a Google phone label, and the label when it is a custom one."""
    word = label.lstrip("* ").strip()
    if word.lower() in _KIND_WORDS:
        return _KIND_WORDS[word.lower()], ""
    return fallback, word


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
            parsed.phones.extend((target[6:], v, "") for v in _split_multi(value))
        elif target.startswith("email"):
            kind = target[6:] or "other"
            parsed.emails.extend((kind, v, "") for v in _split_multi(value))
        elif target.startswith(("url", "date:", "related:", "im")):
            what, _sep, label = target.partition(":")
            pairs = {"url": parsed.urls, "date": parsed.dates, "related": parsed.related}
            pairs.get(what, parsed.ims).extend((label, v) for v in _split_multi(value))
        else:
            scalars.setdefault("groups" if target == "categories" else target, []).append(value)

    def scalar(name: str, sep: str = " ") -> str:
        return sep.join(scalars.get(name, []))

    for name in TEXT_FIELDS:
        setattr(parsed, name, scalar(name))
    parsed.full_name = scalar("full_name")
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
    for value in scalars.get("groups", []):
        for label in re.split(r":::|;", value):
            label = label.strip()
            # Google's system groups start with "* " (* myContacts, * starred).
            if label and not label.startswith("*"):
                parsed.groups.append(label)
    _numbered(parsed, numbered, addresses)
    parsed.addresses = list(addresses.values())
    # Numbers without a country code belong to the row's country, when it names one.
    ordered = sorted(parsed.addresses, key=lambda a: a.get("kind") != "work")
    parsed.country = next((a["country"] for a in ordered if a.get("country")), "")
    return parsed


def _numbered(
    parsed: ParsedContact,
    numbered: dict[str, dict[str, str]],
    addresses: dict[str, dict[str, str]],
) -> None:
    """Google's numbered column groups (E-mail 1 - Label, E-mail 1 - Value...)."""
    for group in sorted(numbered, key=lambda g: (g.split("#")[0], int(g.split("#")[1]))):
        parts = numbered[group]
        what = group.split("#")[0]
        label = parts.get("label", "").lstrip("* ").strip()
        word = label.lower()
        if what == "address":
            address = {p: parts.get(p, "") for p in ADDRESS_PARTS}
            kind = _EMAIL_WORDS.get(word, "other")
            address["kind"] = kind
            address["label"] = "" if word in _EMAIL_WORDS else label
            addresses[group] = address
            continue
        for value in _split_multi(parts.get("value", "")):
            if what == "email":
                kind = _EMAIL_WORDS.get(word, "other")
                parsed.emails.append((kind, value, "" if word in _EMAIL_WORDS else label))
            elif what == "phone":
                kind, custom = _phone_kind(label)
                parsed.phones.append((kind, value, custom))
            elif what == "website":
                parsed.urls.append((label, value))
            elif what == "relation":
                parsed.related.append((label, value))
            elif what == "event":
                parsed.dates.append((label, value))
            elif what == "im":
                parsed.ims.append((parts.get("service", "") or label, value))


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
        mended: list[str] = []
        if not all(cell.isascii() for cell in row):
            # Bytes that are not UTF-8 in a UTF-8 file: read as Windows-1252, and said so.
            for index, cell in enumerate(row):
                row[index], fell_back = sniff.mend(cell)
                if fell_back and index < len(mapping) and mapping[index]:
                    mended.append(str(index + 1))
        parsed = row_to_contact(row, mapping, start)
        if mended:
            parsed.notices.append(
                _("columns %(columns)s are not UTF-8 text; they were read as Windows-1252")
                % {"columns": ", ".join(mended)}
            )
        yield parsed


def ignored_columns(text: str, mapping: list[str]) -> list[str]:
    """The names of columns that hold values in some row but are mapped to nothing."""
    rows, _delimiter = reader(text)
    header: list[str] = []
    unmapped: set[int] = set()
    found: set[int] = set()
    for row in rows:
        if not header:
            header = [h.strip().strip("\ufeff") for h in row]
            padded = list(mapping) + [""] * len(header)
            unmapped = {i for i in range(len(header)) if not padded[i]}
            continue
        for index in unmapped - found:
            if index < len(row) and row[index].strip():
                found.add(index)
        if found == unmapped:
            break
    return [header[i] or f"#{i + 1}" for i in sorted(found)]


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
_GOOGLE_PHONE_LABELS = {
    "mobile": "Mobile",
    "work": "Work",
    "home": "Home",
    "main": "Main",
    "fax": "Work Fax",
    "home_fax": "Home Fax",
    "pager": "Pager",
    "car": "Car",
    "isdn": "ISDN",
    "assistant": "Assistant",
    "callback": "Callback",
    "radio": "Radio",
    "telex": "Telex",
    "textphone": "Textphone",
    "other": "Other",
}
_SCALAR_COLUMNS = [
    ("Name", "display_name"),
    ("Name Prefix", "name_prefix"),
    ("First Name", "given_name"),
    ("Middle Name", "middle_name"),
    ("Last Name", "family_name"),
    ("Name Suffix", "name_suffix"),
    ("Nickname", "nickname"),
    ("Phonetic First Name", "phonetic_given_name"),
    ("Phonetic Middle Name", "phonetic_middle_name"),
    ("Phonetic Last Name", "phonetic_family_name"),
    ("Organization Name", "company"),
    ("Organization Department", "department"),
    ("Organization Title", "job_title"),
    ("Organization Job Description", "role"),
    ("Birthday", "birthday"),
    ("Notes", "notes"),
]


def write(contacts: list[dict[str, Any]]) -> str:
    """A CSV file in Google Contacts' column layout (plus Name for contacts without one).
    Photos cannot travel in a CSV file; the export page says so."""

    def most(key: str) -> int:
        return max((len(c[key]) for c in contacts), default=0)

    emails, phones, addrs = most("emails") or 1, most("phones") or 1, most("addresses") or 1
    urls, relations, events, ims = most("urls"), most("related"), most("dates"), most("ims")
    header = [name for name, _key in _SCALAR_COLUMNS] + ["Labels"]
    for n in range(1, emails + 1):
        header += [f"E-mail {n} - Label", f"E-mail {n} - Value"]
    for n in range(1, phones + 1):
        header += [f"Phone {n} - Label", f"Phone {n} - Value"]
    for n in range(1, addrs + 1):
        header += [f"Address {n} - Label", f"Address {n} - Street", f"Address {n} - City"]
        header += [f"Address {n} - Region", f"Address {n} - Postal Code", f"Address {n} - Country"]
    for what, count in (("Website", urls), ("Relation", relations), ("Event", events)):
        for n in range(1, count + 1):
            header += [f"{what} {n} - Label", f"{what} {n} - Value"]
    for n in range(1, ims + 1):
        header += [f"IM {n} - Service", f"IM {n} - Value"]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for c in contacts:
        row = [c[key] for _name, key in _SCALAR_COLUMNS]
        row.append(" ::: ".join(c["groups"]))
        for n in range(emails):
            if n < len(c["emails"]):
                kind, address, label = c["emails"][n]
                row += [label or kind, address]
            else:
                row += ["", ""]
        for n in range(phones):
            if n < len(c["phones"]):
                kind, number, extension, label, _verified = c["phones"][n]
                suffix = f" ext. {extension}" if extension.isdigit() else extension
                row += [label or _GOOGLE_PHONE_LABELS.get(kind, "Other"), number + suffix]
            else:
                row += ["", ""]
        for n in range(addrs):
            if n < len(c["addresses"]):
                a = c["addresses"][n]
                row += [a["label"] or a["kind"], a["street"], a["city"], a["region"]]
                row += [a["postal_code"], a["country"]]
            else:
                row += [""] * 6
        for key, count in (("urls", urls), ("related", relations), ("dates", events), ("ims", ims)):
            for n in range(count):
                item = c[key][n] if n < len(c[key]) else {"label": "", "value": ""}
                row += [item["label"], item["value"]]
        writer.writerow([_cell_out(str(cell)) for cell in row])
    return out.getvalue()
