"""The browsable API in a real browser (Debian's Chromium, Selenium): a person signs in
to each service's admin, opens every list endpoint of that service, submits a form that
creates something and one that is refused with its field error shown.

Screenshots for the READMEs go to var/test-reports/screenshots/browsable-*.png.
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from e2e.browser import csp_violations, shot, sign_in, sign_out, submit, token
from e2e.conftest import ADMIN_PASSWORD


@pytest.fixture
def browser(english_browser):
    """These tests read DRF's and our source messages: the browser asks for English."""
    return english_browser


def _created(url, headers, body):
    response = requests.post(url, headers=headers, json=body, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def _copied(url, headers, timeout=30):
    """orders_api's copy at ``url`` once the event has brought it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = requests.get(url, headers=headers, timeout=10)
        if response.status_code == 200:
            return response.json()
        time.sleep(0.2)
    raise AssertionError(f"{url} was not copied in {timeout} s: {response.text}")


@pytest.fixture(scope="module")
def seeded(users_api, clients_api, products_api, orders_api):
    """One client with an address, one product and one order, made over the API."""
    admin = token(users_api, "admin", ADMIN_PASSWORD)
    client = _created(
        f"{clients_api.url}/api/v1/clients/",
        admin,
        {"kind": "company", "name": "Armazém Boa Vista", "document": "45.997.418/0001-53"},
    )
    _created(
        f"{clients_api.url}/api/v1/clients/{client['id']}/addresses/",
        admin,
        {
            "street": "Rua das Flores",
            "number": "12",
            "district": "Centro",
            "city": "Recife",
            "state": "PE",
            "postal_code": "50010-000",
        },
    )
    product = _created(
        f"{products_api.url}/api/v1/products/",
        admin,
        {
            "sku": "FAR-1KG",
            "name": "Farinha de Mandioca 1 kg",
            "price": "8.90",
            "max_quantity": 500,
            "stock_quantity": 40,
        },
    )
    _copied(f"{orders_api.url}/api/v1/client-snapshots/{client['id']}/", admin)
    _copied(f"{orders_api.url}/api/v1/product-snapshots/{product['id']}/", admin)
    order = _created(
        f"{orders_api.url}/api/v1/orders/",
        admin,
        {"client_id": client["id"], "items": [{"product_id": product["id"], "quantity": 2}]},
    )
    return SimpleNamespace(client=client, product=product, order=order)


def _status(browser):
    """The status line the browsable API shows for the page's response."""
    return browser.find_element(By.CSS_SELECTOR, ".response-info b").text


def _opens(browser, url, *expected):
    """Opens a list page: 200 (nothing in 5xx) and the expected results on it."""
    browser.get(url)
    assert _status(browser) == "HTTP 200 OK", browser.page_source[-3000:]
    results = browser.find_element(By.CSS_SELECTOR, ".response-info").text
    assert '"results": [' in results
    for text in expected:
        assert text in results, results
    assert browser.find_element(By.ID, "signed-in-as").text == "admin"


def _html_form(browser):
    return browser.find_element(By.CSS_SELECTOR, "#post-object-form form")


def _fill(form, **values):
    for name, value in values.items():
        field = form.find_element(By.NAME, name)
        if field.tag_name == "select":
            Select(field).select_by_value(value)
        else:
            field.clear()
            field.send_keys(value)


def _post_html_form(browser, **values):
    form = _html_form(browser)
    _fill(form, **values)
    submit(browser, form.find_element(By.CSS_SELECTOR, "button.btn-primary"))


def _post_raw(browser, body):
    browser.find_element(
        By.CSS_SELECTOR, "a[name=raw-tab][href='#post-generic-content-form']"
    ).click()
    form = browser.find_element(By.CSS_SELECTOR, "#post-generic-content-form form")
    content = form.find_element(By.NAME, "_content")
    content.clear()
    content.send_keys(json.dumps(body, indent=2, ensure_ascii=False))
    browser.execute_script("arguments[0].scrollIntoView()", form)
    return form


def _problem(browser):
    """The refused submission's problem as the page shows it: title and field errors."""
    panel = browser.find_element(By.CSS_SELECTOR, ".problem")
    errors = {
        term.text: term.find_element(By.XPATH, "following-sibling::dd[1]").text
        for term in panel.find_elements(By.CSS_SELECTOR, ".problem-errors dt")
    }
    return panel.find_element(By.CSS_SELECTOR, ".problem-title").text, errors


def test_users_api(browser, users_api):
    sign_in(browser, users_api.url, "admin", ADMIN_PASSWORD, next_path="/api/v1/roles/")
    _opens(browser, f"{users_api.url}/api/v1/users/", '"username": "admin"')
    _opens(browser, f"{users_api.url}/api/v1/permissions/", "clients.view_client")
    _opens(browser, f"{users_api.url}/api/v1/roles/")
    _post_html_form(browser, name="Estoquista", description="Entradas e saídas de estoque")
    assert _status(browser) == "HTTP 201 Created"
    _opens(browser, f"{users_api.url}/api/v1/roles/", '"name": "Estoquista"')
    _post_html_form(browser, name="")
    assert _status(browser) == "HTTP 400 Bad Request"
    assert _problem(browser) == ("400 Bad Request", {"name": "This field may not be blank."})


def test_clients_api(browser, users_api, clients_api, seeded):
    url = clients_api.url
    # Signing out and in from the browsable API's header, through the admin's sign-in.
    browser.get(f"{url}/api/v1/clients/")
    if browser.find_elements(By.ID, "signed-in-as"):
        sign_out(browser)
    assert _status(browser) == "HTTP 401 Unauthorized"
    shot(browser, "browsable-sign-in-needed")
    submit(browser, browser.find_element(By.ID, "login-link"))
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(ADMIN_PASSWORD)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "input[type=submit]"))
    assert browser.current_url == f"{url}/api/v1/clients/"

    _opens(browser, f"{url}/api/v1/clients/", "Armazém Boa Vista")
    _opens(browser, f"{url}/api/v1/clients/{seeded.client['id']}/addresses/", "Recife")
    _opens(browser, f"{url}/api/v1/clients/?search=Armaz", "Armazém Boa Vista")
    shot(browser, "browsable-client-list")

    browser.get(f"{url}/api/v1/clients/")
    _post_html_form(browser, kind="individual", name="Dona Benta", document="111.444.777-3")
    assert _status(browser) == "HTTP 400 Bad Request"
    title, errors = _problem(browser)
    assert title == "400 Bad Request"
    assert list(errors) == ["document"]
    assert _html_form(browser).find_element(By.NAME, "name").get_attribute("value") == "Dona Benta"
    shot(browser, "browsable-client-refused")
    _post_html_form(browser, kind="individual", name="Dona Benta", document="111.444.777-35")
    assert _status(browser) == "HTTP 201 Created"
    assert (
        '"document": "11144477735"' in browser.find_element(By.CSS_SELECTOR, ".response-info").text
    )


