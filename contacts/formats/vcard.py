"""vCard 2.1, 3.0 and 4.0: reading and writing (3.0 or 4.0).

Reading uses vobject's own content-line layer: `vobject.base.getLogicalLines` unfolds
folded lines (QUOTED-PRINTABLE soft line breaks are first turned into folds, see
`soft_breaks_as_folds`; a card with no folded line needs no unfolding), and
`vobject.base.parseLine` splits each logical line into group, name, parameters and value
by vobject's RFC grammar.
What we do ourselves is small: find where each card starts and ends (so that a broken card
is reported with its line number and the rest of the file still imports; with vobject's
`readComponents` an unclosed card swallows every card after it and the file ends in a
ParseError), and decode the values of the properties we store (QUOTED-PRINTABLE and 8-bit
text in its declared CHARSET, base64, backslash escapes, the parts of N, ADR and ORG).

Text is decoded per the file's declarations, after unfolding: the importer decodes an 8-bit
file as UTF-8 with `surrogateescape`, so bytes that are not UTF-8 survive as lone
surrogates; a value holding any is turned back into its bytes and decoded with its own
CHARSET parameter (vCard 2.1: `N;CHARSET=SHIFT_JIS:…`), else as UTF-8 (which also mends a
character that a fold split in two, as RFC 6350 allows), else as the file's legacy charset,
and that last fallback is named in the report. A whole file never changes encoding
silently.

We do not build vobject's `Component` objects (`readComponents`): that is about 90 % of
vobject's time (each `ContentLine` sets some 15 attributes through a custom `__setattr__`,
behaviours are looked up per line, values are unescaped one character at a time). It reads
1,850 to 2,430 cards/s on our 2-core machine; the content-line layer alone reads 9,000 to
11,600 cards/s there (figures in docs/performance.md).
"""

import base64
import binascii
import io
import quopri
import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _
from vobject.base import ParseError, getLogicalLines, parseLine

from contacts.formats.records import RELATION_WORDS, ParsedContact, Rejected

# Any line ending: CRLF, LF, CR, and the CR CR LF of iOS 5/6 exports.
LINE_BREAK = re.compile(r"\r*\n|\r")
_SURROGATES = re.compile("[\udc80-\udcff]")
_SIMPLE_LINE = re.compile(r"(?:([A-Za-z0-9-]+)\.)?([A-Za-z0-9-]+):")
_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")
_MARKER = re.compile(r"^\s*(?:[\w-]+\.)?(BEGIN|END)\s*:\s*VCARD\s*$", re.IGNORECASE)
_AGENT_START = re.compile(r"^\s*(?:[\w-]+\.)?AGENT(?:;[^:]*)?:\s*$", re.IGNORECASE)
UUID_URN = "urn:uuid:"

# vCard TYPE values (lower case) and the phone kind they name, most specific first.
_PHONE_TYPES = [
    ("pager", "pager"),
    ("car", "car"),
    ("isdn", "isdn"),
    ("textphone", "textphone"),
    ("x-textphone", "textphone"),
    ("tty", "textphone"),
    ("cell", "mobile"),
    ("mobile", "mobile"),
    ("iphone", "mobile"),
    ("main", "main"),
    ("x-main", "main"),
    ("x-assistant", "assistant"),
    ("x-callback", "callback"),
    ("x-radio", "radio"),
    ("x-telex", "telex"),
]
# Labels (X-ABLabel, Google's) that name one of our kinds rather than a custom label.
_PHONE_LABELS = {
    "mobile": "mobile",
    "cell": "mobile",
    "iphone": "mobile",
    "work": "work",
    "home": "home",
    "main": "main",
    "work fax": "fax",
    "workfax": "fax",
    "home fax": "home_fax",
    "homefax": "home_fax",
    "fax": "fax",
    "pager": "pager",
    "car": "car",
    "isdn": "isdn",
    "assistant": "assistant",
    "callback": "callback",
    "radio": "radio",
    "telex": "telex",
    "textphone": "textphone",
    "tty/tdd": "textphone",
    "other": "other",
    "voice": "other",
}
_EMAIL_LABELS = {"work": "work", "home": "home", "other": "other", "internet": "other"}
# Apple's date and relation labels, and the plain words other writers use.
_RELATION_WORDS = RELATION_WORDS
_IM_PROPERTIES = {
    "x-aim": "AIM",
    "x-icq": "ICQ",
    "x-jabber": "Jabber",
    "x-msn": "MSN",
    "x-yahoo": "Yahoo",
    "x-skype": "Skype",
    "x-skype-username": "Skype",
    "x-gadugadu": "GaduGadu",
    "x-google-talk": "Google Talk",
    "x-gtalk": "Google Talk",
    "x-qq": "QQ",
    "x-twitter": "Twitter",
}
_RELATED_PROPERTIES = {
    "x-spouse": "spouse",
    "x-evolution-spouse": "spouse",
    "x-kaddressbook-x-spousesname": "spouse",
    "x-manager": "manager",
    "x-evolution-manager": "manager",
    "x-kaddressbook-x-managersname": "manager",
    "x-assistant": "assistant",
    "x-evolution-assistant": "assistant",
    "x-kaddressbook-x-assistantsname": "assistant",
}
_DATE_PROPERTIES = {
    "anniversary": "anniversary",
    "x-anniversary": "anniversary",
    "x-evolution-anniversary": "anniversary",
    "x-kaddressbook-x-anniversary": "anniversary",
}


