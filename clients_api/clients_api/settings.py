"""clients_api: clients (customers) and their addresses; publishes clients.* events."""

from common.settings import events, service_defaults

globals().update(service_defaults("clients_api", domain_apps=["clients"]))
globals().update(events("clients_api", consumer_queue=None))
