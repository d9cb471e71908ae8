import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts import services
from contacts.models import AddressBook, Contact
from uc_web.lib import media
from uc_web.lib.exceptions import ApplicationError, PermissionDenied

pytestmark = pytest.mark.django_db


def test_every_user_gets_one_personal_book(alice):
    first = services.book_ensure_default(user=alice)
    assert services.book_ensure_default(user=alice) == first
    assert (first.name, first.is_default) == ("Personal", True)
    assert AddressBook.objects.filter(owner=alice).count() == 1


def test_the_personal_book_cannot_be_removed(alice):
    book = services.book_ensure_default(user=alice)
    with pytest.raises(ApplicationError):
        services.book_delete(book=book, by=alice)


def test_removing_a_book_takes_its_contacts_and_says_how_many(alice):
    book = services.book_create(owner=alice, name="Suppliers")
    for name in ("A", "B"):
        services.contact_create(by=alice, book=book, data=services.ContactInput(given_name=name))
    assert services.book_delete(book=book, by=alice) == 2
    assert not Contact.objects.exists()


def test_book_names_are_unique_per_user_ignoring_case(alice, bob):
    services.book_create(owner=alice, name="Suppliers")
    with pytest.raises(ApplicationError):
        services.book_create(owner=alice, name="suppliers")
    services.book_create(owner=bob, name="Suppliers")  # bob may


def test_nobody_changes_another_users_book(alice, charlie):
    book = services.book_create(owner=alice, name="Suppliers")
    with pytest.raises(PermissionDenied):
        services.book_rename(book=book, name="Mine", by=charlie)
    with pytest.raises(PermissionDenied):
        services.book_delete(book=book, by=charlie)
    with pytest.raises(PermissionDenied):
        services.contact_create(by=charlie, book=book, data=services.ContactInput(given_name="X"))


def test_a_contact_whose_email_is_a_colleagues_is_linked_to_them(alice, bob):
    book = services.book_ensure_default(user=alice)
    contact = services.contact_create(
        by=alice,
        book=book,
        data=services.ContactInput(given_name="Bob", emails=[("work", "BOB@northwind.example")]),
    )
    assert contact.linked_user == bob and contact.is_on_net


def test_a_user_of_another_company_is_not_linked_by_email(alice, charlie):
    book = services.book_ensure_default(user=alice)
    contact = services.contact_create(
        by=alice,
        book=book,
        data=services.ContactInput(emails=[("work", "charlie@blueharbour.example")]),
    )
    assert contact.linked_user is None
    with pytest.raises(ApplicationError):
        services.contact_create(
            by=alice,
            book=book,
            data=services.ContactInput(given_name="C", linked_user_id=charlie.pk),
        )


def test_an_empty_contact_is_refused(alice):
    with pytest.raises(ApplicationError):
        services.contact_create(
            by=alice, book=services.book_ensure_default(user=alice), data=services.ContactInput()
        )


def test_delete_restore_and_purge(alice):
    book = services.book_ensure_default(user=alice)
    contact = services.contact_create(
        by=alice, book=book, data=services.ContactInput(given_name="Ada")
    )
    with pytest.raises(ApplicationError):
        services.contact_purge(contact=contact, by=alice)  # not from outside the trash
    services.contact_delete(contact=contact, by=alice)
    assert contact.deleted_at is not None
    services.contact_restore(contact=contact, by=alice)
    assert contact.deleted_at is None
    services.contact_delete(contact=contact, by=alice)
    services.contact_purge(contact=contact, by=alice)
    assert not Contact.objects.exists()


def test_editing_an_imported_full_name_only_contact_keeps_its_name(alice):
    book = services.book_ensure_default(user=alice)
    contact = Contact.objects.create(
        book=book, owner=alice, display_name="Dr. Chen Wei", company="Shenzhen"
    )
    services.contact_update(
        contact=contact, by=alice, data=services.ContactInput(company="Shenzhen Ltd")
    )
    assert contact.display_name == "Dr. Chen Wei"
    services.contact_update(
        contact=contact, by=alice, data=services.ContactInput(given_name="Wei", family_name="Chen")
    )
    assert contact.display_name == "Wei Chen"


def test_a_photo_must_be_an_image_and_nothing_is_created_without_one(alice):
    book = services.book_ensure_default(user=alice)
    with pytest.raises(media.ImageRejected, match="not an image"):
        services.contact_create(
            by=alice,
            book=book,
            data=services.ContactInput(given_name="A"),
            photo=SimpleUploadedFile("x.png", b"not an image"),
        )
    assert not Contact.objects.exists()