def test_products_api(browser, products_api, seeded):
    url = products_api.url
    sign_in(browser, url, "admin", ADMIN_PASSWORD)
    _opens(browser, f"{url}/api/v1/products/", "Farinha de Mandioca 1 kg")
    _opens(
        browser, f"{url}/api/v1/products/{seeded.product['id']}/stock-movements/", '"quantity": 40'
    )
    browser.get(f"{url}/api/v1/products/")
    _post_html_form(browser, sku="feij-1kg", name="Feijão Carioca 1 kg", max_quantity="300")
    assert _status(browser) == "HTTP 400 Bad Request"
    assert _problem(browser)[1] == {"price": "A valid number is required."}
    _post_html_form(browser, price="7.49", stock_quantity="25")
    assert _status(browser) == "HTTP 201 Created"
    shown = browser.find_element(By.CSS_SELECTOR, ".response-info").text
    assert '"sku": "FEIJ-1KG"' in shown and '"is_active": true' in shown
    assert '"stock_quantity": 25' in shown


def test_orders_api(browser, orders_api, seeded):
    url = orders_api.url
    sign_in(browser, url, "admin", ADMIN_PASSWORD)
    _opens(browser, f"{url}/api/v1/orders/", f'"number": {seeded.order["number"]}')
    _opens(browser, f"{url}/api/v1/client-snapshots/", "Armazém Boa Vista")
    _opens(browser, f"{url}/api/v1/product-snapshots/", "Farinha de Mandioca 1 kg")
    browser.get(f"{url}/api/v1/orders/")
    order = {
        "client_id": seeded.client["id"],
        "items": [{"product_id": seeded.product["id"], "quantity": 0}],
        "notes": "Entregar pela manhã",
    }
    form = _post_raw(browser, order)
    submit(browser, form.find_element(By.CSS_SELECTOR, "button.btn-primary"))
    assert _status(browser) == "HTTP 400 Bad Request"
    assert _problem(browser)[1] == {
        "items.0.quantity": "Ensure this value is greater than or equal to 1."
    }
    order["items"][0]["quantity"] = 3
    browser.get(f"{url}/api/v1/orders/")
    form = _post_raw(browser, order)
    shot(browser, "browsable-order-raw-data", readme="browsable-order-raw-data")
    submit(browser, form.find_element(By.CSS_SELECTOR, "button.btn-primary"))
    assert _status(browser) == "HTTP 201 Created"
    shown = browser.find_element(By.CSS_SELECTOR, ".response-info").text
    assert '"total": "26.70"' in shown and '"client_name": "Armazém Boa Vista"' in shown
    shot(browser, "browsable-order-created")


def test_swagger_ui_runs_under_the_content_security_policy(browser, users_api):
    browser.get(f"{users_api.url}/api/docs/")
    WebDriverWait(browser, 30).until(
        lambda browser: browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    )
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert "/api/v1/users/" in paths
    assert csp_violations(browser) == []
    # The console is where refusals show: an image from elsewhere is one.
    browser.execute_script(
        "const image = document.createElement('img');"
        "image.src = 'http://images.example.invalid/x.png';"
        "document.body.appendChild(image);"
    )
    WebDriverWait(browser, 10).until(csp_violations)
