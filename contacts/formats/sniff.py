"""Recognise what an uploaded file is and decode it to text, before anything is imported."""

import codecs
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
        return "cp1252"
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
    try:
        text = codecs.getincrementaldecoder(encoding)(errors="strict").decode(head, final=False)
    except UnicodeDecodeError as error:
        raise UnreadableFile(_("This file is not text; it cannot hold contacts.")) from error
    text = text.lstrip("\ufeff")
    if "\x00" in text or sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\r\n\t") > 8:
        raise UnreadableFile(_("This file is not text; it cannot hold contacts."))
    stripped = text.lstrip()
    if stripped[:11].upper() == "BEGIN:VCARD":
        return Sniffed(VCARD, encoding)
    first_line = stripped.splitlines()[0] if stripped else ""
    if any(sep in first_line for sep in (",", ";", "\t")):
        return Sniffed(CSV, encoding)
    raise UnreadableFile(
        _("This file is neither a vCard nor a CSV file with a header row; nothing was imported.")
    )


def decode(data: bytes, encoding: str) -> str:
    """The whole file as text (a BOM removed)."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        if encoding != "utf-8":
            raise UnreadableFile(
                _("The file is not valid %(encoding)s text.") % {"encoding": encoding}
            ) from error
        # Valid UTF-8 at the start, something else later: Windows-1252 is what remains.
        return decode(data, "cp1252")
    return text.lstrip("\ufeff")


def decode_head(head: bytes, encoding: str) -> str:
    """The first bytes of a file as text (which may end inside a character)."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    return text.lstrip("\ufeff")
