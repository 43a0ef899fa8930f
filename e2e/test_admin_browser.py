"""The back office in a real browser: Debian's Chromium, driven by Selenium, signs in to
clients_api's admin with a users_api account and works within that account's codes.

Screenshots of the main screens go to var/test-reports/screenshots/. Without Chromium
these tests are skipped with the reason (`make test` installs it when it can); on CI
(``CI=true``) a missing Chromium fails them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from e2e.conftest import ADMIN_PASSWORD, REPO

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SCREENSHOTS = REPO / "var" / "test-reports" / "screenshots"
# The machine may have no network: without these Chromium stalls on lookups and updates.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,860",
)
PASSWORD = "Caio-Senha-2026"


# Session scope, so that a missing Chromium is found before the services start.
@pytest.fixture(scope="session")
def browser(tmp_path_factory) -> Iterator[webdriver.Chrome]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        message = (
            f"the browser tests need Debian's chromium and chromium-driver ({', '.join(missing)} "
            "missing): apt-get install chromium chromium-driver"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    # An explicit driver path: Selenium Manager must not try to download one.
    driver = webdriver.Chrome(
        service=DriverService(executable_path=str(CHROMEDRIVER)), options=options
    )
    driver.set_page_load_timeout(30)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def _token(users_api, username, password):
    response = requests.post(
        f"{users_api.url}/api/v1/auth/token",
        json={"username": username, "password": password},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access']}"}


def _grant(users_api, admin, user_id, *codes):
    response = requests.put(
        f"{users_api.url}/api/v1/users/{user_id}/permissions",
        headers=admin,
        json={"permissions": list(codes)},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def _left_the_page(button):
    """Whether ``button``'s page is gone. While the next page replaces it, Chromium may
    answer "node does not belong to the document" instead of the stale-element error
    ``expected_conditions.staleness_of`` waits for; both mean the page is gone."""

    def gone(browser):
        try:
            button.is_enabled()
        except WebDriverException:  # StaleElementReferenceException included
            return True
        return False

    return gone


def _submit(browser, button):
    """Clicks and waits for the next page: a click does not wait for the navigation."""
    button.click()
    WebDriverWait(browser, 15).until(_left_the_page(button))
    WebDriverWait(browser, 15).until(
        lambda browser: browser.execute_script("return document.readyState") == "complete"
    )


def _sign_in(browser, url, username, password):
    browser.get(f"{url}/admin/login/?next=/admin/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    _submit(browser, browser.find_element(By.CSS_SELECTOR, "input[type=submit]"))


def _sign_out(browser):
    _submit(browser, browser.find_element(By.CSS_SELECTOR, "#logout-form button"))


def _shot(browser, name):
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def test_a_users_api_account_works_in_clients_api_admin_within_its_codes(
    browser, users_api, clients_api
):
    admin = _token(users_api, "admin", ADMIN_PASSWORD)
    caio = requests.post(
        f"{users_api.url}/api/v1/users/",
        headers=admin,
        json={
            "username": "caio",
            "email": "caio@example.com",
            "password": PASSWORD,
            "first_name": "Caio",
            "is_staff": True,
        },
        timeout=10,
    ).json()
    _grant(users_api, admin, caio["id"], "clients.view_client")
    for name, document in (
        ("Mercadinho Bom Preço", "27.186.500/0001-16"),
        ("Padaria Pão Quente", "33.452.177/0001-88"),
    ):
        created = requests.post(
            f"{clients_api.url}/api/v1/clients/",
            headers=admin,
            json={"kind": "company", "name": name, "document": document, "email": "a@b.com.br"},
            timeout=10,
        )
        assert created.status_code == 201, created.text

    _sign_in(browser, clients_api.url, "caio", "wrong password")
    errors = browser.find_element(By.CSS_SELECTOR, ".errornote").text
    assert "correct username and password for a staff account" in errors
    browser.get(f"{clients_api.url}/admin/login/?next=/admin/")
    assert "Sistema Multi-APIs — clients_api" in browser.find_element(By.ID, "site-name").text
    _shot(browser, "admin-login")

    _sign_in(browser, clients_api.url, "caio", PASSWORD)
    _submit(browser, browser.find_element(By.LINK_TEXT, "Clients"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 2
    assert "Mercadinho Bom Preço" in browser.page_source
    assert not browser.find_elements(By.CSS_SELECTOR, "a.addlink")
    _shot(browser, "admin-client-list")
    browser.get(f"{clients_api.url}/admin/clients/client/add/")
    assert "does not have the permission for this page" in browser.page_source
    _shot(browser, "admin-add-refused")

    # Roles and grants changed in users_api apply at the next sign-in.
    _grant(users_api, admin, caio["id"], "clients.view_client", "clients.add_client")
    browser.get(f"{clients_api.url}/admin/")
    _sign_out(browser)
    _sign_in(browser, clients_api.url, "caio", PASSWORD)
    browser.get(f"{clients_api.url}/admin/clients/client/add/")
    Select(browser.find_element(By.NAME, "kind")).select_by_value("individual")
    browser.find_element(By.NAME, "name").send_keys("Maria das Dores")
    browser.find_element(By.NAME, "document").send_keys("390.533.447-05")
    _shot(browser, "admin-client-add")
    _submit(browser, browser.find_element(By.NAME, "_save"))
    assert "was added successfully" in browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    _shot(browser, "admin-client-added")

    found = requests.get(
        f"{clients_api.url}/api/v1/clients/?search=39053344705",
        headers=_token(users_api, "caio", PASSWORD),
        timeout=10,
    ).json()
    assert [client["name"] for client in found["results"]] == ["Maria das Dores"]
