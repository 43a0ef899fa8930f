"""Every HTML page carries a Content-Security-Policy that runs only our own script
files, and our pages need nothing more (issue #35); the browser tests check the same
in Chromium (e2e.browser.csp_violations)."""

import pytest
from django.conf import settings
from django.test import Client as Browser

from common.development.testing import HTML, access_token, inline_scripts

pytestmark = pytest.mark.django_db


def test_the_policy_runs_only_this_services_script_files():
    policy = dict(
        part.strip().split(" ", 1) for part in settings.CONTENT_SECURITY_POLICY.split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in settings.CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/", "/api/v1/widgets/", "/nowhere"])
def test_html_pages_carry_the_policy_and_no_inline_script(path):
    response = Browser().get(path, **HTML)
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert inline_scripts(response.content.decode()) == []


def test_the_admin_and_the_browsable_api_signed_in_run_only_files(admin_signed_in):
    browser = admin_signed_in("clients.view_client", is_superuser=True)
    for path in ["/admin/", "/admin/password_change/"]:
        response = browser.get(path, **HTML)
        assert response.status_code == 200, path
        assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
        assert inline_scripts(response.content.decode()) == []


def test_swagger_uis_start_up_script_is_a_file_of_its_own():
    page = Browser().get("/api/docs/").content.decode()
    assert '<script src="/api/docs/?script="></script>' in page
    script = Browser().get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_json_answers_carry_no_policy(api_client):
    token = access_token(permissions=["clients.view_client"])
    response = api_client.get("/api/v1/widgets/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


def test_inline_scripts_are_found():
    page = '<script>alert(1)</script><a onclick="x()"></a><script src="/s.js"></script>'
    assert len(inline_scripts(page)) == 2
    assert inline_scripts('<script type="application/json" id="d">{}</script>') == []
