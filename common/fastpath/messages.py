"""Django's message middleware, with a request's message storage built only when used.

Replaces ``django.contrib.messages.middleware.MessageMiddleware``'s request set-up: it
writes Django's private ``request._messages`` as a lazy object and reads that object's
``_wrapped``. Only the admin's and the browsable API's pages show messages, yet
Django's builds a cookie storage, a session storage and a cookie signer for every
request, each API call included. A request that never touches its messages has none to
store, so skipping them loses nothing. Measured gain: docs/performance.md, "The fast
path". Off (:func:`common.fastpath.enabled`), Django's own middleware runs.
"""

from __future__ import annotations

from django.contrib.messages import middleware
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from common import fastpath


class MessageMiddleware(middleware.MessageMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if not fastpath.enabled():
            super().process_request(request)
            return
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response
        return super().process_response(request, response)
