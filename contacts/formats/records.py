"""What every import format produces, and how one parsed record becomes storable data."""

from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts import normalise
from uc_web.lib import phones as phone_rule

PHONE_KINDS = (
    "mobile",
    "work",
    "home",
    "main",
    "fax",
    "home_fax",
    "pager",
    "car",
    "isdn",
    "assistant",
    "callback",
    "radio",
    "telex",
    "textphone",
    "other",
)
EMAIL_KINDS = ("work", "home", "other")
ADDRESS_PARTS = ("street", "city", "region", "postal_code", "country")
# Plain text fields of a contact, with their longest length.
TEXT_FIELDS = {
    "name_prefix": 50,
    "given_name": 150,
    "middle_name": 150,
    "family_name": 150,
    "name_suffix": 50,
    "nickname": 150,
    "phonetic_given_name": 150,
    "phonetic_middle_name": 150,
    "phonetic_family_name": 150,
    "company": 200,
    "department": 200,
    "job_title": 200,
    "role": 200,
}
# Labels that name a kind rather than being a label of their own ("Work" on a work phone).
PHONE_KIND_WORDS = {
    "mobile",
    "cell",
    "iphone",
    "work",
    "home",
    "main",
    "fax",
    "work fax",
    "workfax",
    "home fax",
    "homefax",
    "pager",
    "car",
    "isdn",
    "assistant",
    "callback",
    "radio",
    "telex",
    "textphone",
    "tty/tdd",
    "other",
    "voice",
}
EMAIL_KIND_WORDS = {"work", "home", "other", "internet"}
RELATION_WORDS = {
    "spouse",
    "partner",
    "child",
    "parent",
    "mother",
    "father",
    "brother",
    "sister",
    "friend",
    "assistant",
    "manager",
    "agent",
    "colleague",
    "relative",
    "sibling",
    "kin",
    "emergency",
    "contact",
    "co-worker",
}
# Lists of {"label", "value"} kept on the contact row.
LABELLED_LISTS = ("urls", "dates", "related", "ims")
MAX_LABELLED = 20
MAX_EXTRA_CHARS = 64 * 1024


@dataclass(slots=True)
class ParsedContact:
    """One card or row as read from a file, before validation."""

    line: int
    name_prefix: str = ""
    given_name: str = ""
    middle_name: str = ""
    family_name: str = ""
    name_suffix: str = ""
    full_name: str = ""
    nickname: str = ""
    phonetic_given_name: str = ""
    phonetic_middle_name: str = ""
    phonetic_family_name: str = ""
    company: str = ""
    department: str = ""
    job_title: str = ""
    role: str = ""
    notes: str = ""
    birthday: str = ""
    uid: str = ""
    country: str = ""  # the row's own country, for numbers without a country code
    emails: list[tuple[str, str, str]] = field(default_factory=list)  # kind, address, label
    phones: list[tuple[str, str, str]] = field(default_factory=list)  # kind, number, label
    addresses: list[dict[str, str]] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    urls: list[tuple[str, str]] = field(default_factory=list)  # label, value
    dates: list[tuple[str, str]] = field(default_factory=list)
    related: list[tuple[str, str]] = field(default_factory=list)
    ims: list[tuple[str, str]] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # vCard lines carried through
    photo: bytes | None = None
    problems: list[str] = field(default_factory=list)  # parts the reader had to leave out
    notices: list[str] = field(default_factory=list)  # how something was read, for the report
    # A group card (vCard 4.0 KIND:group, Apple's X-ADDRESSBOOKSERVER-KIND:group): its
    # name is full_name and its members are the UIDs of other cards.
    is_group: bool = False
    members: list[str] = field(default_factory=list)


@dataclass
class Rejected:
    """A card or row that cannot be imported at all."""

    line: int
    reason: str