def _apple_label(text: str) -> str:
    """Apple's own labels come wrapped: _$!<Mobile>!$_."""
    match = _LABEL.match(text)
    return match[1] if match else text


# Line ends str.splitlines() knows besides CR and LF, which a vCard value may hold.
_OTHER_LINE_ENDS = re.compile("[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def split_lines(text: str) -> list[str]:
    """The physical lines of a file, whatever ends them: CRLF, LF, CR, or iOS 5/6's
    CR CR LF (which str.splitlines() reads as a line and an empty one, cutting every fold).
    splitlines() is some seven times faster than a regular expression, so it is used
    whenever it splits exactly where LINE_BREAK would."""
    if "\r\r" in text:
        text = text.replace("\r\r\n", "\r\n")
        if "\r\r" in text:
            return LINE_BREAK.split(text)
    if _OTHER_LINE_ENDS.search(text):
        return LINE_BREAK.split(text)
    lines = text.splitlines()
    return lines


# --- Cards -------------------------------------------------------------------------------
def split_cards(lines: Iterable[str]) -> Iterator[tuple[int, list[str], bool] | Rejected]:
    """Each card's first line number, its lines and whether it holds nested AGENT cards; a
    card without END:VCARD is rejected.

    A vCard 2.1 AGENT whose value is a whole card (`AGENT:` then BEGIN:VCARD on the next
    line) stays inside its card; BEGIN and END may carry a group (`home.begin:vcard`)."""
    start: int | None = None
    buffer: list[str] = []
    depth = 0
    nested = False
    agent_next = False
    for number, line in enumerate(lines, 1):
        head = line[:40].lower()
        marker = _MARKER.match(line) if "vcard" in head else None
        kind = marker[1].upper() if marker else ""
        if kind == "BEGIN":
            if start is not None and agent_next:
                depth += 1
                nested = True
                buffer.append(line)
                agent_next = False
                continue
            if start is not None:
                yield Rejected(start, _("the card has no END:VCARD line"))
            start, buffer, depth, nested = number, [line], 0, False
        elif start is not None:
            buffer.append(line)
            if kind == "END":
                if depth:
                    depth -= 1
                else:
                    yield start, buffer, nested
                    start, buffer = None, []
            agent_next = "agent" in head and bool(_AGENT_START.match(line))
    if start is not None:
        yield Rejected(start, _("the card has no END:VCARD line"))


def parse(text: str, *, charset: str = "utf-8") -> Iterator[ParsedContact | Rejected]:
    """Every card of a vCard file (any version), in order; broken cards are rejected.
    `charset` is the file's own encoding, for 8-bit values without a CHARSET parameter."""
    for item in split_cards(split_lines(text)):
        if isinstance(item, Rejected):
            yield item
            continue
        start, card_lines, nested = item
        card = read_card(card_lines, start, charset=charset, nested=nested)
        yield card_to_contact(card, start)


# --- Decoding the values of content lines (RFC 6350 section 3.3, vCard 2.1 section 2) -----
_ESCAPED = re.compile(r"\\(.)")
_STRUCTURED = {
    "n": ("family", "given", "additional", "prefix", "suffix"),
    "adr": ("box", "extended", "street", "city", "region", "code", "country"),
}
# The properties read into fields; other ones are carried through export as they are,
# except those that describe the file rather than the contact.
_READ = {
    "n",
    "fn",
    "org",
    "title",
    "role",
    "note",
    "bday",
    "uid",
    "categories",
    "email",
    "tel",
    "adr",
    "photo",
    "nickname",
    "url",
    "impp",
    "related",
    "agent",
    "kind",
    "member",
    "x-ablabel",
    "x-abdate",
    "x-abrelatednames",
    "x-apple-omit-year",
    "x-phonetic-first-name",
    "x-phonetic-middle-name",
    "x-phonetic-last-name",
    "x-addressbookserver-kind",
    "x-addressbookserver-member",
    *_IM_PROPERTIES,
    *_RELATED_PROPERTIES,
    *_DATE_PROPERTIES,
}
_GROUP_KEYS = {"kind", "x-addressbookserver-kind"}
_PHONETIC_KEYS = {"x-phonetic-first-name", "x-phonetic-middle-name", "x-phonetic-last-name"}
_RARE = {
    "url",
    "photo",
    "impp",
    "related",
    "agent",
    "x-abdate",
    "x-abrelatednames",
    *_IM_PROPERTIES,
    *_RELATED_PROPERTIES,
    *_DATE_PROPERTIES,
}
_NOT_CARRIED = {"version", "prodid", "rev", "begin", "end", "x-abuid", "x-abshowas", "profile"}


class Property:
    """One content line: its group, parameters and decoded value."""

    __slots__ = ("group", "order", "params", "singletonparams", "value")

    def __init__(
        self,
        group: str | None,
        params: dict[str, list[str]],
        singletons: list[str],
        value: Any,
        order: int = 0,
    ) -> None:
        self.group = group
        self.params = params
        self.singletonparams = singletons
        self.value = value
        self.order = order  # the line's place in its card


class Structured:
    """The parts of an N or ADR value, by the names vobject gives them."""

    def __init__(self, names: tuple[str, ...], parts: list[str]) -> None:
        for index, name in enumerate(names):
            setattr(self, name, parts[index] if index < len(parts) else "")

    def __getattr__(self, name: str) -> str:  # only for names not set above: says the type
        raise AttributeError(name)


class Card:
    """The properties of one card that we store, by lower-case name."""

    def __init__(self) -> None:
        self.contents: dict[str, list[Property]] = {}
        self.extra: list[tuple[str | None, str]] = []  # (group, content line) carried
        self.problems: list[str] = []  # lines left out, said in the import report
        self.notices: list[str] = []  # values read in a fallback charset, said too


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda m: "\n" if m[1] in "nN" else m[1], text)


