"""users_api's admin: users (with their roles and grants), roles, the catalogue."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import password_validation
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from users.models import Permission, Role, User

admin.site.unregister(Group)  # roles replace Django's groups


class UserCreationForm(forms.ModelForm):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput,
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password confirmation"), strip=False, widget=forms.PasswordInput
    )

    class Meta:
        model = User
        fields = ("username", "email")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            self.instance.username = cleaned.get("username", "")
            self.instance.email = cleaned.get("email", "")
            try:
                password_validation.validate_password(password1, self.instance)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
            self.save_m2m()
        return user


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
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


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
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
