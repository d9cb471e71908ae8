"""Request types for code that only runs for a signed-in user.

Django and REST framework type `request.user` as `User | AnonymousUser`. Views behind
`login_required` (or the API's IsAuthenticated default) only ever see a `User`; these types
say so to the type checker, in one place, instead of a cast in every view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

if TYPE_CHECKING:
    from accounts.models import User


class AuthedRequest(HttpRequest):
    """An HttpRequest that passed `login_required`."""

    user: User


class AuthedApiRequest(Request):
    """A REST framework request that passed authentication (IsAuthenticated)."""

    user: User


def user_of(request: HttpRequest) -> User:
    """The user of a request that only signed-in users reach (the admin site's pages, whose
    method signatures Django fixes): refused, not guessed, if that ever does not hold."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    return request.user
