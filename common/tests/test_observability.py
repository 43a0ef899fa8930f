"""What an operator sees (docs/operations.md: "Operating it"): request ids (X-Request-ID),
JSON log lines that name the request or the event, Prometheus metrics and one trace across
services."""

from __future__ import annotations

import io
import json
import logging
import re
import time

import pytest
from django.db import connection, transaction
from django.test import override_settings
from prometheus_client import REGISTRY

from common import logging_setup, metrics, tracing
from common.events import relay
from common.events.consumer import handle_event, process_event
from common.events.models import DeadLetter, OutboxEvent
from common.events.recording import envelope, publications
from common.testing import access_token
from common.tests.testapp.models import Widget

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured_logs():
    """Every log line written meanwhile, as the JSON objects the console handler prints."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging_setup.JsonFormatter())
    handler.addFilter(logging_setup.ContextFilter(service="common_tests", role="api"))
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(previous)


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _widget_envelope(name: str = "w", **extra) -> dict:
    with transaction.atomic():
        widget = Widget.objects.create(name=name, quantity=1)
    publication = next(p for p in publications() if p.model is Widget)
    return {**envelope(publication, widget, "testapp.widget.created"), **extra}


# X-Request-ID -------------------------------------------------------------------------


def test_a_safe_request_id_is_echoed_and_a_missing_one_is_generated(api_client):
    response = api_client.get("/healthz", HTTP_X_REQUEST_ID="client-id:42.a_b/c=")
    assert response["X-Request-ID"] == "client-id:42.a_b/c="
    generated = api_client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert api_client.get("/healthz")["X-Request-ID"] != generated


@pytest.mark.parametrize(
    "unsafe", ["has space", "x" * 129, 'quote"', "new\nline", "é-accent", "semi;colon"]
)
def test_an_unsafe_request_id_is_replaced(api_client, unsafe):
    response = api_client.get("/healthz", HTTP_X_REQUEST_ID=unsafe)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_refused_and_unknown_requests_carry_a_request_id_too(api_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 10
    refused = api_client.post(
        "/api/v1/widgets/", "x" * 50, content_type="application/json", HTTP_X_REQUEST_ID="r-1"
    )
    assert refused.status_code == 413 and refused["X-Request-ID"] == "r-1"
    missing = api_client.get("/no/such/page", HTTP_X_REQUEST_ID="r-2")
    assert missing.status_code == 404 and missing["X-Request-ID"] == "r-2"


def test_every_log_line_of_a_request_names_it(api_client, captured_logs):
    api_client.get("/api/v1/widgets/", HTTP_X_REQUEST_ID="req-logged")  # 401, logged by Django
    lines = [line for line in captured_logs() if line["logger"] == "django.request"]
    assert lines, "Django logs a refused request"
    for line in lines:
        assert line["request_id"] == "req-logged"
        assert line["service"] == "common_tests" and line["role"] == "api"
        assert {"timestamp", "level", "logger", "message"} <= set(line)


def test_log_format_text_writes_readable_lines(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "text")
    config = logging_setup.logging_config("orders_api")
    assert config["formatters"]["default"]["()"].endswith("TextFormatter")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    logging_setup.ContextFilter(service="orders_api", role="worker").filter(record)
    with logging_setup.bind_correlation("req-9", "ev-1", "a.b.created"):
        logging_setup.ContextFilter(service="orders_api", role="worker").filter(record)
    line = logging_setup.TextFormatter().format(record)
    assert "INFO orders_api/worker x: hello" in line
    assert "correlation_id=req-9 event_id=ev-1 event_type=a.b.created" in line
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(Exception, match="LOG_FORMAT"):
        logging_setup.logging_config("orders_api")


def test_the_consumers_log_lines_name_the_event_and_its_correlation_id(captured_logs, settings):
    settings.EVENTS_MAX_ATTEMPTS = 1
    event = _widget_envelope("explode", correlation_id="req-from-clients")
    handle_event.apply(args=[event])
    parked = [line for line in captured_logs() if "parked" in line["message"]]
    assert parked, captured_logs()
    assert parked[0]["correlation_id"] == "req-from-clients"
    assert parked[0]["event_id"] == event["id"]
    assert parked[0]["event_type"] == "testapp.widget.created"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker_url", ["redis"], indirect=True)
def test_the_relays_and_the_consumers_lines_for_an_event_carry_its_correlation_id(
    broker_url, captured_logs, settings
):
    with transaction.atomic():
        Widget.objects.create(name="followed", quantity=1)
    row = OutboxEvent.objects.get(sent_at__isnull=True)
    row.envelope["correlation_id"] = "req-followed"  # what recording writes inside a request
    row.save(update_fields=["envelope"])
    while relay.relay_pending():
        pass
    handle_event.apply(args=[row.envelope])
    lines = [line for line in captured_logs() if line.get("correlation_id") == "req-followed"]
    assert {line["message"].split()[0] for line in lines} >= {"published", "applied"}
    assert all(line["event_id"] == row.envelope["id"] for line in lines)
    assert {line["logger"] for line in lines} >= {"common.events.relay", "common.events.consumer"}


def test_correlation_id_of_new_events_is_the_request_or_the_event_being_handled():
    assert logging_setup.correlation_id() is None
    with logging_setup.bind(request_id="req-1"):
        assert logging_setup.correlation_id() == "req-1"
    with logging_setup.bind_correlation("req-2", "ev", "t"):
        assert logging_setup.correlation_id() == "req-2"


# /metrics -----------------------------------------------------------------------------


def test_metrics_are_served_to_loopback_only(api_client):
    assert api_client.get("/metrics").status_code == 200
    outside = api_client.get("/metrics", REMOTE_ADDR="203.0.113.7")
    assert outside.status_code == 404
    spoofed = api_client.get(
        "/metrics", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="127.0.0.1"
    )
    assert spoofed.status_code == 404
    with override_settings(
        METRICS_ALLOWED_NETWORKS=[__import__("ipaddress").ip_network("203.0.113.0/24")]
    ):
        assert api_client.get("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 200
        assert api_client.get("/metrics").status_code == 404


def test_metrics_answer_scrapes_by_address_whatever_the_host_header(api_client):
    # Prometheus scrapes a pod's IP or a compose service name, which ALLOWED_HOSTS lacks.
    assert api_client.get("/api/v1/widgets/", HTTP_HOST="orders_api:8004").status_code == 400
    scraped = api_client.get("/metrics", HTTP_HOST="orders_api:8004")
    assert scraped.status_code == 200
    assert scraped["Content-Type"].startswith("text/plain")
    assert "http_requests_total" in scraped.content.decode()
    assert api_client.post("/metrics").status_code == 405
    refused = api_client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_HOST="orders_api:8004")
    assert refused.status_code == 404
    assert refused["Content-Type"] == "application/problem+json"


@pytest.fixture
def sidecar_metrics():
    """A relay's, worker's or scheduler's metrics server on a free loopback port; its URL."""
    server = metrics.metrics_server(0, "127.0.0.1")
    yield f"http://127.0.0.1:{server.server_port}/metrics"
    server.shutdown()
    server.server_close()


