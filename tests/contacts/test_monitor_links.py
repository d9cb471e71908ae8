"""Adding people to the Online Monitor from the address book and the directory search."""

import pytest
from django.test import Client

from accounts.models import ContactRequest, Profile
from contacts import services as contact_services
from tests.contacts.factories import ContactFactory
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_contact_linked_to_an_outsider_offers_add_to_online_monitor(alice, charlie):
    Profile.objects.filter(user=alice).update(directory_visible_outside=True)
    book = contact_services.book_ensure_default(user=charlie)
    contact = ContactFactory(book=book, linked_user=alice)
    client = api(charlie)
    page = client.get(f"/contacts/{publicid.of(contact)}/").content.decode()
    assert "Add to Online Monitor" in page
    client.post(f"/people/{publicid.of(alice)}/add/")
    assert ContactRequest.objects.filter(sender=charlie, recipient=alice).exists()
    page = client.get(f"/contacts/{publicid.of(contact)}/").content.decode()
    assert "Contact request sent, waiting for an answer" in page
    assert "Add to Online Monitor" not in page


def test_a_colleagues_contact_says_they_are_in_the_monitor(alice, bob):
    book = contact_services.book_ensure_default(user=alice)
    contact = ContactFactory(book=book, linked_user=bob)
    page = api(alice).get(f"/contacts/{publicid.of(contact)}/").content.decode()
    assert "In your Online Monitor" in page
    assert f'data-presence-user="{publicid.of(bob)}"' in page


def test_directory_search_marks_outsiders_who_can_be_asked(alice, bob, charlie):
    Profile.objects.filter(user=charlie).update(directory_visible_outside=True)
    found = api(alice).get("/api/v1/contacts/search/", {"q": charlie.email}).json()
    assert [(p["email"], p["outside"]) for p in found["colleagues"]] == [(charlie.email, True)]
    found = api(alice).get("/api/v1/contacts/search/", {"q": "Bob"}).json()
    assert [(p["email"], p["outside"]) for p in found["colleagues"]] == [(bob.email, False)]
    page = api(alice).get("/contacts/", {"q": charlie.email}).content.decode()
    assert "Add Charlie Nguyen to the Online Monitor" in page


def test_search_results_carry_the_linked_user_for_the_presence_icon(alice, bob):
    book = contact_services.book_ensure_default(user=alice)
    ContactFactory(book=book, linked_user=bob, given_name="Roberto", family_name="Okafor")
    found = api(alice).get("/api/v1/contacts/search/", {"q": "Roberto"}).json()
    assert [(c["display_name"], c["linked_user"]) for c in found["contacts"]] == [
        ("Roberto Okafor", publicid.of(bob))
    ]


def test_an_outsider_found_by_exact_email_is_not_listed_as_the_company_directory(
    alice, bob, charlie
):
    Profile.objects.filter(user=charlie).update(directory_visible_outside=True)
    page = api(alice).get("/contacts/", {"q": charlie.email}).content.decode()
    results = page[page.index('id="search-results"') : page.index('id="book-contacts"')]
    assert "People in other companies" in results
    assert "Company directory" not in results.split("data-label-outsiders-note")[-1]
    colleague_page = api(alice).get("/contacts/", {"q": "Bob"}).content.decode()
    results = colleague_page[
        colleague_page.index('id="search-results"') : colleague_page.index('id="book-contacts"')
    ]
    assert '<h2 class="h6">Company directory</h2>' in results
    assert "People in other companies</h2>" not in results
