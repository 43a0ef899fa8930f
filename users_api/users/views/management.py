"""Managing accounts: users, their roles and direct grants, roles, and the permission
catalogue, each behind its permission code."""

from __future__ import annotations

import uuid
from typing import Any

import django_filters
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.filters import FilterSet
from common.api.idempotency import idempotent_create
from common.api.pagination import paginated
from common.api.serializers import RequestBodySerializer
from common.api.views import DestroyMixin, PatchMixin, RetrieveMixin, UpdateMixin, render
from common.auth.access import HasPermission, model_permissions
from common.auth.actors import Actor, actor_of
from common.localization.search import SEARCH
from common.versioning import expected_version
from users import selectors, services
from users.models import Role, User
from users.serializers import RoleOutputSerializer, UserOutputSerializer

# --- users ----------------------------------------------------------------------------


class UserFilter(FilterSet):
    role = django_filters.UUIDFilter(field_name="roles", help_text="Users holding this role id.")

    class Meta:
        model = User
        fields = ["is_active", "is_staff", "is_superuser", "role"]


class UserListView(GenericAPIView):
    name = _("Users")  # the browsable API's title
    permission_classes = [model_permissions("users.user", methods=("GET", "POST"))]
    filterset_class = UserFilter
    search_fields = [SEARCH]  # username, email and names, accent- and case-insensitive
    ordering_fields = ["username", "email", "created_at", "last_login"]
    ordering = ["username"]

    class InputSerializer(RequestBodySerializer):
        labels_from = User
        username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
        email = serializers.EmailField()
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        # initial: the browsable API's checkbox starts ticked, as a JSON body without it does.
        is_active = serializers.BooleanField(required=False, initial=True)
        is_staff = serializers.BooleanField(required=False)
        is_superuser = serializers.BooleanField(required=False)

    serializer_class = InputSerializer

    def get_queryset(self) -> Any:
        return selectors.user_list()

    @extend_schema(responses={200: UserOutputSerializer(many=True)}, tags=["users"])
    def get(self, request: Request) -> Response:
        return paginated(self, UserOutputSerializer)

    @idempotent_create
    @extend_schema(request=InputSerializer, responses={201: UserOutputSerializer}, tags=["users"])
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(actor=actor_of(request.user), **serializer.validated_data)
        response = render(UserOutputSerializer, user, status.HTTP_201_CREATED)
        response["Location"] = reverse("user-detail", kwargs={"pk": user.pk})
        return response


@extend_schema(tags=["users"])
class UserDetailView(RetrieveMixin, PatchMixin, DestroyMixin):
    name = _("User")  # the browsable API's title
    permission_classes = [model_permissions("users.user", methods=("GET", "PATCH", "DELETE"))]

    class InputSerializer(RequestBodySerializer):
        labels_from = User
        username = serializers.CharField(
            max_length=150, required=False, validators=[UnicodeUsernameValidator()]
        )
        email = serializers.EmailField(required=False)
        first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        is_active = serializers.BooleanField(required=False)
        is_staff = serializers.BooleanField(required=False)
        is_superuser = serializers.BooleanField(required=False)

    serializer_class = InputSerializer
    output_serializer_class = UserOutputSerializer

    def fetch(self, *, pk: uuid.UUID) -> User:
        return selectors.user_get(user_id=pk)

    def update(
        self, *, actor: Actor, expected_version: int | None, data: dict[str, Any], pk: uuid.UUID
    ) -> User:
        return services.user_update(
            actor=actor, user_id=pk, expected_version=expected_version, **data
        )

    def destroy(self, *, actor: Actor, expected_version: int | None, pk: uuid.UUID) -> None:
        services.user_deactivate(actor=actor, user_id=pk, expected_version=expected_version)


