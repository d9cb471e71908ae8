"""Django's ModelBackend, loading each request's user with their company and profile.

Every page reads both (the shell, the user's time zone), so one joined query per
request replaces three.
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from accounts.models import User


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User.objects.select_related("company", "profile").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