def split_value(text: str, separator: str) -> list[str]:
    """The components of a structured value, unescaped. An escaped backslash before a
    separator (`Brevern\\\\;Berlin`) ends its component: the backslash is the text's."""
    if "\\" not in text:
        return text.split(separator)
    parts: list[str] = []
    start = index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2  # an escape pair, whatever it escapes
            continue
        if char == separator:
            parts.append(_unescape(text[start:index]))
            start = index + 1
        index += 1
    parts.append(_unescape(text[start:]))
    return parts


def _charset(params: dict[str, list[str]]) -> str:
    return next(iter(params.get("CHARSET", [])), "").strip('"')


def _text_of(raw: str, declared: str, file_charset: str) -> tuple[str, bool]:
    """8-bit text (kept as surrogates) decoded with its declared charset, else as UTF-8,
    else in the file's own legacy charset; failing those, as Windows-1252, which the flag
    says so that the report can name it."""
    if raw.isascii() or not _SURROGATES.search(raw):
        return raw, False
    data = raw.encode("utf-8", "surrogateescape")
    for charset in (declared, "utf-8", file_charset):
        if charset:
            try:
                return data.decode(charset), False
            except (LookupError, UnicodeDecodeError):
                continue
    return data.decode("cp1252", "replace"), True


def _quoted_printable(raw: str, charset: str) -> str:
    """A QUOTED-PRINTABLE value (soft breaks already joined) as escaped text."""
    decoded_bytes = quopri.decodestring(raw.encode("utf-8", "surrogateescape"))
    try:
        text = decoded_bytes.decode(charset or "utf-8")
    except (LookupError, UnicodeDecodeError):
        text = decoded_bytes.decode("cp1252", "replace")
    # Escaped again so that N's and ADR's parts split like any other value's.
    return text.replace("\\", "\\\\").replace("\r\n", "\\n").replace("\n", "\\n")


