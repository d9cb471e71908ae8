"""REST framework glue: errors in the API's shape, and public ids in place of primary keys."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from uc_web.lib import publicid
from uc_web.lib.exceptions import ApplicationError, PermissionDenied


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        code = status.HTTP_403_FORBIDDEN if isinstance(exc, PermissionDenied) else 400
        return Response({"detail": exc.message, "code": exc.code, **exc.extra}, status=code)
    return drf_exception_handler(exc, context)


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
            self.kind = publicid.kind_of(self.get_queryset().model)
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
