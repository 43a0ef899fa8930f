"""Issue 33 in a real browser (Chromium asking for pt-BR, as a clerk's does): prices typed
the Brazilian way, and the four admins signed in at once on one host.

Screenshots go to var/test-reports/screenshots/ (e2e.browser).
"""

from __future__ import annotations

import itertools

import pytest
import requests
from selenium.webdriver.common.by import By

from e2e.browser import shot, sign_in, submit, token
from e2e.conftest import ADMIN_PASSWORD

SERVICES = ("users_api", "clients_api", "products_api", "orders_api")


@pytest.fixture
def signed_out(browser, users_api):
    """The session's browser signed out of every admin, before and after the test: the
    services share one host, so clearing its cookies ends every admin's session."""
    browser.get(f"{users_api.url}/healthz")
    browser.delete_all_cookies()
    yield browser
    browser.get(f"{users_api.url}/healthz")
    browser.delete_all_cookies()


def _signed_in_index(browser, service):
    """Whether the page is ``service``'s admin index for a signed-in person."""
    return (
        browser.current_url.endswith("/admin/")
        and f"Sistema Multi-APIs — {service}" in browser.find_element(By.ID, "site-name").text
        and browser.find_elements(By.CSS_SELECTOR, "#logout-form button")
    )


def test_the_four_admins_stay_signed_in_at_once_on_one_host(
    signed_out, users_api, clients_api, products_api, orders_api
):
    browser = signed_out
    admins = dict(zip(SERVICES, (users_api, clients_api, products_api, orders_api), strict=True))
    assert len({service.url.rsplit(":", 1)[0] for service in admins.values()}) == 1  # one host
    for service in admins.values():
        sign_in(browser, service.url, "admin", ADMIN_PASSWORD)
    # Every admin still has its session after signing in to the others ...
    for name, service in admins.items():
        browser.get(f"{service.url}/admin/")
        assert _signed_in_index(browser, name), f"{name}: {browser.current_url}"
    names = {cookie["name"] for cookie in browser.get_cookies()}
    assert {f"{name}_sessionid" for name in SERVICES} <= names
    # ... and the header's links lead from each admin to the others, signed in.
    route = ["users_api", "clients_api", "products_api", "orders_api", "users_api"]
    for here, there in itertools.pairwise(route):
        browser.get(f"{admins[here].url}/admin/")
        submit(browser, browser.find_element(By.LINK_TEXT, f"admin do {there}"))
        assert browser.current_url == f"{admins[there].url}/admin/"
        assert _signed_in_index(browser, there), f"{here} -> {there}: {browser.current_url}"
    shot(browser, "back-office-four-admins-signed-in")


def _add_product(browser, products_api, *, sku, price, initial_stock="0"):
    browser.get(f"{products_api.url}/admin/products/product/add/")
    typed = {"sku": sku, "name": f"Produto {sku}", "max_quantity": "100"}
    for name, value in {**typed, "initial_stock": initial_stock}.items():
        field = browser.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    box = browser.find_element(By.NAME, "price")
    assert box.get_attribute("type") == "text" and box.get_attribute("inputmode") == "decimal"
    box.send_keys(price)
    submit(browser, browser.find_element(By.NAME, "_save"))


def test_a_price_typed_the_brazilian_way_is_stored_as_typed(signed_out, users_api, products_api):
    browser = signed_out
    admin = token(users_api, "admin", ADMIN_PASSWORD)
    sign_in(browser, products_api.url, "admin", ADMIN_PASSWORD)
    typed = (("PRECO-1", "8,99", "8.99", 5), ("PRECO-2", "1.234,56", "1234.56", 0))
    for sku, price, stored, stock in typed:
        _add_product(browser, products_api, sku=sku, price=price, initial_stock=str(stock))
        if stock:
            shot(browser, "admin-product-added-with-stock")
        assert "foi adicionado com sucesso" in browser.find_element(By.ID, "container").text
        found = requests.get(
            f"{products_api.url}/api/v1/products/?search={sku}", headers=admin, timeout=10
        ).json()["results"]
        assert [(product["price"], product["stock_quantity"]) for product in found] == [
            (stored, stock)
        ]
    movements = requests.get(
        f"{products_api.url}/api/v1/products/?search=PRECO-1", headers=admin, timeout=10
    ).json()["results"][0]["id"]
    ledger = requests.get(
        f"{products_api.url}/api/v1/products/{movements}/stock-movements/",
        headers=admin,
        timeout=10,
    ).json()["results"]
    assert [(line["kind"], line["quantity"]) for line in ledger] == [("in", 5)]
    browser.get(f"{products_api.url}/admin/products/product/{found[0]['id']}/change/")
    assert browser.find_element(By.NAME, "price").get_attribute("value") == "1234,56"

    _add_product(browser, products_api, sku="PRECO-3", price="1.234")
    errors = browser.find_element(By.CSS_SELECTOR, ".errorlist").text
    assert "“1.234” pode ser lido de duas formas: digite 1.234,00" in errors
    assert browser.find_element(By.NAME, "price").get_attribute("value") == "1.234"
    shot(browser, "admin-product-price-ambiguous")
    missing = requests.get(
        f"{products_api.url}/api/v1/products/?search=PRECO-3", headers=admin, timeout=10
    ).json()
    assert missing["count"] == 0
