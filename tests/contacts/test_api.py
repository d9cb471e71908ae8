"""The contacts API: scoped to the owner (others get 404), same rules as the pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from contacts import importing, services
from contacts.models import AddressBook, Contact, ContactImport
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def client_for(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def alices_contact(alice):
    book = services.book_ensure_default(user=alice)
    return services.contact_create(
        by=alice,
        book=book,
        data=services.ContactInput(
            given_name="Zoë",
            family_name="Ménard",
            company="Café Lumière",
            phones=[("work", "+33 1 42 68 53 00")],
            emails=[("work", "zoe@cafe.example")],
        ),
    )


def test_books_list_starts_with_the_personal_book(api, alice):
    response = api(alice).get("/api/v1/address-books/")
    assert response.status_code == 200
    assert response.json() == [
        {"id": response.json()[0]["id"], "name": "Personal", "is_default": True, "contact_count": 0}
    ]


def test_create_rename_and_delete_a_book(api, alice):
    client = api(alice)
    created = client.post("/api/v1/address-books/", {"name": "Suppliers"}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert (
        client.patch(f"/api/v1/address-books/{pk}/", {"name": "Vendors"}, format="json").json()[
            "name"
        ]
        == "Vendors"
    )
    assert (
        client.post("/api/v1/address-books/", {"name": "vendors"}, format="json").status_code == 400
    )
    assert client.delete(f"/api/v1/address-books/{pk}/").status_code == 204
    assert not AddressBook.objects.filter(pk=publicid.decode("contacts.addressbook", pk)).exists()


def test_the_personal_book_cannot_be_deleted(api, alice):
    client = api(alice)
    pk = client.get("/api/v1/address-books/").json()[0]["id"]
    response = client.delete(f"/api/v1/address-books/{pk}/")
    assert response.status_code == 400 and response.json()["code"] == "default_book"


def test_create_a_contact_normalises_its_phone_number_with_the_users_country(api, alice):
    response = api(alice).post(
        "/api/v1/contacts/",
        {
            "given_name": "James",
            "family_name": "O'Neill",
            "phones": [{"kind": "work", "number": "020 7946 0018"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["display_name"] == "James O'Neill"
    assert body["phones"] == [
        {"kind": "work", "number": "+442079460018", "extension": "", "display": "020 7946 0018"}
    ]


def test_an_invalid_phone_number_is_refused_with_a_message(api, alice):
    response = api(alice).post(
        "/api/v1/contacts/",
        {"given_name": "X", "phones": [{"kind": "work", "number": "call me"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "call me" in response.json()["detail"]


def test_patch_changes_only_what_is_sent(api, alice, alices_contact):
    response = api(alice).patch(
        f"/api/v1/contacts/{publicid.of(alices_contact)}/", {"job_title": "Owner"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["job_title"] == "Owner" and body["company"] == "Café Lumière"
    assert [p["number"] for p in body["phones"]] == ["+33142685300"]


def test_list_searches_and_paginates(api, alice, alices_contact):
    client = api(alice)
    body = client.get("/api/v1/contacts/", {"q": "zoe"}).json()
    assert body["count"] == 1 and body["results"][0]["id"] == publicid.of(alices_contact)
    assert client.get("/api/v1/contacts/", {"q": "42 68 53"}).json()["count"] == 1
    assert client.get("/api/v1/contacts/", {"q": "nobody"}).json()["count"] == 0


def test_search_results_have_the_summary_shape(api, alice, alices_contact):
    from contacts.api import ContactSummarySerializer

    body = api(alice).get("/api/v1/contacts/search/", {"q": "zoe"}).json()
    (found,) = body["contacts"]
    assert set(found) == set(ContactSummarySerializer.Meta.fields)
    assert found["phones"] == [
        {"kind": "work", "number": "+33142685300", "extension": "", "display": "+33 1 42 68 53 00"}
    ]


def test_search_endpoint_finds_contacts_and_colleagues(api, alice, bob, alices_contact):
    body = api(alice).get("/api/v1/contacts/search/", {"q": "o"}).json()
    assert [c["display_name"] for c in body["contacts"]] == ["Zoë Ménard"]
    assert "bob@northwind.example" in [u["email"] for u in body["colleagues"]]


def test_delete_moves_to_the_trash_and_restore_brings_it_back(api, alice, alices_contact):
    client = api(alice)
    assert client.delete(f"/api/v1/contacts/{publicid.of(alices_contact)}/").status_code == 204
    assert client.get(f"/api/v1/contacts/{publicid.of(alices_contact)}/").status_code == 404
    assert client.get("/api/v1/contacts/", {"trash": "1"}).json()["count"] == 1
    assert (
        client.post(f"/api/v1/contacts/{publicid.of(alices_contact)}/restore/").status_code == 200
    )
    assert client.get(f"/api/v1/contacts/{publicid.of(alices_contact)}/").status_code == 200


def test_charlie_cannot_read_change_or_delete_alices_contact(api, charlie, alices_contact):
    client = api(charlie)
    url = f"/api/v1/contacts/{publicid.of(alices_contact)}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"job_title": "x"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    assert client.post(f"{url}restore/").status_code == 404
    assert client.get("/api/v1/contacts/").json()["count"] == 0
    assert client.get("/api/v1/contacts/search/", {"q": "zoe"}).json()["contacts"] == []
    assert Contact.objects.get(pk=alices_contact.pk).deleted_at is None


def test_charlie_cannot_read_rename_delete_or_export_alices_books(api, alice, charlie):
    book = services.book_create(owner=alice, name="Suppliers")
    client = api(charlie)
    assert client.get(f"/api/v1/address-books/{publicid.of(book)}/").status_code == 404
    assert (
        client.patch(
            f"/api/v1/address-books/{publicid.of(book)}/", {"name": "Mine"}, format="json"
        ).status_code
        == 404
    )
    assert client.delete(f"/api/v1/address-books/{publicid.of(book)}/").status_code == 404
    assert (
        client.get(f"/api/v1/address-books/{publicid.of(book)}/export/", {"fmt": "csv"}).status_code
        == 404
    )
    assert [b["name"] for b in client.get("/api/v1/address-books/").json()] == ["Personal"]


def test_charlie_cannot_add_a_contact_to_alices_book(api, alice, charlie):
    book = services.book_ensure_default(user=alice)
    response = api(charlie).post(
        "/api/v1/contacts/", {"given_name": "X", "book": publicid.of(book)}, format="json"
    )
    assert response.status_code == 404
    assert not Contact.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_upload_preview_start_and_status_of_an_import(api, alice, fixture_upload):
    client = api(alice)
    created = client.post(
        "/api/v1/contact-imports/", {"file": fixture_upload("nextcloud_v4.vcf")}, format="multipart"
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["status"] == "uploaded"
    preview = client.get(f"/api/v1/contact-imports/{pk}/preview/").json()
    assert preview["contacts"][0]["display_name"] == "Olumide Adeyemi"
    book = client.get("/api/v1/address-books/").json()[0]["id"]
    started = client.post(
        f"/api/v1/contact-imports/{pk}/start/", {"book": book, "duplicates": "skip"}, format="json"
    )
    assert started.status_code == 202
    status = client.get(f"/api/v1/contact-imports/{pk}/").json()
    assert (status["status"], status["percent"], status["imported"]) == ("done", 100, 1)


@pytest.mark.django_db(transaction=True)
def test_charlie_cannot_see_start_or_import_into_alices_imports(
    api, alice, charlie, fixture_upload
):
    contact_import = importing.import_upload(owner=alice, file=fixture_upload("nextcloud_v4.vcf"))
    client = api(charlie)
    assert client.get(f"/api/v1/contact-imports/{publicid.of(contact_import)}/").status_code == 404
    assert (
        client.get(f"/api/v1/contact-imports/{publicid.of(contact_import)}/preview/").status_code
        == 404
    )
    charlies_book = services.book_ensure_default(user=charlie)
    assert (
        client.post(
            f"/api/v1/contact-imports/{publicid.of(contact_import)}/start/",
            {"book": publicid.of(charlies_book)},
            format="json",
        ).status_code
        == 404
    )
    assert client.get("/api/v1/contact-imports/").json()["count"] == 0
    # nor start his own import into alice's book
    own = client.post(
        "/api/v1/contact-imports/", {"file": fixture_upload("nextcloud_v4.vcf")}, format="multipart"
    ).json()
    alices_book = services.book_ensure_default(user=alice)
    response = client.post(
        f"/api/v1/contact-imports/{own['id']}/start/",
        {"book": publicid.of(alices_book)},
        format="json",
    )
    assert response.status_code == 404
    assert (
        ContactImport.objects.get(pk=publicid.decode("contacts.contactimport", own["id"])).status
        == "uploaded"
    )
    assert not Contact.objects.exists()


def test_upload_of_a_jpeg_is_refused_in_words(api, alice):
    jpeg = SimpleUploadedFile("me.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    response = api(alice).post("/api/v1/contact-imports/", {"file": jpeg}, format="multipart")
    assert response.status_code == 400
    assert "JPEG" in response.json()["detail"]
    assert not ContactImport.objects.exists()


def test_upload_over_the_limit_is_refused_by_its_declared_length(api, alice, settings):
    settings.CONTACTS_IMPORT_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.vcf", b"BEGIN:VCARD\r\n" + b"N:x\r\n" * 30000)
    response = api(alice).post("/api/v1/contact-imports/", {"file": big}, format="multipart")
    assert response.status_code == 413
    assert not ContactImport.objects.exists()


@pytest.mark.parametrize("fmt", ["vcard3", "vcard4", "csv"])
def test_export_a_book(api, alice, alices_contact, fmt):
    book = alices_contact.book
    response = api(alice).get(f"/api/v1/address-books/{publicid.of(book)}/export/", {"fmt": fmt})
    assert response.status_code == 200
    assert "Zoë" in response.content.decode("utf-8-sig")
    assert response["Content-Disposition"].startswith("attachment;")


def test_directory_lists_colleagues_only(api, alice, bob, charlie):
    emails = [u["email"] for u in api(alice).get("/api/v1/directory/").json()["results"]]
    assert "bob@northwind.example" in emails and "charlie@blueharbour.example" not in emails


def test_the_schema_describes_the_contacts_api(api, alice):
    response = api(alice).get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in (
        "/api/v1/contacts/",
        "/api/v1/address-books/{id}/export/",
        "/api/v1/contact-imports/{id}/start/",
    ):
        assert path in text


def test_charlie_cannot_move_his_contact_into_alices_book(api, alice, charlie):
    contact = services.contact_create(
        by=charlie,
        book=services.book_ensure_default(user=charlie),
        data=services.ContactInput(given_name="Mine"),
    )
    alices_book = services.book_ensure_default(user=alice)
    response = api(charlie).patch(
        f"/api/v1/contacts/{publicid.of(contact)}/",
        {"book": publicid.of(alices_book)},
        format="json",
    )
    assert response.status_code == 404
    contact.refresh_from_db()
    assert contact.book.owner == charlie
