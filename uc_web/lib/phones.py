"""The one rule for reading phone numbers, wherever a number is typed, imported or dialled.

A number is read with a dialling country: the person's, else their company's, else (for an
import) what the file itself shows; with none, only numbers written with their country code
can be read, and the caller asks for the country instead of guessing one.

- International prefixes are the country's own (00 in most of Europe, 011 in North America,
  0011 in Australia): phonenumbers applies them. A number that is not valid read that way
  but is valid after the prefix most of the world uses ("0044 20 7946 0958" typed with a US
  dialling country) is read as international, since that is what its writer meant.
- Pause and wait characters (`p` or `,` pause, `w` or `;` wait) end the number: what follows
  is dialled after the call connects (an extension, or DTMF). A lone pause followed by digits
  is an extension ("ext. 102"); anything longer is kept as a post-dial sequence written with
  `,` for a pause and `;` for a wait.
- A number is *valid* when it matches its country's numbering plan, *possible* when only its
  length fits. Callers store valid numbers in E.164; a number that is not valid is kept as
  it was typed and marked unverified (never silently given a country).

No models and no I/O here: accounts, contacts and calls all use it.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from phonenumbers import PhoneNumberFormat

MAX_TYPED = 64
_NON_DIGITS = re.compile(r"\D+")
_SPACES = re.compile(r"\s+")
# A pause or wait after a digit (or a closing bracket or space), followed only by what a
# keypad sends: "+44 20 7946 0958,,1234#", "0171 2345678 p22". Letters inside vanity
# numbers (1-800-FLOWERS) are not pauses: they follow a letter and are followed by letters.
_MAY_POST_DIAL = re.compile(r"[pPwW,;]")
_POST_DIAL = re.compile(r"(?<=[\d)\s])\s*([pPwW,;][pPwW,;\d*#\s]*)$")
# How an extension is written after a number (what phonenumbers reads as one).
_EXTENSION = re.compile(r"\s*(?:ext(?:ension)?\.?|extn\.?|x|#|,)\s*(\d{1,7})#?$", re.IGNORECASE)
# The international prefixes people carry with them when they type a foreign number.
_FOREIGN_PREFIXES = ("00", "011", "0011")
# What a phone number typed "in any common format" may contain (search as you type).
QUERY_CHARACTERS = re.compile(r"^[+\d\s().\-/]+$")


class NotAPhoneNumber(ValueError):
    """The text cannot be read as a phone number at all (no digits, too short or long)."""


class CountryNeeded(NotAPhoneNumber):
    """The number has no country code and no dialling country was given to read it with."""


@dataclass(frozen=True)
class PhoneReading:
    """What a typed number is, read with one dialling country."""

    typed: str  # the number as written, spaces tidied, without the post-dial part
    e164: str  # "+442079460958"; "" when the number is not even possible
    post_dial: str  # "102" (an extension) or ",,1234#" (pauses, waits and DTMF)
    valid: bool  # fits its country's numbering plan
    possible: bool  # has a length that country's numbers can have
    region: str  # ISO 3166 code of the number's country ("" when unknown)
    search_key: str = ""  # the digits a search by fragment matches

    @property
    def stored(self) -> str:
        """What an address book keeps: E.164 for a valid number; else the number as typed
        (compacted to + and digits when it was typed with its country code)."""
        if self.valid:
            return self.e164
        if self.typed.startswith("+"):
            return "+" + digits(self.typed)
        return self.typed


def digits(text: str) -> str:
    return _NON_DIGITS.sub("", text)


def _post_dial(tail: str) -> str:
    """A post-dial sequence in one spelling: `,` pause, `;` wait, then digits, * and #."""
    tail = tail.replace(" ", "").translate(str.maketrans("pPwW", ",,;;"))
    if tail[:1] == "," and tail[1:].isdigit():
        return tail[1:]  # one pause and digits: an extension
    return tail


def _parse(text: str, country: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, country or None)
    except phonenumbers.NumberParseException as error:
        no_country = error.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE
        if no_country and not country and not text.lstrip().startswith(("+", "tel:+")):
            raise CountryNeeded(text) from error
        return None


