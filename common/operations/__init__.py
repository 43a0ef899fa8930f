"""Running a service: health and readiness checks, Prometheus metrics, structured logging
(also gunicorn's), tracing, the scheduler and its housekeeping jobs, and Django system checks.

It must not import the events package (``common.events``): what a service with events
adds (scrape-time gauges, scheduled jobs) the events app registers here from its
``AppConfig.ready``, and its readiness checks are named in ``READINESS_CHECKS``. Of the
API plumbing it uses only the error answers (``common.api.errors``).
"""
