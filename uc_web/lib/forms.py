"""Form fields that show and read public ids (uc_web.lib.publicid) instead of primary keys,
so that a <select> of address books or regions tells a page's reader nothing about the size
of the service. The queryset still decides what may be chosen."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from uc_web.lib import publicid


class _PublicIds:
    queryset: Any
    error_messages: dict[str, Any]

    def _kind(self) -> str:
        return publicid.kind_of(self.queryset.model)

    def _public(self, value: Any) -> Any:
        if hasattr(value, "_meta"):
            return publicid.of(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return publicid.encode(self._kind(), value)
        return value  # empty, or already a public id

    def _private(self, value: Any) -> int:
        pk = publicid.decode_or_none(self._kind(), value)
        if pk is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return pk


class PublicModelChoiceField(_PublicIds, forms.ModelChoiceField):
    def prepare_value(self, value: Any) -> Any:
        return self._public(value)

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        return super().to_python(self._private(value))


class PublicModelMultipleChoiceField(_PublicIds, forms.ModelMultipleChoiceField):
    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Iterable) and not isinstance(value, str | bytes):
            return [self._public(v) for v in value]
        return self._public(value)

    def _check_values(self, value: Any) -> Any:
        try:
            items = list(value)
        except TypeError:
            raise ValidationError(
                self.error_messages["invalid_list"], code="invalid_list"
            ) from None
        # ModelMultipleChoiceField's own (private) check, which the stubs leave out
        return super()._check_values([self._private(v) for v in items])  # type: ignore[misc]
