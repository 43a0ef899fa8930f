"""users_api's admin: users (with their roles and grants), roles, the catalogue.

Every change goes through ``users.services`` with the signed-in account as the
actor, so the admin refuses exactly what the API refuses: codes the actor does
not hold (to grant or to remove), superuser and staff flags unless the actor is
a superuser, a superuser's account unless the actor is one, deactivating
oneself, and setting another user's password unless the actor is a superuser.
The forms call the services once the form is otherwise valid, inside a
savepoint, so a refusal is a form error and leaves nothing half-written.
Fields the actor can never change are read only.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from common.actors import Actor, actor_of
from common.errors import DomainError
from users import services
from users.models import Permission, Role, User

admin.site.unregister(Group)  # roles replace Django's groups

# Only a superuser may change these (users.services says why).
SUPERUSER_ONLY_FIELDS = ("is_staff", "is_superuser")


def _refusal_message(error: DomainError) -> str:
    codes = error.extra.get("permissions")
    return f"{error.message} ({', '.join(codes)})" if codes else str(error.message)


class ServiceModelForm(forms.ModelForm):
    """A model form whose ``apply()`` writes through ``users.services`` as ``actor``.

    The services validate the model (uniqueness included, with messages meant
    for people), so Django's model validation is replaced by ``apply()``, run
    once the fields are valid, inside a savepoint: a service's ValidationError
    becomes field errors (``field_names`` maps the service's names to the
    form's), any other refusal a form error, and either undoes whatever
    ``apply()`` had already written. ``result`` is the saved object.
    """

    actor: Actor
    field_names: dict[str, str] = {}

    def apply(self) -> Any:
        raise NotImplementedError

    def _post_clean(self) -> None:
        if self.errors:
            return
        try:
            with transaction.atomic():
                self.result = self.apply()
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                name = self.field_names.get(field, field)
                self.add_error(name if name in self.fields else None, messages)
        except DomainError as error:
            self.add_error(None, _refusal_message(error))


class UserCreationForm(ServiceModelForm):
    password1 = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(
        label=_("Password confirmation"), strip=False, widget=forms.PasswordInput
    )
    field_names = {"password": "password1"}

    class Meta:
        model = User
        fields = ("username", "email")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return cleaned

    def apply(self) -> User:
        return services.user_create(
            actor=self.actor,
            username=self.cleaned_data["username"],
            email=self.cleaned_data["email"],
            password=self.cleaned_data["password1"],
        )


class UserChangeForm(DjangoUserChangeForm, ServiceModelForm):
    class Meta:
        model = User
        fields = (
            "username",
            "password",
            "first_name",
            "last_name",
            "email",
            "is_active",
            *SUPERUSER_ONLY_FIELDS,
            "roles",
            "permissions",
        )

    def apply(self) -> User:
        user_id, changed = self.instance.pk, set(self.changed_data)
        fields = {name: self.cleaned_data[name] for name in changed & services.USER_MANAGED_FIELDS}
        user = self.instance
        if fields:
            user = services.user_update(
                actor=self.actor, user_id=user_id, expected_version=None, **fields
            )
        if "roles" in changed:
            user = services.user_roles_set(
                actor=self.actor,
                user_id=user_id,
                role_ids=[role.pk for role in self.cleaned_data["roles"]],
                expected_version=None,
            )
        if "permissions" in changed:
            user = services.user_permissions_set(
                actor=self.actor,
                user_id=user_id,
                codes=[permission.code for permission in self.cleaned_data["permissions"]],
                expected_version=None,
            )
        return user


class PasswordSetForm(AdminPasswordChangeForm):
    """Django's form; the password is set by ``services.user_password_set``."""

    def __init__(self, user: User, *args: Any, actor: Actor, **kwargs: Any) -> None:
        self.actor = actor
        super().__init__(user, *args, **kwargs)

    def save(self, commit: bool = True) -> User:
        usable = self.cleaned_data["set_usable_password"]
        return services.user_password_set(
            actor=self.actor,
            user_id=self.user.pk,
            password=self.cleaned_data["password1"] if usable else None,
        )


class ServiceAdminMixin:
    """Hands the form its actor, and shows what the service saved instead of saving again."""

    def get_form(self, request: Any, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)  # a new class per call
        form.actor = actor_of(request.user)
        return form

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        obj.pk = form.result.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        """The service set the many-to-many fields already; these models have no inlines."""


@admin.register(User)
class UserAdmin(ServiceAdminMixin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = PasswordSetForm
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", "roles")
    search_fields = ("username", "email", "first_name", "last_name")
    ordering = ("username",)
    filter_horizontal = ("roles", "permissions")
    readonly_fields = ("last_login", "created_at", "updated_at", "version")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (
            _("Access"),
            {"fields": ("is_active", "is_staff", "is_superuser", "roles", "permissions")},
        ),
        (_("History"), {"fields": ("last_login", "created_at", "updated_at", "version")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),
    )

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        readonly = super().get_readonly_fields(request, obj)
        if obj is None or request.user.is_superuser:
            return readonly
        if obj.is_superuser:
            # Only a superuser changes a superuser: nothing to offer.
            return [*readonly, *(name for name in self._fieldset_names() if name != "password")]
        return [*readonly, *SUPERUSER_ONLY_FIELDS]

    def _fieldset_names(self) -> list[str]:
        return [name for _, options in self.fieldsets for name in options["fields"]]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        # Users are deactivated (is_active), never deleted: their history stays.
        return False

    def user_change_password(self, request: Any, id: str, form_url: str = "") -> Any:
        """Superusers only, as ``services.user_password_set`` requires: not offered to others."""
        if not request.user.is_superuser:
            raise PermissionDenied
        # Django builds change_password_form(user, data); a copy of this admin per
        # request carries the actor without sharing it between threads.
        bound = copy.copy(self)
        bound.change_password_form = functools.partial(
            PasswordSetForm, actor=actor_of(request.user)
        )
        return super(UserAdmin, bound).user_change_password(request, id, form_url)


class RoleForm(ServiceModelForm):
    class Meta:
        model = Role
        fields = ("name", "description", "permissions")

    def apply(self) -> Role:
        codes = [permission.code for permission in self.cleaned_data["permissions"]]
        if self.instance._state.adding:
            return services.role_create(
                actor=self.actor,
                name=self.cleaned_data["name"],
                description=self.cleaned_data["description"],
                permission_codes=codes,
            )
        return services.role_update(
            actor=self.actor,
            role_id=self.instance.pk,
            expected_version=None,
            name=self.cleaned_data["name"],
            description=self.cleaned_data["description"],
            permission_codes=codes,
        )


@admin.register(Role)
class RoleAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = RoleForm
    list_display = ("name", "description", "permission_count", "updated_at")
    search_fields = ("name", "description")
    list_filter = ("permissions__service",)
    filter_horizontal = ("permissions",)
    readonly_fields = ("created_at", "updated_at", "version")

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).annotate(code_count=Count("permissions"))

    @admin.display(description=_("Codes"), ordering="code_count")
    def permission_count(self, role: Role) -> int:
        return role.code_count

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        """Only for a role whose codes the actor all holds (users.services refuses otherwise)."""
        if not super().has_delete_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        held = actor_of(request.user).permissions
        return set(obj.permissions.values_list("code", flat=True)) <= held

    def get_actions(self, request: Any) -> Any:
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            # Bulk deletion checks no role's codes; one role at a time does.
            actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request: Any, obj: Role) -> None:
        services.role_delete(actor=actor_of(request.user), role_id=obj.pk, expected_version=None)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        actor = actor_of(request.user)
        for role in queryset:
            services.role_delete(actor=actor, role_id=role.pk, expected_version=None)


@admin.register(Permission)
class PermissionAdmin(admin.ModelAdmin):
    """Read-only: the catalogue comes from common.permission_catalogue."""

    list_display = ("code", "service", "description")
    list_filter = ("service",)
    search_fields = ("code", "description")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
