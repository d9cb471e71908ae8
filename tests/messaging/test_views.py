"""The messages pages: folders, reading, writing, replying, Trash; nobody reaches another
person's messages by editing a URL."""

import re

import pytest

from accounts import services as account_services
from messaging import selectors, services
from messaging.models import Delivery, Message
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db


def _send(sender, to, body="Lunch at 1?", **kw):
    return services.message_send(sender=sender, recipients=to, body=body, **kw)


def _copy(user, folder="inbox"):
    return selectors.delivery_list(user=user, folder=folder).first()


def test_bob_sees_alices_text_in_inbox_and_text_with_unread_counts(client_for, alice, bob):
    _send(alice, [bob])
    client = client_for(bob)
    for url in ["/messages/", "/messages/folder/text/"]:
        html = client.get(url).content.decode()
        assert "Lunch at 1?" in html and "Alice Fernandez" in html
        assert "data-unread" in html
    assert "Lunch at 1?" not in client.get("/messages/folder/voice/").content.decode()


def test_links_are_clickable_and_html_is_shown_as_text(client_for, alice, bob):
    _send(
        alice, [bob], body="See https://example.com/plan?a=1&b=2 <script>alert(1)</script> <b>x</b>"
    )
    copy = _copy(bob)
    html = client_for(bob).get(f"/messages/{publicid.of(copy)}/").content.decode()
    assert '<a href="https://example.com/plan?a=1&amp;b=2" rel="nofollow">' in html
    assert "<script>alert(1)</script>" not in html and "<b>x</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_composing_sends_and_lands_in_sent(client_for, alice, bob):
    response = client_for(alice).post(
        "/messages/new/", {"to": [publicid.of(bob)], "subject": "Plan", "body": "See you"}
    )
    assert response.status_code == 302 and response["Location"] == "/messages/folder/sent/"
    assert _copy(bob).message.subject == "Plan"


def test_the_to_field_offers_nobody_alice_may_not_reach(client_for, alice, bob, charlie):
    account_services.block_create(blocker=bob, blocked=alice)
    rows = client_for(alice).get("/api/v1/messages/recipients/").json()
    ids = {r["value"] for r in rows}
    assert publicid.of(bob) not in ids and publicid.of(charlie) not in ids


@pytest.mark.parametrize("target", ["charlie", "blocked_bob", "forged"])
def test_sending_to_someone_unreachable_is_refused_with_one_message(
    client_for, alice, bob, charlie, target
):
    if target == "blocked_bob":
        account_services.block_create(blocker=bob, blocked=alice)
    to = {
        "charlie": publicid.of(charlie),
        "blocked_bob": publicid.of(bob),
        "forged": "A" * 22,
    }[target]
    response = client_for(alice).post("/messages/new/", {"to": [to], "body": "hi"})
    assert response.status_code == 200
    assert "You cannot send a message to one of the people you chose." in response.content.decode()
    assert not Message.objects.exists()


def test_reply_prefills_the_sender_and_subject_and_threads(client_for, alice, bob):
    _send(alice, [bob], subject="Plan")
    copy = _copy(bob)
    client = client_for(bob)
    html = client.get(f"/messages/new/?reply={publicid.of(copy)}").content.decode()
    assert "Re: Plan" in html and publicid.of(alice) in html
    client.post(
        f"/messages/new/?reply={publicid.of(copy)}",
        {"to": [publicid.of(alice)], "subject": "Re: Plan", "body": "Yes"},
    )
    reply = _copy(alice)
    assert reply.message.reply_to == copy.message
    page = client_for(alice).get(f"/messages/{publicid.of(reply)}/").content.decode()
    assert "Earlier in this conversation" in page and "Lunch at 1?" in page


def test_forward_quotes_the_text(client_for, alice, bob):
    _send(alice, [bob], subject="Plan")
    html = client_for(bob).get(f"/messages/new/?forward={publicid.of(_copy(bob))}").content.decode()
    assert "Fwd: Plan" in html and "&gt; Lunch at 1?" in html


