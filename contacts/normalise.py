"""Plain helpers that turn what people type or export into what we store (no models, no I/O)."""

import calendar
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from phonenumbers import PhoneNumberFormat
from phonenumbers.geodata.locale import LOCALE_DATA

_NON_DIGITS = re.compile(r"\D+")
_SPACES = re.compile(r"\s+")
# What a phone number typed "in any common format" may contain.
PHONE_QUERY = re.compile(r"^[+\d\s().\-/]+$")


def fold(text: str) -> str:
    """Lower-case `text` and strip accents, for accent- and case-insensitive matching."""
    if text.isascii():
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Letters that do not decompose into a base letter plus an accent.
    stripped = stripped.translate(_FOLD_EXTRA)
    return _SPACES.sub(" ", stripped).strip()


_FOLD_EXTRA = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae"})


def digits(text: str) -> str:
    return _NON_DIGITS.sub("", text)


# --- Countries ---------------------------------------------------------------------------
_COUNTRY_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "britain": "GB",
    "usa": "US",
    "u.s.a.": "US",
    "united states of america": "US",
    "america": "US",
}


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for region, by_language in LOCALE_DATA.items():
        if len(region) != 2 or not region.isalpha():
            continue
        for name in by_language.values():
            if name and not name.startswith("*"):
                names.setdefault(fold(name), region)
    names.update(_COUNTRY_ALIASES)
    return names


@lru_cache(maxsize=1024)
def country_code(value: str) -> str | None:
    """The ISO 3166 alpha-2 code for a country name or code ("France", "fr", "UK"), or None."""
    value = value.strip()
    if not value:
        return None
    if fold(value) in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[fold(value)]
    if len(value) == 2 and value.isalpha():
        code = value.upper()
        return code if code in phonenumbers.SUPPORTED_REGIONS else None
    return _country_names().get(fold(value))


# --- Phone numbers -----------------------------------------------------------------------
class InvalidPhoneNumber(ValueError):
    """The text is not a phone number we can store in E.164."""


@dataclass(frozen=True)
class Phone:
    e164: str
    extension: str = ""
    search_key: str = ""


def _search_key(number: phonenumbers.PhoneNumber) -> str:
    # The national digits are the trunk prefix and the national number, which is what
    # people dial at home (020 7946 0018): cheaper than formatting, and as searchable.
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    region = phonenumbers.region_code_for_country_code(number.country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region, None)
    prefix = (metadata.national_prefix if metadata else None) or ""
    return f"{e164[1:]} {prefix}{phonenumbers.national_significant_number(number)}"


# An address book repeats numbers (a company's switchboard on each of its people), and
# parsing is a fifth of an import's time; invalid numbers raise, and are not cached.
@lru_cache(maxsize=16384)
def phone_normalise(raw: str, country: str) -> Phone:
    """Parse a phone number typed in any format; numbers without a country code are read
    as numbers of `country`."""
    text = raw.strip()
    if text[:4].lower() == "tel:":
        text = "tel:" + text[4:]  # RFC 3966 (vCard 4.0), which phonenumbers reads itself
    if not text or not any(c.isdigit() for c in text) or len(text) > 64:
        raise InvalidPhoneNumber(raw)
    try:
        number = phonenumbers.parse(text, country or None)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber(raw) from error
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        # Numbering plans change (Nigeria lengthened its numbers); a number written with its
        # country code is taken at its word when it is of a plausible length.
        explicit = text.removeprefix("tel:").lstrip().startswith(("+", "00"))
        national = str(number.national_number)
        plausible = 6 <= len(national) <= 15 - len(str(number.country_code))
        if not (explicit and plausible):
            raise InvalidPhoneNumber(raw)
    return Phone(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        extension=number.extension or "",
        search_key=_search_key(number),
    )


def phone_search_key(e164: str) -> str:
    """The digit strings a search by phone fragment matches: international and national."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return digits(e164)
    return _search_key(number)


@lru_cache(maxsize=8192)
def phone_display(e164: str, viewer_country: str) -> str:
    """National format for numbers of the viewer's country, international otherwise."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    # By country calling code: finding the exact region of a number means matching it
    # against every region's patterns, and a viewer dials +1 numbers nationally anyway.
    if number.country_code == phonenumbers.country_code_for_region(viewer_country):
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def phone_international(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def phone_whole(query: str, country: str) -> str | None:
    """The E.164 form of `query` when it is a complete, valid number, else None."""
    try:
        number = phonenumbers.parse(query.strip(), country or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def phone_query_variants(query: str, country: str) -> list[str]:
    """Digit strings to look for when `query` looks like (part of) a phone number."""
    query = query.strip()
    if not PHONE_QUERY.match(query):
        return []
    found = digits(query)
    if len(found) < 3:
        return []
    variants = [found]
    try:
        parsed = phone_normalise(query, country)
    except InvalidPhoneNumber:
        pass
    else:
        variants.append(digits(parsed.e164))
    return list(dict.fromkeys(variants))


# --- E-mail ------------------------------------------------------------------------------
def email_normalise(raw: str) -> str:
    """A valid e-mail address, lower-cased; raises ValueError otherwise."""
    address = raw.strip()
    if address.lower().startswith("mailto:"):
        address = address[7:]
    try:
        validate_email(address)
    except ValidationError as error:
        raise ValueError(raw) from error
    return address.lower()


# --- Birthdays ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Birthday:
    year: int | None
    month: int
    day: int


_ISO = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?$")
_YEARLESS = re.compile(r"^--(\d{2})-?(\d{2})$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2,4})$")


def _valid(year: int | None, month: int, day: int) -> Birthday:
    if not 1 <= month <= 12 or (year is not None and not 1 <= year <= 9999):
        raise ValueError(f"{year}-{month}-{day}")
    last = calendar.monthrange(year or 2000, month)[1]  # 2000: a leap year allows 29 Feb
    if not 1 <= day <= last:
        raise ValueError(f"{year}-{month}-{day}")
    return Birthday(year, month, day)


def birthday_parse(raw: str, *, month_first: bool = True) -> Birthday | None:
    """A birthday from ISO (1981-03-14, 19810314), yearless (--0415, --02-29) or M/D/Y text;
    None for empty or placeholder values such as Outlook's 0/0/00."""
    text = raw.strip()
    if not text:
        return None
    if m := _ISO.match(text):
        return _valid(int(m[1]), int(m[2]), int(m[3]))
    if m := _YEARLESS.match(text):
        return _valid(None, int(m[1]), int(m[2]))
    if m := _SLASHED.match(text):
        first, second, year = int(m[1]), int(m[2]), int(m[3])
        if first == 0 or second == 0:
            return None
        if year < 100:
            year += 1900 if year > 30 else 2000
        month, day = (first, second) if month_first else (second, first)
        return _valid(year, month, day)
    raise ValueError(raw)


def birthday_iso(year: int | None, month: int | None, day: int | None) -> str:
    """ISO 8601 text of a birthday; yearless ones as --MM-DD."""
    if not month or not day:
        return ""
    if year:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return f"--{month:02d}-{day:02d}"
