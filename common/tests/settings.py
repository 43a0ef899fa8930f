"""A throwaway project for testing `common` on its own, with small models."""

from common.settings import events, service_defaults, var_dir

globals().update(
    service_defaults("common_tests", domain_apps=["common.tests.testapp"], jwt_signing=True)
)
globals().update(events("common_tests", consumer_queue="common_tests.events"))

ROOT_URLCONF = "common.tests.urls"
WSGI_APPLICATION = None
EVENTS_TOPOLOGY = {"common_tests.events": ("testapp.#",)}

# Worker processes started by the tests must open the test database itself, so on
# SQLite it is a file rather than pytest-django's in-memory default.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F821 - from service_defaults
    DATABASES["default"]["TEST"] = {  # noqa: F821
        "NAME": str(var_dir() / "common_tests" / "test.sqlite3")
    }
