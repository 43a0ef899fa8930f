"""The OpenAPI schema the docs and clients rely on is complete and valid."""

from django.core.management import call_command


def test_schema_generates_without_warnings():
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", "/dev/null")
