"""Opaque public ids: nothing in a URL, the API or an event counts the service's rows."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from contacts import services as contact_services
from contacts.models import AddressBook, Contact
from tests.contacts.factories import ContactFactory
from uc_web.lib import publicid

PUBLIC_ID = re.compile(r"^[0-9A-Za-z]{22}$")


def test_ids_round_trip_and_say_nothing_about_order_or_count():
    ids = [publicid.encode("contacts.contact", pk) for pk in range(1, 301)]
    assert all(PUBLIC_ID.match(i) for i in ids)
    assert [publicid.decode("contacts.contact", i) for i in ids] == list(range(1, 301))
    assert ids != sorted(ids)  # consecutive rows do not give consecutive ids
    # every position varies across consecutive rows, like random ones (nothing like a
    # counter); the first digit of 128 bits in base 62 can only be 0-7
    assert all(len({i[n] for i in ids}) > 40 for n in range(1, 22))
    assert len({i[0] for i in ids}) == 8


def test_an_id_of_one_kind_is_not_an_id_of_another():
    contact_id = publicid.encode("contacts.contact", 5)
    assert publicid.decode_or_none("contacts.addressbook", contact_id) is None
    assert publicid.encode("contacts.addressbook", 5) != contact_id


@pytest.mark.parametrize(
    "forged",
    ["5", "0" * 22, "z" * 22, "a" * 21, "a" * 23, "../../etc/passwd", None, 5, "é" * 22],
)
def test_forged_ids_do_not_decode(forged):
    assert publicid.decode_or_none("contacts.contact", forged) is None


def test_a_different_key_gives_different_ids(settings):
    before = publicid.encode("accounts.user", 1)
    settings.PUBLIC_ID_KEY = "another key"
    publicid.clear_caches()
    try:
        assert publicid.encode("accounts.user", 1) != before
        assert publicid.decode_or_none("accounts.user", before) is None
    finally:
        settings.PUBLIC_ID_KEY = ""
        publicid.clear_caches()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_urls_carry_public_ids_and_counting_ids_are_404(alice):
    contact = ContactFactory(book=contact_services.book_ensure_default(user=alice))
    url = reverse("contacts:detail", args=[contact.pk])
    assert url == f"/contacts/{publicid.of(contact)}/"
    client = signed_in(alice)
    assert client.get(url).status_code == 200
    assert client.get(f"/contacts/{contact.pk}/").status_code == 404
    book_id = publicid.encode("contacts.addressbook", contact.book_id)  # right number, wrong kind
    assert client.get(f"/contacts/{book_id}/").status_code == 404


def test_charlie_cannot_open_alices_contact_by_its_public_id(alice, charlie):
    contact = ContactFactory(book=contact_services.book_ensure_default(user=alice))
    assert signed_in(charlie).get(f"/contacts/{publicid.of(contact)}/").status_code == 404
    response = signed_in(charlie).get(f"/api/v1/contacts/{publicid.of(contact)}/")
    assert response.status_code == 404


def _ids(value, key=""):
    """Every value of an id-like field anywhere in a JSON document."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _ids(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _ids(v, key)
    elif key in {"id", "book", "linked_user", "regions", "user", "request"} and value is not None:
        yield key, value


def test_no_api_response_carries_a_counting_id(alice, bob):
    book = contact_services.book_ensure_default(user=alice)
    ContactFactory(book=book, linked_user=bob, given_name="Bob")
    client = signed_in(alice)
    seen = []
    for url in [
        "/api/v1/me/",
        "/api/v1/presence/",
        "/api/v1/address-books/",
        "/api/v1/contacts/",
        "/api/v1/contacts/search/?q=Bob",
        "/api/v1/directory/",
        "/api/v1/calls/people/?q=Bob",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        seen += list(_ids(response.json()))
    assert {"id", "book", "linked_user"} <= {key for key, _ in seen}
    for key, value in seen:
        assert isinstance(value, str) and PUBLIC_ID.match(value), (key, value)


def test_a_page_writes_public_ids_and_url_templates(alice):
    ContactFactory(book=contact_services.book_ensure_default(user=alice))
    page = signed_in(alice).get(reverse("contacts:index")).content.decode()
    assert 'data-detail-url="/contacts/{id}/"' in page
    book = AddressBook.objects.get(owner=alice)
    contact = Contact.objects.get(owner=alice)
    assert f'data-contact-id="{publicid.of(contact)}"' in page
    assert f"?book={publicid.of(book)}" in page
    assert f'?book={book.pk}"' not in page
