"""Running a service: health and readiness checks, Prometheus metrics, structured logging
(also gunicorn's), tracing, the scheduler and its housekeeping jobs, and Django system checks.

It must not import the events package (``common.events``) or any API module: what a
service with events adds (readiness checks, gauges, scheduled jobs) it registers here from
its own ``AppConfig.ready``, so operations stay usable by any process.
"""
