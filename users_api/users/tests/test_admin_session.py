"""users_api's own admin session lasts ADMIN_SESSION_HOURS, as every other service's
(Django's default is two weeks)."""

import pytest
from django.test import Client

from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("hours", [8, 1])
def test_the_session_cookie_lasts_admin_session_hours(settings, hours):
    settings.ADMIN_SESSION_MAX_AGE = hours * 3600
    root = UserFactory(is_staff=True, is_superuser=True)
    response = Client().post(
        "/admin/login/?next=/admin/", {"username": root.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    # An absolute end: the seconds left when the cookie is written.
    assert (
        hours * 3600 - 5
        <= response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]
        <= hours * 3600
    )


def test_the_default_is_eight_hours(settings):
    assert settings.ADMIN_SESSION_MAX_AGE == 8 * 3600