def _decode(
    name: str,
    params: dict[str, list[str]],
    singletons: list[str],
    raw: str,
    card: Card,
    fallback: str,
) -> Any:
    encoding = next(iter(params.get("ENCODING", [])), "").lower()
    if encoding in ("b", "base64") or "BASE64" in singletons:
        return base64.b64decode("".join(raw.split()), validate=False)
    if encoding == "quoted-printable" or "QUOTED-PRINTABLE" in singletons:
        raw = _quoted_printable(raw, _charset(params) or fallback)
    elif not raw.isascii():
        raw, fell_back = _text_of(raw, _charset(params), fallback)
        if fell_back:
            card.notices.append(
                _("%(property)s is not UTF-8 text; it was read as Windows-1252")
                % {"property": name.upper()}
            )
    if name in _STRUCTURED:
        return Structured(_STRUCTURED[name], split_value(raw, ";"))
    if name == "org":
        return split_value(raw, ";")
    if name in ("categories", "nickname"):
        return [v.strip() for v in split_value(raw, ",") if v.strip()]
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


def _agent_card(lines: list[str]) -> tuple[list[str], list[str]]:
    """The lines of a card without its nested AGENT cards, and the agents' names."""
    outer: list[str] = []
    agents: list[str] = []
    depth = 0
    for line in lines[1:-1]:
        marker = _MARKER.match(line) if "vcard" in line[:40].lower() else None
        if marker and marker[1].upper() == "BEGIN":
            depth += 1
            agents.append("")
            continue
        if depth:
            if marker and marker[1].upper() == "END":
                depth -= 1
            elif line[:3].upper() == "FN:" and not agents[-1]:
                agents[-1] = _unescape(line[3:].strip())
            continue
        outer.append(line)
    return [lines[0], *outer, lines[-1]], agents


def read_card(
    lines: list[str], start: int = 1, *, charset: str = "utf-8", nested: bool = False
) -> Card:
    """The properties of one card. A line that is not a content line, or whose value cannot
    be decoded, is left out and named in `Card.problems`; the rest of the card is kept.
    `nested`: the card holds AGENT cards, which become related people."""
    card = Card()
    agents: list[str] = []
    if nested:
        lines, agents = _agent_card(lines)
    for line, first in _logical_lines(soft_breaks_as_folds(lines)):
        try:
            if simple := _SIMPLE_LINE.match(line):
                # NAME:value or group.NAME:value, as vobject's grammar reads them, without
                # its regular expression for parameters (half the lines of a card).
                name, param_list, raw, group = simple[2], [], line[simple.end() :], simple[1]
            else:
                name, param_list, raw, group = parseLine(line)
        except ParseError:
            number = start + first
            card.problems.append(_("line %(line)d, which cannot be read") % {"line": number})
            continue
        name = name.lower()
        if name not in _READ:
            if name not in _NOT_CARRIED:
                text, _fell_back = _text_of(line, "", charset)
                card.extra.append((group.lower() if group else None, text))
            continue
        params: dict[str, list[str]] = {}
        singletons: list[str] = []
        for key, *values in param_list:
            if values:
                params.setdefault(key.upper(), []).extend(v.strip() for v in values)
            else:
                singletons.append(key.upper())  # vCard 2.1: TEL;CELL;PREF
        try:
            value = _decode(name, params, singletons, raw, card, charset)
        except (ValueError, binascii.Error):
            card.problems.append(
                _("%(property)s (its value cannot be decoded)") % {"property": name.upper()}
            )
            continue
        card.contents.setdefault(name, []).append(Property(group, params, singletons, value, first))
    for agent in agents:
        if agent:
            card.contents.setdefault("agent", []).append(Property(None, {}, [], agent, len(lines)))
    return card


# --- From properties to a contact --------------------------------------------------------
def _types(item: Property) -> list[str]:
    found = [p.lower() for p in item.singletonparams]
    for value in item.params.get("TYPE", ()):
        found.extend(t.strip().strip('"').lower() for t in value.split(","))
    return found


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value if v).strip()
    if isinstance(value, bytes):
        return ""
    return str(value or "").strip()


def _phone_kind(types: list[str], label: str) -> tuple[str, str]:
    """Our kind for a TEL's types and label, and the label when it is a custom one."""
    word = label.strip().lower()
    if word in _PHONE_LABELS:
        return _PHONE_LABELS[word], ""
    fax = "fax" in types
    if fax:
        kind = "home_fax" if "home" in types else "fax"
    else:
        kind = next((k for t, k in _PHONE_TYPES if t in types), "")
        kind = kind or ("work" if "work" in types else "home" if "home" in types else "other")
    return kind, label.strip()


