"""A throwaway project for testing `common` on its own, with small models."""

from common.settings import events, service_defaults

globals().update(
    service_defaults("common_tests", domain_apps=["common.tests.testapp"], jwt_signing=True)
)
globals().update(events("common_tests", consumer_queue="common_tests.events"))

ROOT_URLCONF = "common.tests.urls"
WSGI_APPLICATION = None
EVENTS_TOPOLOGY = {"common_tests.events": ("testapp.#",)}
