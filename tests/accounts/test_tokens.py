"""Invitation links last a week; password reset links keep their short life."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils import timezone

from accounts.tokens import TokenGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture
def days_later(monkeypatch):
    def move(days: float) -> None:
        later = datetime.now() + timedelta(days=days)  # noqa: DTZ005 - Django's tokens use naive now()
        monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)

    return move


def test_an_invitation_link_still_works_two_days_later(bob, days_later):
    bob.invited_at, bob.last_login = timezone.now(), None
    token = TokenGenerator().make_token(bob)
    days_later(2)
    assert TokenGenerator().check_token(bob, token)


def test_an_invitation_link_expires_after_the_invitation_timeout(bob, days_later):
    bob.invited_at, bob.last_login = timezone.now(), None
    token = TokenGenerator().make_token(bob)
    days_later(8)
    assert not TokenGenerator().check_token(bob, token)


def test_a_reset_link_for_someone_who_has_signed_in_keeps_its_short_life(bob, days_later):
    bob.invited_at, bob.last_login = timezone.now(), timezone.now()
    token = TokenGenerator().make_token(bob)
    days_later(2)
    assert not TokenGenerator().check_token(bob, token)


def test_a_forged_token_is_refused(bob):
    bob.invited_at, bob.last_login = timezone.now(), None
    assert not TokenGenerator().check_token(bob, "abc-123")
    assert not TokenGenerator().check_token(bob, None)
