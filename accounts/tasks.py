from asgiref.sync import async_to_sync
from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts import presence


@shared_task
def sessions_clear_expired() -> int:
    """Delete expired sessions (runs hourly from the beat schedule)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task
def user_invitation_mail(user_id: int, base_url: str, by_id: int | None = None) -> None:
    """Email an invited user who invited them to which company, and the link to join."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.urls import reverse

    from accounts.models import User

    user = User.objects.select_related("company").filter(pk=user_id, is_active=True).first()
    if user is None or not user.is_invited:
        return  # joined or revoked meanwhile
    inviter = User.objects.filter(pk=by_id).first() if by_id is not None else None
    path = reverse(
        "accounts:join",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "inviter": inviter,
        "company": user.company,
        "link": base_url.rstrip("/") + path,
        "login_link": base_url.rstrip("/") + reverse("account_login"),
        "days": max(1, settings.INVITATION_TIMEOUT // 86400),
    }
    subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
    body = render_to_string("accounts/email/invitation_message.txt", context)
    send_mail(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body, None, [user.email])


@shared_task
def contact_requests_expire() -> int:
    """Remove contact requests left unaccepted for 30 days (hourly from beat)."""
    from accounts import services

    return services.contact_requests_expire()


@shared_task
def presence_sweep() -> int:
    """Mark offline the connections whose heartbeat stopped (every 15 s from beat)."""
    return async_to_sync(presence.presence_sweep)()
