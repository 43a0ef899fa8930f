"""Signing up, signing in, tokens, and the caller's own account: what any caller, or any
authenticated one, may do."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.idempotency import idempotent_create
from common.api.serializers import RequestBodySerializer, read_only_context
from common.api.views import render
from common.auth import jwt_keys
from common.auth.actors import actor_of
from common.versioning import expected_version
from users import selectors, services
from users.models import User
from users.serializers import TokenPairOutputSerializer, UserOutputSerializer
from users.throttling import LoginPerIPThrottle, RegisterPerIPThrottle, login_address

# --- authentication -------------------------------------------------------------------


class RegisterView(APIView):
    """Anyone may sign up; the new account has no permissions until granted."""

    name = _("Register")  # the browsable API's title

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [RegisterPerIPThrottle]

    class InputSerializer(RequestBodySerializer):
        labels_from = User
        username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
        email = serializers.EmailField()
        password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
        first_name = serializers.CharField(
            max_length=150, required=False, default="", allow_blank=True
        )
        last_name = serializers.CharField(
            max_length=150, required=False, default="", allow_blank=True
        )

    serializer_class = InputSerializer  # the browsable API's form

    @idempotent_create
    @extend_schema(request=InputSerializer, responses={201: UserOutputSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        response = render(UserOutputSerializer, user, status.HTTP_201_CREATED)
        response["Location"] = reverse("user-detail", kwargs={"pk": user.pk})
        return response


class TokenView(APIView):
    """Log in: username and password for an access and a refresh token."""

    name = _("Sign in (token)")  # the browsable API's title

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginPerIPThrottle]

    class InputSerializer(RequestBodySerializer):
        labels_from = User
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    serializer_class = InputSerializer

    @extend_schema(
        request=InputSerializer, responses={200: TokenPairOutputSerializer}, tags=["auth"]
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.auth_login(
            **serializer.validated_data,
            ip_address=login_address(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        return Response(TokenPairOutputSerializer(pair).data)


class TokenRefreshView(APIView):
    """Trade a refresh token for a new pair; the presented one cannot be used again."""

    name = _("Refresh token")  # the browsable API's title

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    class InputSerializer(RequestBodySerializer):
        refresh = serializers.CharField()

    serializer_class = InputSerializer

    @extend_schema(
        request=InputSerializer, responses={200: TokenPairOutputSerializer}, tags=["auth"]
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.auth_refresh(**serializer.validated_data)
        return Response(TokenPairOutputSerializer(pair).data)


class LogoutView(APIView):
    """End the login a refresh token belongs to (every token rotated from it)."""

    name = _("Log out")  # the browsable API's title

    permission_classes = [IsAuthenticated]

    class InputSerializer(RequestBodySerializer):
        refresh = serializers.CharField()

    serializer_class = InputSerializer

    @extend_schema(request=InputSerializer, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.auth_logout(actor=actor_of(request.user), **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class JWKSView(APIView):
    """The public keys that verify users_api's tokens (RFC 7517)."""

    name = _("Public keys (JWKS)")  # the browsable API's title

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: inline_serializer(
                "JWKS", {"keys": serializers.ListField(child=serializers.DictField())}
            )
        },
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        public_pem = settings.SIMPLE_JWT["VERIFYING_KEY"]
        return Response({"keys": [jwt_keys.public_jwk(public_pem)]})


# --- the caller's own account ---------------------------------------------------------


class MeView(APIView):
    name = _("My account")  # the browsable API's title
    permission_classes = [IsAuthenticated]

    class InputSerializer(RequestBodySerializer):
        labels_from = User
        email = serializers.EmailField(required=False)
        first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)

    serializer_class = InputSerializer

    @extend_schema(responses={200: UserOutputSerializer}, tags=["me"])
    def get(self, request: Request) -> Response:
        return render(UserOutputSerializer, selectors.user_get(user_id=request.user.id))

    @extend_schema(request=InputSerializer, responses={200: UserOutputSerializer}, tags=["me"])
    def patch(self, request: Request) -> Response:
        serializer = self.InputSerializer(
            data=request.data,
            context=read_only_context(
                UserOutputSerializer, lambda: selectors.user_get(user_id=request.user.id)
            ),
        )
        serializer.is_valid(raise_exception=True)
        user = services.user_profile_update(
            actor=actor_of(request.user),
            expected_version=expected_version(request),
            **serializer.validated_data,
        )
        return render(UserOutputSerializer, user)


class MePasswordView(APIView):
    """Change your password; every login of yours ends, so log in again."""

    name = _("My password")  # the browsable API's title

    permission_classes = [IsAuthenticated]

    class InputSerializer(RequestBodySerializer):
        current_password = serializers.CharField(max_length=128, trim_whitespace=False)
        new_password = serializers.CharField(max_length=128, trim_whitespace=False)

    serializer_class = InputSerializer

    @extend_schema(request=InputSerializer, responses={204: None}, tags=["me"])
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_password_change(actor=actor_of(request.user), **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
