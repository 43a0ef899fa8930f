"""The base of every request body's serializer (the views' nested ``InputSerializer``)."""

from __future__ import annotations

import copy

from rest_framework import serializers
from rest_framework.fields import Field
from rest_framework.relations import ManyRelatedField, RelatedField


def _holds_state(field: Field) -> bool:
    """Whether a field holds other fields, a queryset or a mutable default, which its
    copies must not share (a default list would reach every request's data)."""
    return (
        isinstance(field, (serializers.BaseSerializer, RelatedField, ManyRelatedField))
        or hasattr(field, "child")
        or isinstance(field.default, (list, dict, set))
    )


class RequestBodySerializer(serializers.Serializer):
    """DRF's ``Serializer``, with its fields copied for each request more cheaply.

    DRF deep-copies every declared field for each serializer it builds, and a deep
    copy calls the field's ``__init__`` again: half the time of validating a small
    body. A declared field is never bound or validated itself, so a plain field is
    copied shallowly instead; the copy gets its own binding (name, parent, source)
    and shares only what no validation changes (error messages, choices, the
    validators' list). A nested serializer, a list or dict field, a related field or
    a field with a mutable default is deep-copied as DRF does.
    """

    def get_fields(self) -> dict[str, Field]:
        return {
            name: copy.deepcopy(field) if _holds_state(field) else copy.copy(field)
            for name, field in self._declared_fields.items()
        }
