"""vCard 2.1, 3.0 and 4.0: reading and writing (3.0 or 4.0).

Reading uses vobject's own content-line layer: `vobject.base.getLogicalLines` unfolds
folded lines (QUOTED-PRINTABLE soft line breaks are first turned into folds, see
`soft_breaks_as_folds`; a card with no folded line needs no unfolding), and
`vobject.base.parseLine` splits each logical line into group, name, parameters and value
by vobject's RFC grammar.
What we do ourselves is small: find where each card starts and ends (so that a broken card
is reported with its line number and the rest of the file still imports; with vobject's
`readComponents` an unclosed card swallows every card after it and the file ends in a
ParseError), and decode the values of the dozen properties we store (QUOTED-PRINTABLE with
its CHARSET, base64, backslash escapes, the parts of N and ADR).

We do not build vobject's `Component` objects (`readComponents`): that is about 90 % of
vobject's time (each `ContentLine` sets some 15 attributes through a custom `__setattr__`,
behaviours are looked up per line, values are unescaped one character at a time). It reads
1,850 to 2,430 cards/s on our 2-core machine, and the import must store more than 2,000
contacts/s; the content-line layer alone reads 9,000 to 11,600 cards/s there (figures in
docs/performance.md).
"""

import base64
import binascii
import io
import quopri
import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _
from vobject.base import ParseError, getLogicalLines, parseLine

from contacts.formats.records import ParsedContact, Rejected

_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")

_KIND_BY_TYPE = {
    "cell": "mobile",
    "mobile": "mobile",
    "iphone": "mobile",
    "fax": "fax",
    "work": "work",
    "home": "home",
}


def split_cards(lines: Iterable[str]) -> Iterator[tuple[int, list[str]] | Rejected]:
    """Each card's first line number and lines; a card without END:VCARD is rejected."""
    start: int | None = None
    buffer: list[str] = []
    for number, line in enumerate(lines, 1):
        marker = line.strip().upper()
        if marker == "BEGIN:VCARD":
            if start is not None:
                yield Rejected(start, _("the card has no END:VCARD line"))
            start, buffer = number, [line]
        elif start is not None:
            buffer.append(line)
            if marker == "END:VCARD":
                yield start, buffer
                start, buffer = None, []
    if start is not None:
        yield Rejected(start, _("the card has no END:VCARD line"))


def _types(line: Any) -> set[str]:
    found = {p.lower() for p in line.singletonparams}
    for value in line.params.get("TYPE", ()):
        if "," in value:
            found.update(t.strip().strip('"').lower() for t in value.split(","))
        else:
            found.add(value.strip('"').lower())
    return found


def _kind(types: set[str], label: str = "") -> str:
    label = label.lower()
    if label:
        for word, kind in _KIND_BY_TYPE.items():
            if word in label:
                return kind
        return "other"
    for word in ("fax", "cell", "mobile", "iphone", "work", "home"):
        if word in types:
            return _KIND_BY_TYPE[word]
    return "other"


def _label(text: str) -> str:
    """Apple's own labels come wrapped: _$!<Mobile>!$_."""
    match = _LABEL.match(text)
    return match[1] if match else text


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value if v).strip()
    if isinstance(value, bytes):
        return ""
    return str(value or "").strip()


def card_to_contact(card: "Card", line: int) -> ParsedContact:
    """The fields of one read card."""
    contents = card.contents
    labels = {
        item.group.lower(): _label(_text(item.value))
        for item in contents.get("x-ablabel", [])
        if item.group
    }

    def label_of(item: Any) -> str:
        return labels.get((item.group or "").lower(), "")

    parsed = ParsedContact(line=line, problems=list(card.problems))
    if "n" in contents:
        name = contents["n"][0].value
        if isinstance(name, Structured):
            parsed.given_name = " ".join(filter(None, [_text(name.given), _text(name.additional)]))
            parsed.family_name = _text(name.family)
    if "fn" in contents:
        parsed.full_name = _text(contents["fn"][0].value)
    if "org" in contents:
        org = contents["org"][0].value
        parsed.company = _text(org[0] if isinstance(org, list) and org else org)
    if "title" in contents:
        parsed.job_title = _text(contents["title"][0].value)
    if "note" in contents:
        parsed.notes = "\n".join(_text(n.value) for n in contents["note"])
    if "bday" in contents:
        parsed.birthday = _text(contents["bday"][0].value)
        omit = contents.get("x-apple-omit-year")
        if omit and parsed.birthday.startswith(_text(omit[0].value) + "-"):
            parsed.birthday = "--" + parsed.birthday[5:]
    if "uid" in contents:
        parsed.uid = _text(contents["uid"][0].value)
    for item in contents.get("categories", []):
        values = item.value if isinstance(item.value, list) else str(item.value).split(",")
        parsed.categories.extend(v.strip() for v in values if v.strip())
    for item in contents.get("email", []):
        types = _types(item)
        kind = _kind(types, label_of(item))
        parsed.emails.append((kind if kind in ("work", "home") else "other", _text(item.value)))
    for item in contents.get("tel", []):
        parsed.phones.append((_kind(_types(item), label_of(item)), _text(item.value)))
    for item in contents.get("adr", []):
        adr = item.value
        if not isinstance(adr, Structured):
            continue
        kind = _kind(_types(item), label_of(item))
        parsed.addresses.append(
            {
                "kind": kind if kind in ("work", "home") else "other",
                "street": "\n".join(filter(None, [_text(adr.street), _text(adr.extended)])),
                "city": _text(adr.city),
                "region": _text(adr.region),
                "postal_code": _text(adr.code),
                "country": _text(adr.country),
            }
        )
    parsed.country = next((a["country"] for a in parsed.addresses if a["country"]), "")
    for item in contents.get("photo", []):
        if isinstance(item.value, bytes):
            parsed.photo = item.value
            break
        value = _text(item.value)
        if value.startswith("data:") and ";base64," in value:
            try:
                parsed.photo = base64.b64decode(value.split(",", 1)[1])
            except ValueError:
                continue
            break
    return parsed


