"""The detail endpoint every service's resources share.

A detail view mixes in the methods it has (one it lacks answers 405) and fills
the hooks: ``output_serializer_class`` renders, ``serializer_class`` (DRF's own
attribute, also the browsable API's form) validates a write, ``fetch`` is the
selector, ``update`` and ``destroy`` call the services. It renders the instance
the hook returned, with its ``version`` as ETag; nothing is read back. Writes
pass the version ``If-Match`` names to the service (``common.versioning``),
which compares it under the row lock.

    class ClientDetailView(RetrieveMixin, UpdateMixin, DestroyMixin):
        output_serializer_class = ClientOutputSerializer
        serializer_class = ClientUpdateSerializer

        def fetch(self, *, pk):
            return selectors.client_get(client_id=pk)
        ...
"""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from common.api.schema import AutoSchema
from common.api.serializers import read_only_context
from common.auth.actors import Actor, actor_of
from common.fastpath import projection
from common.versioning import expected_version, with_etag


class _DetailSchema(AutoSchema):
    """Documents ``output_serializer_class`` as the response of every method with a body."""

    def get_response_serializers(self) -> Any:
        return self.view.output_serializer_class


def render(
    serializer_class: type[BaseSerializer], instance: Any, status_code: int = status.HTTP_200_OK
) -> Response:
    """``instance`` (a versioned resource) serialized, with its version as ETag."""
    return with_etag(
        Response(projection.render(serializer_class, instance), status=status_code),
        instance.version,
    )


# The base of the mixins below; a view subclasses those, not this. (No docstrings on the
# classes or handlers here: the OpenAPI schema shows them as every endpoint's description.)
class DetailView(GenericAPIView):
    schema = _DetailSchema()
    output_serializer_class: type[BaseSerializer]

    def render(self, instance: Any, status_code: int = status.HTTP_200_OK) -> Response:
        return render(self.output_serializer_class, instance, status_code)

    def fetch(self, **kwargs: Any) -> Any:
        """The selector: the instance the URL names, ready to render (related rows
        prefetched). Raises common.api.errors.NotFound."""
        raise NotImplementedError

    def get_serializer_context(self) -> dict[str, Any]:
        # A write takes back what a GET shows (a GET body PUT back) when unchanged: the
        # instance is read only for a body that has such a field.
        return {
            **super().get_serializer_context(),
            **read_only_context(self.output_serializer_class, lambda: self.fetch(**self.kwargs)),
        }


class RetrieveMixin(DetailView):
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.render(self.fetch(**kwargs))


class PatchMixin(DetailView):
    #: PATCH validates partially (DRF's ``partial``) when the view also has PUT; alone, it
    #: validates the input as declared, so a field the change needs stays required.
    partial_patch = False

    def update(
        self, *, actor: Actor, expected_version: int | None, data: dict[str, Any], **kwargs: Any
    ) -> Any:
        """The service: applies ``data`` (validated) to the instance the URL names and
        returns it, ready to render."""
        raise NotImplementedError

    def patch(self, request: Request, **kwargs: Any) -> Response:
        return self.write(request, partial=self.partial_patch, **kwargs)

    def write(self, request: Request, *, partial: bool, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        instance = self.update(
            actor=actor_of(request.user),
            expected_version=expected_version(request),
            data=serializer.validated_data,
            **kwargs,
        )
        return self.render(instance)


class UpdateMixin(PatchMixin):
    partial_patch = True

    def put(self, request: Request, **kwargs: Any) -> Response:
        return self.write(request, partial=False, **kwargs)


class DestroyMixin(DetailView):
    def destroy(self, *, actor: Actor, expected_version: int | None, **kwargs: Any) -> None:
        """The service: deletes (or deactivates) the instance the URL names."""
        raise NotImplementedError

    def delete(self, request: Request, **kwargs: Any) -> Response:
        self.destroy(
            actor=actor_of(request.user), expected_version=expected_version(request), **kwargs
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
