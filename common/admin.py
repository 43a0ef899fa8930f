"""What every service's admin shares: writes through the services, and read-only pages
(the event tables' are common.events.admin's)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from common.errors import DomainError


def refusal_message(error: DomainError | ValidationError) -> str:
    """A service's refusal (a DomainError or a ValidationError) as one line for people."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    errors = error.extra.get("errors")
    if errors:
        return " ".join(str(message) for found in errors.values() for message in found)
    return error.detail


class ServiceWritesAdmin(admin.ModelAdmin):
    """An admin whose saves call the service's use-cases (in ``save_model`` and
    ``save_formset``), as the API does.

    A refusal the form could not foresee (a rule, a row changed meanwhile) undoes the
    whole save; the page comes back with what was typed and the refusal as its error.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (DomainError, ValidationError) as error:
            # Again, with a form that shows the refusal and so writes nothing.
            request.service_refusal = self.describe_refusal(error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def describe_refusal(self, error: DomainError | ValidationError) -> str:
        """The refusal as the page shows it; an admin adds here what its service's
        errors carry beyond the message."""
        return refusal_message(error)

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "service_refusal", None)
        if refusal is None:
            return form

        class Refused(form):
            def clean(self) -> dict[str, Any]:
                super().clean()
                raise forms.ValidationError(refusal, code="refused")

        return Refused

    @staticmethod
    def show_written(obj: Any, written: Any) -> None:
        """Makes the admin's object the row the service wrote, for the pages that follow."""
        obj.pk = written.pk
        obj.refresh_from_db()


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