def _email_kind(types: list[str], label: str) -> tuple[str, str]:
    word = label.strip().lower()
    if word in _EMAIL_LABELS:
        return _EMAIL_LABELS[word], ""
    kind = "work" if "work" in types else "home" if "home" in types else "other"
    return kind, label.strip()


def uid_key(uid: str) -> str:
    """A UID or a MEMBER reference, compared without its urn:uuid: prefix."""
    uid = uid.strip()
    return uid[len(UUID_URN) :] if uid.lower().startswith(UUID_URN) else uid


def card_to_contact(card: Card, line: int) -> ParsedContact:
    """The fields of one read card."""
    contents = card.contents
    labels = {
        item.group.lower(): _apple_label(_text(item.value))
        for item in contents.get("x-ablabel", [])
        if item.group
    }
    used_groups: set[str] = set()

    def label_of(item: Property) -> str:
        if item.group and item.group.lower() in labels:
            used_groups.add(item.group.lower())
            return labels[item.group.lower()]
        # (vCard 4.0's LABEL parameter of ADR is the printed address, not a label.)
        return next(iter(item.params.get("X-LABEL", [])), "")

    def first(name: str) -> str:
        return _text(contents[name][0].value) if name in contents else ""

    parsed = ParsedContact(line=line, problems=card.problems, notices=card.notices)
    kind = (
        (first("kind") or first("x-addressbookserver-kind")).lower()
        if _GROUP_KEYS & contents.keys()
        else ""
    )
    if kind == "group":
        parsed.is_group = True
        parsed.full_name = first("fn") or first("n")
        parsed.uid = first("uid")
        for name in ("member", "x-addressbookserver-member"):
            parsed.members += [uid_key(_text(m.value)) for m in contents.get(name, [])]
        return parsed
    if "n" in contents:
        name = contents["n"][0].value
        if isinstance(name, Structured):
            parsed.given_name = _text(name.given)
            parsed.middle_name = _text(name.additional)
            parsed.family_name = _text(name.family)
            parsed.name_prefix = _text(name.prefix)
            parsed.name_suffix = _text(name.suffix)
    parsed.full_name = first("fn")
    if "nickname" in contents:
        parsed.nickname = ", ".join(v for item in contents["nickname"] for v in item.value or [])
    if _PHONETIC_KEYS & contents.keys():
        parsed.phonetic_given_name = first("x-phonetic-first-name")
        parsed.phonetic_middle_name = first("x-phonetic-middle-name")
        parsed.phonetic_family_name = first("x-phonetic-last-name")
    if "org" in contents:
        org = contents["org"][0].value
        units = [_text(u) for u in org] if isinstance(org, list) else [_text(org)]
        parsed.company = units[0] if units else ""
        parsed.department = " / ".join(u for u in units[1:] if u)
    parsed.job_title = first("title")
    if "role" in contents:
        parsed.role = first("role")
    if "note" in contents:
        parsed.notes = "\n".join(_text(n.value) for n in contents["note"])
    if "bday" in contents:
        bday = contents["bday"][0]
        parsed.birthday = _text(bday.value)
        omit = [_text(o.value) for o in contents.get("x-apple-omit-year", ())]
        omit += bday.params.get("X-APPLE-OMIT-YEAR", ())
        # Apple writes an unknown year as 1604 (with X-APPLE-OMIT-YEAR, or without it in
        # iOS 12): no one in an address book was born then.
        if parsed.birthday[:4] == "1604" or (
            omit and parsed.birthday.startswith(tuple(f"{y}-" for y in omit))
        ):
            parsed.birthday = "--" + parsed.birthday[4:].lstrip("-")
    parsed.uid = first("uid")
    for item in contents.get("categories", []):
        values = item.value if isinstance(item.value, list) else str(item.value).split(",")
        parsed.groups.extend(v.strip() for v in values if v.strip())
    for item in contents.get("email", []):
        kind, label = _email_kind(_types(item), _apple_label(label_of(item)))
        parsed.emails.append((kind, _text(item.value), label))
    for item in contents.get("tel", []):
        kind, label = _phone_kind(_types(item), _apple_label(label_of(item)))
        parsed.phones.append((kind, _text(item.value), label))
    for item in contents.get("adr", []):
        adr = item.value
        if not isinstance(adr, Structured):
            continue
        kind, label = _email_kind(_types(item), _apple_label(label_of(item)))
        parsed.addresses.append(
            {
                "kind": kind,
                "label": label,
                "street": "\n".join(filter(None, [_text(adr.street), _text(adr.extended)])),
                "city": _text(adr.city),
                "region": _text(adr.region),
                "postal_code": _text(adr.code),
                "country": _text(adr.country),
            }
        )
    parsed.country = next((a["country"] for a in parsed.addresses if a["country"]), "")
    if contents.keys() & _RARE:
        _rare(parsed, contents, label_of)
    # What we have no field for goes back out on export, with its label when it has one.
    labelled: set[str] = set()
    for group, text in card.extra or ():
        parsed.extra.append(text)
        if group in labels and group not in used_groups and group not in labelled:
            labelled.add(group)
            parsed.extra.append(f"{group}.X-ABLabel:{_esc(labels[group])}")
    return parsed


