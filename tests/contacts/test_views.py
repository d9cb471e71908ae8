"""The contacts pages, driven through Django's test client."""

import io
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from contacts import services
from contacts.models import AddressBook, Contact, ContactImport
from tests.accounts import images
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


def test_contacts_page_shows_the_personal_book_the_directory_and_the_legend(signed_in, alice):
    response = signed_in(alice).get("/contacts/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Personal" in html and "Company directory" in html
    assert "Phone-only contact" in html and "Contact request pending" in html


def test_add_a_contact_with_a_national_number_shows_it_normalised(signed_in, alice):
    client = signed_in(alice)
    book = services.book_ensure_default(user=alice)
    response = client.post(
        "/contacts/new/",
        {
            "given_name": "James",
            "family_name": "O'Neill",
            "book": publicid.of(book),
            "phone_0_kind": "work",
            "phone_0_number": "020 7946 0018",
            "email_0_kind": "work",
            "email_0_address": "james@harbour.example",
            "photo": SimpleUploadedFile("me.png", png()),
        },
        follow=True,
    )
    html = response.content.decode()
    assert "+44 20 7946 0018" in html and "020 7946 0018" in html
    contact = Contact.objects.get()
    assert contact.phones.get().number == "+442079460018"
    photo = client.get(f"/contacts/{publicid.of(contact)}/photo/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(b"".join(photo.streaming_content))).size == (256, 256)
    small = client.get(f"/contacts/{publicid.of(contact)}/photo/?size=small")
    assert Image.open(io.BytesIO(b"".join(small.streaming_content))).size == (64, 64)


def test_a_bad_number_is_shown_as_an_error_and_nothing_is_saved(signed_in, alice):
    book = services.book_ensure_default(user=alice)
    response = signed_in(alice).post(
        "/contacts/new/",
        {"given_name": "X", "book": publicid.of(book), "phone_0_number": "call me"},
    )
    assert response.status_code == 200
    assert "“call me” is not valid" in response.content.decode()
    assert not Contact.objects.exists()


def test_delete_goes_to_the_trash_with_an_undo(signed_in, alice):
    client = signed_in(alice)
    book = services.book_ensure_default(user=alice)
    contact = services.contact_create(
        by=alice, book=book, data=services.ContactInput(given_name="Ada")
    )
    confirm = client.get(f"/contacts/{publicid.of(contact)}/delete/")
    assert "Move to trash" in confirm.content.decode()
    response = client.post(f"/contacts/{publicid.of(contact)}/delete/", follow=True)
    assert "was moved to the trash" in response.content.decode()
    assert "Undo" in response.content.decode()
    client.post(f"/contacts/{publicid.of(contact)}/restore/")
    contact.refresh_from_db()
    assert contact.deleted_at is None


def test_removing_a_book_asks_first_and_says_how_many_contacts_go(signed_in, alice):
    client = signed_in(alice)
    book = services.book_create(owner=alice, name="Suppliers")
    for name in ("A", "B", "C"):
        services.contact_create(by=alice, book=book, data=services.ContactInput(given_name=name))
    page = client.get(f"/contacts/books/{publicid.of(book)}/delete/").content.decode()
    assert "Its 3 contacts will be deleted with it." in page
    client.post(f"/contacts/books/{publicid.of(book)}/delete/")
    assert not AddressBook.objects.filter(pk=book.pk).exists()


def test_add_and_rename_a_book(signed_in, alice):
    client = signed_in(alice)
    client.post("/contacts/books/new/", {"name": "Suppliers"})
    book = AddressBook.objects.get(name="Suppliers")
    client.post(f"/contacts/books/{publicid.of(book)}/rename/", {"name": "Vendors"})
    book.refresh_from_db()
    assert book.name == "Vendors"


def test_charlie_gets_404_for_alices_pages(signed_in, alice, charlie):
    book = services.book_create(owner=alice, name="Suppliers")
    contact = services.contact_create(
        by=alice,
        book=book,
        data=services.ContactInput(given_name="Ada"),
        photo=SimpleUploadedFile("a.png", png()),
    )
    client = signed_in(charlie)
    for url in (
        f"/contacts/{publicid.of(contact)}/",
        f"/contacts/{publicid.of(contact)}/edit/",
        f"/contacts/{publicid.of(contact)}/delete/",
        f"/contacts/{publicid.of(contact)}/photo/",
        f"/contacts/{publicid.of(contact)}/photo/?size=small",
        f"/contacts/books/{publicid.of(book)}/rename/",
        f"/contacts/books/{publicid.of(book)}/delete/",
        f"/contacts/books/{publicid.of(book)}/export/?fmt=csv",
        f"/contacts/?book={publicid.of(book)}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/contacts/{publicid.of(contact)}/delete/").status_code == 404
    assert client.post(f"/contacts/books/{publicid.of(book)}/delete/").status_code == 404
    assert Contact.objects.get(pk=contact.pk).deleted_at is None


def test_charlie_gets_404_for_alices_import(signed_in, alice, charlie, fixture_upload):
    from contacts import importing

    contact_import = importing.import_upload(owner=alice, file=fixture_upload("nextcloud_v4.vcf"))
    assert (
        signed_in(charlie).get(f"/contacts/import/{publicid.of(contact_import)}/").status_code
        == 404
    )


@pytest.mark.django_db(transaction=True)
def test_import_flow_upload_preview_options_report(signed_in, alice, fixture_upload):
    client = signed_in(alice)
    response = client.post(
        "/contacts/import/", {"file": fixture_upload("outlook_export_cp1252.csv")}
    )
    contact_import = ContactImport.objects.get()
    assert response.status_code == 302
    preview = client.get(f"/contacts/import/{publicid.of(contact_import)}/").content.decode()
    assert "Outlook CSV" in preview and "Zoë Ménard" in preview and "Start import" in preview
    book = services.book_ensure_default(user=alice)
    report = client.post(
        f"/contacts/import/{publicid.of(contact_import)}/",
        {"book": publicid.of(book), "duplicates": "skip"},
        follow=True,
    ).content.decode()
    assert 'aria-valuenow="100"' in report
    assert "Import finished." in report and "call me maybe" in report
    assert Contact.objects.filter(owner=alice).count() == 4


@pytest.mark.django_db(transaction=True)
def test_an_unknown_csv_asks_for_the_column_mapping(signed_in, alice):
    client = signed_in(alice)
    upload = SimpleUploadedFile("people.csv", b"Who,Reach me at\nAda Lovelace,ada@example.org\n")
    client.post("/contacts/import/", {"file": upload})
    contact_import = ContactImport.objects.get()
    page = client.get(f"/contacts/import/{publicid.of(contact_import)}/").content.decode()
    assert "What each column holds" in page and "Reach me at" in page
    book = services.book_ensure_default(user=alice)
    client.post(
        f"/contacts/import/{publicid.of(contact_import)}/",
        {
            "book": publicid.of(book),
            "duplicates": "skip",
            "column_0": "full_name",
            "column_1": "email",
        },
    )
    contact = Contact.objects.get()
    assert (
        contact.display_name == "Ada Lovelace" and contact.emails.get().address == "ada@example.org"
    )


def test_a_jpeg_upload_is_refused_in_words(signed_in, alice):
    jpeg = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    response = signed_in(alice).post("/contacts/import/", {"file": jpeg})
    assert response.status_code == 400
    assert "This file is a JPEG image, not an address book." in response.content.decode()
    assert not ContactImport.objects.exists()


def test_an_upload_over_the_limit_is_refused_before_it_is_parsed(signed_in, alice, settings):
    settings.CONTACTS_IMPORT_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.vcf", b"BEGIN:VCARD\r\n" + b"N:x\r\n" * 30000)
    response = signed_in(alice).post("/contacts/import/", {"file": big})
    assert response.status_code == 413
    assert "larger than" in response.content.decode()
    assert not ContactImport.objects.exists()


def test_export_downloads_a_file(signed_in, alice):
    book = services.book_ensure_default(user=alice)
    services.contact_create(by=alice, book=book, data=services.ContactInput(given_name="Ada"))
    response = signed_in(alice).get(f"/contacts/books/{publicid.of(book)}/export/?fmt=vcard4")
    assert response.status_code == 200 and b"VERSION:4.0" in response.content


def test_the_directory_page_lists_colleagues(signed_in, alice, bob, charlie):
    html = signed_in(alice).get("/contacts/directory/").content.decode()
    assert "bob@northwind.example" in html and "charlie@" not in html


def test_the_nav_leads_to_contacts(signed_in, alice):
    html = signed_in(alice).get("/").content.decode()
    assert 'href="/contacts/"' in html


def test_editing_keeps_extensions_and_the_addresses_the_form_does_not_show(signed_in, alice):
    from contacts.models import Address

    book = services.book_ensure_default(user=alice)
    contact = services.contact_create(
        by=alice,
        book=book,
        data=services.ContactInput(
            given_name="Olumide",
            phones=[("work", "+234 1 271 0000 ext. 102")],
            addresses=[
                {"kind": "work", "city": "Lagos", "country": "Nigeria"},
                {"kind": "home", "city": "Abuja", "country": "Nigeria"},
            ],
        ),
    )
    client = signed_in(alice)
    page = client.get(f"/contacts/{publicid.of(contact)}/edit/").content.decode()
    assert 'value="+23412710000 ext. 102"' in page
    client.post(
        f"/contacts/{publicid.of(contact)}/edit/",
        {
            "given_name": "Olumide",
            "family_name": "Adeyemi",
            "book": publicid.of(book),
            "phone_0_kind": "work",
            "phone_0_number": "+23412710000 ext. 102",
            "city": "Lagos",
            "country": "Nigeria",
        },
    )
    contact.refresh_from_db()
    assert contact.display_name == "Olumide Adeyemi"
    assert contact.phones.get().extension == "102"
    assert sorted(Address.objects.filter(contact=contact).values_list("city", "kind")) == [
        ("Abuja", "home"),
        ("Lagos", "work"),
    ]


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("html_jpeg_polyglot", "markup"),
        ("svg_with_script", "markup"),
        ("eight_megabyte_image", "too large"),
        ("png_declaring_30000x30000", "too many pixels"),
        ("text_renamed_jpg", "not an image"),
    ],
)
def test_a_bad_photo_is_refused_in_words_and_the_contact_is_left_as_it_was(
    signed_in, alice, media_root, kind, reason
):
    book = services.book_ensure_default(user=alice)
    contact = services.contact_create(
        by=alice,
        book=book,
        data=services.ContactInput(given_name="Ada"),
        photo=SimpleUploadedFile("a.png", png()),
    )
    files_before = sorted(p for p in Path(media_root).rglob("*") if p.is_file())
    data, name = images.BAD_UPLOADS[kind]()
    response = signed_in(alice).post(
        f"/contacts/{publicid.of(contact)}/edit/",
        {
            "given_name": "Changed",
            "book": publicid.of(book),
            "photo": SimpleUploadedFile(name, data),
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["photo"]
    assert len(errors) == 1 and reason in errors[0]
    assert reason in response.content.decode()
    fresh = Contact.objects.get(pk=contact.pk)
    assert (fresh.given_name, fresh.photo, fresh.photo_small) == (
        "Ada",
        contact.photo,
        contact.photo_small,
    )
    assert sorted(p for p in Path(media_root).rglob("*") if p.is_file()) == files_before


def test_a_new_photo_replaces_the_old_files_and_remove_deletes_them(
    signed_in, alice, media_root, django_capture_on_commit_callbacks
):
    book = services.book_ensure_default(user=alice)
    contact = services.contact_create(
        by=alice,
        book=book,
        data=services.ContactInput(given_name="Ada"),
        photo=SimpleUploadedFile("a.png", png()),
    )
    old = contact.photo_names
    client = signed_in(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/contacts/{publicid.of(contact)}/edit/",
            {
                "given_name": "Ada",
                "book": publicid.of(book),
                "photo": SimpleUploadedFile("b.jpg", images.jpeg(gps=True)),
            },
        )
    contact.refresh_from_db()
    assert contact.photo and contact.photo_names != old
    assert not any(default_storage.exists(n) for n in old)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/contacts/{publicid.of(contact)}/edit/",
            {"given_name": "Ada", "book": publicid.of(book), "remove_photo": "on"},
        )
    contact.refresh_from_db()
    assert contact.photo == contact.photo_small == ""
    assert [p for p in Path(media_root).rglob("*") if p.is_file()] == []


def test_a_photo_over_5_mb_is_refused_while_uploading_and_no_contact_is_added(
    signed_in, alice, media_root, monkeypatch
):
    from uc_web.lib import media

    monkeypatch.setattr(media, "image_store", lambda *a, **k: pytest.fail("it was received"))
    book = services.book_ensure_default(user=alice)
    data, name = images.BAD_UPLOADS["eight_megabyte_image"]()
    response = signed_in(alice).post(
        "/contacts/new/",
        {"given_name": "Ada", "book": publicid.of(book), "photo": SimpleUploadedFile(name, data)},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["photo"] == ["The file is too large: the limit is 5 MB."]
    assert not Contact.objects.exists()
    assert [p for p in Path(media_root).rglob("*") if p.is_file()] == []


def test_the_contact_form_still_needs_its_csrf_token(alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    book = services.book_ensure_default(user=alice)
    response = client.post("/contacts/new/", {"given_name": "Ada", "book": publicid.of(book)})
    assert response.status_code == 403
    assert not Contact.objects.exists()
