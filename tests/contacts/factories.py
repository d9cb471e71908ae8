import factory

from contacts import normalise
from contacts.models import AddressBook, Contact, Email, Phone
from tests.accounts.factories import UserFactory


class AddressBookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AddressBook

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Book {n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    book = factory.SubFactory(AddressBookFactory)
    owner = factory.LazyAttribute(lambda c: c.book.owner)
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    display_name = factory.LazyAttribute(lambda c: f"{c.given_name} {c.family_name}")
    search_text = factory.LazyAttribute(lambda c: normalise.fold(c.display_name))


class PhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phone

    contact = factory.SubFactory(ContactFactory)
    number = "+442079460018"


class EmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Email

    contact = factory.SubFactory(ContactFactory)
    address = factory.Sequence(lambda n: f"person{n}@example.org")
