"""A book's contacts as one vCard 3.0, vCard 4.0 or CSV file."""

import re

from django.utils.translation import gettext as _

from accounts.models import User
from contacts import selectors
from contacts.formats import csvfile, vcard
from contacts.models import AddressBook
from uc_web.lib.exceptions import ApplicationError, PermissionDenied

EXPORT_FORMATS = {
    "vcard3": ("text/vcard; charset=utf-8", "vcf"),
    "vcard4": ("text/vcard; charset=utf-8", "vcf"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}


def book_export(*, user: User, book: AddressBook, fmt: str) -> tuple[bytes, str, str]:
    """A book's contacts as one vCard 3.0/4.0 or CSV file: (content, content type, file name).
    vCards carry photos (JPEG, as PHOTO in each version's form); CSV cannot."""
    if book.owner_id != user.pk:
        raise PermissionDenied()
    if fmt not in EXPORT_FORMATS:
        raise ApplicationError(_("Choose vCard 3.0, vCard 4.0 or CSV."), code="invalid_format")
    rows = selectors.contact_export_rows(user=user, book=book, photos=fmt != "csv")
    if fmt == "csv":
        # A BOM so that Excel reads the file as UTF-8.
        content = ("\ufeff" + csvfile.write(rows)).encode()
    else:
        groups = selectors.group_uids(user=user, book=book)
        version = "4.0" if fmt == "vcard4" else "3.0"
        content = "".join(vcard.write(rows, version, groups=groups)).encode()
    content_type, ext = EXPORT_FORMATS[fmt]
    safe = re.sub(r"[^\w.-]+", "-", book.name, flags=re.ASCII).strip("-") or "contacts"
    return content, content_type, f"{safe}.{ext}"
