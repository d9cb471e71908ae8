"""Sending, marks, Trash and purge through the services: who may message whom, what each
holder sees, what is deleted when."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from accounts import services as account_services
from messaging import selectors, services
from messaging.models import Delivery, Message
from tests.accounts.factories import UserFactory, make_contacts
from uc_web.lib.exceptions import ApplicationError, PermissionDenied

pytestmark = pytest.mark.django_db(transaction=True)

REFUSAL = "You cannot send a message to one of the people you chose."


def test_alice_sends_bob_a_text_bob_has_it_unread_alice_has_it_in_sent(alice, bob):
    message = services.message_send(sender=alice, recipients=[bob], body="  Lunch at 1?  ")
    assert message.body == "Lunch at 1?"
    mine = selectors.delivery_list(user=bob, folder="text").get()
    assert mine.message == message and mine.is_unread
    assert selectors.unread_counts(user=bob)["text"] == 1
    assert selectors.unread_counts(user=bob)["inbox"] == 1
    sent = selectors.delivery_list(user=alice, folder="sent").get()
    assert sent.message == message and not sent.is_unread
    assert selectors.unread_counts(user=alice)["inbox"] == 0


def test_nobody_can_message_someone_in_another_company_who_is_not_a_contact(alice, charlie):
    with pytest.raises(ApplicationError) as refused:
        services.message_send(sender=alice, recipients=[charlie], body="hello")
    assert refused.value.message == REFUSAL
    assert not Message.objects.exists() and not Delivery.objects.exists()


def test_accepted_contacts_in_other_companies_may_message_each_other(alice, charlie):
    make_contacts(alice, charlie)
    services.message_send(sender=charlie, recipients=[alice], body="Hi from Blue Harbour")
    assert selectors.delivery_list(user=alice, folder="inbox").count() == 1


@pytest.mark.parametrize("who_blocks", ["recipient", "sender"])
def test_a_block_either_way_refuses_with_the_same_words(alice, bob, who_blocks):
    if who_blocks == "recipient":
        account_services.block_create(blocker=bob, blocked=alice)
    else:
        account_services.block_create(blocker=alice, blocked=bob)
    with pytest.raises(ApplicationError) as refused:
        services.message_send(sender=alice, recipients=[bob], body="hello")
    assert refused.value.message == REFUSAL  # the same as for a stranger: nothing leaks
    assert not Delivery.objects.exists()


def test_one_unreachable_recipient_sends_nothing_to_anyone(alice, bob, charlie):
    with pytest.raises(ApplicationError):
        services.message_send(sender=alice, recipients=[bob, charlie], body="hello")
    assert not Delivery.objects.exists()


def test_a_deactivated_colleague_cannot_be_messaged(alice, bob):
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    with pytest.raises(ApplicationError) as refused:
        services.message_send(sender=alice, recipients=[bob], body="hello")
    assert refused.value.message == REFUSAL


def test_an_empty_text_or_no_recipient_is_refused(alice, bob):
    with pytest.raises(ApplicationError, match="Write something"):
        services.message_send(sender=alice, recipients=[bob], body="   ")
    with pytest.raises(ApplicationError, match="at least one"):
        services.message_send(sender=alice, recipients=[], body="hi")
    assert not Message.objects.exists()


def test_a_reply_joins_the_conversation_and_only_to_a_message_one_holds(alice, bob, company):
    first = services.message_send(sender=alice, recipients=[bob], body="first")
    reply = services.message_send(sender=bob, recipients=[alice], body="reply", reply_to=first)
    again = services.message_send(sender=alice, recipients=[bob], body="again", reply_to=reply)
    assert reply.thread_root_id == first.pk and again.thread_root_id == first.pk
    thread = selectors.thread_list(user=bob, message=again)
    assert [d.message.body for d in thread] == ["first", "reply", "again"]
    dave = UserFactory(company=company)
    with pytest.raises(ApplicationError):
        services.message_send(sender=dave, recipients=[alice], body="sneaky", reply_to=first)


def test_read_unread_trash_restore_change_only_the_holders_copy(alice, bob):
    services.message_send(sender=alice, recipients=[bob], body="hello")
    mine = selectors.delivery_list(user=bob).get()
    services.delivery_mark_read(delivery=mine, by=bob)
    assert selectors.unread_counts(user=bob)["inbox"] == 0
    services.delivery_mark_unread(delivery=mine, by=bob)
    assert selectors.unread_counts(user=bob)["inbox"] == 1
    services.deliveries_trash(user=bob, deliveries=[mine])
    assert selectors.unread_counts(user=bob)["inbox"] == 0
    assert selectors.delivery_list(user=bob, folder="trash").get() == mine
    assert selectors.delivery_list(user=alice, folder="sent").count() == 1  # untouched
    services.deliveries_restore(user=bob, deliveries=[mine])
    assert selectors.delivery_list(user=bob, folder="text").get() == mine


def test_someone_elses_copy_cannot_be_marked_or_trashed(alice, bob):
    services.message_send(sender=alice, recipients=[bob], body="hello")
    bobs = selectors.delivery_list(user=bob).get()
    with pytest.raises(PermissionDenied):
        services.delivery_mark_read(delivery=bobs, by=alice)
    assert services.deliveries_trash(user=alice, deliveries=[bobs]) == 0
    bobs.refresh_from_db()
    assert bobs.deleted_at is None and bobs.read_at is None


def test_emptying_trash_deletes_the_message_and_its_files_once_nobody_holds_it(alice, bob):
    name = default_storage.save("messages/test-recording.webm", ContentFile(b"x" * 10))
    message = services.message_send(sender=alice, recipients=[bob], body="hi")
    Message.objects.filter(pk=message.pk).update(kind="voice", media=name)
    Delivery.objects.filter(message=message).update(kind="voice")
    services.deliveries_trash(user=bob, deliveries=selectors.delivery_list(user=bob))
    assert services.trash_empty(user=bob) == 1
    assert Message.objects.filter(pk=message.pk).exists()  # alice's Sent copy holds it
    assert default_storage.exists(name)
    services.deliveries_trash(
        user=alice, deliveries=selectors.delivery_list(user=alice, folder="sent")
    )
    services.trash_empty(user=alice)
    assert not Message.objects.filter(pk=message.pk).exists()
    assert not default_storage.exists(name)


def test_trash_older_than_the_retention_is_purged(alice, bob):
    services.message_send(sender=alice, recipients=[bob], body="old")
    services.message_send(sender=alice, recipients=[bob], body="new")
    old, new = sorted(selectors.delivery_list(user=bob), key=lambda d: d.message.body == "new")
    services.deliveries_trash(user=bob, deliveries=[old, new])
    Delivery.objects.filter(pk=old.pk).update(
        deleted_at=timezone.now() - Delivery.TRASH_RETENTION - timezone.timedelta(minutes=1)
    )
    assert services.trash_purge_expired() == 1
    assert list(selectors.delivery_list(user=bob, folder="trash")) == [new]


def test_folder_counts_take_four_queries(alice, bob, django_assert_num_queries):
    for i in range(3):
        services.message_send(sender=alice, recipients=[bob], body=f"m{i}")
    # messages by folder; whether bob takes announcements; announcements unread; contact
    # requests waiting
    with django_assert_num_queries(4):
        folders = selectors.folder_list(user=bob)
    assert {f.slug: f.unread for f in folders}["text"] == 3


def test_a_folder_page_takes_a_fixed_number_of_queries(alice, bob, django_assert_num_queries):
    for i in range(5):
        services.message_send(sender=alice, recipients=[bob], body=f"m{i}")
    with django_assert_num_queries(1):
        rows = list(selectors.delivery_list(user=bob, folder="inbox")[:50])
        senders = {str(d.message.sender) for d in rows}
    assert len(rows) == 5 and senders == {str(alice)}
    with django_assert_num_queries(3):  # Sent names the recipients: their copies, them
        rows = list(selectors.delivery_list(user=alice, folder="sent")[:50])
        to = {str(o.owner) for d in rows for o in d.message.deliveries.all() if o.box == "inbox"}
    assert len(rows) == 5 and to == {str(bob)}
