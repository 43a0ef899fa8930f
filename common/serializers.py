"""The base of every request body's serializer (the views' nested ``InputSerializer``)."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.fields import Field
from rest_framework.relations import ManyRelatedField, RelatedField

#: The context key under which a view names the fields its responses show and a write
#: does not take (``read_only_context``): a body read back and sent again has them.
READ_ONLY_FIELDS = "read_only_fields"

#: What an HTML form posts besides its fields: Django's CSRF token.
_FORM_EXTRAS = frozenset({"csrfmiddlewaretoken"})
#: An HTML form's nested field name (``items[0]quantity``, ``address.city``) up to its field.
_FORM_FIELD = re.compile(r"[^.\[]*")


def _holds_state(field: Field) -> bool:
    """Whether a field holds other fields, a queryset or a mutable default, which its
    copies must not share (a default list would reach every request's data)."""
    return (
        isinstance(field, (serializers.BaseSerializer, RelatedField, ManyRelatedField))
        or hasattr(field, "child")
        or isinstance(field.default, (list, dict, set))
    )


@cache
def _field_names(serializer_class: type[serializers.Serializer]) -> frozenset[str]:
    return frozenset(serializer_class._declared_fields)


def read_only_context(output_serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    """The serializer context that lets a write take back what ``output_serializer_class``
    shows (a GET body PUT back): those fields are accepted and not applied."""
    return {READ_ONLY_FIELDS: _field_names(output_serializer_class)}


class RequestBodySerializer(serializers.Serializer):
    """DRF's ``Serializer``, refusing keys it does not declare, with its fields copied
    for each request more cheaply.

    Unknown keys: DRF drops a key no field declares, so ``{"nome": "X"}`` changed
    nothing and answered 200. Here each such key is a validation error under its own
    name (code ``unknown_field``; nested ones dotted by the problem handler,
    ``items.0.qty``), beside the other fields' errors. Accepted besides the declared
    fields: the names in the context's ``READ_ONLY_FIELDS`` (``read_only_context``),
    whatever their values, and never applied; in an HTML form, its CSRF token.

    Copies: DRF deep-copies every declared field for each serializer it builds, and a
    deep copy calls the field's ``__init__`` again: half the time of validating a
    small body. A declared field is never bound or validated itself, so a plain field
    is copied shallowly instead; the copy gets its own binding (name, parent, source)
    and shares only what no validation changes (error messages, choices, the
    validators' list). A nested serializer, a list or dict field, a related field or a
    field with a mutable default is deep-copied as DRF does.
    """

    default_error_messages = {"unknown_field": _("Unknown field.")}

    def get_fields(self) -> dict[str, Field]:
        return {
            name: copy.deepcopy(field) if _holds_state(field) else copy.copy(field)
            for name, field in self._declared_fields.items()
        }

    def to_internal_value(self, data: Any) -> Any:
        """DRF's validation; raises ValidationError naming every unknown key as well."""
        unknown = self._unknown_keys(data)
        if not unknown:
            return super().to_internal_value(data)
        message = ErrorDetail(str(self.error_messages["unknown_field"]), code="unknown_field")
        errors: dict[str, Any] = {}
        try:
            super().to_internal_value(data)
        except ValidationError as exc:
            errors.update(exc.detail)
        errors.update((key, [message]) for key in sorted(unknown))
        raise ValidationError(errors)

    def _unknown_keys(self, data: Any) -> set[str]:
        if not isinstance(data, Mapping):
            return set()  # DRF refuses it as not an object
        keys = set(data)
        if isinstance(data, QueryDict):
            keys = {_FORM_FIELD.match(key).group() for key in keys - _FORM_EXTRAS}
        unknown = keys - self._declared_fields.keys()
        if unknown and self.parent is None:
            unknown -= self.context.get(READ_ONLY_FIELDS, frozenset())
        return unknown
