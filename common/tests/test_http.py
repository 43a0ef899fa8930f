"""HTTP conventions every service inherits: problems, pagination, ETags, health, limits."""

import json

import pytest
from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.http import HttpResponse

from common.api.errors import flatten_errors
from common.development.testing import access_token
from common.tests.testapp.models import Widget

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_with(api_client):
    def make(*codes, superuser=False):
        token = access_token(permissions=codes, is_superuser=superuser)
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return api_client

    return make


def _assert_problem(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code)
    assert body["title"] and body["detail"]
    return body


def test_validation_errors_name_nested_fields_with_dots(client_with):
    client = client_with("clients.add_client")
    response = client.post(
        "/api/v1/widgets/",
        {"items": [{"name": "ok", "quantity": 1}, {"name": "", "quantity": -1}]},
        format="json",
    )
    body = _assert_problem(response, 400, "validation_error")
    assert set(body["errors"]) == {"items.1.name", "items.1.quantity"}
    assert all(isinstance(messages, list) for messages in body["errors"].values())


def test_missing_fields_and_wrong_types_are_400(client_with):
    client = client_with("clients.add_client")
    body = _assert_problem(
        client.post("/api/v1/widgets/", {}, format="json"), 400, "validation_error"
    )
    assert "items" in body["errors"]
    body = _assert_problem(
        client.post("/api/v1/widgets/", {"items": "many"}, format="json"), 400, "validation_error"
    )
    assert "items" in body["errors"]
    body = _assert_problem(
        client.post(
            "/api/v1/widgets/", {"items": [{"name": "a", "quantity": "lots"}]}, format="json"
        ),
        400,
        "validation_error",
    )
    assert "items.0.quantity" in body["errors"]


def test_malformed_json_is_400(client_with):
    client = client_with("clients.add_client")
    response = client.post("/api/v1/widgets/", '{"items": [', content_type="application/json")
    _assert_problem(response, 400, "parse_error")


def test_wrong_media_type_is_415(client_with):
    client = client_with("clients.add_client")
    response = client.post("/api/v1/widgets/", "items=1", content_type="text/plain")
    _assert_problem(response, 415, "unsupported_media_type")


def test_ten_megabyte_body_is_413_before_parsing(client_with):
    client = client_with("clients.add_client")
    huge = json.dumps({"items": [{"name": "x" * 40, "quantity": 1}] * 200_000})
    assert len(huge) > 10 * 1024 * 1024
    response = client.post("/api/v1/widgets/", huge, content_type="application/json")
    _assert_problem(response, 413, "payload_too_large")
    assert Widget.objects.count() == 0


def test_unknown_ids_and_paths_are_404_problems(client_with):
    client = client_with("clients.view_client")
    _assert_problem(client.get("/api/v1/widgets/999999/"), 404, "not_found")
    _assert_problem(client.get("/api/v1/widgets/not-a-number/"), 404, "not_found")
    _assert_problem(client.get("/api/v1/nowhere"), 404, "not_found")


def test_the_problem_handler_rolls_the_transaction_back(client_with, monkeypatch):
    # With ATOMIC_REQUESTS a view's error is caught inside the request's transaction;
    # only the handler's rollback keeps the row written before it from committing.
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    client = client_with("clients.add_client")
    body = _assert_problem(
        client.post("/api/v1/refuse", {}, format="json"), 409, "refused_after_write"
    )
    assert body["detail"] == "Refused after writing."
    assert not Widget.objects.filter(name="doomed").exists()


def test_an_unexpected_error_is_a_500_problem_without_a_trace(client_with):
    client = client_with("clients.view_client")
    client.raise_request_exception = False
    response = client.get("/api/v1/crash")
    body = _assert_problem(response, 500, "server_error")
    text = response.content.decode()
    assert "secret internals" not in text and "Traceback" not in text
    assert "RuntimeError" not in json.dumps(body)


