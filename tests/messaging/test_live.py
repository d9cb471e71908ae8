"""Messages over the live connection: the recipient's tabs hear of a new message, the
sender's other tabs of their changed mailbox; nobody else hears anything."""

import pytest
from asgiref.sync import sync_to_async

from messaging import selectors, services
from tests.fixtures.sockets import next_of, quiet_but_presence
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db(transaction=True)


async def test_bob_hears_alices_message_arrive_and_charlie_hears_nothing(
    alice, bob, charlie, connect
):
    bob_tab = await connect(bob)
    alice_tab = await connect(alice)
    charlie_tab = await connect(charlie)
    await sync_to_async(services.message_send)(sender=alice, recipients=[bob], body="Lunch at 1?")
    event = await next_of(bob_tab, "message.received")
    copy = await sync_to_async(lambda: selectors.delivery_list(user=bob).get())()
    assert event["id"] == publicid.of(copy)
    assert event["folder"] == "text" and event["preview"] == "Lunch at 1?"
    assert event["sender"]["id"] == publicid.of(alice)
    assert (await next_of(alice_tab, "mailbox.changed"))["type"] == "mailbox.changed"
    assert await quiet_but_presence(charlie_tab)


async def test_reading_in_one_tab_tells_the_others(alice, bob, connect):
    await sync_to_async(services.message_send)(sender=alice, recipients=[bob], body="hi")
    other_tab = await connect(bob)
    copy = await sync_to_async(lambda: selectors.delivery_list(user=bob).get())()
    await sync_to_async(services.delivery_mark_read)(delivery=copy, by=bob)
    await next_of(other_tab, "mailbox.changed")
