"""Output shapes more than one view renders: a user, a role, a token pair."""

from __future__ import annotations

from rest_framework import serializers

from common.api.fields import UTCDateTimeField
from users import selectors
from users.models import Role, User


class RoleRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class UserOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    is_active = serializers.BooleanField()
    is_staff = serializers.BooleanField()
    is_superuser = serializers.BooleanField()
    roles = RoleRefSerializer(many=True, source="roles.all")
    permissions = serializers.SerializerMethodField(help_text="Codes granted directly to the user.")
    effective_permissions = serializers.SerializerMethodField(
        help_text="Every code the user's tokens carry: roles plus direct grants."
    )
    last_login = UTCDateTimeField(allow_null=True)
    version = serializers.IntegerField()
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()

    def get_permissions(self, user: User) -> list[str]:
        return sorted(permission.code for permission in user.permissions.all())

    def get_effective_permissions(self, user: User) -> list[str]:
        return selectors.user_effective_permission_codes(user=user)


class RoleOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    permissions = serializers.SerializerMethodField()
    version = serializers.IntegerField()
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()

    def get_permissions(self, role: Role) -> list[str]:
        return sorted(permission.code for permission in role.permissions.all())


class TokenPairOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
