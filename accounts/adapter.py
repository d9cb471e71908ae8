from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from accounts import services


class AccountAdapter(DefaultAccountAdapter):
    """allauth, our way: no public sign-up, and sockets close when a session ends."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False  # company admins add users; the first one comes from /setup/

    def logout(self, request: HttpRequest) -> None:
        user = request.user
        super().logout(request)
        if user.is_authenticated:
            services.user_sessions_revalidate(user=user)

    def set_password(self, user, password: str) -> None:  # type: ignore[no-untyped-def]
        services.user_set_password(user=user, password=password)
