"""The base of every request body's serializer (the views' nested ``InputSerializer``)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

from django.db.models import Model
from django.http import QueryDict
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.fields import Field
from rest_framework.relations import ManyRelatedField, RelatedField

from common.fastpath import projection

#: The context key under which a view says what its write may take back from the
#: resource's GET (``read_only_context``): a body read back and sent again has it.
READ_BACK = "read_back"

#: Fields a GET shows that change with anyone's write (or login): taken back whatever
#: their value, never compared and never applied. A stale one is ``If-Match``'s
#: business (412), not a 400.
BOOKKEEPING_FIELDS = frozenset({"version", "created_at", "updated_at", "last_login"})

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


def _same(field: Field, sent: Any, shown: Any) -> bool:
    """Whether ``sent`` (from a request body) is ``shown`` as ``field`` shows it:
    ``"19.9"`` is ``"19.90"``, an upper-case UUID or a ``-03:00`` time the same value;
    a nested object's bookkeeping fields are not compared."""
    if sent == shown and isinstance(sent, bool) == isinstance(shown, bool):
        return True  # as a GET body sent back has them
    if isinstance(field, serializers.ListSerializer):
        return (
            isinstance(sent, list)
            and isinstance(shown, list)
            and len(sent) == len(shown)
            and all(_same(field.child, s, h) for s, h in zip(sent, shown, strict=True))
        )
    if isinstance(field, serializers.Serializer):
        if not isinstance(sent, Mapping) or not isinstance(shown, Mapping):
            return False
        compared = shown.keys() - BOOKKEEPING_FIELDS
        return sent.keys() - BOOKKEEPING_FIELDS == compared and all(
            _same(field.fields[key], sent[key], shown[key]) for key in compared
        )
    if field.read_only:  # a method field: nothing reads a value back in
        return False
    try:
        return field.to_representation(field.to_internal_value(sent)) == shown
    except (ValidationError, TypeError, ValueError):
        return False


@dataclass(frozen=True)
class ReadBack:
    """What a write may take back from its resource's GET: the fields ``output`` shows,
    each sent unchanged. ``fetch`` returns the resource, ready to render as its GET
    does; it is called only when a body carries such a field (one read, one render)."""

    output: type[serializers.Serializer]
    fetch: Callable[[], Any]

    @property
    def names(self) -> frozenset[str]:
        return _field_names(self.output)

    def changed(self, data: Mapping[str, Any], keys: set[str]) -> list[str]:
        """Those of ``keys`` (names ``output`` shows) whose value in ``data`` is not the
        resource's current one, bookkeeping fields aside; raises what ``fetch`` raises
        (common.api.errors.NotFound)."""
        compared = keys - BOOKKEEPING_FIELDS
        if not compared:
            return []
        shown = projection.render(self.output, self.fetch())
        fields = self.output().fields
        return [key for key in compared if not _same(fields[key], data[key], shown[key])]


def read_only_context(
    output_serializer_class: type[serializers.Serializer], fetch: Callable[[], Any]
) -> dict[str, Any]:
    """The serializer context that lets a write take back what ``output_serializer_class``
    shows of the instance ``fetch`` returns (a GET body PUT back): those fields are
    accepted when unchanged (``ReadBack``), and never applied."""
    return {READ_BACK: ReadBack(output_serializer_class, fetch)}


class RequestBodySerializer(serializers.Serializer):
    """DRF's ``Serializer``, refusing keys it does not declare, with its fields copied
    for each request more cheaply.

    Unknown keys: DRF drops a key no field declares, so ``{"nome": "X"}`` changed
    nothing and answered 200. Here each such key is a validation error under its own
    name (code ``unknown_field``; nested ones dotted by the problem handler,
    ``items.0.qty``), beside the other fields' errors. Accepted besides the declared
    fields, at the top only: what the context's ``READ_BACK`` shows (a GET body sent
    back), when its value is the resource's current one (else code
    ``read_only_field``) or it is bookkeeping (``BOOKKEEPING_FIELDS``), and never
    applied; in an HTML form, its CSRF token. A body of declared fields only pays one
    set difference.

    Copies: DRF deep-copies every declared field for each serializer it builds, and a
    deep copy calls the field's ``__init__`` again: half the time of validating a
    small body. A declared field is never bound or validated itself, so a plain field
    is copied shallowly instead; the copy gets its own binding (name, parent, source)
    and shares only what no validation changes (error messages, choices, the
    validators' list). A nested serializer, a list or dict field, a related field or
    a field with a mutable default is deep-copied as DRF does.

    ``labels_from`` names a model whose fields' verbose names label the same-named
    fields declared without a label, so the browsable API's forms read in the
    reader's language (DRF would title them with the field's English name).
    """

    labels_from: ClassVar[type[Model] | None] = None

    default_error_messages = {
        "unknown_field": _("Unknown field."),
        "read_only_field": _("Read-only field: send it unchanged or leave it out."),
    }

    def get_fields(self) -> dict[str, Field]:
        fields = {
            name: copy.deepcopy(field) if _holds_state(field) else copy.copy(field)
            for name, field in self._declared_fields.items()
        }
        for name, label in _model_labels(type(self)).items():
            fields[name].label = label
        return fields

    def to_internal_value(self, data: Any) -> Any:
        """DRF's validation; raises ValidationError naming every unknown key and every
        read-only field sent changed as well. Raises what the context's ``READ_BACK``
        fetch raises (common.api.errors.NotFound)."""
        undeclared = self._undeclared_key_errors(data)
        if not undeclared:
            return super().to_internal_value(data)
        errors: dict[str, Any] = {}
        try:
            super().to_internal_value(data)
        except ValidationError as exc:
            errors.update(exc.detail)
        errors.update(sorted(undeclared.items()))
        raise ValidationError(errors)

    def _undeclared_key_errors(self, data: Any) -> dict[str, list[ErrorDetail]]:
        if not isinstance(data, Mapping):
            return {}  # DRF refuses it as not an object
        keys = set(data)
        if isinstance(data, QueryDict):
            keys = {_FORM_FIELD.match(key).group() for key in keys - _FORM_EXTRAS}
        undeclared = keys - self._declared_fields.keys()
        if not undeclared:
            return {}
        read_back = self.context.get(READ_BACK) if self.parent is None else None
        taken_back = undeclared & read_back.names if read_back else set()
        errors = {key: self._error("unknown_field") for key in undeclared - taken_back}
        if taken_back:
            errors.update(
                (key, self._error("read_only_field")) for key in read_back.changed(data, taken_back)
            )
        return errors

    def _error(self, code: str) -> list[ErrorDetail]:
        return [ErrorDetail(str(self.error_messages[code]), code=code)]


@cache
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
