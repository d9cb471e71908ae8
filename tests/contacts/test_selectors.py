import pytest

from contacts import selectors, services
from contacts.models import Contact
from tests.contacts.factories import AddressBookFactory, ContactFactory, EmailFactory, PhoneFactory

pytestmark = pytest.mark.django_db


def add(user, **fields) -> Contact:
    book = services.book_ensure_default(user=user)
    return services.contact_create(by=user, book=book, data=services.ContactInput(**fields))


def test_dialling_country_is_mine_else_my_companys_else_the_fallback(alice, bob):
    from accounts import services as account_services

    assert selectors.dialling_country_for(alice) == "GB"
    alice.company.default_dialling_country = "DE"
    alice.company.save()
    assert selectors.dialling_country_for(bob) == "DE"
    account_services.profile_update(user=alice, data={"dialling_country": "FR"})
    assert selectors.dialling_country_for(alice) == "FR"


def test_contact_list_costs_the_same_queries_however_many_contacts(
    alice, django_assert_num_queries
):
    book = AddressBookFactory(owner=alice)
    for _ in range(5):
        contact = ContactFactory(book=book)
        PhoneFactory(contact=contact)
        EmailFactory(contact=contact)
    # contacts (with book and linked user), then phones, then e-mails
    with django_assert_num_queries(3):
        contacts = list(selectors.contact_list(user=alice, book=book))
        assert len(contacts) == 5
        for contact in contacts:
            assert contact.book.name and contact.phones.all()[0].number and contact.emails.all()
            assert contact.linked_user is None


def test_search_costs_a_fixed_number_of_queries(alice, django_assert_num_queries):
    for n in range(5):
        add(alice, given_name=f"Ada{n}", phones=[("work", "020 7946 0018")])
    # names starting with the word, names containing it, the contacts, phones, e-mails
    with django_assert_num_queries(5):
        assert len(selectors.contact_search(user=alice, query="ada")) == 5
    # a phone number: the matching numbers, the contacts, phones, e-mails
    with django_assert_num_queries(4):
        assert len(selectors.contact_search(user=alice, query="7946 0018")) == 5
    with django_assert_num_queries(2):
        assert selectors.contact_search(user=alice, query="nobody") == []


def test_names_starting_with_the_word_come_first(alice):
    later = add(alice, given_name="Anna", family_name="Bolu")
    first = add(alice, given_name="Olumide", family_name="Adeyemi")
    assert selectors.contact_search(user=alice, query="olu") == [first, later]


@pytest.mark.parametrize(
    "query",
    [
        "zoe",
        "ZOË",
        "men",
        "zoe men",
        "café",
        "cafe lumiere",
        "zoe@cafe",
        "+33 1 42 68 53 00",
        "01 42 68 53 00",
        "0142685300",
        "42685300",
        "33142685300",
    ],
)
def test_search_finds_by_names_company_email_and_phone_in_any_format(alice, query):
    zoe = add(
        alice,
        given_name="Zoë",
        family_name="Ménard",
        company="Café Lumière",
        emails=[("work", "zoe@cafe.example")],
        phones=[("work", "+33 1 42 68 53 00")],
    )
    add(alice, given_name="Someone", family_name="Else", phones=[("work", "020 7946 0018")])
    assert selectors.contact_search(user=alice, query=query) == [zoe]


@pytest.mark.parametrize("query", ["+44 20 7946 0018", "020-7946-0018", "79460018"])
def test_search_finds_gb_numbers_typed_in_the_issues_formats(alice, query):
    james = add(alice, given_name="James", phones=[("work", "020 7946 0018")])
    assert selectors.contact_search(user=alice, query=query) == [james]


def test_search_skips_the_trash_and_other_peoples_contacts(alice, bob):
    mine = add(alice, given_name="Ada")
    add(bob, given_name="Ada")
    gone = add(alice, given_name="Ada", family_name="Gone")
    services.contact_delete(contact=gone, by=alice)
    assert selectors.contact_search(user=alice, query="ada") == [mine]


def test_directory_has_active_colleagues_and_nobody_from_elsewhere(alice, bob, charlie):
    assert set(selectors.directory_list(user=alice)) == {alice, bob}
    assert selectors.directory_search(user=alice, query="bob") == [bob]
    assert selectors.directory_search(user=alice, query="charlie@blueharbour.example") == []
    assert selectors.directory_search(user=alice, query="Charlie Nguyen") == []
    bob.is_active = False
    bob.save()
    assert set(selectors.directory_list(user=alice)) == {alice}


def test_search_summaries_cost_five_queries_and_match_the_contacts(
    alice, django_assert_num_queries
):
    for n in range(5):
        add(alice, given_name=f"Ada{n}", phones=[("work", "020 7946 0018")])
    expected = [c.pk for c in selectors.contact_search(user=alice, query="ada")]
    # names starting with the word, names containing it, the rows, phones, e-mails
    with django_assert_num_queries(5):
        found = selectors.contact_search_summaries(user=alice, query="ada")
    assert [row["id"] for row in found] == expected
    assert found[0]["phones"][0]["display"] == "020 7946 0018"
    assert found[0]["is_on_net"] is False


def test_people_elsewhere_are_found_only_if_they_allow_it_and_only_by_exact_match(alice, charlie):
    from accounts import services as account_services

    assert selectors.directory_search(user=alice, query=charlie.email) == []
    account_services.profile_update(user=charlie, data={"directory_visible_outside": True})
    assert selectors.directory_search(user=alice, query=charlie.email.upper()) == [charlie]
    assert selectors.directory_search(user=alice, query="charlie  NGUYEN") == [charlie]
    # no partial matches across companies: the directory cannot be scraped
    assert selectors.directory_search(user=alice, query="charlie") == []
    assert selectors.directory_search(user=alice, query="blueharbour.example") == []
