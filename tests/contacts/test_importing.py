"""The import services end to end: upload, start, run (eager), report; and export."""

import base64
import io
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from contacts import importing, selectors, services
from contacts.formats import sniff
from contacts.importing import running
from contacts.models import Contact, ContactImport
from tests.accounts import images
from uc_web.lib.exceptions import ApplicationError

pytestmark = pytest.mark.django_db(transaction=True)


def run_import(user, upload, *, book=None, duplicates="skip", mapping=None) -> ContactImport:
    contact_import = importing.import_upload(owner=user, file=upload)
    book = book or services.book_ensure_default(user=user)
    importing.import_start(
        contact_import=contact_import, by=user, book=book, duplicates=duplicates, mapping=mapping
    )
    contact_import.refresh_from_db()
    return contact_import


def test_outlook_import_reports_rejected_fields_with_line_numbers(alice, fixture_upload):
    result = run_import(alice, fixture_upload("outlook_export_cp1252.csv"))
    assert result.status == ContactImport.Status.DONE
    assert (result.total, result.processed, result.imported) == (4, 4, 4)
    assert result.percent == 100
    unverified, report = result.rejected
    assert unverified["name"] == "James O'Neill" and "01632 960123" in unverified["reason"]
    assert "unverified" in unverified["reason"] and not unverified["whole"]
    assert report["line"] == 6 and report["name"] == "Broken Number" and not report["whole"]
    assert "call me maybe" in report["reason"] and "not-an-email" in report["reason"]
    broken = Contact.objects.get(display_name="Broken Number")
    assert not broken.phones.exists() and not broken.emails.exists()
    zoe = Contact.objects.get(display_name="Zoë Ménard")
    assert sorted(zoe.phones.values_list("number", flat=True)) == ["+33142685300", "+33612345678"]


def test_a_broken_card_is_reported_and_the_others_are_imported(alice, fixture_upload):
    result = run_import(alice, fixture_upload("android_export_v21.vcf"))
    assert (result.total, result.imported) == (3, 2)
    assert {"line": 17, "name": "", "reason": "the card has no END:VCARD line", "whole": True} in (
        result.rejected
    )
    # Northwind dials from the UK: a Warsaw landline and a US local number are not valid
    # British numbers, so they are kept as typed and said so, never made +44.
    unverified = [r for r in result.rejected if not r["whole"]]
    assert [(r["name"], "unverified" in r["reason"]) for r in unverified] == [
        ("Łukasz Kowalski", True),
        ("Phone Only", True),
    ]
    lukasz = Contact.objects.get(given_name="Łukasz")
    assert lukasz.notes == "Zawód: hydraulik. Dzwonić rano, najlepiej przed ósmą."


def test_the_photo_in_a_vcard_is_stored_re_encoded(alice, fixture_upload):
    run_import(alice, fixture_upload("ios_contacts_v3.vcf"))
    ines = Contact.objects.get(display_name="Inês Ferreira")
    with default_storage.open(ines.photo) as large, default_storage.open(ines.photo_small) as small:
        assert Image.open(large).size == (256, 256) and Image.open(small).size == (64, 64)
    assert ines.photo.endswith(".webp")


def photo_card(name: str, photo: bytes) -> SimpleUploadedFile:
    encoded = base64.b64encode(photo).decode()
    folded = "\r\n ".join(encoded[i : i + 74] for i in range(0, len(encoded), 74))
    text = (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\n"
        f"PHOTO;ENCODING=b;TYPE=JPEG:{folded}\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Next Card\r\nEND:VCARD\r\n"
    )
    return SimpleUploadedFile("photo.vcf", text.encode())


def test_an_imported_photo_loses_its_gps_position_and_all_metadata(alice):
    source = images.jpeg(gps=True, orientation=1)
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825)  # the GPS is there
    run_import(alice, photo_card("Marta Rossi", source))
    marta = Contact.objects.get(display_name="Marta Rossi")
    for name in marta.photo_names:
        with default_storage.open(name) as handle:
            data = handle.read()
        image = Image.open(io.BytesIO(data))
        assert image.format == "WEBP" and dict(image.getexif()) == {}
        assert b"Exif" not in data and b"GPS" not in data


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("html_jpeg_polyglot", "markup"),
        ("eight_megabyte_image", "too large"),
        ("png_declaring_30000x30000", "too many pixels"),
        ("truncated_jpeg", "damaged or incomplete"),
    ],
)
def test_a_bad_photo_in_a_vcard_is_left_out_with_its_reason_and_nothing_stored(
    alice, media_root, kind, reason
):
    data, _name = images.BAD_UPLOADS[kind]()
    result = run_import(alice, photo_card("Kofi Okafor", data))
    assert (result.imported, result.status) == (2, ContactImport.Status.DONE)
    kofi = Contact.objects.get(display_name="Kofi Okafor")
    assert kofi.photo == kofi.photo_small == ""
    (report,) = result.rejected
    assert report["line"] == 1 and report["name"] == "Kofi Okafor" and not report["whole"]
    assert (
        report["reason"].startswith("imported without: the photo: ") and reason in report["reason"]
    )
    assert [p for p in Path(media_root).rglob("*") if p.is_file()] == []


