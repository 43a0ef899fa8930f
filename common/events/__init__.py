"""Change events between services (docs/events.md): outbox, relay, transport, consumer."""
