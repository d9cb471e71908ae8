"""The messages API: the same rules as the pages, public ids, one's own copies only."""

import pytest

from accounts import services as account_services
from messaging import selectors, services
from messaging.models import Delivery, Message
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db


def test_send_list_read_and_counts(client_for, alice, bob):
    response = client_for(alice).post(
        "/api/v1/messages/",
        {"to": [publicid.of(bob)], "subject": "Plan", "body": "Read https://example.com"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["box"] == "sent"
    assert response.json()["recipients"][0]["id"] == publicid.of(bob)
    bob_client = client_for(bob)
    folders = bob_client.get("/api/v1/messages/folders/").json()
    assert folders["unread"] == 1
    assert {f["slug"]: f["unread"] for f in folders["folders"]}["text"] == 1
    rows = bob_client.get("/api/v1/messages/?folder=text").json()["results"]
    assert len(rows) == 1 and rows[0]["sender"]["id"] == publicid.of(alice)
    assert '<a href="https://example.com" rel="nofollow">' in rows[0]["body_html"]
    assert bob_client.post(f"/api/v1/messages/{rows[0]['id']}/read/").json()["read"] is True
    assert bob_client.get("/api/v1/messages/folders/").json()["unread"] == 0


@pytest.mark.parametrize("target", ["charlie", "blocked", "forged"])
def test_sending_to_someone_unreachable_is_refused(client_for, alice, bob, charlie, target):
    if target == "blocked":
        account_services.block_create(blocker=bob, blocked=alice)
    to = {"charlie": publicid.of(charlie), "blocked": publicid.of(bob), "forged": "x" * 22}[target]
    response = client_for(alice).post(
        "/api/v1/messages/", {"to": [to], "body": "hi"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["to"] == ["You cannot send a message to one of the people you chose."]
    assert not Message.objects.exists()


def test_too_long_or_empty_text_is_refused(client_for, alice, bob):
    client = client_for(alice)
    for body in ["", "x" * 10_001]:
        response = client.post(
            "/api/v1/messages/",
            {"to": [publicid.of(bob)], "body": body},
            content_type="application/json",
        )
        assert response.status_code == 400 and "body" in response.json()
    assert not Message.objects.exists()


def test_trash_restore_and_delete_for_good(client_for, alice, bob):
    services.message_send(sender=alice, recipients=[bob], body="hello")
    pid = publicid.of(selectors.delivery_list(user=bob).get())
    client = client_for(bob)
    assert client.delete(f"/api/v1/messages/{pid}/").status_code == 400  # not in Trash yet
    assert client.post(f"/api/v1/messages/{pid}/trash/").json()["in_trash"] is True
    assert client.post(f"/api/v1/messages/{pid}/restore/").json()["in_trash"] is False
    client.post(f"/api/v1/messages/{pid}/trash/")
    assert client.delete(f"/api/v1/messages/{pid}/").status_code == 204
    assert not Delivery.objects.filter(owner=bob).exists()


@pytest.mark.parametrize(
    "method,suffix",
    [
        ("get", ""),
        ("delete", ""),
        ("post", "read/"),
        ("post", "unread/"),
        ("post", "trash/"),
        ("post", "restore/"),
    ],
)
def test_charlie_cannot_touch_alices_message(client_for, alice, bob, charlie, method, suffix):
    services.message_send(sender=bob, recipients=[alice], body="private")
    copy = selectors.delivery_list(user=alice).get()
    response = getattr(client_for(charlie), method)(
        f"/api/v1/messages/{publicid.of(copy)}/{suffix}"
    )
    assert response.status_code == 404
    copy.refresh_from_db()
    assert copy.read_at is None and copy.deleted_at is None


def test_charlies_lists_and_counts_show_nothing_of_alices(client_for, alice, bob, charlie):
    services.message_send(sender=bob, recipients=[alice], body="private")
    client = client_for(charlie)
    assert client.get("/api/v1/messages/").json()["results"] == []
    assert client.get("/api/v1/messages/folders/").json()["unread"] == 0


def test_the_api_is_in_the_schema(client_for, alice):
    schema = client_for(alice).get("/api/schema/").content.decode()
    for path in ["/api/v1/messages/", "/api/v1/messages/folders/", "/api/v1/messages/{id}/{mark}/"]:
        assert path in schema


def test_anonymous_gets_nothing(client, company):
    assert client.get("/api/v1/messages/folders/").status_code in (401, 403)