def _rare(parsed: ParsedContact, contents: dict[str, list[Property]], label_of: Any) -> None:
    """The properties fewer cards have: web pages, dates, related people, messaging, photo."""
    for item in contents.get("url", []):
        types = [t for t in _types(item) if t not in ("pref", "internet")]
        label = _apple_label(label_of(item)) or (types[0] if types else "")
        parsed.urls.append((label, _text(item.value)))
    _dates(parsed, contents, label_of)
    _related(parsed, contents, label_of)
    _ims(parsed, contents, label_of)
    _photo(parsed, contents)


def _in_order(found: list[tuple[int, str, str]]) -> list[tuple[str, str]]:
    """(label, value) pairs in the order of their lines, whichever property held them."""
    return [(label, value) for _order, label, value in sorted(found, key=lambda f: f[0])]


def _dates(parsed: ParsedContact, contents: dict[str, list[Property]], label_of: Any) -> None:
    found = [
        (item.order, label, _text(item.value))
        for name, label in _DATE_PROPERTIES.items()
        for item in contents.get(name, [])
    ]
    for item in contents.get("x-abdate", []):
        label = _apple_label(label_of(item))
        label = label.lower() if label.lower() == "anniversary" else label
        found.append((item.order, label, _text(item.value)))
    parsed.dates += _in_order(found)


def _related(parsed: ParsedContact, contents: dict[str, list[Property]], label_of: Any) -> None:
    found = [
        (item.order, label, _text(item.value))
        for name, label in _RELATED_PROPERTIES.items()
        for item in contents.get(name, [])
    ]
    for item in contents.get("related", []):
        types = [t for t in _types(item) if t != "pref"]
        value = _text(item.value)
        if value.lower().startswith(UUID_URN):
            kind = f";TYPE={','.join(types)}" if types else ""
            parsed.extra.append(f"RELATED{kind}:{value}")
            continue
        found.append((item.order, types[0] if types else "", value))
    for item in contents.get("x-abrelatednames", []):
        label = _apple_label(label_of(item))
        label = label.lower() if label.lower() in _RELATION_WORDS else label
        found.append((item.order, label, _text(item.value)))
    for item in contents.get("agent", []):
        if isinstance(item.value, str) and item.value.strip():
            value = item.value
            if "BEGIN:VCARD" in value.upper():  # vCard 3.0: the card as escaped text
                fn = re.search(r"(?im)^FN:(.*)$", value.replace("\\n", "\n"))
                value = fn[1].strip() if fn else ""
            if value:
                found.append((item.order, "agent", value))
    parsed.related += _in_order(found)


def _ims(parsed: ParsedContact, contents: dict[str, list[Property]], label_of: Any) -> None:
    found = [
        (item.order, service, _text(item.value))
        for name, service in _IM_PROPERTIES.items()
        for item in contents.get(name, [])
    ]
    for item in contents.get("impp", []):
        value = _text(item.value)
        scheme, colon, handle = value.partition(":")
        service = next(iter(item.params.get("X-SERVICE-TYPE", [])), "") or _apple_label(
            label_of(item)
        )
        if not colon:
            scheme, handle = "", value
        if not service and scheme and scheme.lower() != "x-im":
            service = scheme
        found.append((item.order, service, handle))
    parsed.ims += _in_order(found)


def _photo(parsed: ParsedContact, contents: dict[str, list[Property]]) -> None:
    for item in contents.get("photo", []):
        if isinstance(item.value, bytes):
            parsed.photo = item.value
            return
        value = _text(item.value)
        if value.startswith("data:") and ";base64," in value:
            try:
                parsed.photo = base64.b64decode(value.split(",", 1)[1])
            except ValueError:
                continue
            return
        if value:
            # A link: not fetched (the import reaches no other server); kept for export.
            parsed.extra.append(f"PHOTO;VALUE=uri:{value}")
            parsed.problems.append(_("the photo, which is a link to another site"))


