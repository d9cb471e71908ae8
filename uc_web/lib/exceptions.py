"""Errors that services raise and every interface translates (form, API, websocket)."""


class ApplicationError(Exception):
    """A rule of the application was broken; `message` is safe to show to the user."""

    def __init__(self, message: str, *, code: str = "invalid", extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}


class PermissionDenied(ApplicationError):
    """The acting user may not do this."""

    def __init__(self, message: str = "You may not do that.", **kwargs):
        kwargs.setdefault("code", "permission_denied")
        super().__init__(message, **kwargs)
