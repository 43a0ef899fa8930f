"""The admin homes' panels in Chromium asking for pt-BR (issue #38): orders_api opens on
its sales panel, charts drawn as SVG by the server, and products_api on its stock panel;
both fit 1280 px and keep the list of models below. Their screenshots are the READMEs'
(docs/images/back-office-sales-panel.png and back-office-stock-panel.png)."""

from __future__ import annotations

import uuid

import requests
from selenium.webdriver.common.by import By

from e2e.browser import fits_the_width, shot, sign_in, submit, token
from e2e.conftest import ADMIN_PASSWORD, new_cpf
from scripts.harness import wait_until

#: Tall enough for a whole panel in one screenshot; the width stays the usual 1280 px.
PANEL_WINDOW = (1280, 1600)
USUAL_WINDOW = (1280, 860)


def _post(url, admin, body, expected=201):
    response = requests.post(url, headers=admin, json=body, timeout=10)
    assert response.status_code == expected, response.text
    return response.json()


def _panel_shot(browser, name):
    browser.set_window_size(*PANEL_WINDOW)
    try:
        shot(browser, name, readme=name)
    finally:
        browser.set_window_size(*USUAL_WINDOW)


def test_the_sales_and_stock_panels_open_the_admins(
    signed_out, users_api, clients_api, products_api, orders_api
):
    browser = signed_out
    admin = token(users_api, "admin", ADMIN_PASSWORD)
    run = uuid.uuid4().hex[:4].upper()
    client = _post(
        f"{clients_api.url}/api/v1/clients/",
        admin,
        {"kind": "individual", "name": "Maria das Dores Figueiredo", "document": new_cpf()},
    )
    catalogue = [
        ("Café torrado e moído 500 g", "18.90", 200, 10),
        ("Açúcar cristal 1 kg", "5.49", 200, 10),
        ("Farinha de mandioca 1 kg", "8.99", 200, 10),
        ("Óleo de soja 900 ml", "7.85", 4, 12),  # below its minimum
    ]
    products = [
        _post(
            f"{products_api.url}/api/v1/products/",
            admin,
            {
                "sku": f"P{run}-{index}",
                "name": name,
                "price": price,
                "max_quantity": 500,
                "min_quantity": minimum,
                "stock_quantity": stock,
            },
        )
        for index, (name, price, stock, minimum) in enumerate(catalogue)
    ]

    def copied(path):
        return requests.get(f"{orders_api.url}{path}", headers=admin, timeout=10).ok

    for product in products:
        wait_until(
            lambda product=product: copied(f"/api/v1/product-snapshots/{product['id']}/"),
            30,
            "the product copies",
        )
    wait_until(lambda: copied(f"/api/v1/client-snapshots/{client['id']}/"), 30, "the client copy")
    placed = [
        _post(
            f"{orders_api.url}/api/v1/orders/",
            admin,
            {
                "client_id": client["id"],
                "items": [
                    {"product_id": product["id"], "quantity": quantity}
                    for product, quantity in lines
                ],
            },
        )
        for lines in (
            [(products[0], 12), (products[1], 3)],
            [(products[0], 5), (products[2], 7)],
            [(products[1], 2)],
            [(products[2], 1), (products[0], 1)],
        )
    ]
    for order in placed[:2]:
        _post(f"{orders_api.url}/api/v1/orders/{order['id']}/finish", admin, {}, expected=200)

    sign_in(browser, orders_api.url, "admin", ADMIN_PASSWORD)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "pt-br"
    panel = browser.find_element(By.CSS_SELECTOR, "section.panel")
    text = panel.text
    assert "Vendas" in text and "Hoje" in text and "Este mês" in text and "Ticket médio" in text
    assert "R$" in text and "Faturamento por dia, últimos 30 dias" in text
    assert len(panel.find_elements(By.CSS_SELECTOR, "svg.chart")) == 3  # drawn by the server
    assert f"P{run}-0 — Café torrado" in panel.get_attribute("innerHTML")  # the top product
    assert browser.find_elements(By.CSS_SELECTOR, "#content-main th[scope=row] a")  # models
    assert fits_the_width(browser), "the sales panel needs horizontal scrolling at 1280 px"
    _panel_shot(browser, "back-office-sales-panel")
    waiting = f"#{placed[2]['number']}"
    submit(browser, panel.find_element(By.LINK_TEXT, waiting))
    assert browser.current_url == f"{orders_api.url}/admin/orders/order/{placed[2]['id']}/change/"

    sign_in(browser, products_api.url, "admin", ADMIN_PASSWORD)
    panel = browser.find_element(By.CSS_SELECTOR, "section.panel")
    text = panel.text
    assert "Valor do estoque" in text and "Abaixo do mínimo" in text
    assert f"P{run}-3 — Óleo de soja 900 ml" in text
    # The newest movements: the orders' reservations once products_api has answered
    # them (asynchronously), else the products' initial stock before them.
    assert "Últimas movimentações de estoque" in text
    assert "Reserva (retido por um pedido aberto)" in text or "Estoque inicial" in text
    assert browser.find_elements(By.CSS_SELECTOR, "#content-main th[scope=row] a")
    assert fits_the_width(browser), "the stock panel needs horizontal scrolling at 1280 px"
    _panel_shot(browser, "back-office-stock-panel")
    submit(browser, panel.find_element(By.LINK_TEXT, "Todos os produtos abaixo do mínimo"))
    listed = browser.find_element(By.ID, "result_list").text
    assert f"P{run}-3" in listed and f"P{run}-0" not in listed
