"""Errors of the API and the pages: NUL bytes never reach the database, malformed updates
get a clear 400 and change nothing, and every API error (even a bug) is JSON in the API's
shape. Meant for PostgreSQL (CI), where a NUL in a query was a DataError; SQLite passes too."""

import logging

import pytest
from django.test import Client

from contacts import selectors, services
from contacts.models import AddressBook, Contact, Phone
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db

NUL = {"detail": "Null characters are not allowed in the address.", "code": "null_character"}


@pytest.fixture
def signed_in():
    def client_for(user) -> Client:
        client = Client(raise_request_exception=False)
        client.force_login(user)
        return client

    return client_for


@pytest.fixture
def alices_contact(alice):
    return services.contact_create(
        by=alice,
        book=services.book_ensure_default(user=alice),
        data=services.ContactInput(given_name="Zoë", phones=[("work", "+44 20 7946 0018")]),
    )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/contacts/?q=a%00b",
        "/api/v1/contacts/search/?q=a%00b",
        "/api/v1/calls/people/?q=a%00b",
        "/api/v1/contacts/?book=%00",
        "/api/v1/contact-groups/?book=x&%00=1",
    ],
)
def test_a_nul_byte_in_an_api_query_is_a_clear_400(signed_in, alice, alices_contact, url):
    response = signed_in(alice).get(url)
    assert response.status_code == 400
    assert response.json() == NUL


def test_a_nul_byte_in_a_contacts_page_search_is_a_clear_400_page(signed_in, alice, alices_contact):
    response = signed_in(alice).get("/contacts/?q=Zo%00")
    assert response.status_code == 400
    assert "Null characters are not allowed in the address." in response.content.decode()


def test_a_nul_byte_in_a_new_contacts_name_is_refused_and_nothing_is_stored(signed_in, alice):
    response = signed_in(alice).post(
        "/api/v1/contacts/", {"given_name": "Zo\x00ë"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"given_name": ["Null characters are not allowed."]}
    assert not Contact.objects.exists()


def test_patching_a_book_with_nothing_changes_nothing(signed_in, alice):
    book = services.book_create(owner=alice, name="Suppliers")
    response = signed_in(alice).patch(
        f"/api/v1/address-books/{publicid.of(book)}/", {}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["name"] == "Suppliers"
    assert AddressBook.objects.get(pk=book.pk).name == "Suppliers"


def test_a_phone_without_a_number_is_a_clear_400_and_changes_nothing(
    signed_in, alice, alices_contact
):
    response = signed_in(alice).patch(
        f"/api/v1/contacts/{publicid.of(alices_contact)}/",
        {"phones": [{"kind": "mobile"}], "emails": [{"kind": "work"}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "phones": [{"number": ["This field is required."]}],
        "emails": [{"address": ["This field is required."]}],
    }
    assert list(Phone.objects.values_list("number", flat=True)) == ["+442079460018"]


def test_a_bug_in_an_api_view_answers_json_and_is_logged(signed_in, alice, monkeypatch, caplog):
    def broken(**kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(selectors, "contact_search_summaries", broken)
    with caplog.at_level(logging.ERROR, logger="uc_web.lib.api"):
        response = signed_in(alice).get("/api/v1/contacts/search/?q=zo")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Something went wrong on our side.", "code": "internal"}
    assert "ZeroDivisionError: a bug" in caplog.text


def test_an_unknown_api_address_answers_json(signed_in, alice):
    response = signed_in(alice).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_api_errors_carry_a_code(alice):
    response = Client().get("/api/v1/contacts/")
    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"


def test_charlie_patching_alices_book_gets_a_json_404_and_changes_nothing(
    signed_in, alice, charlie
):
    book = services.book_create(owner=alice, name="Suppliers")
    response = signed_in(charlie).patch(
        f"/api/v1/address-books/{publicid.of(book)}/",
        {"name": "Mine"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert AddressBook.objects.get(pk=book.pk).name == "Suppliers"