def parse(lines: Iterable[str]) -> Iterator[ParsedContact | Rejected]:
    """Every card of a vCard file (any version), in order; broken cards are rejected."""
    for item in split_cards(lines):
        if isinstance(item, Rejected):
            yield item
            continue
        start, card_lines = item
        yield card_to_contact(read_card(card_lines, start), start)


# --- Decoding the values of content lines (RFC 6350 section 3.3, vCard 2.1 section 2) -----
_ESCAPED = re.compile(r"\\(.)")
_STRUCTURED = {
    "n": ("family", "given", "additional", "prefix", "suffix"),
    "adr": ("box", "extended", "street", "city", "region", "code", "country"),
}


# The properties card_to_contact reads; the others (PRODID, REV, X-…) are skipped undecoded.
_READ = {
    "n",
    "fn",
    "org",
    "title",
    "note",
    "bday",
    "uid",
    "categories",
    "email",
    "tel",
    "adr",
    "photo",
    "x-ablabel",
    "x-apple-omit-year",
}


class Property:
    """One content line: its group, parameters and decoded value."""

    __slots__ = ("group", "params", "singletonparams", "value")

    def __init__(
        self, group: str | None, params: dict[str, list[str]], singletons: list[str], value: Any
    ) -> None:
        self.group = group
        self.params = params
        self.singletonparams = singletons
        self.value = value


class Structured:
    """The parts of an N or ADR value, by the names vobject gives them."""

    def __init__(self, names: tuple[str, ...], parts: list[str]) -> None:
        for index, name in enumerate(names):
            setattr(self, name, parts[index] if index < len(parts) else "")


class Card:
    """The properties of one card that we store, by lower-case name."""

    def __init__(self) -> None:
        self.contents: dict[str, list[Property]] = {}
        self.problems: list[str] = []  # lines left out, said in the import report


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda m: "\n" if m[1] in "nN" else m[1], text)


def _split(text: str, separator: str) -> list[str]:
    if "\\" not in text:
        return text.split(separator)
    return [_unescape(part) for part in re.split(r"(?<!\\)" + re.escape(separator), text)]


def _quoted_printable(raw: str, charset: str) -> str:
    """A QUOTED-PRINTABLE value (soft breaks already joined by vobject) as escaped text."""
    decoded_bytes = quopri.decodestring(raw.encode("utf-8", "surrogateescape"))
    try:
        text = decoded_bytes.decode(charset)
    except (LookupError, UnicodeDecodeError):
        text = decoded_bytes.decode("cp1252", "replace")
    # Escaped again so that N's and ADR's parts split like any other value's.
    return text.replace("\\", "\\\\").replace("\r\n", "\\n").replace("\n", "\\n")


def _decode(name: str, params: dict[str, list[str]], singletons: list[str], raw: str) -> Any:
    encoding = next(iter(params.get("ENCODING", [])), "").lower()
    if encoding in ("b", "base64") or "BASE64" in singletons:
        return base64.b64decode("".join(raw.split()), validate=False)
    if encoding == "quoted-printable" or "QUOTED-PRINTABLE" in singletons:
        charset = next(iter(params.get("CHARSET", [])), "utf-8").strip('"') or "utf-8"
        raw = _quoted_printable(raw, charset)
    if name in _STRUCTURED:
        return Structured(_STRUCTURED[name], _split(raw, ";"))
    if name == "org":
        return _split(raw, ";")
    if name == "categories":
        return [v.strip() for v in _split(raw, ",") if v.strip()]
    return _unescape(raw) if "\\" in raw else raw


def soft_breaks_as_folds(lines: list[str]) -> list[str]:
    """Turn QUOTED-PRINTABLE soft line breaks ("=" at the end of a line) into RFC folds, which
    vobject's unfolding then joins, leaving the value as QUOTED-PRINTABLE without them.

    vobject can join soft breaks itself (`getLogicalLines(allowQP=True)`), but that path
    copies the whole value so far for every physical line, which makes a folded 100 kB
    PHOTO cost a tenth of a second and an 8 MB one over a minute; its other path is linear.
    """
    out = []
    continuing = False
    for line in lines:
        if continuing:
            line = " " + line
            quoted = True
        else:
            quoted = "QUOTED-PRINTABLE" in line.partition(":")[0].upper()
        continuing = quoted and line.endswith("=")
        out.append(line[:-1] if continuing else line)
    return out


