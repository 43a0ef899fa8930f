"""products_api: products, stock (current, minimum, maximum) and its ledger; publishes
products.* events and takes finished orders' items out of stock (orders.* events)."""

from common.settings import events, service_defaults

globals().update(service_defaults("products_api", domain_apps=["products"]))
globals().update(events("products_api", consumer_queue="products_api.events"))
