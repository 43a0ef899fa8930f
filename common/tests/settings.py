"""A throwaway project for testing `common` on its own, with a small model."""

from common.settings import service_defaults

globals().update(
    service_defaults("common_tests", domain_apps=["common.tests.testapp"], jwt_signing=True)
)

ROOT_URLCONF = "common.tests.urls"
WSGI_APPLICATION = None
READINESS_CHECKS = ["common.health.database_check"]
