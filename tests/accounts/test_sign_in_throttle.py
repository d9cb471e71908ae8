"""Wrong passwords slow guessing without locking the owner out (issue 11, finding 6)."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from accounts.models import AuditEvent

pytestmark = pytest.mark.django_db

BOBS_DESK = "198.51.100.7"
STRANGER = "203.0.113.66"
THROTTLED = "Too many failed login attempts"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def attempt(email: str, password: str, ip: str, client: Client | None = None):
    client = client or Client()
    response = client.post(
        "/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=ip
    )
    return client, response


def signed_in(client: Client) -> bool:
    return client.get("/api/v1/me/").status_code == 200


@pytest.fixture
def bob_signed_in_at_his_desk(bob, password):
    client, response = attempt(bob.email, password, BOBS_DESK)
    assert response.status_code == 302
    cache.clear()  # only the record of the sign-in stays: the audit log
    return bob


def test_a_stranger_cannot_lock_bob_out_of_his_own_desk(bob_signed_in_at_his_desk, password):
    bob = bob_signed_in_at_his_desk
    for n in range(8):
        attempt(bob.email, f"guess-{n}", STRANGER)
    _client, response = attempt(bob.email, password, STRANGER)
    assert THROTTLED in response.content.decode()  # the stranger is slowed down...
    client, response = attempt(bob.email, password, BOBS_DESK)
    assert response.status_code == 302 and signed_in(client)  # ...bob is not


def test_guesses_from_many_addresses_count_towards_the_accounts_limit(bob, password):
    for n in range(5):
        attempt(bob.email, f"guess-{n}", f"203.0.113.{10 + n}")
    client, response = attempt(bob.email, password, "203.0.113.99")
    assert THROTTLED in response.content.decode() and not signed_in(client)


def test_one_address_guessing_many_accounts_is_stopped(company):
    from tests.accounts.factories import UserFactory

    people = [UserFactory(company=company) for _ in range(11)]
    for person in people[:10]:
        _c, response = attempt(person.email, "guess", STRANGER)
        assert THROTTLED not in response.content.decode()
    _c, response = attempt(people[10].email, "guess", STRANGER)
    assert THROTTLED in response.content.decode()


def test_typos_at_bobs_own_desk_still_meet_the_per_address_limit(bob_signed_in_at_his_desk):
    bob = bob_signed_in_at_his_desk
    answers = [attempt(bob.email, f"typo-{n}", BOBS_DESK)[1] for n in range(11)]
    assert all(THROTTLED not in r.content.decode() for r in answers[:10])
    assert THROTTLED in answers[10].content.decode()


def test_after_five_guesses_even_the_right_password_is_not_checked_from_new_addresses(
    bob, password
):
    for n in range(4):
        attempt(bob.email, f"guess-{n}", STRANGER)
    attempt(bob.email, "guess-4", STRANGER)
    _c, response = attempt(bob.email, password, STRANGER)
    assert THROTTLED in response.content.decode()


def test_a_password_reset_lets_the_owner_in_from_a_new_address(bob, password, client):
    for n in range(5):
        attempt(bob.email, f"guess-{n}", STRANGER)
    mail.outbox.clear()
    client.post("/accounts/password/reset/", {"email": bob.email})
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+", mail.outbox[0].body)[0]
    form = client.get(link, follow=True)
    new_password = "A-brand-new-passphrase-9"
    client.post(form.redirect_chain[-1][0], {"password1": new_password, "password2": new_password})
    client, response = attempt(bob.email, new_password, "192.0.2.40")
    assert response.status_code == 302 and signed_in(client)


def test_failed_and_throttled_attempts_are_audited_with_their_address(bob):
    for n in range(6):
        attempt(bob.email, f"guess-{n}", STRANGER)
    failures = AuditEvent.objects.filter(kind="sign_in_failed", subject=bob)
    assert failures.count() == 6
    assert {e.ip for e in failures} == {STRANGER}
    assert failures.filter(detail__startswith="too many").count() == 1
    assert failures.first().company_id == bob.company_id
