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


def _kind_label(authenticator: Any) -> str:
    return {"totp": "authenticator app", "webauthn": "security key"}.get(
        authenticator.type, authenticator.type
    )


def mfa_added(sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kw: Any) -> None:
    if authenticator.type == "recovery_codes":
        return  # made along with the first method
    audit.record(
        kind=audit.Kind.MFA_ADDED,
        subject=user,
        actor=user,
        request=request,
        detail=_kind_label(authenticator),
    )


def mfa_removed(
    sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kw: Any
) -> None:
    audit.record(
        kind=audit.Kind.MFA_REMOVED,
        subject=user,
        actor=user,
        request=request,
        detail=_kind_label(authenticator),
    )


def mfa_reset(sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kw: Any) -> None:
    audit.record(kind=audit.Kind.RECOVERY_CODES_RENEWED, subject=user, actor=user, request=request)


def mfa_failed(
    sender: Any, request: HttpRequest, user: Any, authenticator: Any = None, **kw: Any
) -> None:
    audit.record(
        kind=audit.Kind.SIGN_IN_FAILED,
        subject=user,
        request=request,
        detail="wrong second-factor code" + (" (confirming)" if kw.get("reauthentication") else ""),
    )


def connect() -> None:
    from allauth.account import signals as allauth_signals
    from allauth.mfa import signals as mfa_signals
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.connect(signed_in, dispatch_uid="accounts.audit.signed_in")
    allauth_signals.password_changed.connect(password_changed, dispatch_uid="accounts.audit.pw")
    allauth_signals.password_reset.connect(password_reset, dispatch_uid="accounts.audit.reset")
    mfa_signals.authenticator_added.connect(mfa_added, dispatch_uid="accounts.audit.mfa_added")
    mfa_signals.authenticator_removed.connect(mfa_removed, dispatch_uid="accounts.audit.mfa_rm")
    mfa_signals.authenticator_reset.connect(mfa_reset, dispatch_uid="accounts.audit.mfa_reset")
    mfa_signals.authentication_failed.connect(mfa_failed, dispatch_uid="accounts.audit.mfa_fail")