def test_delete_restore_and_empty_trash_through_the_page(client_for, alice, bob):
    _send(alice, [bob])
    copy = _copy(bob)
    client = client_for(bob)
    pid = publicid.of(copy)
    client.post(f"/messages/{pid}/trash/")
    assert pid in client.get("/messages/folder/trash/").content.decode()
    assert pid not in client.get("/messages/").content.decode()
    client.post(f"/messages/{pid}/restore/")
    assert pid in client.get("/messages/").content.decode()
    client.post("/messages/folder/inbox/selected/", {"action": "trash", "ids": [pid]})
    client.post("/messages/trash/empty/")
    assert not Delivery.objects.filter(pk=copy.pk).exists()
    assert _copy(alice, "sent") is not None


def test_bulk_marks_only_the_users_own_messages(client_for, alice, bob):
    _send(alice, [bob])
    _send(bob, [alice], body="theirs")
    bobs, alices = _copy(bob), _copy(alice)
    client_for(bob).post(
        "/messages/folder/inbox/selected/",
        {"action": "read", "ids": [publicid.of(bobs), publicid.of(alices), "junk"]},
    )
    bobs.refresh_from_db()
    alices.refresh_from_db()
    assert bobs.read_at is not None and alices.read_at is None


def test_viewing_a_message_does_not_mark_it_read_the_page_script_does(client_for, alice, bob):
    _send(alice, [bob])
    copy = _copy(bob)
    client = client_for(bob)
    html = client.get(f"/messages/{publicid.of(copy)}/").content.decode()
    assert 'data-controller="message-detail"' in html and "data-unread" in html
    copy.refresh_from_db()
    assert copy.read_at is None


@pytest.mark.parametrize("action", ["", "read", "unread", "trash", "restore", "purge"])
def test_charlie_and_bob_get_404_for_alices_message(client_for, alice, bob, charlie, action):
    _send(bob, [alice])
    alices = _copy(alice)
    url = f"/messages/{publicid.of(alices)}/" + (f"{action}/" if action else "")
    for intruder in (charlie, bob):  # bob sent it, but alice's copy is alice's
        client = client_for(intruder)
        response = client.post(url) if action else client.get(url)
        assert response.status_code == 404
    alices.refresh_from_db()
    assert alices.read_at is None and alices.deleted_at is None


def test_a_forged_or_other_kind_of_id_is_404(client_for, alice, bob):
    _send(bob, [alice])
    message = _copy(alice).message
    client = client_for(alice)
    assert client.get("/messages/" + "A" * 22 + "/").status_code == 404
    # the message's own id (another kind) is not a delivery's
    assert (
        client.get(f"/messages/{publicid.encode('messaging.message', message.pk)}/").status_code
        == 404
    )
    assert client.get(f"/messages/new/?reply={'B' * 22}").status_code == 404


def test_an_unknown_folder_is_404(client_for, alice):
    assert client_for(alice).get("/messages/folder/spam/").status_code == 404


def test_the_nav_links_to_messages_with_a_live_badge(client_for, alice):
    html = client_for(alice).get("/").content.decode()
    assert re.search(r'href="/messages/"[^>]*>.*?data-nav-badge="messages"', html, re.S)
    assert "/soon/messages/" not in html


def test_the_monitor_menus_text_message_item_is_enabled(client_for, alice):
    html = client_for(alice).get("/messages/").content.decode()
    item = re.search(r'<button[^>]*data-action="text"[^>]*>', html).group(0)
    assert "data-enabled" in item and "aria-disabled" not in item


def test_inbox_page_queries_do_not_grow_with_messages(
    client_for, alice, bob, django_assert_max_num_queries
):
    for i in range(30):
        _send(alice, [bob], body=f"m{i}")
    client = client_for(bob)
    client.get("/messages/")
    with django_assert_max_num_queries(20):
        response = client.get("/messages/")
    assert response.content.decode().count('class="message-row') == 30
