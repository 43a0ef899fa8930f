"""clients_api's refusals. It has no problem codes of its own: a wrong field is a
``validation_error`` (400, the field named) and an unknown client or address is
``not_found`` (404), both ``common.errors.ErrorCode``'s; the errors below carry
clients_api's own texts for those codes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from common.errors import NotFound


class AddressNotFound(NotFound):
    """404: the client has no address with this id (none at all, or another client's)."""

    def __init__(self) -> None:
        super().__init__(_("This client has no address with this id."))
