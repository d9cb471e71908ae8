"""REST framework glue: ApplicationError becomes a 400 (or 403) with its message."""

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from uc_web.lib.exceptions import ApplicationError, PermissionDenied


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        code = status.HTTP_403_FORBIDDEN if isinstance(exc, PermissionDenied) else 400
        return Response({"detail": exc.message, "code": exc.code, **exc.extra}, status=code)
    return drf_exception_handler(exc, context)
