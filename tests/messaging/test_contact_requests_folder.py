"""The inbox's Contact requests folder: the accounts app's own requests, answered in place."""

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.models import ContactRequest
from messaging import selectors

pytestmark = pytest.mark.django_db

FOLDER = reverse("messaging:folder", args=["requests"])


def test_the_folder_lists_requests_waiting_for_me_with_their_count(client_for, bob, charlie):
    account_services.contact_request_send(sender=charlie, recipient=bob, message="Ferry slots?")
    page = client_for(bob).get(FOLDER).content.decode()
    assert "Charlie Nguyen" in page and "Ferry slots?" in page
    assert 'aria-label="Accept Charlie Nguyen"' in page
    assert {f.slug: f.unread for f in selectors.folder_list(user=bob)}["requests"] == 1
    # the sender sees nothing waiting in their own folder
    assert "Ferry slots?" not in client_for(charlie).get(FOLDER).content.decode()


def test_accepting_in_place_uses_the_one_request_and_returns_to_the_folder(
    client_for, bob, charlie
):
    account_services.contact_request_send(sender=charlie, recipient=bob)
    client = client_for(bob)
    response = client.post(
        reverse("accounts:person-action", args=[charlie.pk, "accept"]), {"next": FOLDER}
    )
    assert response.status_code == 302 and response["Location"] == FOLDER
    assert ContactRequest.objects.get().state == ContactRequest.State.ACCEPTED
    page = client.get(FOLDER).content.decode()
    assert "Charlie Nguyen is now your contact." in page
    assert "No contact requests are waiting for you." in page


def test_declining_in_place(client_for, bob, charlie):
    account_services.contact_request_send(sender=charlie, recipient=bob)
    client_for(bob).post(
        reverse("accounts:person-action", args=[charlie.pk, "decline"]), {"next": FOLDER}
    )
    assert ContactRequest.objects.get().state == ContactRequest.State.DECLINED
    assert {f.slug: f.unread for f in selectors.folder_list(user=bob)}["requests"] == 0


def test_nobody_else_can_answer_my_request(client_for, alice, bob, charlie):
    account_services.contact_request_send(sender=charlie, recipient=bob)
    response = client_for(alice).post(
        reverse("accounts:person-action", args=[charlie.pk, "accept"]), {"next": FOLDER}
    )
    assert response.status_code == 404
    assert ContactRequest.objects.get().state == ContactRequest.State.PENDING