@lru_cache(maxsize=16384)
def read(raw: str, country: str) -> PhoneReading:
    """Read a number typed in any format ('020 7946 0018', '+44 20 7946 0018 ext. 12',
    'tel:+44-20-7946-0018', '0171 2345678,,22#') as a number of `country` when it has no
    country code. Raises NotAPhoneNumber, or CountryNeeded when `country` is "" and the
    number has no country code."""
    text = raw.strip()
    if "  " in text or "\t" in text or "\n" in text:
        text = _SPACES.sub(" ", text)
    if text[:4].lower() == "tel:":
        text = "tel:" + text[4:]  # RFC 3966 (vCard 4.0), which phonenumbers reads itself
    if len(text) > MAX_TYPED or sum(map(str.isdigit, text)) < 3:
        raise NotAPhoneNumber(raw)
    post_dial = ""
    if (
        not text.startswith("tel:")
        and _MAY_POST_DIAL.search(text)
        and (match := _POST_DIAL.search(text))
    ):
        post_dial = _post_dial(match[1])
        text = text[: match.start()].rstrip()
    country = country.upper()
    number = _parse(text, country)
    if number is None:
        raise NotAPhoneNumber(raw)
    valid = _is_valid(number)
    if not valid:
        bare = text.removeprefix("tel:").lstrip()
        for prefix in _FOREIGN_PREFIXES:
            if bare.startswith(prefix):
                retry = _parse("+" + bare[len(prefix) :], "")
                if retry is not None and _is_valid(retry):
                    number, valid = retry, True
                    break
    # Possible as a whole number (not only as a local number dialled within an area).
    possible = valid or (
        phonenumbers.is_possible_number_with_reason(number)
        == phonenumbers.ValidationResult.IS_POSSIBLE
    )
    if number.extension and not post_dial:
        post_dial = number.extension
    # The country's main region (GB for +44, US for +1): enough to tell the file's country,
    # and finding the exact one means matching the number against every region's plan.
    region = _main_region(number.country_code) if valid else ""
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164) if possible else ""
    typed = text.removeprefix("tel:").split(";", 1)[0]
    if number.extension:
        typed = _EXTENSION.sub("", typed)
    key = _search_key(number, e164) if valid else digits(typed)
    return PhoneReading(typed, e164, post_dial, valid, possible, region, key)


def _is_valid(number: phonenumbers.PhoneNumber) -> bool:
    """phonenumbers' validity, checked first against the main region of the number's
    country code (one match instead of one per region sharing the code: +44 is GB, GG,
    IM and JE; +1 is some 25 regions); a number of another region of that code is then
    checked against all of them."""
    main = _main_region(number.country_code)
    if main != "ZZ" and phonenumbers.is_valid_number_for_region(number, main):
        return True
    return phonenumbers.is_valid_number(number)


def to_e164(raw: str, *, country: str = "") -> str:
    """A valid number in E.164 (for a profile, a company, a number to be called), or a
    ValidationError that says what is wrong. Post-dial digits are refused here."""
    if not raw.strip():
        return ""
    try:
        reading = read(raw, country)
    except CountryNeeded as error:
        raise ValidationError(
            _("Start the number with + and the country code, or set your dialling country."),
            code="phone_country",
        ) from error
    except NotAPhoneNumber as error:
        raise ValidationError(_("This is not a phone number."), code="phone_invalid") from error
    if not reading.valid or reading.post_dial:
        raise ValidationError(
            _("%(number)s is not a valid phone number."),
            code="phone_invalid",
            params={"number": raw.strip()},
        )
    return reading.e164


def _parsed(e164: str) -> phonenumbers.PhoneNumber | None:
    if not e164.startswith("+"):
        return None  # an unverified number, kept as typed
    try:
        return phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None


@lru_cache(maxsize=512)
def _main_region(country_code: int) -> str:
    return phonenumbers.region_code_for_country_code(country_code)


@lru_cache(maxsize=512)
def _national_prefix(country_code: int) -> str:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(_main_region(country_code), None)
    return (metadata.national_prefix if metadata else None) or ""


def _search_key(number: phonenumbers.PhoneNumber, e164: str) -> str:
    # The national digits are the trunk prefix and the national number, which is what
    # people dial at home (020 7946 0018): cheaper than formatting, and as searchable.
    prefix = _national_prefix(number.country_code)
    return f"{e164[1:]} {prefix}{phonenumbers.national_significant_number(number)}"


def search_key(e164: str) -> str:
    """The digit strings a search by phone fragment matches: international and national
    (the trunk prefix and the national number, what people dial at home: 020 7946 0018)."""
    number = _parsed(e164)
    if number is None:
        return digits(e164)
    return _search_key(number, e164)


@lru_cache(maxsize=8192)
def display(e164: str, viewer_country: str = "") -> str:
    """National format for numbers of the viewer's country, international otherwise; an
    unverified number as it was typed."""
    number = _parsed(e164)
    if number is None:
        return e164
    # By country calling code: finding the exact region of a number means matching it
    # against every region's patterns, and a viewer dials +1 numbers nationally anyway.
    if viewer_country and number.country_code == phonenumbers.country_code_for_region(
        viewer_country
    ):
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def international(e164: str) -> str:
    """A stored number for reading anywhere ('+44 20 7946 0018')."""
    return display(e164, "")


def post_dial_display(post_dial: str) -> str:
    """How a post-dial sequence reads next to its number."""
    if not post_dial:
        return ""
    if post_dial.isdigit():
        return _("ext. %(extension)s") % {"extension": post_dial}
    return _("then %(keys)s") % {"keys": post_dial}


def whole(query: str, country: str) -> str | None:
    """The E.164 form of `query` when it is a complete, valid number, else None."""
    try:
        reading = read(query, country)
    except NotAPhoneNumber:
        return None
    return reading.e164 if reading.valid and not reading.post_dial else None


def query_variants(query: str, country: str) -> list[str]:
    """Digit strings to look for when `query` looks like (part of) a phone number."""
    query = query.strip()
    if not QUERY_CHARACTERS.match(query):
        return []
    found = digits(query)
    if len(found) < 3:
        return []
    variants = [found]
    try:
        reading = read(query, country)
    except NotAPhoneNumber:
        pass
    else:
        if reading.e164:
            variants.append(digits(reading.e164))
    return list(dict.fromkeys(variants))