def _logical_lines(lines: list[str]) -> Iterator[tuple[str, int]]:
    """Each logical line of a card with the index of its first physical line."""
    if not any(line[:1] in (" ", "\t") for line in lines):
        # Nothing folded (most cards without a photo): the lines are the logical lines.
        yield from ((line, index) for index, line in enumerate(lines) if line)
        return
    position = 0  # vobject's own line count is off on its linear path
    for line, _number in getLogicalLines(io.StringIO("\r\n".join(lines)), allowQP=False):
        while position < len(lines) and not lines[position]:
            position += 1
        first = position
        position += 1
        while position < len(lines) and lines[position][:1] in (" ", "\t"):
            position += 1
        yield line, first


def read_card(lines: list[str], start: int = 1) -> Card:
    """The properties of one card. A line that is not a content line, or whose value cannot
    be decoded, is left out and named in `Card.problems`; the rest of the card is kept."""
    card = Card()
    for line, first in _logical_lines(soft_breaks_as_folds(lines)):
        try:
            name, param_list, raw, group = parseLine(line)
        except ParseError:
            number = start + first
            card.problems.append(_("line %(line)d, which cannot be read") % {"line": number})
            continue
        name = name.lower()
        if name not in _READ:
            continue
        params: dict[str, list[str]] = {}
        singletons: list[str] = []
        for key, *values in param_list:
            if values:
                params.setdefault(key.upper(), []).extend(v.strip() for v in values)
            else:
                singletons.append(key.upper())  # vCard 2.1: TEL;CELL;PREF
        try:
            value = _decode(name, params, singletons, raw)
        except (ValueError, binascii.Error):
            card.problems.append(
                _("%(property)s (its value cannot be decoded)") % {"property": name.upper()}
            )
            continue
        card.contents.setdefault(name, []).append(Property(group, params, singletons, value))
    return card


# --- Writing -----------------------------------------------------------------------------
_VCARD_TYPES = {"mobile": "cell", "work": "work", "home": "home", "fax": "fax", "other": "voice"}


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace(",", "\\,").replace(";", "\\;")


def _fold(line: str) -> str:
    # RFC 6350: lines longer than 75 octets are folded; we fold by characters, safely under.
    if len(line) <= 75:
        return line
    parts = [line[:75]]
    rest = line[75:]
    while rest:
        parts.append(" " + rest[:74])
        rest = rest[74:]
    return "\r\n".join(parts)


def write(contacts: Iterable[dict[str, Any]], version: str = "3.0") -> Iterator[str]:
    """vCard text for each contact dict (see contacts.services.contact_export_rows)."""
    v4 = version == "4.0"
    for c in contacts:
        lines = ["BEGIN:VCARD", f"VERSION:{version}"]
        if c["uid"]:
            lines.append(f"UID:{_esc(c['uid'])}")
        lines.append(f"FN:{_esc(c['display_name'])}")
        lines.append(f"N:{_esc(c['family_name'])};{_esc(c['given_name'])};;;")
        if c["company"]:
            lines.append(f"ORG:{_esc(c['company'])}")
        if c["job_title"]:
            lines.append(f"TITLE:{_esc(c['job_title'])}")
        for kind, address in c["emails"]:
            type_ = kind if kind in ("work", "home") else ""
            param = (f";TYPE={type_}" if v4 else f";TYPE=INTERNET,{type_.upper()}") if type_ else ""
            lines.append(f"EMAIL{param}:{address}")
        for kind, e164, extension in c["phones"]:
            type_ = _VCARD_TYPES.get(kind, "voice")
            if v4:
                ext = f";ext={extension}" if extension else ""
                lines.append(f"TEL;VALUE=uri;TYPE={type_}:tel:{e164}{ext}")
            else:
                ext = f" ext. {extension}" if extension else ""
                lines.append(f"TEL;TYPE={type_.upper()}:{e164}{ext}")
        for adr in c["addresses"]:
            type_ = f";TYPE={adr['kind']}" if adr["kind"] in ("work", "home") else ""
            parts = [adr["street"], adr["city"], adr["region"], adr["postal_code"], adr["country"]]
            lines.append(f"ADR{type_}:;;" + ";".join(_esc(p) for p in parts))
        if c["birthday"]:
            bday = c["birthday"]
            if bday.startswith("--"):
                bday = "--" + bday[2:].replace("-", "") if v4 else bday
                if not v4:
                    # vCard 3.0 has no yearless dates; Apple writes the year 1604 instead.
                    bday = "1604-" + c["birthday"][2:]
                    lines.append("X-APPLE-OMIT-YEAR:1604")
            lines.append(f"BDAY:{bday}")
        if c["notes"]:
            lines.append(f"NOTE:{_esc(c['notes'])}")
        if c["categories"]:
            lines.append("CATEGORIES:" + ",".join(_esc(x) for x in c["categories"]))
        lines.append("END:VCARD")
        yield "".join(_fold(line) + "\r\n" for line in lines)