# --- Writing -----------------------------------------------------------------------------
# Our phone kinds as vCard TYPE values, and the label written for kinds vCard has no type
# for (read back by _PHONE_LABELS).
_TEL_TYPES = {
    "mobile": ("cell",),
    "work": ("work", "voice"),
    "home": ("home", "voice"),
    "main": ("main",),
    "fax": ("work", "fax"),
    "home_fax": ("home", "fax"),
    "pager": ("pager",),
    "car": ("car",),
    "isdn": ("isdn",),
    "textphone": ("textphone",),
    "assistant": ("x-assistant",),
    "callback": ("x-callback",),
    "radio": ("x-radio",),
    "telex": ("x-telex",),
    "other": ("voice",),
}
# Kinds vCard has no type for get Apple's label too, which Apple's clients show.
_TEL_LABELS = {"assistant": "Assistant", "callback": "Callback", "radio": "Radio", "telex": "Telex"}
_IM_SCHEMES = {
    "skype": "skype",
    "xmpp": "xmpp",
    "jabber": "xmpp",
    "google talk": "xmpp",
    "aim": "aim",
    "icq": "icq",
    "msn": "msnim",
    "yahoo": "ymsgr",
    "sip": "sip",
    "irc": "irc",
}


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace(",", "\\,").replace(";", "\\;")


def _param(text: str) -> str:
    """A parameter value (a label): quoted, without the characters a parameter cannot hold."""
    return '"' + text.replace('"', "'").replace("\n", " ") + '"'


def fold(line: str) -> str:
    # RFC 6350: lines longer than 75 octets are folded; we fold by characters, safely under
    # (a fold never splits a character, as writers should).
    if len(line) <= 75:
        return line
    parts = [line[:75]]
    rest = line[75:]
    while rest:
        parts.append(" " + rest[:74])
        rest = rest[74:]
    return "\r\n".join(parts)


def member_uri(uid: str) -> str:
    """How a card refers to another by UID (MEMBER, RELATED)."""
    try:
        uuid.UUID(uid)
    except ValueError:
        return uid
    return UUID_URN + uid


class _Items:
    """Numbered groups (item1., item2.) for properties that carry an X-ABLabel."""

    def __init__(self) -> None:
        self.count = 0

    def labelled(self, lines: list[str], prop: str, value: str, label: str) -> None:
        if not label:
            lines.append(f"{prop}:{value}")
            return
        self.count += 1
        lines.append(f"item{self.count}.{prop}:{value}")
        lines.append(f"item{self.count}.X-ABLabel:{_esc(label)}")


def _date_value(iso: str, v4: bool) -> str:
    if iso.startswith("--"):
        return "--" + iso[2:].replace("-", "")  # --0314: RFC 6350, and Google's 3.0 form
    return iso.replace("-", "") if v4 else iso


