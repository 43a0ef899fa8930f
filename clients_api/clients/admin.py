"""clients_api's admin: clients with their addresses inline, written through clients.services
as the API writes them (normalized documents, phones and CEPs; "delete" deactivates)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients import brazil, services, spreadsheets
from clients.models import Address, Client, ClientImport
from common.admin.model_admins import ServiceWritesAdmin
from common.admin.spreadsheets import SpreadsheetAdminMixin
from common.auth.actors import actor_of
from common.localization.formats import format_cep, format_document
from common.localization.search import SEARCH


class ClientForm(forms.ModelForm):
    """Accepts formatted documents and phones and checks them as the API's service does."""

    class Meta:
        model = Client
        fields = ["kind", "name", "document", "email", "phone", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.document:
            self.initial["document"] = format_document(self.instance.document)

    def clean_phone(self) -> str:
        try:
            return services.normalize_phone(self.cleaned_data.get("phone", ""))
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["phone"]) from error

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

    postal_code = forms.CharField(max_length=10, label=_("CEP"))

    class Meta:
        model = Address
        fields = sorted(services.ADDRESS_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.postal_code:
            self.initial["postal_code"] = format_cep(self.instance.postal_code)

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
            raise forms.ValidationError(gettext("Only one address can be the default."))


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
    readonly_fields = ["cep"]

    @admin.display(description=_("CEP"))
    def cep(self, address: Address) -> str:
        return format_cep(address.postal_code)

    def get_fields(self, request: Any, obj: Any = None) -> Any:
        if self.has_change_permission(request, obj) or self.has_add_permission(request, obj):
            return self.fields
        # Read only: the CEP with its mask.
        return [
            tuple("cep" if name == "postal_code" else name for name in row)
            if isinstance(row, tuple)
            else row
            for row in self.fields
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
class ClientAdmin(SpreadsheetAdminMixin, ServiceWritesAdmin):
    form = ClientForm
    importer = spreadsheets.ClientImporter()
    import_job_model = ClientImport
    export = spreadsheets.EXPORT
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
    # Name, document, email and the addresses' districts and cities, without accents.
    search_fields = (SEARCH,)
    readonly_fields = ("version", "created_at", "updated_at")
    ordering = ("name",)
    actions = ["deactivate_selected"]

    @admin.display(description=_("document"), ordering="document")
    def document_formatted(self, client: Client) -> str:
        return client.formatted_document

    def get_fields(self, request: Any, obj: Client | None = None) -> Any:
        fields = super().get_fields(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fields
        # Read only: the document with its mask.
        return ["document_formatted" if name == "document" else name for name in fields]

    def get_search_results(self, request: Any, queryset: Any, search_term: str) -> Any:
        # 390.533.447-05 finds the client stored as 39053344705.
        if brazil.looks_like_document(search_term):
            search_term = brazil.normalize_search_document(search_term)
        return super().get_search_results(request, queryset, search_term)

    # Deleting a client deactivates it, as DELETE does in the API (it stays for history).
    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_deactivate_permission(self, request: Any) -> bool:
        return request.user.has_perm("clients.delete_client")

    @admin.action(description=_("Deactivate the selected clients"), permissions=["deactivate"])
    def deactivate_selected(self, request: Any, queryset: Any) -> None:
        actor = actor_of(request.user)
        for client in queryset:
            services.client_deactivate(actor=actor, client_id=client.pk, expected_version=None)
        message = gettext("%(count)d client(s) deactivated; they stay for history.")
        self.message_user(request, message % {"count": len(queryset)}, messages.SUCCESS)

    def save_model(self, request: Any, obj: Client, form: Any, change: bool) -> None:
        values = {field: form.cleaned_data[field] for field in ClientForm.Meta.fields}
        if change:
            changed = {field: values[field] for field in form.changed_data if field in values}
            if not changed:
                return
            client = services.client_update(
                actor=actor_of(request.user), client_id=obj.pk, expected_version=None, **changed
            )
        else:
            is_active = values.pop("is_active")
            client = services.client_create(actor=actor_of(request.user), **values)
            if not is_active:
                client = services.client_deactivate(
                    actor=actor_of(request.user), client_id=client.pk, expected_version=None
                )
        self.show_written(obj, client)

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        client_id = form.instance.pk
        actor = actor_of(request.user)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for address_form in formset.deleted_forms:
            if address_form in formset.initial_forms:
                services.address_delete(
                    actor=actor,
                    client_id=client_id,
                    address_id=address_form.instance.pk,
                    expected_version=None,
                )
                formset.deleted_objects.append(address_form.instance)
        # The new default last: the service unsets the previous one when it is saved.
        forms_ = sorted(formset.forms, key=lambda f: bool(f.cleaned_data.get("is_default")))
        for address_form in forms_:
            if address_form in formset.deleted_forms or not address_form.has_changed():
                continue
            values = {field: address_form.cleaned_data[field] for field in AddressForm.Meta.fields}
            if address_form in formset.initial_forms:
                changed = {f: values[f] for f in address_form.changed_data if f in values}
                address = services.address_update(
                    actor=actor,
                    client_id=client_id,
                    address_id=address_form.instance.pk,
                    expected_version=None,
                    **changed,
                )
                formset.changed_objects.append((address, list(changed)))
            else:
                formset.new_objects.append(
                    services.address_create(actor=actor, client_id=client_id, **values)
                )
