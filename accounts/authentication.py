"""DRF authentication with our API tokens: `Authorization: Token <key>`."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts import api_tokens


class ApiTokenAuthentication(TokenAuthentication):
    """The header DRF's TokenAuthentication reads, checked against stored digests."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = api_tokens.api_token_for_key(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        api_tokens.api_token_used(token=token)
        return token.user, token
