"""API tokens: services and selectors (kept apart from services.py, which is long enough).

A key is "uct_" and 43 URL-safe characters (256 random bits). The database keeps its
SHA-256 digest and its first characters; the key itself exists only in the answer that
creates it.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiToken, User
from uc_web.lib.exceptions import ApplicationError

KEY_PREFIX = "uct_"
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 6
MAX_ACTIVE_TOKENS = 20
# Last use is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (revoked ones too, for the record)."""
    return ApiToken.objects.filter(user=user)


def api_token_for_key(*, key: str) -> ApiToken | None:
    """The live token of an active user this key belongs to, if any."""
    if not key or len(key) > 100:
        return None
    return (
        ApiToken.objects.select_related("user", "user__company", "user__profile")
        .filter(digest=digest_of(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token for `user`; returns it with its key, which is never stored."""
    from accounts import audit

    name = name.strip()
    if not name:
        raise ApplicationError(_("Give the token a name, so that you know where it is used."))
    if api_token_list(user=user).filter(revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ApplicationError(
            _("You have %(count)d tokens in use: revoke one you no longer need first.")
            % {"count": MAX_ACTIVE_TOKENS}
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, prefix=key[:SHOWN_PREFIX_LENGTH], digest=digest_of(key))
    token.full_clean()
    token.save()
    audit.record(kind=audit.Kind.TOKEN_CREATED, actor=user, subject=user, detail=token.name)
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke a token: it stops working at once."""
    from accounts import audit

    if token.user_id != by.pk:
        raise ApplicationError(_("Only its owner revokes a token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(kind=audit.Kind.TOKEN_REVOKED, actor=by, subject=by, detail=token.name)
    return token


def api_token_used(*, token: ApiToken) -> None:
    """Note that the token was just used (at most once a minute per token)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
