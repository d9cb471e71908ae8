"""A folder's pages are found by a cursor (the id of a copy on the page), not counted: the
first page and the folder counts take a fixed number of queries whatever the mailbox holds."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import selectors
from messaging.models import Delivery, Message
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db


def fill(sender, owner, n: int, *, kind: str = "text") -> list[Delivery]:
    """n messages to `owner`, one a minute, the newest last (bulk, as the benchmark)."""
    start = timezone.now() - timedelta(minutes=n)
    messages = Message.objects.bulk_create(
        Message(kind=kind, sender=sender, body=f"m{i}", created_at=start + timedelta(minutes=i))
        for i in range(n)
    )
    return Delivery.objects.bulk_create(
        Delivery(message=m, owner=owner, box="inbox", kind=kind, created_at=m.created_at)
        for m in messages
    )


def bodies(html: str) -> list[str]:
    return re.findall(r'class="stretched-link-none">(m\d+)</a>', html)


def test_older_and_newer_walk_the_whole_folder_once(client_for, alice, bob):
    fill(alice, bob, 120)
    client = client_for(bob)
    first = client.get("/messages/").content.decode()
    assert bodies(first) == [f"m{i}" for i in range(119, 69, -1)]
    assert "Newer" not in first
    older = re.search(r'href="\?before=(\w+)"', first).group(1)
    second = client.get(f"/messages/?before={older}").content.decode()
    assert bodies(second) == [f"m{i}" for i in range(69, 19, -1)]
    older = re.search(r'href="\?before=(\w+)"', second).group(1)
    third = client.get(f"/messages/?before={older}").content.decode()
    assert bodies(third) == [f"m{i}" for i in range(19, -1, -1)]
    assert "?before=" not in third  # the oldest page
    newer = re.search(r'href="\?after=(\w+)"', third).group(1)
    back = client.get(f"/messages/?after={newer}").content.decode()
    assert bodies(back) == bodies(second)


def test_a_cursor_of_someone_elses_copy_or_garbage_gives_the_newest_page(
    client_for, alice, bob, charlie
):
    fill(alice, bob, 60)
    theirs = fill(charlie, charlie, 1)[0]
    client = client_for(bob)
    newest = bodies(client.get("/messages/").content.decode())
    for cursor in [publicid.of(theirs), "nonsense", str(theirs.pk)]:
        assert bodies(client.get(f"/messages/?before={cursor}").content.decode()) == newest
    # and charlie's own page shows nothing of bob's
    assert bodies(client_for(charlie).get(f"/messages/?before={cursor}").content.decode()) == ["m0"]


def test_the_trash_pages_by_when_things_were_deleted(alice, bob):
    copies = fill(alice, bob, 60)
    now = timezone.now()
    for i, copy in enumerate(copies):
        copy.deleted_at = now - timedelta(seconds=i)  # the oldest message deleted last
    Delivery.objects.bulk_update(copies, ["deleted_at"])
    page = selectors.delivery_page(user=bob, folder="trash", size=50)
    assert [d.message.body for d in page.rows][:2] == ["m0", "m1"]
    rest = selectors.delivery_page(user=bob, folder="trash", before=page.older.pk, size=50)
    assert [d.message.body for d in rest.rows] == [f"m{i}" for i in range(50, 60)]
    assert rest.older is None


def test_the_inbox_page_takes_the_same_queries_for_60_or_600_messages(
    client_for, alice, bob, django_assert_max_num_queries
):
    client = client_for(bob)
    fill(alice, bob, 60)
    client.get("/messages/")
    # session, user, folder counts (4), the email preference, permissions (2), the page
    with django_assert_max_num_queries(11):
        client.get("/messages/")
    fill(alice, bob, 540, kind="voice")
    with django_assert_max_num_queries(11):
        html = client.get("/messages/").content.decode()
    assert html.count('class="message-row') == 50
    with django_assert_max_num_queries(12):  # and where the cursor's copy stands
        client.get(f"/messages/?before={publicid.of(Delivery.objects.order_by('pk')[300])}")


def test_the_api_pages_by_cursor_without_counting(
    client_for, alice, bob, django_assert_max_num_queries
):
    fill(alice, bob, 70)
    client = client_for(bob)
    client.get("/api/v1/messages/?folder=inbox")
    with django_assert_max_num_queries(6):
        first = client.get("/api/v1/messages/?folder=inbox").json()
    assert "count" not in first and len(first["results"]) == 50
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 20 and second["next"] is None
    ids = {r["id"] for r in first["results"]} | {r["id"] for r in second["results"]}
    assert len(ids) == 70
    with django_assert_max_num_queries(6):
        client.get("/api/v1/messages/folders/")
