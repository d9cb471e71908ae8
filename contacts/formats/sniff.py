"""Recognise what an uploaded file is and decode it to text, before anything is imported."""

import codecs
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from uc_web.lib.exceptions import ApplicationError

VCARD = "vcard"
CSV = "csv"

# Leading bytes of files people upload by mistake.
_MAGIC = [
    (b"\xff\xd8\xff", gettext_lazy("a JPEG image")),
    (b"\x89PNG\r\n\x1a\n", gettext_lazy("a PNG image")),
    (b"GIF8", gettext_lazy("a GIF image")),
    (b"%PDF", gettext_lazy("a PDF document")),
    (b"PK\x03\x04", gettext_lazy("a ZIP archive or an Office document")),
    (b"\xd0\xcf\x11\xe0", gettext_lazy("an old Office document")),
    (b"\x1f\x8b", gettext_lazy("a gzip archive")),
    (b"RIFF", gettext_lazy("a media file")),
    (b"\x7fELF", gettext_lazy("a program")),
    (b"MZ", gettext_lazy("a program")),
]


class UnreadableFile(ApplicationError):
    """The upload is not a contacts file; nothing is imported."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="unreadable_file")


@dataclass(frozen=True)
class Sniffed:
    format: str
    encoding: str


def detect_encoding(head: bytes) -> str:
    """The text encoding of a file from its first bytes: BOMs, then UTF-8, then Windows-1252."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # UTF-16 without a BOM: every other byte of ASCII text is zero.
    sample = head[:512]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
        return "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4:
        return "utf-16-be"
    try:
        # The head may end inside a multi-byte character; an incremental decoder forgives that.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "utf-8" if looks_utf8(head) else "cp1252"
    return "utf-8"


# A character of two to four bytes as UTF-8 writes it.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def looks_utf8(data: bytes) -> bool:
    """Whether text that is not valid UTF-8 throughout still is UTF-8 with a few stray
    bytes: it writes characters as UTF-8 does (ü as C3 BC), which 8-bit text almost never
    happens to. Such a file stays UTF-8 and its stray bytes are read, and reported, one
    value at a time."""
    return _UTF8_SEQUENCE.search(data) is not None


_FOLD = re.compile(r"\r*\n[ \t]|\r[ \t]")
_UNICODE = ("utf-8-sig", "utf-16", "utf-16-le", "utf-16-be")


def _vcard_charset(text: str) -> str:
    """The charset of a vCard file's undeclared 8-bit text: UTF-8 when every value without
    a CHARSET parameter is UTF-8 once folded lines are joined (a fold may split a UTF-8
    character, RFC 6350 3.2), else Windows-1252, the 8-bit charset of old exports."""
    unfolded = _FOLD.sub("", text)
    lines = unfolded.splitlines()[:-1]  # the last line may be cut off by the head's end
    undeclared = "\n".join(
        line for line in lines if "CHARSET=" not in line.partition(":")[0].upper()
    )
    data = undeclared.encode("utf-8", "surrogateescape")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "utf-8" if looks_utf8(data) else "cp1252"
    return "utf-8"


def sniff(head: bytes, *, size: int) -> Sniffed:
    """What a file is, judged by its first bytes; raises UnreadableFile for anything else."""
    if size == 0 or not head.strip():
        raise UnreadableFile(_("The file is empty."))
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise UnreadableFile(
                _(
                    "This file is %(what)s, not an address book. Export your contacts as "
                    "vCard (.vcf) or CSV and upload that."
                )
                % {"what": what}
            )
    encoding = detect_encoding(head)
    if encoding in _UNICODE:
        try:
            text = codecs.getincrementaldecoder(encoding)(errors="strict").decode(head, final=False)
        except UnicodeDecodeError as error:
            raise UnreadableFile(_("This file is not text; it cannot hold contacts.")) from error
    else:
        # 8-bit text: bytes that are not UTF-8 are kept (as surrogates) until we know what
        # the file declares for them.
        text = head.decode("utf-8", "surrogateescape")
    text = text.lstrip("\ufeff")
    if "\x00" in text or sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\r\n\t") > 8:
        raise UnreadableFile(_("This file is not text; it cannot hold contacts."))
    stripped = text.lstrip()
    if stripped[:11].upper() == "BEGIN:VCARD":
        if encoding not in _UNICODE:
            encoding = _vcard_charset(text)
        return Sniffed(VCARD, encoding)
    first_line = stripped.splitlines()[0] if stripped else ""
    if any(sep in first_line for sep in (",", ";", "\t")):
        return Sniffed(CSV, encoding)
    raise UnreadableFile(
        _("This file is neither a vCard nor a CSV file with a header row; nothing was imported.")
    )


def decode(data: bytes, encoding: str) -> str:
    """The whole file as text (a BOM removed). UTF-8 text keeps any byte that is not UTF-8
    as a surrogate, for the reader to decode per property or cell and to report: a file
    never changes encoding silently."""
    if encoding in ("utf-8", "utf8"):
        text = data.decode("utf-8", "surrogateescape")
    else:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as error:
            raise UnreadableFile(
                _("The file is not valid %(encoding)s text.") % {"encoding": encoding}
            ) from error
    return text.lstrip("\ufeff")


def decode_vcard(data: bytes, encoding: str) -> str:
    """A vCard file as text: Unicode files as they are; 8-bit files with every byte that is
    not UTF-8 kept as a surrogate, for the reader to decode with each property's CHARSET
    (or `encoding`, the file's own 8-bit charset)."""
    if encoding in _UNICODE:
        return decode(data, encoding)
    return data.decode("utf-8", "surrogateescape").lstrip("\ufeff")


def decode_head(head: bytes, encoding: str, *, vcard: bool = False) -> str:
    """The first bytes of a file as text (which may end inside a character)."""
    if vcard:
        return decode_vcard(head, encoding)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    return text.lstrip("\ufeff")


_SURROGATES = re.compile("[\udc80-\udcff]")


def mend(text: str, fallback: str = "cp1252") -> tuple[str, bool]:
    """Text decoded as UTF-8 with surrogateescape, with its stray bytes decoded as `fallback`
    instead; the flag says whether there were any (so that the report can say so)."""
    if text.isascii() or not _SURROGATES.search(text):
        return text, False
    return text.encode("utf-8", "surrogateescape").decode(fallback, "replace"), True
