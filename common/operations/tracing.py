"""Tracing with OpenTelemetry: Django, Celery and psycopg instrumented, and one trace per
change across services.

Nothing is traced unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (spans then go
there over OTLP/HTTP; the standard ``OTEL_*`` variables apply) or a test hands
``setup`` an exporter. The trace context travels inside the event: the
envelope recorded during a traced request gets a ``traceparent`` key
(``envelope_context``), and the relay and the consumer open their spans as its
children (``event_span``), so the request, the publication and the effect in
the other service are one trace.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from opentelemetry import propagate, trace

from common.operations.logging_setup import process_role

_TRACE_KEYS = ("traceparent", "tracestate")
_configured = False


def setup(*, service: str, exporter: Any = None) -> bool:
    """Instruments this process and installs the exporter; returns whether tracing is on.

    ``exporter`` (a SpanExporter) is for tests; otherwise spans are exported only
    when OTEL_EXPORTER_OTLP_ENDPOINT is set. Call before Django loads its
    middleware (``AppConfig.ready``). Idempotent.
    """
    global _configured
    if _configured:
        return True
    if exporter is None and not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(OTLPSpanExporter())
    else:
        processor = SimpleSpanProcessor(exporter)
    resource = Resource.create(
        {
            "service.name": os.environ.get("OTEL_SERVICE_NAME", service),
            "process.role": process_role(),
        }
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument()
    CeleryInstrumentor().instrument()
    PsycopgInstrumentor().instrument()
    _configured = True
    return True


def envelope_context() -> dict[str, str]:
    """The current trace context as extra envelope keys; empty when nothing is traced."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {key: value for key, value in carrier.items() if key in _TRACE_KEYS}


@contextlib.contextmanager
def event_span(envelope: dict[str, Any], action: str) -> Iterator[None]:
    """A span for ``action`` (``publish``, ``apply``) on the event, in the trace of the
    request that recorded it."""
    if not _configured:
        yield
        return
    parent = propagate.extract({key: envelope[key] for key in _TRACE_KEYS if key in envelope})
    kind = trace.SpanKind.PRODUCER if action == "publish" else trace.SpanKind.CONSUMER
    attributes = {
        "messaging.system": "celery",
        "messaging.destination.name": "events",
        "messaging.message.id": str(envelope.get("id", "")),
        "event.type": str(envelope.get("type", "")),
    }
    tracer = trace.get_tracer("common.events")
    with tracer.start_as_current_span(
        f"{action} {envelope.get('type', '')}", context=parent, kind=kind, attributes=attributes
    ):
        yield
