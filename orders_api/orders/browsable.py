"""Serializer pieces that only shape the browsable API's forms; validation is unchanged."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class ListWithBlankItem(serializers.ListSerializer):
    """A nested list whose blank form shows one blank item, so the raw-data form's
    initial body shows the item's shape (``"items": [{"product_id": null, "quantity": 1}]``).

    Use it as the item serializer's ``Meta.list_serializer_class``.
    """

    def get_initial(self) -> Any:
        if hasattr(self, "initial_data"):
            return super().get_initial()
        return [self.child.get_initial()]


class NoBody(serializers.Serializer):
    """The ``serializer_class`` of an action that takes no body (``POST .../finish``):
    the browsable API shows a button that posts ``{}``."""
