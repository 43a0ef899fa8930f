"""users_api's admin: users (with their roles and grants), roles, the catalogue.

Every change goes through ``users.services`` with the signed-in account as the
actor, so the admin refuses exactly what the API refuses: codes the actor does
not hold (to grant or to remove), superuser and staff flags unless the actor is
a superuser, a superuser's account unless the actor is one, an account holding
more than the actor (``services.user_ensure_manageable``), deactivating
oneself, and setting another user's password unless the actor is a superuser.
The services are called from ``save_model`` and ``delete_model``
(``common.admin.model_admins.ServiceWritesAdmin``): a refusal undoes the whole save and comes
back as the form's error. Fields the actor can never change are read only.
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
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from common.admin.model_admins import ServiceWritesAdmin
from common.api.errors import DomainError, Forbidden
from common.auth.actors import Actor, actor_of
from common.localization.search import SEARCH
from users import services
from users.models import Permission, Role, User

admin.site.unregister(Group)  # roles replace Django's groups

# Only a superuser may change these (users.services says why).
SUPERUSER_ONLY_FIELDS = ("is_staff", "is_superuser")


class UserCreationForm(forms.ModelForm):
    password1 = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(
        label=_("Password confirmation"), strip=False, widget=forms.PasswordInput
    )

    class Meta:
        model = User
        fields = ("username", "email")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


class UserChangeForm(DjangoUserChangeForm):
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


class UsersServiceAdmin(ServiceWritesAdmin):
    """An admin of users_api: ``save_model`` writes the object and its codes and roles
    through ``users.services``, and a refused grant names the codes it is about."""

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        """Nothing left to save: ``save_model`` set the many-to-many fields through the
        services, and these models have no inlines."""

    def describe_refusal(self, error: DomainError | ValidationError) -> str:
        message = super().describe_refusal(error)
        codes = error.extra.get("permissions") if isinstance(error, DomainError) else None
        return f"{message} ({', '.join(codes)})" if codes else message


@admin.register(User)
class UserAdmin(UsersServiceAdmin, DjangoUserAdmin):
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
    search_fields = (SEARCH,)  # username, email and names, accent- and case-insensitive
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

    def save_model(self, request: Any, obj: User, form: Any, change: bool) -> None:
        actor = actor_of(request.user)
        if not change:
            user = services.user_create(
                actor=actor,
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
            self.show_written(obj, user)
            return
        changed = set(form.changed_data)
        fields = {name: form.cleaned_data[name] for name in changed & services.USER_MANAGED_FIELDS}
        if fields:
            services.user_update(actor=actor, user_id=obj.pk, expected_version=None, **fields)
        if "roles" in changed:
            services.user_roles_set(
                actor=actor,
                user_id=obj.pk,
                role_ids=[role.pk for role in form.cleaned_data["roles"]],
                expected_version=None,
            )
        if "permissions" in changed:
            services.user_permissions_set(
                actor=actor,
                user_id=obj.pk,
                codes=[permission.code for permission in form.cleaned_data["permissions"]],
                expected_version=None,
            )
        obj.refresh_from_db()

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        readonly = super().get_readonly_fields(request, obj)
        if obj is None or request.user.is_superuser:
            return readonly
        try:
            services.user_ensure_manageable(actor=actor_of(request.user), user=obj)
        except Forbidden:
            # A superuser, or an account holding more than the actor: nothing to offer.
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


class RoleForm(forms.ModelForm):
    class Meta:
        model = Role
        fields = ("name", "description", "permissions")


@admin.register(Role)
class RoleAdmin(UsersServiceAdmin):
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

    def save_model(self, request: Any, obj: Role, form: Any, change: bool) -> None:
        actor = actor_of(request.user)
        values = {
            "name": form.cleaned_data["name"],
            "description": form.cleaned_data["description"],
            "permission_codes": [p.code for p in form.cleaned_data["permissions"]],
        }
        if change:
            role = services.role_update(
                actor=actor, role_id=obj.pk, expected_version=None, **values
            )
        else:
            role = services.role_create(actor=actor, **values)
        self.show_written(obj, role)

    def delete_model(self, request: Any, obj: Role) -> None:
        services.role_delete(actor=actor_of(request.user), role_id=obj.pk, expected_version=None)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        actor = actor_of(request.user)
        for role in queryset:
            services.role_delete(actor=actor, role_id=role.pk, expected_version=None)


@admin.register(Permission)
class PermissionAdmin(admin.ModelAdmin):
    """Read-only: the catalogue comes from users.permission_catalogue."""

    list_display = ("code", "service", "description")
    list_filter = ("service",)
    search_fields = ("code", "description")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
