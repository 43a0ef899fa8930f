"""common.api.wsgi.ChunkedBodies: a chunked request body reaches Django as sent, within the
size limit, through Django's own WSGI handler."""

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler

from common.api.wsgi import ChunkedBodies
from common.development.testing import access_token
from common.tests.testapp.models import Widget

pytestmark = pytest.mark.django_db(transaction=True)


class CountingInput(io.BytesIO):
    """A server's decoded ``wsgi.input``, counting what the application read of it."""

    def __init__(self, body: bytes) -> None:
        super().__init__(body)
        self.taken = 0

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        self.taken += len(data)
        return data


def call(body: bytes, *, terminated: bool = True, **environ) -> tuple[str, dict, CountingInput]:
    """POSTs ``body`` chunked (no Content-Length) to the test project's widgets."""
    stream = CountingInput(body)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/widgets/",
        "CONTENT_TYPE": "application/json",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "HTTP_AUTHORIZATION": f"Bearer {access_token(is_superuser=True)}",
        "HTTP_ACCEPT": "application/json",
        "wsgi.input": stream,
        **({"wsgi.input_terminated": True} if terminated else {}),
        **environ,
    }
    setup_testing_defaults(environ)
    answer = {}
    chunks = ChunkedBodies(WSGIHandler())(
        environ, lambda status, headers, exc_info=None: answer.update(status=status)
    )
    content = b"".join(chunks)
    chunks.close()
    return answer["status"], json.loads(content), stream


def test_a_chunked_body_is_read_as_sent():
    body = json.dumps({"items": [{"name": "chunked", "quantity": 3}]}).encode()
    status, content, _ = call(body)
    assert status.startswith("201"), content
    assert [(w.name, w.quantity) for w in Widget.objects.all()] == [("chunked", 3)]


def test_a_chunked_body_over_the_limit_is_413_and_read_only_past_the_limit(settings):
    settings.MAX_REQUEST_BODY_BYTES = 100
    body = json.dumps({"items": [{"name": "x" * 40, "quantity": 1}] * 50}).encode()
    status, content, stream = call(body)
    assert status.startswith("413")
    assert (content["code"], content["detail"]) == (
        "payload_too_large",
        "The request body is over the limit of 100 bytes.",
    )
    assert stream.taken == 101
    assert not Widget.objects.exists()


def test_a_chunked_body_at_the_limit_is_taken(settings):
    body = json.dumps({"items": [{"name": "x", "quantity": 1}]}).encode()
    settings.MAX_REQUEST_BODY_BYTES = len(body)
    status, content, _ = call(body)
    assert status.startswith("201"), content


def test_a_chunked_body_the_server_did_not_terminate_is_411_not_empty():
    body = json.dumps({"items": [{"name": "x", "quantity": 1}]}).encode()
    status, content, stream = call(body, terminated=False)
    assert status.startswith("411")
    assert content["code"] == "length_required"
    assert stream.taken == 0
    assert not Widget.objects.exists()


def test_a_body_with_a_content_length_is_left_to_django():
    body = json.dumps({"items": [{"name": "x", "quantity": 1}]}).encode()
    status, content, _ = call(body, HTTP_TRANSFER_ENCODING="", CONTENT_LENGTH=str(len(body)))
    assert status.startswith("201"), content