def card(uid: str, name: str, phone: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nTEL:{phone}\r\nEND:VCARD\r\n"


def test_a_duplicate_later_in_the_file_merges_into_the_contact_already_written(alice, monkeypatch):
    monkeypatch.setattr(running, "BATCH_SIZE", 2)  # the first card is written before the last
    text = (
        card("u-1", "Noah Novak", "+44 20 7946 0001")
        + card("u-2", "Liam Murphy", "+44 20 7946 0002")
        + card("u-3", "Sofia Silva", "+44 20 7946 0003")
        + card("u-1", "Noah Novak", "+44 7700 900001")
    )
    result = run_import(alice, SimpleUploadedFile("c.vcf", text.encode()), duplicates="merge")
    assert (result.status, result.imported, result.merged) == ("done", 3, 1)
    noah = Contact.objects.get(uid="u-1")
    assert sorted(noah.phones.values_list("number", flat=True)) == [
        "+442079460001",
        "+447700900001",
    ]
    assert Contact.objects.filter(owner=alice).count() == 3


def test_a_failed_write_stops_the_import_and_says_so(alice, monkeypatch):
    monkeypatch.setattr(running, "BATCH_SIZE", 1)

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(running, "_create_contacts", broken)
    text = card("u-1", "Noah Novak", "+44 20 7946 0001") + card("u-2", "Liam", "+44 20 7946 0002")
    result = run_import(alice, SimpleUploadedFile("c.vcf", text.encode()))
    assert result.status == ContactImport.Status.FAILED
    assert result.error == "The import stopped because of an error on our side."
    assert not Contact.objects.filter(owner=alice).exists()


@pytest.mark.parametrize(
    "name",
    [
        "outlook_export_cp1252.csv",
        "google_contacts.csv",
        "thunderbird_utf16.csv",
        "ios_contacts_v3.vcf",
        "android_export_v21.vcf",
        "nextcloud_v4.vcf",
    ],
)
def test_running_the_same_import_again_with_skip_adds_nothing(alice, fixture_upload, name):
    first = run_import(alice, fixture_upload(name))
    count = Contact.objects.filter(owner=alice).count()
    assert count == first.imported > 0
    again = run_import(alice, fixture_upload(name), duplicates="skip")
    assert again.imported == 0 and again.skipped == first.imported
    assert Contact.objects.filter(owner=alice).count() == count


def test_merge_adds_new_numbers_to_the_contact_already_there(alice):
    book = services.book_ensure_default(user=alice)
    services.contact_create(
        by=alice,
        book=book,
        data=services.ContactInput(
            given_name="Olumide",
            family_name="Adeyemi",
            emails=[("work", "olumide@lagosfintech.example")],
        ),
    )
    upload = SimpleUploadedFile("n.vcf", (importing_fixture("nextcloud_v4.vcf")))
    result = run_import(alice, upload, duplicates="merge")
    assert (result.imported, result.merged) == (0, 1)
    contact = Contact.objects.get(owner=alice)
    assert set(contact.phones.values_list("number", flat=True)) == {
        "+2348031234567",
        "+23412710000",
    }
    assert contact.uid == "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1"


def test_create_duplicates_imports_them_again(alice, fixture_upload):
    run_import(alice, fixture_upload("nextcloud_v4.vcf"))
    result = run_import(alice, fixture_upload("nextcloud_v4.vcf"), duplicates="create")
    assert result.imported == 1
    assert Contact.objects.filter(owner=alice).count() == 2


def test_a_csv_with_an_unknown_header_imports_through_the_chosen_mapping(alice):
    upload = SimpleUploadedFile(
        "list.csv", b"Who;Mail;Tel\nAda Lovelace;ada@example.org;020 7946 0018\n"
    )
    contact_import = importing.import_upload(owner=alice, file=upload)
    assert contact_import.format == "custom"
    importing.import_start(
        contact_import=contact_import,
        by=alice,
        book=services.book_ensure_default(user=alice),
        duplicates="skip",
        mapping=["full_name", "email", "phone:work"],
    )
    contact = Contact.objects.get(owner=alice)
    assert contact.display_name == "Ada Lovelace"
    assert contact.phones.get().number == "+442079460018"


def test_an_invalid_mapping_is_refused(alice):
    upload = SimpleUploadedFile("list.csv", b"Who,Mail\nAda,ada@example.org\n")
    contact_import = importing.import_upload(owner=alice, file=upload)
    with pytest.raises(ApplicationError):
        importing.import_start(
            contact_import=contact_import,
            by=alice,
            book=services.book_ensure_default(user=alice),
            duplicates="skip",
            mapping=["is_staff", "email"],
        )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.jpg", JPEG, "JPEG image"),
        ("photo.vcf", JPEG, "JPEG image"),
        ("blob.bin", bytes(range(256)) * 16, "not text"),
        ("empty.vcf", b"", "empty"),
        ("blank.csv", b"   \r\n\r\n", "empty"),
        ("notes.txt", b"just some words on a line\nand another\n", "neither a vCard nor a CSV"),
        ("one-column.csv", b"Name\nAda\n", "neither a vCard nor a CSV"),
    ],
)
def test_files_that_are_not_address_books_are_refused_and_nothing_is_imported(
    alice, name, content, message
):
    with pytest.raises(sniff.UnreadableFile, match=message):
        importing.import_upload(owner=alice, file=SimpleUploadedFile(name, content))
    assert not ContactImport.objects.exists()
    assert not Contact.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(alice, settings):
    settings.CONTACTS_IMPORT_MAX_BYTES = 1024

    class Unreadable(SimpleUploadedFile):
        def read(self, *args, **kwargs):
            raise AssertionError("the file was read")

    upload = Unreadable("big.vcf", b"BEGIN:VCARD\r\n" * 200)
    with pytest.raises(ApplicationError, match="larger than"):
        importing.import_upload(owner=alice, file=upload)
    assert not ContactImport.objects.exists()


