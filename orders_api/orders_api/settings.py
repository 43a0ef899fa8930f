"""orders_api: orders, items and their lifecycle, on local copies of clients and products
kept from their events; publishes orders.* events."""

from common.settings import events, service_defaults

globals().update(service_defaults("orders_api", domain_apps=["orders"]))
globals().update(events("orders_api", consumer_queue="orders_api.events"))
