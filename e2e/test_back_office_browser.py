"""Issue 33 in a real browser (Chromium asking for pt-BR, as a clerk's does): prices typed
the Brazilian way, and the four admins signed in at once on one host.

Screenshots go to var/test-reports/screenshots/ (e2e.browser).
"""

from __future__ import annotations

import itertools

import requests
from selenium.webdriver.common.by import By

from e2e.browser import fits_the_width, shot, sign_in, submit, token
from e2e.conftest import ADMIN_PASSWORD, new_cpf

SERVICES = ("users_api", "clients_api", "products_api", "orders_api")


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
    browser.get(f"{clients_api.url}/admin/login/")
    assert fits_the_width(browser), "the pt-BR login header is clipped"
    shot(browser, "admin-login-fits")
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
    # Every list of every admin fits 1280 px in pt-BR, without horizontal scrolling,
    # rows with long names included.
    admin = token(users_api, "admin", ADMIN_PASSWORD)
    for url, body in (
        (
            f"{clients_api.url}/api/v1/clients/",
            {"kind": "individual", "name": "Maria Aparecida dos Santos", "document": new_cpf()},
        ),
        (
            f"{products_api.url}/api/v1/products/",
            {
                "sku": "FARINHA-MANDIOCA-1KG",
                "name": "Farinha de mandioca torrada fina 1 kg",
                "price": "1234.50",
                "max_quantity": 1000,
                "stock_quantity": 120,
            },
        ),
    ):
        assert requests.post(url, headers=admin, json=body, timeout=10).status_code == 201
    for name, service in admins.items():
        browser.get(f"{service.url}/admin/")
        lists = [
            link.get_attribute("href")
            for link in browser.find_elements(By.CSS_SELECTOR, "#content-main th[scope=row] a")
        ]
        assert lists, name
        for url in lists:
            browser.get(url)
            if not fits_the_width(browser):
                shot(browser, f"too-wide-{name}-{url.rstrip('/').rsplit('/', 1)[-1]}")
                raise AssertionError(f"{url} needs horizontal scrolling at 1280 px")


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


def _post_product_form(browser, **values):
    form = browser.find_element(By.CSS_SELECTOR, "#post-object-form form")
    for name, value in values.items():
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    submit(browser, form.find_element(By.CSS_SELECTOR, "button.btn-primary"))


def test_the_browsable_api_form_takes_a_price_typed_the_brazilian_way(
    signed_out, users_api, clients_api, products_api
):
    browser = signed_out
    sign_in(browser, clients_api.url, "admin", ADMIN_PASSWORD, next_path="/api/v1/clients/")
    assert "HTTP 200" in browser.find_element(By.CSS_SELECTOR, ".response-info b").text
    assert browser.find_element(By.ID, "signed-in-as").text == "admin"
    shot(browser, "browsable-client-list-pt-br", readme="browsable-client-list")

    sign_in(browser, products_api.url, "admin", ADMIN_PASSWORD, next_path="/api/v1/products/")
    box = browser.find_element(By.CSS_SELECTOR, "#post-object-form input[name=price]")
    assert box.get_attribute("inputmode") == "decimal"
    _post_product_form(browser, sku="NAV-1", name="Café navegável", price="1.234", max_quantity="9")
    assert "HTTP 400" in browser.find_element(By.CSS_SELECTOR, ".response-info b").text
    form = browser.find_element(By.CSS_SELECTOR, "#post-object-form form").text
    assert "“1.234” pode ser lido de duas formas" in form
    shot(browser, "browsable-product-price-refused", readme="browsable-price-refused")
    _post_product_form(browser, price="1.234,56")
    assert "HTTP 201" in browser.find_element(By.CSS_SELECTOR, ".response-info b").text
    assert '"price": "1234.56"' in browser.find_element(By.CSS_SELECTOR, ".response-info").text
    shot(browser, "browsable-product-price-typed")


def test_the_purchase_suggestion_page_for_a_buyer(signed_out, users_api, products_api):
    """Issue #37: "Sugestão de compra" from the products admin's index, its price filter
    typed the Brazilian way, and the CSV link carrying what the page shows."""
    browser = signed_out
    admin = token(users_api, "admin", ADMIN_PASSWORD)
    body = {
        "sku": "FEIJAO-CARIOCA-1KG",
        "name": "Feijão carioca tipo 1 pacote de 1 kg",
        "price": "98765.43",  # above any price the other tests of this file type
        "min_quantity": 10,
        "max_quantity": 1000,
        "stock_quantity": 3,
    }
    created = requests.post(
        f"{products_api.url}/api/v1/products/", headers=admin, json=body, timeout=10
    )
    assert created.status_code == 201, created.text
    sign_in(browser, products_api.url, "admin", ADMIN_PASSWORD)
    submit(browser, browser.find_element(By.LINK_TEXT, "Sugestão de compra"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Sugestão de compra"
    browser.find_element(By.NAME, "min_price").send_keys("98.765,43")
    submit(browser, browser.find_element(By.XPATH, "//button[text()='Filtrar por preço']"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    cells = [[cell.text for cell in row.find_elements(By.CSS_SELECTOR, "td")] for row in rows]
    assert cells == [
        [
            "FEIJAO-CARIOCA-1KG",
            "Feijão carioca tipo 1 pacote de 1 kg",
            "3",
            "0",
            "3",
            "10",
            "1000",
            "997",
            "R$ 98.765,43",
        ]
    ]
    export = browser.find_element(By.ID, "export-csv").get_attribute("href")
    assert "min_price=98.765%2C43" in export
    shot(browser, "admin-purchase-suggestion")
    assert fits_the_width(browser)
