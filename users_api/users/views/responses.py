"""How the views answer with a user or a role: the shared output shape and its ETag,
and the Location of a creation."""

from __future__ import annotations

import uuid

from django.urls import reverse
from rest_framework import status
from rest_framework.response import Response

from common.versioning import with_etag
from users.models import Role, User
from users.serializers import RoleOutputSerializer, UserOutputSerializer


def user_response(user: User, status_code: int = status.HTTP_200_OK) -> Response:
    """``user`` as loaded by a selector or a service (grants included): nothing is read again."""
    return with_etag(Response(UserOutputSerializer(user).data, status=status_code), user.version)


def role_response(role: Role, status_code: int = status.HTTP_200_OK) -> Response:
    """``role`` as loaded by a selector or a service (codes included): nothing is read again."""
    return with_etag(Response(RoleOutputSerializer(role).data, status=status_code), role.version)


def created(response: Response, url_name: str, pk: uuid.UUID) -> Response:
    response["Location"] = reverse(url_name, kwargs={"pk": pk})
    return response
