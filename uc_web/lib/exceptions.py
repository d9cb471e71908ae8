"""Errors that services raise and every interface translates (form, API, websocket)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ApplicationError(Exception):
    """A rule of the application was broken; `message` is safe to show to the user."""

    def __init__(
        self, message: StrOrPromise, *, code: str = "invalid", extra: dict | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}


class PermissionDenied(ApplicationError):
    """The acting user may not do this."""

    def __init__(self, message: StrOrPromise = "You may not do that.", **kwargs: Any) -> None:
        kwargs.setdefault("code", "permission_denied")
        super().__init__(message, **kwargs)
