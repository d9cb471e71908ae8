"""Set-password links: an invitation's link lasts longer than a password reset's."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator


class _EarlierClock(PasswordResetTokenGenerator):
    def __init__(self, seconds: int):
        super().__init__()
        self.seconds = seconds

    def _now(self) -> datetime:
        return super()._now() - timedelta(seconds=self.seconds)


class TokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens; for a user invited and never signed in, valid INVITATION_TIMEOUT.

    The token still changes with the password and the last sign-in, so it works once.
    """

    def check_token(self, user: Any, token: str | None) -> bool:
        if super().check_token(user, token):
            return True
        extra = settings.INVITATION_TIMEOUT - settings.PASSWORD_RESET_TIMEOUT
        if user is None or extra <= 0 or not getattr(user, "is_invited", False):
            return False
        # Checking as if it were `extra` seconds ago extends the window by that much.
        return _EarlierClock(extra).check_token(user, token)
