"""What every import format produces, and how one parsed record becomes storable data."""

from dataclasses import MISSING, dataclass, field, fields

from django.utils.translation import gettext as _

from contacts import normalise

PHONE_KINDS = ("mobile", "work", "home", "fax", "other")
EMAIL_KINDS = ("work", "home", "other")
ADDRESS_PARTS = ("street", "city", "region", "postal_code", "country")


@dataclass
class ParsedContact:
    """One card or row as read from a file, before validation."""

    line: int
    given_name: str = ""
    family_name: str = ""
    full_name: str = ""
    company: str = ""
    job_title: str = ""
    notes: str = ""
    birthday: str = ""
    uid: str = ""
    country: str = ""  # the row's own country, for numbers without a country code
    emails: list[tuple[str, str]] = field(default_factory=list)
    phones: list[tuple[str, str]] = field(default_factory=list)
    addresses: list[dict[str, str]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    photo: bytes | None = None
    problems: list[str] = field(default_factory=list)  # parts the reader had to leave out


@dataclass
class Rejected:
    """A card or row that cannot be imported at all."""

    line: int
    reason: str


@dataclass
class ContactData:
    """Validated values of one contact, ready for the services to store."""

    line: int
    given_name: str = ""
    family_name: str = ""
    display_name: str = ""
    company: str = ""
    job_title: str = ""
    notes: str = ""
    birth_year: int | None = None
    birth_month: int | None = None
    birth_day: int | None = None
    uid: str = ""
    emails: list[tuple[str, str]] = field(default_factory=list)
    phones: list[tuple[str, str, str]] = field(default_factory=list)  # kind, e164, extension
    phone_keys: list[str] = field(default_factory=list)  # what phone search matches
    addresses: list[dict[str, str]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    photo: bytes | None = None  # as found in the file, until the import checks it
    photo_sizes: dict[str, bytes] = field(default_factory=dict)  # re-encoded, not yet stored
    photo_names: list[str] = field(default_factory=list)  # stored: large, small
    problems: list[str] = field(default_factory=list)  # fields left out, said in the report
    pk: int | None = None  # once stored
    queued: bool = False  # handed to the import's writer: merge into the stored row

    def release(self) -> None:
        """Once stored, only `pk` is needed (a later duplicate merges into the row): let the
        values go, so that an import does not hold every contact of the file in memory."""
        for spec in fields(self):
            if spec.name not in ("line", "pk", "queued"):
                default = spec.default_factory if spec.default is MISSING else None
                setattr(self, spec.name, default() if default else spec.default)


def display_name_for(given: str, family: str, full: str, company: str) -> str:
    """What a contact is called in lists: the full name, else the company."""
    return full.strip() or f"{given} {family}".strip() or company.strip()


def clean(parsed: ParsedContact, default_country: str) -> ContactData | Rejected:
    """Validate and normalise one parsed contact; bad fields are dropped and reported."""
    country = normalise.country_code(parsed.country) if parsed.country else None
    country = country or default_country
    data = ContactData(
        line=parsed.line,
        given_name=parsed.given_name.strip()[:150],
        family_name=parsed.family_name.strip()[:150],
        company=parsed.company.strip()[:200],
        job_title=parsed.job_title.strip()[:200],
        notes=parsed.notes.replace("\r\n", "\n").strip(),
        uid=parsed.uid.strip()[:255],
        categories=[c.strip()[:100] for c in parsed.categories if c.strip()],
        photo=parsed.photo,
        problems=list(parsed.problems),
    )
    data.display_name = display_name_for(
        data.given_name, data.family_name, parsed.full_name, data.company
    )[:300]
    seen_phones: set[str] = set()
    for kind, raw in parsed.phones:
        try:
            phone = normalise.phone_normalise(raw, country)
        except normalise.InvalidPhoneNumber:
            data.problems.append(_("phone number “%(value)s” is not valid") % {"value": raw})
            continue
        if phone.e164 not in seen_phones:
            seen_phones.add(phone.e164)
            data.phone_keys.append(phone.search_key)
            data.phones.append(
                (kind if kind in PHONE_KINDS else "other", phone.e164, phone.extension)
            )
    seen_emails: set[str] = set()
    for kind, raw in parsed.emails:
        try:
            address = normalise.email_normalise(raw)
        except ValueError:
            data.problems.append(_("email address “%(value)s” is not valid") % {"value": raw})
            continue
        if address not in seen_emails:
            seen_emails.add(address)
            data.emails.append((kind if kind in EMAIL_KINDS else "other", address))
    for address in parsed.addresses:
        parts = {part: (address.get(part) or "").strip() for part in ADDRESS_PARTS}
        if any(parts.values()):
            kind = address.get("kind", "other")
            data.addresses.append({"kind": kind if kind in EMAIL_KINDS else "other", **parts})
    if parsed.birthday.strip():
        try:
            birthday = normalise.birthday_parse(parsed.birthday)
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
    if not data.display_name:
        fallback = data.emails[0][1] if data.emails else (data.phones[0][1] if data.phones else "")
        data.display_name = fallback
    if not data.display_name:
        reason = _("no name, company, email address or phone number")
        if data.problems:
            reason = f"{reason} ({'; '.join(data.problems)})"
        return Rejected(parsed.line, reason)
    return data
