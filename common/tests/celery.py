from common.events.celery import create_app

app = create_app("common_tests", "common.tests.settings")
