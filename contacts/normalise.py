"""Plain helpers that turn what people type or export into what we store (no models, no I/O)."""

import calendar
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from phonenumbers.geodata.locale import LOCALE_DATA

_SPACES = re.compile(r"\s+")


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
    if len(value) == 2 and value.isascii() and value.isalpha():
        code = value.upper()
        return code if code in phonenumbers.SUPPORTED_REGIONS else None
    return _country_names().get(fold(value))


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


# --- Dates (birthdays, anniversaries) ---------------------------------------------------
@dataclass(frozen=True)
class PartialDate:
    """A date whose year may be unknown (a birthday someone did not give the year of)."""

    year: int | None
    month: int
    day: int

    @property
    def iso(self) -> str:
        return birthday_iso(self.year, self.month, self.day)


Birthday = PartialDate

_ISO = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?$")
_YEARLESS = re.compile(r"^--(\d{2})-?(\d{2})$")
# Numbers separated by / . or - in the order of a locale: 3/14/1981, 14.03.1981, 14-3-81.
_NUMERIC = re.compile(r"^(\d{1,4})\s*([/.\-])\s*(\d{1,2})\s*[/.\-]\s*(\d{1,4})\.?$")
DATE_ORDERS = ("mdy", "dmy", "ymd")


def _valid(year: int | None, month: int, day: int) -> PartialDate:
    if not 1 <= month <= 12 or (year is not None and not 1 <= year <= 9999):
        raise ValueError(f"{year}-{month}-{day}")
    last = calendar.monthrange(year or 2000, month)[1]  # 2000: a leap year allows 29 Feb
    if not 1 <= day <= last:
        raise ValueError(f"{year}-{month}-{day}")
    return PartialDate(year, month, day)


def _full_year(year: int, written: str) -> int:
    if len(written) <= 2:
        return year + (1900 if year > 30 else 2000)
    return year


def date_parse(raw: str, *, order: str = "mdy") -> PartialDate | None:
    """A date from ISO (1981-03-14, 19810314), yearless ISO (--0415, --02-29) or numeric
    text in the export's locale order ("mdy": 3/14/1981, "dmy": 14.03.1981 or 14/03/1981,
    "ymd": 1981.03.14). A date that cannot exist in that order but can in the other (13/02
    in a month-first file) is read the only way it can be. None for empty values and the
    all-zero placeholders Outlook writes for "no date" (0/0/00, 0.0.00)."""
    text = raw.strip()
    if not text:
        return None
    if m := _ISO.match(text):
        return _valid(int(m[1]), int(m[2]), int(m[3]))
    if m := _YEARLESS.match(text):
        return _valid(None, int(m[1]), int(m[2]))
    if m := _NUMERIC.match(text):
        parts = (m[1], m[3], m[4])
        if all(int(p) == 0 for p in parts):
            return None
        if len(m[1]) == 4 or order == "ymd" and len(m[4]) <= 2:
            return _valid(_full_year(int(m[1]), m[1]), int(m[3]), int(m[4]))
        first, second = int(m[1]), int(m[3])
        year = _full_year(int(m[4]), m[4])
        # Dots are day-first in every locale that writes them (de, pl, sv, no, fi, ru).
        day_first = order == "dmy" or m[2] == "."
        month, day = (second, first) if day_first else (first, second)
        try:
            return _valid(year, month, day)
        except ValueError:
            return _valid(year, day, month)  # the only order in which it is a date
    raise ValueError(raw)


def birthday_parse(raw: str, *, month_first: bool = True) -> PartialDate | None:
    """date_parse for a birthday (kept for callers that think in month-first or not)."""
    return date_parse(raw, order="mdy" if month_first else "dmy")


def birthday_iso(year: int | None, month: int | None, day: int | None) -> str:
    """ISO 8601 text of a birthday; yearless ones as --MM-DD."""
    if not month or not day:
        return ""
    if year:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return f"--{month:02d}-{day:02d}"
