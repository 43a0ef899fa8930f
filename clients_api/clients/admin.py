"""clients_api's admin: clients with their addresses inline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from clients import brazil
from clients.models import Address, Client


class ClientForm(forms.ModelForm):
    """Accepts formatted documents and checks them like the API does."""

    class Meta:
        model = Client
        fields = ["kind", "name", "document", "email", "phone", "is_active"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        normalize = (
            brazil.normalize_cnpj
            if cleaned.get("kind") == Client.Kind.COMPANY
            else brazil.normalize_cpf
        )
        if cleaned.get("document"):
            try:
                cleaned["document"] = normalize(cleaned["document"])
            except ValueError as error:
                self.add_error("document", str(error))
        return cleaned


class AddressForm(forms.ModelForm):
    """Accepts a CEP typed as 12345-678 and stores its 8 digits, like the API."""

    postal_code = forms.CharField(max_length=10, label="CEP")

    class Meta:
        model = Address
        fields = [
            "label",
            "is_default",
            "street",
            "number",
            "complement",
            "district",
            "city",
            "state",
            "postal_code",
            "country",
        ]

    def clean_postal_code(self) -> str:
        try:
            return brazil.normalize_cep(self.cleaned_data["postal_code"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error


class AddressFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        defaults = [
            form
            for form in self.forms
            if form.cleaned_data.get("is_default") and not form.cleaned_data.get("DELETE")
        ]
        if len(defaults) > 1:
            raise forms.ValidationError("Only one address can be the default.")


class AddressInline(admin.StackedInline):
    """Addresses have no codes of their own: the client's codes apply, as in the API
    (view to see them, add to add one, change to edit, delete to remove)."""

    model = Address
    form = AddressForm
    formset = AddressFormSet
    extra = 0
    fields = [
        ("label", "is_default"),
        ("street", "number", "complement"),
        "district",
        ("city", "state", "postal_code", "country"),
    ]

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return request.user.has_perm("clients.view_client") or self.has_change_permission(request)

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return request.user.has_perm("clients.add_client")

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return request.user.has_perm("clients.change_client")

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return request.user.has_perm("clients.delete_client")


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    form = ClientForm
    inlines = [AddressInline]
    list_display = (
        "name",
        "kind",
        "document_formatted",
        "email",
        "phone",
        "is_active",
        "updated_at",
    )
    list_filter = ("kind", "is_active", "addresses__state")
    search_fields = ("name", "document", "email")
    readonly_fields = ("version", "created_at", "updated_at")
    ordering = ("name",)

    @admin.display(description="Document", ordering="document")
    def document_formatted(self, client: Client) -> str:
        return client.formatted_document

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        # Unset the old default before setting the new one: the database allows one.
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for instance in sorted(instances, key=lambda address: address.is_default):
            instance.save()
        formset.save_m2m()
