"""What every service's admin shares: writes through the services, and read-only pages
(the event tables' are common.events.admin's)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext

from common.api.errors import DomainError
from common.localization.forms import LocalizedDecimalField


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

    Decimals are typed and shown as people write them
    (common.localization.forms.LocalizedDecimalField).
    """

    formfield_overrides = {models.DecimalField: {"form_class": LocalizedDecimalField}}

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

    # pt-BR: Django's "added" messages are translated in the masculine ("O {name} …
    # foi adicionado"); an admin whose model's name is feminine in pt-BR sets this, and
    # its messages agree ("A movimentação de estoque … foi adicionada").
    feminine_name = False

    def response_add(self, request: Any, obj: Any, post_url_continue: str | None = None) -> Any:
        request.added_object = obj  # for message_user: Django builds the message inside
        return super().response_add(request, obj, post_url_continue)

    def message_user(
        self,
        request: Any,
        message: str,
        level: int = messages.INFO,
        extra_tags: str = "",
        fail_silently: bool = False,
    ) -> None:
        added = getattr(request, "added_object", None)
        if self.feminine_name and added is not None and level == messages.SUCCESS:
            message = self._feminine_added_message(request, added)
        super().message_user(request, message, level, extra_tags, fail_silently)

    def _feminine_added_message(self, request: Any, added: Any) -> str:
        names: dict[str, Any] = {"name": self.opts.verbose_name, "obj": str(added)}
        if "_addanother" in request.POST:
            text = pgettext(
                "feminine",
                "The {name} “{obj}” was added successfully. You may add another {name} below.",
            )
        else:
            text = pgettext("feminine", "The {name} “{obj}” was added successfully.")
        if self.has_change_permission(request, added):
            url = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[added.pk]
            )
            names["obj"] = format_html('<a href="{}">{}</a>', url, added)
            if "_continue" in request.POST:
                text += " " + gettext("You may edit it again below.")
        return format_html(text, **names)

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
