"""What two or more of the four services share, one subpackage per concern:

- ``api``: HTTP and DRF plumbing (problem+json errors and their codes, renderers, parsers,
  pagination, filters, serializers, views, middleware, WSGI, schema, idempotency).
- ``auth``: JWT authentication, permission checks, the admin's sign-in through users_api,
  actors and revocations.
- ``events``: the events app (outbox, relay, transport, consumer, inbox, topology,
  convergence); its own Django app, label ``events``.
- ``operations``: health and readiness, metrics, logging, tracing, the scheduler and its
  housekeeping, system checks.
- ``admin``: the shared admin site and base ``ModelAdmin`` classes.
- ``localization``: Brazilian formats, decimals typed with a comma, format modules per
  language, accent-free search.
- ``development``: development files, the embedded broker, free ports, test tools.
- ``service_layer``: the skeleton of every service's ``services.py`` and ``selectors.py``.
- ``settings``: the settings every service's settings module builds on.

At the top beside them: ``versioning`` (the models' versions, optimistic locking and
ETags), ``projection`` (serializers compiled into getters) and ``postgresql`` (the
database backend). The rest is the Django app ``common`` by convention:
``apps.py``, ``models.py`` and ``migrations`` (the shared tables), ``management``,
``templatetags``, ``templates``, ``static`` and ``locale``.

Knowledge of one service lives in that service, not here; the event topology is the
exception (docs/adr/draft-topology-stays-in-common.md).
"""