@dataclass
class GroupData:
    """A group card: a group of the book and the UIDs of its members."""

    line: int
    name: str
    uid: str = ""
    members: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ContactData:
    """Validated values of one contact, ready for the services to store."""

    line: int
    name_prefix: str = ""
    given_name: str = ""
    middle_name: str = ""
    family_name: str = ""
    name_suffix: str = ""
    nickname: str = ""
    phonetic_given_name: str = ""
    phonetic_middle_name: str = ""
    phonetic_family_name: str = ""
    display_name: str = ""
    company: str = ""
    department: str = ""
    job_title: str = ""
    role: str = ""
    notes: str = ""
    birth_year: int | None = None
    birth_month: int | None = None
    birth_day: int | None = None
    uid: str = ""
    emails: list[tuple[str, str, str]] = field(default_factory=list)  # kind, address, label
    # kind, number (E.164, or as typed when unverified), post-dial, label, verified
    phones: list[tuple[str, str, str, str, bool]] = field(default_factory=list)
    phone_keys: list[str] = field(default_factory=list)  # what phone search matches
    addresses: list[dict[str, str]] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    urls: list[dict[str, str]] = field(default_factory=list)
    dates: list[dict[str, str]] = field(default_factory=list)
    related: list[dict[str, str]] = field(default_factory=list)
    ims: list[dict[str, str]] = field(default_factory=list)
    vcard_extra: list[str] = field(default_factory=list)
    photo: bytes | None = None  # as found in the file, until the import checks it
    photo_sizes: dict[str, bytes] = field(default_factory=dict)  # re-encoded, not yet stored
    photo_names: list[str] = field(default_factory=list)  # stored: large, small
    problems: list[str] = field(default_factory=list)  # fields left out, said in the report
    notices: list[str] = field(default_factory=list)  # how something was read, for the report
    unverified: list[str] = field(default_factory=list)  # numbers kept as typed, reported
    pk: int | None = None  # once stored
    queued: bool = False  # handed to the import's writer: merge into the stored row

    def release(self) -> None:
        """Once stored, only `pk` is needed (a later duplicate merges into the row): let the
        values go, so that an import does not hold every contact of the file in memory."""
        for spec in fields(self):
            if spec.name not in ("line", "pk", "queued", "uid"):
                # Lists become one shared empty tuple: nothing reads a released contact's
                # values, and 10,000 of them would otherwise hold 140,000 empty lists.
                empty = () if spec.default is MISSING else spec.default
                setattr(self, spec.name, empty)


def display_name_for(given: str, family: str, full: str, company: str, middle: str = "") -> str:
    """What a contact is called in lists: the full name, else the company."""
    return full.strip() or " ".join(p for p in (given, middle, family) if p) or company.strip()


def _labelled(
    pairs: list[tuple[str, str]], problems: list[str], what: Any, *, date: bool = False, order=""
) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    if not pairs:
        return found
    for label, value in pairs:
        value, label = value.strip(), label.strip()[:100]
        if not value:
            continue
        if date:
            try:
                parsed = normalise.date_parse(value, order=order or "mdy")
            except ValueError:
                problems.append(
                    _("%(what)s “%(value)s” is not a date")
                    % {"what": label or what, "value": value}
                )
                continue
            if parsed is None:
                continue
            value = parsed.iso
        if label.lower() in RELATION_WORDS | {"anniversary", "work", "home"}:
            label = label.lower()  # a word of the vCard standard, spelt one way
        item = {"label": label, "value": value[:500]}
        if item not in found and len(found) < MAX_LABELLED:
            found.append(item)
    return found


_WEB_PAGE = gettext_lazy("web page")
_DATE = gettext_lazy("date")
_RELATED = gettext_lazy("related person")
_IM = gettext_lazy("messaging handle")


def _label(label: str, kind_words: set[str]) -> str:
    """A custom label, or "" when it only names a kind ("Work" on a work number)."""
    label = label.strip()
    return "" if label.lower() in kind_words else label[:100]


def phone_reading(raw: str, country: str) -> tuple[phone_rule.PhoneReading | None, str]:
    """A number read by the one rule, or None and why it cannot be stored at all."""
    try:
        return phone_rule.read(raw, country), ""
    except phone_rule.CountryNeeded:
        return None, _("phone number “%(value)s” has no country code") % {"value": raw.strip()}
    except phone_rule.NotAPhoneNumber:
        return None, _("phone number “%(value)s” is not valid") % {"value": raw.strip()}