def write(
    contacts: Iterable[dict[str, Any]], version: str = "3.0", groups: dict[str, str] | None = None
) -> Iterator[str]:
    """vCard text for each contact dict (see contacts.selectors.contact_export_rows). Groups
    are CATEGORIES on their members; vCard 4.0 also writes each group (`groups`: name to
    UID) as a KIND:group card with its MEMBERs, which is how 4.0 clients keep empty ones."""
    v4 = version == "4.0"
    members: dict[str, list[str]] = {name: [] for name in groups or {}}
    for c in contacts:
        items = _Items()
        lines = ["BEGIN:VCARD", f"VERSION:{version}"]
        lines.append(f"UID:{_esc(c['uid'])}")
        lines.append(f"FN:{_esc(c['display_name'])}")
        name = [
            c[k] for k in ("family_name", "given_name", "middle_name", "name_prefix", "name_suffix")
        ]
        lines.append("N:" + ";".join(_esc(p) for p in name))
        if c["nickname"]:
            lines.append(f"NICKNAME:{_esc(c['nickname'])}")
        for key, prop in (
            ("phonetic_given_name", "X-PHONETIC-FIRST-NAME"),
            ("phonetic_middle_name", "X-PHONETIC-MIDDLE-NAME"),
            ("phonetic_family_name", "X-PHONETIC-LAST-NAME"),
        ):
            if c[key]:
                lines.append(f"{prop}:{_esc(c[key])}")
        if c["company"] or c["department"]:
            org = _esc(c["company"]) + (f";{_esc(c['department'])}" if c["department"] else "")
            lines.append(f"ORG:{org}")
        if c["job_title"]:
            lines.append(f"TITLE:{_esc(c['job_title'])}")
        if c["role"]:
            lines.append(f"ROLE:{_esc(c['role'])}")
        for kind, address, label in c["emails"]:
            type_ = kind if kind in ("work", "home") else ""
            param = (f";TYPE={type_}" if v4 else f";TYPE=INTERNET,{type_.upper()}") if type_ else ""
            items.labelled(lines, f"EMAIL{param}", address, label)
        for kind, number, extension, label, _verified in c["phones"]:
            types = ",".join(_TEL_TYPES.get(kind, ("voice",)))
            label = label or _TEL_LABELS.get(kind, "")
            if v4 and number.startswith("+") and (not extension or extension.isdigit()):
                ext = f";ext={extension}" if extension else ""
                value, param = f"tel:{number}{ext}", f";VALUE=uri;TYPE={types}"
            else:
                # An unverified number as typed, or one with pauses and keys to send.
                ext = f" ext. {extension}" if extension.isdigit() else _esc(extension)
                value, param = _esc(number) + ext, f";TYPE={types if v4 else types.upper()}"
            items.labelled(lines, f"TEL{param}", value, label)
        for adr in c["addresses"]:
            type_ = f";TYPE={adr['kind']}" if adr["kind"] in ("work", "home") else ""
            parts = [adr["street"], adr["city"], adr["region"], adr["postal_code"], adr["country"]]
            items.labelled(
                lines, f"ADR{type_}", ";;" + ";".join(_esc(p) for p in parts), adr["label"]
            )
        if c["birthday"]:
            lines.append(f"BDAY:{_date_value(c['birthday'], v4)}")
        for date in c["dates"]:
            value = _date_value(date["value"], v4)
            if date["label"].lower() == "anniversary":
                lines.append(f"{'ANNIVERSARY' if v4 else 'X-ANNIVERSARY'}:{value}")
            else:
                items.labelled(lines, "X-ABDATE", value, date["label"])
        for url in c["urls"]:
            label = url["label"]
            if label.lower() in ("work", "home"):
                lines.append(f"URL;TYPE={label.lower()}:{url['value']}")
            else:
                items.labelled(lines, "URL", url["value"], label)
        for person in c["related"]:
            label = person["label"]
            if v4 and (label.lower() in _RELATION_WORDS or not label):
                type_ = f";TYPE={label.lower()}" if label else ""
                lines.append(f"RELATED;VALUE=text{type_}:{_esc(person['value'])}")
            else:
                items.labelled(lines, "X-ABRELATEDNAMES", _esc(person["value"]), label)
        for im in c["ims"]:
            service = im["label"]
            scheme = _IM_SCHEMES.get(service.lower(), "x-im")
            param = f";X-SERVICE-TYPE={_param(service)}" if service else ""
            lines.append(f"IMPP{param}:{scheme}:{im['value']}")
        if c["notes"]:
            lines.append(f"NOTE:{_esc(c['notes'])}")
        if c["groups"]:
            lines.append("CATEGORIES:" + ",".join(_esc(x) for x in c["groups"]))
            for group in c["groups"]:
                members.setdefault(group, []).append(c["uid"])
        if c.get("photo"):
            photo = base64.b64encode(c["photo"]).decode()
            if v4:
                lines.append(f"PHOTO:data:image/jpeg;base64,{photo}")
            else:
                lines.append(f"PHOTO;ENCODING=b;TYPE=JPEG:{photo}")
        lines.extend(c.get("vcard_extra", []))
        lines.append("END:VCARD")
        yield "".join(fold(line) + "\r\n" for line in lines)
    if v4:
        for group_name, uids in members.items():
            uid = (groups or {}).get(group_name) or str(
                uuid.uuid5(uuid.NAMESPACE_URL, "group:" + group_name)
            )
            lines = ["BEGIN:VCARD", "VERSION:4.0", "KIND:group", f"FN:{_esc(group_name)}"]
            lines.append(f"UID:{member_uri(uid)}")
            lines += [f"MEMBER:{member_uri(member)}" for member in uids]
            lines.append("END:VCARD")
            yield "".join(fold(line) + "\r\n" for line in lines)
