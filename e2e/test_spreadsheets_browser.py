"""Issue 38 in a real browser (Chromium asking for pt-BR): a clerk imports a file of
products with good and bad rows, reads the preview and the refused rows' report,
confirms, and the products reach orders_api's copies; then exports the list.

Screenshots go to var/test-reports/screenshots/ (e2e.browser).
"""

from __future__ import annotations

import requests
from selenium.webdriver.common.by import By

from e2e.browser import shot, sign_in, submit, token
from e2e.conftest import ADMIN_PASSWORD
from scripts.harness import wait_until

ROWS = (
    "SKU;nome;preço;quantidade em estoque;quantidade mínima;quantidade máxima",
    "PLAN-ARROZ;Arroz da planilha;8,99;10;2;100",
    "PLAN-FEIJAO;Feijão da planilha;12.50;0;0;20",
    "PLAN-SAL;Sal;oito reais;1;0;10",
    "PLAN-ACUCAR;Açúcar;3,00;1;10;5",
)


def test_a_clerk_imports_products_from_a_spreadsheet(
    signed_out, users_api, products_api, orders_api, tmp_path
):
    browser = signed_out
    upload = tmp_path / "produtos.csv"
    upload.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    sign_in(browser, products_api.url, "admin", ADMIN_PASSWORD)

    browser.get(f"{products_api.url}/admin/products/product/")
    # The admin's object tools show their text upper case: found by where they lead.
    link = browser.find_element(By.CSS_SELECTOR, '.object-tools a[href$="/import/"]')
    assert link.text.casefold() == "importar csv/xlsx"
    submit(browser, link)
    assert "quantidade máxima" in browser.find_element(By.ID, "spreadsheet-columns").text
    browser.find_element(By.NAME, "file").send_keys(str(upload))
    submit(browser, browser.find_element(By.CSS_SELECTOR, "input[type=submit]"))

    summary = browser.find_element(By.ID, "import-summary").text
    assert summary == "4 linhas: 2 a criar, 0 a atualizar, 0 sem mudança, 2 recusadas."
    refusals = browser.find_element(By.ID, "import-refusals").text
    assert "4 preço: Digite um número como 1.234,56 ou 8,99." in refusals
    assert "5 quantidade mínima: O mínimo (10) não pode ser maior que o máximo (5)." in refusals
    report = browser.find_element(By.ID, "import-refused-report").get_attribute("href")
    cookies = {cookie["name"]: cookie["value"] for cookie in browser.get_cookies()}
    downloaded = requests.get(report, cookies=cookies, timeout=10)
    assert downloaded.status_code == 200 and "oito" not in downloaded.text
    assert downloaded.content.decode("utf-8-sig").splitlines()[0] == "linha;motivo"
    shot(browser, "spreadsheet-import-preview", readme="back-office-import-preview")

    submit(browser, browser.find_element(By.CSS_SELECTOR, "input[type=submit].default"))
    assert browser.find_element(By.ID, "import-summary").text == (
        "4 linhas: 2 criadas, 0 atualizadas, 0 sem mudança, 2 recusadas."
    )
    shot(browser, "spreadsheet-import-done")

    admin = token(users_api, "admin", ADMIN_PASSWORD)
    found = requests.get(
        f"{products_api.url}/api/v1/products/?search=planilha", headers=admin, timeout=10
    ).json()
    assert sorted(product["sku"] for product in found["results"]) == ["PLAN-ARROZ", "PLAN-FEIJAO"]
    rice = next(product for product in found["results"] if product["sku"] == "PLAN-ARROZ")
    assert (rice["price"], rice["stock_quantity"]) == ("8.99", 10)

    def copied() -> bool:
        copy = requests.get(
            f"{orders_api.url}/api/v1/product-snapshots/{rice['id']}/", headers=admin, timeout=10
        )
        return copy.status_code == 200 and copy.json()["stock_quantity"] == 10

    wait_until(copied, 30, "orders_api's copy of the imported product")

    browser.get(f"{products_api.url}/admin/products/product/?q=planilha")
    export = browser.find_element(
        By.CSS_SELECTOR, '.object-tools a[href$="format=csv"]'
    ).get_attribute("href")
    exported = requests.get(export, cookies=cookies, timeout=10)
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("SKU;nome;descrição;preço")
    assert len(lines) == 3 and any(line.startswith("PLAN-ARROZ;") for line in lines)
