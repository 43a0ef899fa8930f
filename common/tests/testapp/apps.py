from django.apps import AppConfig


class TestAppConfig(AppConfig):
    name = "common.tests.testapp"
    label = "testapp"

    def ready(self) -> None:
        from common.tests.testapp import events

        events.register()
