"""The base of every request body's serializer (the views' nested ``InputSerializer``)."""

from __future__ import annotations

import copy
import functools
from typing import Any, ClassVar

from django.db.models import Model
from django.utils.text import capfirst
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

    ``labels_from`` names a model whose fields' verbose names label the same-named
    fields declared without a label, so the browsable API's forms read in the
    reader's language (DRF would title them with the field's English name).
    """

    labels_from: ClassVar[type[Model] | None] = None

    def get_fields(self) -> dict[str, Field]:
        fields = {
            name: copy.deepcopy(field) if _holds_state(field) else copy.copy(field)
            for name, field in self._declared_fields.items()
        }
        for name, label in _model_labels(type(self)).items():
            fields[name].label = label
        return fields


@functools.cache
def _model_labels(serializer_class: type[RequestBodySerializer]) -> dict[str, Any]:
    """The lazy labels ``serializer_class.labels_from`` gives its fields without one."""
    model = serializer_class.labels_from
    if model is None:
        return {}
    by_name = {field.name: field for field in model._meta.concrete_fields}
    return {
        name: capfirst(by_name[name].verbose_name)
        for name, field in serializer_class._declared_fields.items()
        if field.label is None and name in by_name
    }