def clean(
    parsed: ParsedContact, default_country: str, *, date_order: str = "mdy"
) -> ContactData | Rejected:
    """Validate and normalise one parsed contact; bad fields are dropped and reported, and
    numbers not valid for their country are kept as typed and reported as unverified.

    Numbers without a country code are read as numbers of the row's own country (Outlook's
    Country/Region columns, an address's country), else of `default_country`.
    """
    country = normalise.country_code(parsed.country) if parsed.country else None
    country = country or default_country
    data = ContactData(
        line=parsed.line,
        notes=parsed.notes.replace("\r\n", "\n").strip(),
        uid=parsed.uid.strip()[:255],
        photo=parsed.photo,
        problems=list(parsed.problems),
        notices=list(parsed.notices),
    )
    for name, length in TEXT_FIELDS.items():
        value = getattr(parsed, name)
        if value:
            setattr(data, name, " ".join(value.split())[:length])
    seen_groups: set[str] = set()
    for group in parsed.groups or ():
        group = group.strip()[:100]
        if group and group.lower() not in seen_groups:
            seen_groups.add(group.lower())
            data.groups.append(group)
    data.display_name = display_name_for(
        data.given_name, data.family_name, parsed.full_name, data.company, data.middle_name
    )[:300]
    seen_phones: set[str] = set()
    for kind, raw, label in parsed.phones:
        reading, problem = phone_reading(raw, country)
        if reading is None:
            data.problems.append(problem)
            continue
        number = reading.stored
        if number in seen_phones:
            continue
        seen_phones.add(number)
        if not reading.valid:
            data.unverified.append(number)
        data.phone_keys.append(reading.search_key)
        data.phones.append(
            (
                kind if kind in PHONE_KINDS else "other",
                number,
                reading.post_dial[:32],
                _label(label, PHONE_KIND_WORDS) if label else "",
                reading.valid,
            )
        )
    seen_emails: set[str] = set()
    for kind, raw, label in parsed.emails:
        try:
            address = normalise.email_normalise(raw)
        except ValueError:
            data.problems.append(_("email address “%(value)s” is not valid") % {"value": raw})
            continue
        if address not in seen_emails:
            seen_emails.add(address)
            label = _label(label, EMAIL_KIND_WORDS) if label else ""
            data.emails.append((kind if kind in EMAIL_KINDS else "other", address, label))
    for postal in parsed.addresses:
        parts = {part: (postal.get(part) or "").strip() for part in ADDRESS_PARTS}
        if any(parts.values()):
            kind = postal.get("kind", "other")
            label = (postal.get("label") or "").strip()
            data.addresses.append(
                {
                    "kind": kind if kind in EMAIL_KINDS else "other",
                    "label": "" if label.lower() in EMAIL_KIND_WORDS else label[:100],
                    **parts,
                }
            )
    if parsed.birthday.strip():
        try:
            birthday = normalise.date_parse(parsed.birthday, order=date_order)
        except ValueError:
            birthday = None
            data.problems.append(
                _("birthday “%(value)s” is not a date") % {"value": parsed.birthday}
            )
        if birthday:
            data.birth_year, data.birth_month, data.birth_day = (
                birthday.year,
                birthday.month,
                birthday.day,
            )
    if parsed.urls:
        data.urls = _labelled(parsed.urls, data.problems, _WEB_PAGE)
    if parsed.dates:
        data.dates = _labelled(parsed.dates, data.problems, _DATE, date=True, order=date_order)
    if parsed.related:
        data.related = _labelled(parsed.related, data.problems, _RELATED)
    if parsed.ims:
        data.ims = _labelled(parsed.ims, data.problems, _IM)
    size = 0
    for line in parsed.extra:
        size += len(line)
        if size > MAX_EXTRA_CHARS:
            data.problems.append(_("other vCard properties past the first 64 kB"))
            break
        data.vcard_extra.append(line)
    if not data.display_name:
        fallback = data.emails[0][1] if data.emails else (data.phones[0][1] if data.phones else "")
        data.display_name = fallback
    if not data.display_name:
        reason = _("no name, company, email address or phone number")
        if data.problems:
            reason = f"{reason} ({'; '.join(data.problems)})"
        return Rejected(parsed.line, reason)
    return data
