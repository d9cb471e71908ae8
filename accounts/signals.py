"""Receivers that write the audit log for events other apps announce (Django's sign-in,
allauth's password and two-factor changes); connected in AccountsConfig.ready()."""

from typing import Any

from django.http import HttpRequest

from accounts import audit


def signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit.record(kind=audit.Kind.SIGNED_IN, subject=user, actor=user, request=request)


def password_changed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit.record(kind=audit.Kind.PASSWORD_CHANGED, subject=user, actor=user, request=request)


def password_reset(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    from allauth.account.adapter import get_adapter

    audit.record(kind=audit.Kind.PASSWORD_RESET, subject=user, actor=user, request=request)
    get_adapter(request).clear_account_throttle(request, email=user.email)


def connect() -> None:
    from allauth.account import signals as allauth_signals
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.connect(signed_in, dispatch_uid="accounts.audit.signed_in")
    allauth_signals.password_changed.connect(password_changed, dispatch_uid="accounts.audit.pw")
    allauth_signals.password_reset.connect(password_reset, dispatch_uid="accounts.audit.reset")