class UserRolesView(APIView):
    """Replace the roles of a user."""

    name = _("User's roles")  # the browsable API's title

    permission_classes = [HasPermission("users.change_user")]

    class InputSerializer(RequestBodySerializer):
        roles = serializers.ListField(child=serializers.UUIDField(), max_length=200)

    serializer_class = InputSerializer

    @extend_schema(request=InputSerializer, responses={200: UserOutputSerializer}, tags=["users"])
    def put(self, request: Request, pk: uuid.UUID) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_roles_set(
            actor=actor_of(request.user),
            user_id=pk,
            role_ids=serializer.validated_data["roles"],
            expected_version=expected_version(request),
        )
        return render(UserOutputSerializer, user)


class UserPermissionsView(APIView):
    """Replace the permission codes granted directly to a user."""

    name = _("User's permissions")  # the browsable API's title

    permission_classes = [HasPermission("users.change_user")]

    class InputSerializer(RequestBodySerializer):
        permissions = serializers.ListField(
            child=serializers.CharField(max_length=100), max_length=500
        )

    serializer_class = InputSerializer

    @extend_schema(request=InputSerializer, responses={200: UserOutputSerializer}, tags=["users"])
    def put(self, request: Request, pk: uuid.UUID) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_permissions_set(
            actor=actor_of(request.user),
            user_id=pk,
            codes=serializer.validated_data["permissions"],
            expected_version=expected_version(request),
        )
        return render(UserOutputSerializer, user)


# --- roles and the catalogue ----------------------------------------------------------


class RoleInputSerializer(RequestBodySerializer):
    labels_from = Role
    name = serializers.CharField(max_length=80)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    permissions = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=500, required=False, default=list
    )


class RoleListView(GenericAPIView):
    name = _("Roles")  # the browsable API's title
    permission_classes = [model_permissions("users.role", methods=("GET", "POST"))]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]
    serializer_class = RoleInputSerializer

    def get_queryset(self) -> Any:
        return selectors.role_list()

    @extend_schema(responses={200: RoleOutputSerializer(many=True)}, tags=["roles"])
    def get(self, request: Request) -> Response:
        return paginated(self, RoleOutputSerializer)

    @idempotent_create
    @extend_schema(
        request=RoleInputSerializer, responses={201: RoleOutputSerializer}, tags=["roles"]
    )
    def post(self, request: Request) -> Response:
        serializer = RoleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        role = services.role_create(
            actor=actor_of(request.user),
            name=data["name"],
            description=data["description"],
            permission_codes=data["permissions"],
        )
        response = render(RoleOutputSerializer, role, status.HTTP_201_CREATED)
        response["Location"] = reverse("role-detail", kwargs={"pk": role.pk})
        return response


@extend_schema(tags=["roles"])
class RoleDetailView(RetrieveMixin, UpdateMixin, DestroyMixin):
    name = _("Role")  # the browsable API's title
    permission_classes = [model_permissions("users.role")]
    serializer_class = RoleInputSerializer
    output_serializer_class = RoleOutputSerializer

    def fetch(self, *, pk: uuid.UUID) -> Role:
        return selectors.role_get(role_id=pk)

    def update(
        self, *, actor: Actor, expected_version: int | None, data: dict[str, Any], pk: uuid.UUID
    ) -> Role:
        return services.role_update(
            actor=actor,
            role_id=pk,
            expected_version=expected_version,
            name=data.get("name"),
            description=data.get("description"),
            permission_codes=data.get("permissions"),
        )

    def destroy(self, *, actor: Actor, expected_version: int | None, pk: uuid.UUID) -> None:
        services.role_delete(actor=actor, role_id=pk, expected_version=expected_version)


class PermissionListView(GenericAPIView):
    """Every permission code of every service, for building roles and grants."""

    name = _("Permission codes")  # the browsable API's title

    permission_classes = [HasPermission("users.view_permission")]
    filterset_fields = ["service"]
    search_fields = ["code", "description"]
    ordering_fields = ["code", "service"]
    ordering = ["code"]

    class OutputSerializer(serializers.Serializer):
        code = serializers.CharField()
        service = serializers.CharField()
        description = serializers.CharField()

    def get_queryset(self) -> Any:
        return selectors.permission_list()

    @extend_schema(responses={200: OutputSerializer(many=True)}, tags=["roles"])
    def get(self, request: Request) -> Response:
        return paginated(self, self.OutputSerializer)
