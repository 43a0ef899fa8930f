from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    """Installed by the services that publish or consume events (with the settings of
    common.settings.events); it adds their scheduled jobs and scrape-time gauges to
    what common.operations runs."""

    name = "common.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from common.events import jobs, metrics
        from common.operations import metrics as operations_metrics
        from common.operations import scheduler

        scheduler.register_jobs(jobs.event_jobs)
        operations_metrics.register_scrape_collector(metrics.StateCollector)
