"""The typical DRF project of `make bench`: the scenarios' endpoints written the way the
DRF, simplejwt and django-filter documentation teach.

``ModelSerializer`` and ``ModelViewSet`` over the services' own tables (unmanaged
models, one database per service, routed by table name), ``DjangoFilterBackend``,
``SearchFilter`` and ``OrderingFilter``, ``LimitOffsetPagination``, simplejwt's
stateless authentication with the same RS256 key and ``IsAuthenticated``, and the
middleware of ``startproject``. What it does not do, and our services do: record an
event and a status change with each write, check permission codes, negotiate the
language, give the request an id, count metrics. So it is a yardstick of how far
plain DRF gets on the same data, not a system that could replace ours.

Served by gunicorn as ``bench_typical.wsgi:application`` from ``scripts/``, with
``BENCH_<SERVICE>_URL`` naming each service's bench database and ``JWT_PUBLIC_KEY``
the key that verifies the bench's tokens.
"""