def test_sidecar_metrics_honour_the_allowed_cidrs(sidecar_metrics, settings):
    import ipaddress
    import urllib.error
    import urllib.request

    metrics.events_published.labels(service="common_tests", type="widgets.probe").inc()
    with urllib.request.urlopen(sidecar_metrics, timeout=5) as answer:  # noqa: S310 - loopback
        assert answer.status == 200
        assert b"events_published_total" in answer.read()
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(sidecar_metrics, timeout=5)  # noqa: S310 - loopback
    assert refused.value.code == 404
    assert b"events_published" not in refused.value.read()


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("203.0.113.7", False),
        ("", False),
        ("not-an-address", False),
    ],
)
def test_the_sidecar_app_answers_by_peer_address(address, allowed):
    answers = []
    app = metrics.metrics_app(REGISTRY)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/metrics",
        "QUERY_STRING": "",
        "REMOTE_ADDR": address,
    }
    body = b"".join(app(environ, lambda status, headers: answers.append(status)))
    assert answers[0].startswith("200" if allowed else "404")
    assert (b"http_requests" in body) is allowed


def test_bad_allowed_cidrs_are_refused_at_start(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from common.settings.environment import metrics_allowed_networks

    monkeypatch.setenv("METRICS_ALLOWED_CIDRS", "10.0.0.0/8,not-a-network")
    with pytest.raises(ImproperlyConfigured, match="METRICS_ALLOWED_CIDRS"):
        metrics_allowed_networks()


def test_requests_are_counted_by_route_template_with_their_queries(
    api_client, django_assert_num_queries
):
    widget = Widget.objects.create(name="counted", quantity=1)
    token = access_token(permissions=["clients.view_client"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    route = "api/v1/widgets/<int:pk>/"
    labels = {"service": "common_tests", "method": "GET", "route": route, "status": "200"}
    before = _sample("http_requests_total", **labels)
    queries_before = _sample("http_request_db_queries_sum", service="common_tests", route=route)
    with django_assert_num_queries(1) as counted:
        assert api_client.get(f"/api/v1/widgets/{widget.pk}/").status_code == 200
    assert _sample("http_requests_total", **labels) == before + 1
    assert _sample(
        "http_request_db_queries_sum", service="common_tests", route=route
    ) == queries_before + len(counted.captured_queries)
    missing = {"service": "common_tests", "method": "GET", "route": route, "status": "404"}
    api_client.get("/api/v1/widgets/999999/")
    assert _sample("http_requests_total", **missing) >= 1
    body = api_client.get("/metrics").content.decode()
    assert 'route="api/v1/widgets/<int:pk>/"' in body
    assert f"/api/v1/widgets/{widget.pk}/" not in body  # never the raw path
    assert "http_request_duration_seconds_bucket" in body


@pytest.mark.django_db(transaction=True)
def test_outbox_backlog_and_dead_letters_are_read_at_scrape_time(api_client, settings):
    event = _widget_envelope("pending")
    DeadLetter.objects.create(
        event_id=event["id"], type=event["type"], envelope=event, error="x", attempts=5
    )
    body = api_client.get("/metrics").content.decode()
    pending = OutboxEvent.objects.filter(sent_at__isnull=True).count()
    assert pending >= 1
    assert f'outbox_pending_events{{service="common_tests"}} {float(pending)}' in body
    assert re.search(r'outbox_oldest_pending_age_seconds\{service="common_tests"\} [0-9.]+', body)
    assert 'dead_letters_waiting{service="common_tests"} 1.0' in body
    assert 'metrics_state_read_ok{read="database",service="common_tests"} 1.0' in body


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL session setting")
def test_the_database_read_runs_under_the_scrape_timeout(monkeypatch):
    seen = []

    def pending_stats() -> dict[str, float]:
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            seen.append(cursor.fetchone()[0])
        return {"pending": 0, "oldest_pending_seconds": 0}

    monkeypatch.setattr(relay, "pending_stats", pending_stats)
    assert metrics._read_database(0.25)["pending"] == 0
    assert seen == ["250ms"]


def test_a_hung_read_makes_the_scrape_incomplete_not_stuck(api_client, settings, monkeypatch):
    settings.METRICS_READ_TIMEOUT = 0.3
    monkeypatch.setattr(metrics, "_read_database", lambda timeout: time.sleep(3))
    monkeypatch.setattr(metrics, "_read_queue_depth", lambda queue, timeout: time.sleep(3))
    started = time.monotonic()
    response = api_client.get("/metrics")
    assert response.status_code == 200
    assert time.monotonic() - started < 1.5
    body = response.content.decode()
    assert 'metrics_state_read_ok{read="database",service="common_tests"} 0.0' in body
    assert 'metrics_state_read_ok{read="broker",service="common_tests"} 0.0' in body
    assert "outbox_pending_events{" not in body


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker_url", ["redis"], indirect=True)
def test_queue_depth_and_published_events_are_counted(broker_url, api_client):
    labels = {"service": "common_tests", "type": "testapp.widget.created"}
    before = _sample("events_published_total", **labels)
    with transaction.atomic():
        for index in range(3):
            Widget.objects.create(name=f"q{index}", quantity=1)
    while relay.relay_pending():
        pass
    assert _sample("events_published_total", **labels) == before + 3
    body = api_client.get("/metrics").content.decode()
    # The depth counts messages: three events of one type travel as one batch.
    assert 'events_queue_depth{queue="common_tests.events",service="common_tests"} 1.0' in body


def test_applied_retried_and_parked_events_are_counted_with_their_lag(settings):
    settings.EVENTS_MAX_ATTEMPTS = 3
    labels = {"service": "common_tests", "type": "testapp.widget.created"}
    applied, lag_count = (
        _sample("events_applied_total", **labels),
        _sample("events_consumer_lag_seconds_count", **labels),
    )
    event = _widget_envelope("fine", occurred_at="2026-01-01T00:00:00Z")
    assert process_event(event)
    assert _sample("events_applied_total", **labels) == applied + 1
    assert _sample("events_consumer_lag_seconds_count", **labels) == lag_count + 1
    # occurred long ago: observed in the top bucket only
    assert _sample("events_consumer_lag_seconds_bucket", **labels, le="3600.0") == _sample(
        "events_consumer_lag_seconds_bucket", **labels, le="0.05"
    )
    retried, parked = (
        _sample("events_retried_total", **labels),
        _sample("events_parked_total", **labels),
    )
    handle_event.apply(args=[_widget_envelope("explode")])
    assert _sample("events_retried_total", **labels) == retried + 2
    assert _sample("events_parked_total", **labels) == parked + 1
    assert _sample("events_applied_total", **labels) == applied + 1  # the failure was not applied


def test_copy_staleness_is_a_gauge_the_sweep_sets():
    metrics.copies_found_stale("product", 4)
    assert _sample("snapshot_copies_stale", service="common_tests", kind="product") == 4
    metrics.copies_found_stale("product", 0)
    assert _sample("snapshot_copies_stale", service="common_tests", kind="product") == 0


# Tracing ------------------------------------------------------------------------------


@pytest.fixture
def traced():
    """Tracing on, spans kept in memory; instrumentation removed afterwards."""
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    assert not tracing._configured
    if not tracing.setup(service="common_tests", exporter=exporter):
        pytest.fail("tracing did not start with an exporter")
    yield exporter
    for instrumentor in (DjangoInstrumentor(), CeleryInstrumentor(), PsycopgInstrumentor()):
        instrumentor.uninstrument()
    tracing._configured = False


def test_nothing_is_traced_without_an_endpoint(monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    assert tracing.setup(service="common_tests") is False
    assert "traceparent" not in _widget_envelope()


@pytest.mark.django_db(transaction=True)
def test_one_trace_spans_the_request_and_the_consumer_that_applied_its_event(traced, settings):
    from rest_framework.test import APIClient

    client = APIClient()  # a new client loads the middleware with the tracing one in it
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {access_token(permissions=['clients.add_client'])}"
    )
    response = client.post(
        "/api/v1/widgets/", {"items": [{"name": "traced", "quantity": 2}]}, format="json"
    )
    assert response.status_code == 201
    event = OutboxEvent.objects.get(type="testapp.widget.created").envelope
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}", event["traceparent"])
    handle_event.apply(args=[event])  # what the other service's worker runs

    spans = traced.get_finished_spans()
    request_span = next(s for s in spans if s.kind.name == "SERVER")
    apply_span = next(s for s in spans if s.name == "apply testapp.widget.created")
    trace_id = request_span.context.trace_id
    assert apply_span.context.trace_id == trace_id
    assert event["traceparent"].split("-")[1] == f"{trace_id:032x}"
    assert apply_span.parent is not None and apply_span.parent.trace_id == trace_id
    assert apply_span.attributes["messaging.message.id"] == event["id"]
