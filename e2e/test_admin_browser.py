"""The back office in a real browser: Debian's Chromium, driven by Selenium, signs in to
clients_api's admin with a users_api account and works within that account's codes.

Screenshots of the main screens go to var/test-reports/screenshots/ (e2e.browser).
"""

from __future__ import annotations

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from e2e.browser import shot, sign_in, sign_out, submit, token
from e2e.conftest import ADMIN_PASSWORD

PASSWORD = "Caio-Senha-2026"


def _grant(users_api, admin, user_id, *codes):
    response = requests.put(
        f"{users_api.url}/api/v1/users/{user_id}/permissions",
        headers=admin,
        json={"permissions": list(codes)},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_a_users_api_account_works_in_clients_api_admin_within_its_codes(
    browser, users_api, clients_api
):
    admin = token(users_api, "admin", ADMIN_PASSWORD)
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

    sign_in(browser, clients_api.url, "caio", "wrong password")
    errors = browser.find_element(By.CSS_SELECTOR, ".errornote").text
    assert "correct username and password for a staff account" in errors
    browser.get(f"{clients_api.url}/admin/login/?next=/admin/")
    assert "Sistema Multi-APIs — clients_api" in browser.find_element(By.ID, "site-name").text
    shot(browser, "admin-login")

    sign_in(browser, clients_api.url, "caio", PASSWORD)
    submit(browser, browser.find_element(By.LINK_TEXT, "Clients"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 2
    assert "Mercadinho Bom Preço" in browser.page_source
    assert not browser.find_elements(By.CSS_SELECTOR, "a.addlink")
    shot(browser, "admin-client-list")
    browser.get(f"{clients_api.url}/admin/clients/client/add/")
    assert "does not have the permission for this page" in browser.page_source
    shot(browser, "admin-add-refused")

    # Roles and grants changed in users_api apply at the next sign-in.
    _grant(users_api, admin, caio["id"], "clients.view_client", "clients.add_client")
    browser.get(f"{clients_api.url}/admin/")
    sign_out(browser)
    sign_in(browser, clients_api.url, "caio", PASSWORD)
    browser.get(f"{clients_api.url}/admin/clients/client/add/")
    Select(browser.find_element(By.NAME, "kind")).select_by_value("individual")
    browser.find_element(By.NAME, "name").send_keys("Maria das Dores")
    browser.find_element(By.NAME, "document").send_keys("390.533.447-05")
    shot(browser, "admin-client-add")
    submit(browser, browser.find_element(By.NAME, "_save"))
    assert "was added successfully" in browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    shot(browser, "admin-client-added")

    found = requests.get(
        f"{clients_api.url}/api/v1/clients/?search=39053344705",
        headers=token(users_api, "caio", PASSWORD),
        timeout=10,
    ).json()
    assert [client["name"] for client in found["results"]] == ["Maria das Dores"]
