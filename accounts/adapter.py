from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from allauth.utils import build_absolute_uri
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse

from accounts import audit, services
from accounts.models import User

# Failed sign-ins per account, counted only from addresses the account has not signed in
# from (settings.ACCOUNT_RATE_LIMIT_LOGIN_FAILED_ACCOUNT).
ACCOUNT_ACTION = "login_failed_account"


class AccountAdapter(DefaultAccountAdapter):
    """allauth, our way: no public sign-up, sockets close when a session ends, sign-ins
    are audited, and wrong passwords slow guessing without locking the owner out.

    The sign-in throttle has two parts. Per address (allauth's `login_failed`, IP rates
    only): one address guessing many accounts is stopped. Per account: failed attempts
    count towards the account's limit only when they come from an address the account
    has not signed in from successfully (accounts.audit.address_known), so a stranger
    guessing a colleague's password locks out only strangers, and the colleague signs in
    as usual from their own computer.
    """

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False  # company admins add users; the first one comes from /setup/

    def logout(self, request: HttpRequest) -> None:
        user = request.user
        super().logout(request)
        if user.is_authenticated:
            services.user_sessions_revalidate(user=user)

    def set_password(self, user: Any, password: str) -> None:
        services.user_set_password(user=user, password=password)

    def get_reset_password_from_key_url(self, key: str) -> str:
        # allauth hands "<base-36 user id>-<token>"; our URL pattern of that name writes
        # the user's public id instead (uc_web.lib.publicid.ResetUserConverter).
        uidb36, token = key.split("-", 1)
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": uidb36, "key": token})
        return build_absolute_uri(self.request, path)

    # --- the sign-in throttle -----------------------------------------------------------

    @staticmethod
    def _account_for(credentials: dict[str, Any]) -> User | None:
        login = str(credentials.get("email", credentials.get("username", ""))).strip()
        return User.objects.filter(email__iexact=login).first() if login else None

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        self._account_rl_usage = None
        try:
            super().pre_authenticate(request, **credentials)  # the per-address limit
        except ValidationError:
            self._record_failure(request, credentials, throttled=True)
            raise
        user = self._account_for(credentials)
        if user is not None and audit.address_known(user=user, ip=audit.client_ip(request)):
            return
        self._account_rl_usage = ratelimit.consume(
            request,
            app="allauth.account",
            action=ACCOUNT_ACTION,
            config={ACCOUNT_ACTION: settings.ACCOUNT_RATE_LIMIT_LOGIN_FAILED_ACCOUNT},
            key=self._get_login_attempts_cache_key(request, **credentials),
        )
        if not self._account_rl_usage:
            self._record_failure(request, credentials, throttled=True)
            raise self.validation_error("too_many_login_attempts")

    def _rollback_login_failed_rl_usage(self) -> None:
        super()._rollback_login_failed_rl_usage()
        usage = getattr(self, "_account_rl_usage", None)
        if usage:
            usage.rollback()

    def clear_account_throttle(self, request: HttpRequest, *, email: str) -> None:
        """Start the account's failed sign-in count again (after a password reset, which
        proves the owner; allauth clears only addresses of its own EmailAddress table)."""
        super()._delete_login_attempts_cached_email(request, email=email)
        ratelimit.clear(
            request,
            app="allauth.account",
            action=ACCOUNT_ACTION,
            config={ACCOUNT_ACTION: settings.ACCOUNT_RATE_LIMIT_LOGIN_FAILED_ACCOUNT},
            key=self._get_login_attempts_cache_key(request, email=email),
        )

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        self._record_failure(request, credentials, throttled=False)

    def _record_failure(
        self, request: HttpRequest, credentials: dict[str, Any], *, throttled: bool
    ) -> None:
        user = self._account_for(credentials)
        tried = str(credentials.get("email", credentials.get("username", "")))
        audit.record(
            kind=audit.Kind.SIGN_IN_FAILED,
            subject=user,
            subject_email="" if user else tried,
            request=request,
            detail="too many attempts: not checked" if throttled else "wrong password",
        )
