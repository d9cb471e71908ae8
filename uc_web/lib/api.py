"""REST framework glue: errors in the API's shape, and public ids in place of primary keys."""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from uc_web.lib import publicid, ratelimit
from uc_web.lib.exceptions import ApplicationError, PermissionDenied

logger = logging.getLogger(__name__)

INTERNAL_ERROR = {"detail": "Something went wrong on our side.", "code": "internal"}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Every error of the API as JSON: `{"detail": ..., "code": ...}`, or a field -> messages
    map for invalid input; never Django's HTML error page, even for a bug (500, logged)."""
    if isinstance(exc, ApplicationError):
        code = status.HTTP_403_FORBIDDEN if isinstance(exc, PermissionDenied) else 400
        return Response({"detail": exc.message, "code": exc.code, **exc.extra}, status=code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()  # not Django's message, which names the model
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        set_rollback()
        view = context.get("view")
        logger.error("API error in %s", type(view).__name__ if view else "?", exc_info=exc)
        return Response(INTERNAL_ERROR, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    if (
        isinstance(exc, exceptions.APIException)
        and isinstance(response.data, dict)
        and set(response.data) == {"detail"}
    ):
        response.data["code"] = getattr(exc.detail, "code", None) or exc.default_code
    return response


@extend_schema_field(
    {"type": "string", "pattern": f"^{publicid.PATTERN}$", "example": "4kD0sWq9ZtY1bN7mLx2PcR"}
)
class PublicIdField(serializers.Field):
    """A primary key, written as the object's public id (uc_web.lib.publicid).

    Shows an object, a primary key or an id already made public; reads back the primary
    key, or fails with "invalid" for anything that is not a public id of this kind."""

    default_error_messages = {"invalid": "Not a valid id."}

    def __init__(self, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        if isinstance(value, str):
            return value  # already written as a public id (e.g. by selectors.person_data)
        return publicid.encode(self.kind, getattr(value, "pk", value))

    def to_internal_value(self, data: Any) -> int:
        pk = publicid.decode_or_none(self.kind, data)
        if pk is None:
            self.fail("invalid")
        return pk


@extend_schema_field(
    {"type": "string", "pattern": f"^{publicid.PATTERN}$", "example": "4kD0sWq9ZtY1bN7mLx2PcR"}
)
class PublicIdRelatedField(serializers.PrimaryKeyRelatedField):
    """A relation written as the related object's public id; the queryset (which the
    serializer narrows to what the user may see) still decides what may be chosen."""

    def __init__(self, kind: str | None = None, **kwargs: Any) -> None:
        self.kind = kind
        super().__init__(**kwargs)

    def _kind(self) -> str:
        if self.kind is None:
            self.kind = publicid.kind_of(self.get_queryset().model)  # type: ignore[union-attr]
        return self.kind

    def to_internal_value(self, data: Any) -> Any:
        pk = publicid.decode_or_none(self._kind(), data)
        if pk is None:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(pk)

    def to_representation(self, value: Any) -> str:
        return publicid.encode(self._kind(), getattr(value, "pk", value))


class PublicModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose `id` and relations are public ids."""

    serializer_related_field = PublicIdRelatedField

    def build_field(
        self, field_name: str, info: Any, model_class: Any, nested_depth: int
    ) -> tuple[type[serializers.Field], dict[str, Any]]:
        if info.pk is not None and field_name in ("id", "pk", info.pk.name):
            return PublicIdField, {"kind": publicid.kind_of(model_class), "read_only": True}
        return super().build_field(field_name, info, model_class, nested_depth)

    def build_relational_field(
        self, field_name: str, relation_info: Any
    ) -> tuple[type[serializers.Field], dict[str, Any]]:
        field_class, kwargs = super().build_relational_field(field_name, relation_info)
        if issubclass(field_class, PublicIdRelatedField):
            kwargs["kind"] = publicid.kind_of(relation_info.related_model)
        return field_class, kwargs


class ApiThrottle(BaseThrottle):
    """Counts a request against the limit `api.<kind>.<who>` (settings.RATE_LIMITS).

    The kind is what the view says for this request (`throttle_kind(request)`: "search",
    "import") or else "write" for a request that changes something and "read" for one that
    does not. Refused: 429 with Retry-After, `{"detail": ..., "code": "throttled"}`."""

    who = ""

    def identity(self, request: Request) -> object:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        identity = self.identity(request)
        if identity is None:
            return True
        kind = getattr(view, "throttle_kind", lambda request: None)(request)
        if kind is None:
            kind = "read" if request.method in SAFE_METHODS else "write"
        self.seconds = ratelimit.hit(f"api.{kind}.{self.who}", identity)
        return self.seconds == 0

    def wait(self) -> float | None:
        return self.seconds


class UserThrottle(ApiThrottle):
    """The signed-in user's limits (anonymous requests have only their address's)."""

    who = "user"

    def identity(self, request: Request) -> object:
        return request.user.pk if request.user and request.user.is_authenticated else None


class IPThrottle(ApiThrottle):
    """The limits of the address the request comes from (behind `NUM_PROXIES` proxies)."""

    who = "ip"

    def identity(self, request: Request) -> object:
        return self.get_ident(request)