def test_lists_paginate_with_limit_and_offset(client_with):
    Widget.objects.bulk_create(Widget(name=f"w{i:03}") for i in range(260))
    client = client_with("clients.view_client")
    body = client.get("/api/v1/widgets/").json()
    assert body["count"] == 260
    assert len(body["results"]) == 50
    assert "limit=50" in body["next"] and "offset=50" in body["next"]
    assert body["previous"] is None
    body = client.get("/api/v1/widgets/?limit=1000").json()
    assert len(body["results"]) == 200
    body = client.get("/api/v1/widgets/?limit=5&offset=10&ordering=-name").json()
    assert [w["name"] for w in body["results"]] == ["w249", "w248", "w247", "w246", "w245"]
    body = client.get("/api/v1/widgets/?search=w00").json()
    assert body["count"] == 10


def test_list_query_count_does_not_grow_with_the_page(client_with, django_assert_num_queries):
    Widget.objects.bulk_create(Widget(name=f"w{i:03}") for i in range(120))
    client = client_with("clients.view_client")
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/widgets/?limit=5").json()["results"]) == 5
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/widgets/?limit=100").json()["results"]) == 100


def test_get_returns_the_version_as_etag_and_if_match_guards_writes(client_with):
    widget = Widget.objects.create(name="w")
    client = client_with("clients.view_client", "clients.change_client")
    url = f"/api/v1/widgets/{widget.pk}/"
    response = client.get(url)
    assert response["ETag"] == '"1"'
    assert response.json()["version"] == 1
    changed = client.patch(url, {"quantity": 3}, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200
    assert changed["ETag"] == '"2"'
    stale = client.patch(url, {"quantity": 4}, format="json", HTTP_IF_MATCH='"1"')
    body = _assert_problem(stale, 412, "precondition_failed")
    assert body["current_version"] == 2
    widget.refresh_from_db()
    assert (widget.quantity, widget.version) == (3, 2)
    assert (
        client.patch(url, {"quantity": 5}, format="json", HTTP_IF_MATCH='W/"2"').status_code == 200
    )
    assert client.patch(url, {"quantity": 6}, format="json").status_code == 200
    _assert_problem(
        client.patch(url, {"quantity": 7}, format="json", HTTP_IF_MATCH="soon"),
        412,
        "precondition_failed",
    )


def test_schema_and_docs_are_public_and_work_offline(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "https://" not in html


def test_flatten_errors_handles_deep_structures():
    detail = {
        "items": [{}, {"quantity": ["too small"]}],
        "name": ["blank"],
        "non_field_errors": ["bad"],
    }
    assert flatten_errors(detail) == {
        "items.1.quantity": ["too small"],
        "name": ["blank"],
        "non_field_errors": ["bad"],
    }


def test_options_describes_the_view_without_failing(client_with):
    client = client_with("clients.view_client")
    response = client.options("/api/v1/widgets/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] and "POST" in body["allowed_methods"]
    assert body["schema"] == "/api/schema/"


def test_every_operation_documents_the_problems(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    assert schema["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
        "code",
    ]
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            assert {"400", "401", "403", "404", "409", "412", "422"} <= set(operation["responses"])


def test_a_domain_error_cannot_replace_the_problem_members():
    from common.api.errors import DomainError

    with pytest.raises(ValueError, match="status"):
        DomainError("refused", code="x", extra={"status": "finished"})


def test_a_message_added_by_a_view_is_stored_and_shown_on_the_next_request(rf):
    def add_one(request):
        messages.success(request, "Salvo.")
        return HttpResponse()

    def show(request):
        return HttpResponse(" | ".join(str(message) for message in messages.get_messages(request)))

    def through_the_middleware(view, request):
        request.session = SessionStore()
        return MessageMiddleware(view)(request)

    added = through_the_middleware(add_one, rf.post("/admin/"))
    assert "messages" in added.cookies
    shown_request = rf.get("/admin/")
    shown_request.COOKIES["messages"] = added.cookies["messages"].value
    assert through_the_middleware(show, shown_request).content == b"Salvo."
    assert through_the_middleware(show, rf.get("/admin/")).content == b""
