"""TurboFormStatusMiddleware: a form re-rendered with errors answers Turbo with 422."""

import pytest
from django.urls import reverse

from uc_web.lib import publicid

pytestmark = pytest.mark.django_db

TURBO = {
    "HTTP_X_TURBO_REQUEST_ID": "0b4c3d1e-test",
    "HTTP_ACCEPT": "text/vnd.turbo-stream.html, text/html",
}


def test_an_invalid_form_posted_by_turbo_is_answered_with_422_and_its_errors(client, alice):
    from contacts import services

    book = services.book_ensure_default(user=alice)
    client.force_login(alice)
    response = client.post(reverse("contacts:create"), {"book": publicid.of(book)}, **TURBO)
    assert response.status_code == 422
    assert "Give the contact a name" in response.content.decode()


def test_the_same_form_posted_without_turbo_still_gets_200(client, alice):
    client.force_login(alice)
    response = client.post(reverse("contacts:create"), {})
    assert response.status_code == 200


def test_a_redirect_after_a_turbo_post_is_left_alone(client, alice):
    client.force_login(alice)
    response = client.post(reverse("contacts:book-create"), {"name": "Suppliers"}, **TURBO)
    assert response.status_code == 302


def test_a_turbo_visit_get_keeps_its_200(client, alice):
    client.force_login(alice)
    response = client.get(reverse("contacts:index"), **TURBO)
    assert response.status_code == 200


def test_json_answers_to_turbo_posts_are_left_alone(client, alice):
    client.force_login(alice)
    response = client.post(reverse("api:monitor-people"), {"email": "nobody@example.com"}, **TURBO)
    assert response.status_code != 422


def test_charlie_posting_to_alices_book_through_turbo_gets_404_not_422(client, alice, charlie):
    from contacts import services

    book = services.book_ensure_default(user=alice)
    client.force_login(charlie)
    response = client.post(reverse("contacts:book-rename", args=[book.pk]), {"name": "x"}, **TURBO)
    assert response.status_code == 404
