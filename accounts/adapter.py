from allauth.account.adapter import DefaultAccountAdapter
from allauth.utils import build_absolute_uri
from django.http import HttpRequest
from django.urls import reverse

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

    def get_reset_password_from_key_url(self, key: str) -> str:
        # allauth hands "<base-36 user id>-<token>"; our URL pattern of that name writes
        # the user's public id instead (uc_web.lib.publicid.ResetUserConverter).
        uidb36, token = key.split("-", 1)
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": uidb36, "key": token})
        return build_absolute_uri(self.request, path)
