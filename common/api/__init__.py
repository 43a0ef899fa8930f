"""HTTP and DRF plumbing every service's API shares: problem+json errors and their codes,
renderers, parsers, content negotiation, pagination, filters, serializer and field helpers,
the base views, middleware, the WSGI entry, the API root and browsable API, metadata, the
OpenAPI schema, idempotency keys, error pages and the shared URLs.

It holds no service's routes, models or business rules, and knows nothing of the events
(``common.events``) or of how the service is run (``common.operations``).
"""
