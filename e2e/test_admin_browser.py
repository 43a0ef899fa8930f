"""The back office in a real browser: Debian's Chromium, driven by Selenium, signs in to
the admins with users_api accounts and works within their codes, in Brazilian Portuguese
(the browser asks for pt-BR, as a clerk's would).

Screenshots of the main screens go to var/test-reports/screenshots/ (e2e.browser).
"""

from __future__ import annotations

import time

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

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
    assert "senha corretos para uma conta de equipe" in errors
    browser.get(f"{clients_api.url}/admin/login/?next=/admin/")
    assert "Sistema Multi-APIs — clients_api" in browser.find_element(By.ID, "site-name").text
    shot(browser, "admin-login", readme="back-office-login")

    sign_in(browser, clients_api.url, "caio", PASSWORD)
    submit(browser, browser.find_element(By.LINK_TEXT, "Clientes"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 2
    assert "Mercadinho Bom Preço" in browser.page_source
    assert not browser.find_elements(By.CSS_SELECTOR, "a.addlink")
    shot(browser, "admin-client-list", readme="back-office-client-list")
    browser.get(f"{clients_api.url}/admin/clients/client/add/")
    assert "não tem permissão para esta página" in browser.page_source
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
    assert (
        "foi adicionado com sucesso" in browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    )
    shot(browser, "admin-client-added")

    found = requests.get(
        f"{clients_api.url}/api/v1/clients/?search=39053344705",
        headers=token(users_api, "caio", PASSWORD),
        timeout=10,
    ).json()
    assert [client["name"] for client in found["results"]] == ["Maria das Dores"]


def _wait(condition, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def _autocomplete(browser, field_name, term, choice):
    """Picks ``choice`` in the admin's select2 autocomplete of the ``field_name`` select."""
    select = browser.find_element(By.NAME, field_name)
    container = select.find_element(
        By.XPATH, "following-sibling::span[contains(@class, 'select2')]"
    )
    container.find_element(By.CSS_SELECTOR, ".select2-selection").click()
    search = WebDriverWait(browser, 10).until(
        lambda browser: browser.find_element(By.CSS_SELECTOR, ".select2-search__field")
    )
    search.send_keys(term)
    option = WebDriverWait(browser, 15).until(
        lambda browser: next(
            (
                item
                for item in browser.find_elements(By.CSS_SELECTOR, ".select2-results__option")
                if choice in item.text
            ),
            None,
        )
    )
    option.click()


def test_a_clerk_places_and_finishes_an_order_in_portuguese_and_stock_goes_down(
    browser, users_api, clients_api, products_api, orders_api
):
    admin = token(users_api, "admin", ADMIN_PASSWORD)
    lia = requests.post(
        f"{users_api.url}/api/v1/users/",
        headers=admin,
        json={
            "username": "lia",
            "email": "lia@example.com",
            "password": PASSWORD,
            "is_staff": True,
        },
        timeout=10,
    ).json()
    _grant(
        users_api,
        admin,
        lia["id"],
        "orders.view_order",
        "orders.add_order",
        "orders.change_order",
        "products.view_product",
        "products.view_stockmovement",
    )
    client = requests.post(
        f"{clients_api.url}/api/v1/clients/",
        headers=admin,
        json={"kind": "individual", "name": "Dona Zefinha", "document": "153.509.460-56"},
        timeout=10,
    ).json()
    requests.post(
        f"{clients_api.url}/api/v1/clients/{client['id']}/addresses/",
        headers=admin,
        json={
            "street": "Rua do Sol",
            "number": "12",
            "district": "Cidade Alta",
            "city": "Natal",
            "state": "RN",
            "postal_code": "59025-000",
        },
        timeout=10,
    ).raise_for_status()
    product = requests.post(
        f"{products_api.url}/api/v1/products/",
        headers=admin,
        json={
            "sku": "TAPIOCA-1KG",
            "name": "Goma de tapioca 1 kg",
            "price": "1234.50",
            "max_quantity": 100,
            "stock_quantity": 10,
        },
        timeout=10,
    ).json()

    def copied(path):
        answer = requests.get(f"{orders_api.url}{path}", headers=admin, timeout=10)
        return answer.status_code == 200 and answer.json().get("addresses", [None]) != []

    _wait(lambda: copied(f"/api/v1/client-snapshots/{client['id']}/"), what="the client copy")
    _wait(lambda: copied(f"/api/v1/product-snapshots/{product['id']}/"), what="the product copy")

    sign_in(browser, orders_api.url, "lia", PASSWORD)
    browser.get(f"{orders_api.url}/admin/orders/order/add/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "pt-br"
    _autocomplete(browser, "client", "Zefinha", "Dona Zefinha")
    _autocomplete(browser, "items-0-product", "tapioca", "TAPIOCA-1KG")
    quantity = browser.find_element(By.NAME, "items-0-quantity")
    quantity.clear()
    quantity.send_keys("3")
    shot(browser, "admin-order-add-pt-br")
    submit(browser, browser.find_element(By.NAME, "_save"))
    page = browser.find_element(By.ID, "container").text
    assert "foi adicionado com sucesso" in page
    assert "Aberto" in page and "3.703,50" in page
    assert "Rua do Sol, 12 — Cidade Alta — Natal/RN — CEP 59025-000" in page
    shot(browser, "admin-order-open-pt-br", readme="back-office-order-pt-br")

    submit(browser, browser.find_element(By.ID, "finish-order"))
    message = browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    assert "agora está Finalizado" in message
    shot(browser, "admin-order-finished-pt-br")

    def stock():
        return requests.get(
            f"{products_api.url}/api/v1/products/{product['id']}/", headers=admin, timeout=10
        ).json()["stock_quantity"]

    _wait(lambda: stock() == 7, what="products_api to take the stock out")
    sign_in(browser, products_api.url, "lia", PASSWORD)
    browser.get(f"{products_api.url}/admin/products/product/?q=TAPIOCA")
    row = browser.find_element(By.CSS_SELECTOR, "#result_list tbody tr").text
    assert "TAPIOCA-1KG" in row and "R$ 1.234,50" in row and " 7 " in f" {row} "
    shot(browser, "admin-products-pt-br", readme="back-office-products-pt-br")
    browser.get(f"{products_api.url}/admin/products/stockmovement/")
    assert "Saída (baixado)" in browser.page_source
