"""Change events between services (DESIGN §6): outbox, relay, transport, consumer."""