def test_the_uploaded_file_is_deleted_once_imported(alice, fixture_upload, media_root):
    from pathlib import Path

    result = run_import(alice, fixture_upload("nextcloud_v4.vcf"))
    assert not result.file
    assert not list(Path(media_root).glob("contacts/imports/**/*.upload"))


def test_exported_csv_cells_never_start_a_formula_and_import_back_unchanged(alice):
    book = services.book_create(owner=alice, name="Risky")
    services.contact_create(
        by=alice,
        book=book,
        data=services.ContactInput(given_name="Eve", notes='=HYPERLINK("http://x.example")'),
    )
    content, _type, name = importing.book_export(user=alice, book=book, fmt="csv")
    assert ",=HYPERLINK" not in content.decode("utf-8-sig")
    copy = services.book_create(owner=alice, name="Copy")
    run_import(alice, SimpleUploadedFile(name, content), book=copy, duplicates="create")
    assert Contact.objects.get(book=copy).notes == '=HYPERLINK("http://x.example")'


def test_trash_older_than_30_days_is_purged(alice):
    from datetime import timedelta

    from django.utils import timezone

    book = services.book_ensure_default(user=alice)
    old = services.contact_create(by=alice, book=book, data=services.ContactInput(given_name="Old"))
    new = services.contact_create(by=alice, book=book, data=services.ContactInput(given_name="New"))
    for contact in (old, new):
        services.contact_delete(contact=contact, by=alice)
    Contact.objects.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    services.trash_purge_expired()
    assert list(Contact.objects.values_list("given_name", flat=True)) == ["New"]


def test_an_import_cannot_start_twice(alice, fixture_upload):
    result = run_import(alice, fixture_upload("nextcloud_v4.vcf"))
    with pytest.raises(ApplicationError):
        importing.import_start(contact_import=result, by=alice, book=result.book, duplicates="skip")


@pytest.mark.parametrize("fmt", ["vcard3", "vcard4", "csv"])
def test_export_then_import_into_an_empty_book_gives_the_same_contacts(alice, fixture_upload, fmt):
    source = services.book_create(owner=alice, name="Source")
    for name in (
        "outlook_export_cp1252.csv",
        "google_contacts.csv",
        "ios_contacts_v3.vcf",
        "nextcloud_v4.vcf",
        "thunderbird_utf16.csv",
        "android_export_v21.vcf",
    ):
        run_import(alice, fixture_upload(name), book=source, duplicates="create")
    content, _type, filename = importing.book_export(user=alice, book=source, fmt=fmt)
    target = services.book_create(owner=alice, name="Copy")
    run_import(alice, SimpleUploadedFile(filename, content), book=target, duplicates="create")

    def snapshot(book):
        result = []
        for c in selectors.contact_export_rows(user=alice, book=book):
            c.pop("uid")
            if fmt == "csv":
                c.pop("vcard_extra")  # vCard properties we have no field for: not in CSV
            c["emails"] = sorted(c["emails"])
            c["phones"] = sorted(c["phones"])
            result.append(c)
        return sorted(result, key=lambda c: c["display_name"])

    before, after = snapshot(source), snapshot(target)
    assert len(before) == 12
    assert after == before


def importing_fixture(name: str) -> bytes:
    from tests.contacts.conftest import FIXTURES

    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
@pytest.mark.parametrize(
    "text",
    [
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Ménard;Zoë;;;\r\nFN:Zoë Ménard\r\n"
        "TEL;TYPE=CELL:020 7946 0018\r\nEND:VCARD\r\n",
        "First Name,Last Name,Mobile Phone\r\nZoë,Ménard,020 7946 0018\r\n",
    ],
    ids=["vcard", "csv"],
)
def test_every_supported_encoding_reads_the_same_contact(alice, encoding, text):
    upload = SimpleUploadedFile("contacts.txt", text.encode(encoding))
    result = run_import(
        alice,
        upload,
        mapping=None if "VCARD" in text else ["given_name", "family_name", "phone:mobile"],
    )
    assert (result.status, result.imported) == ("done", 1)
    contact = Contact.objects.get(owner=alice)
    assert contact.display_name == "Zoë Ménard"
    assert contact.phones.get().number == "+442079460018"
