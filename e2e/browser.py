"""Debian's Chromium driven by Selenium, for the browser tests (``browser`` fixture in
conftest.py), and the steps they share: sign in, submit, screenshot.

Screenshots go to var/test-reports/screenshots/ (the READMEs' pictures to docs/images/).
Without Chromium the browser tests are skipped with the reason (`make test` installs it
when it can); on CI (``CI=true``) a missing Chromium fails them.
"""

from __future__ import annotations

import os
from pathlib import Path

import requests
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from common.development.testing import unavailable

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "test-reports" / "screenshots"
README_IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
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


def start_chromium(profile: Path, *, language: str = "pt-BR") -> webdriver.Chrome:
    """Chromium with its own profile in ``profile``, asking pages for ``language``
    (a Brazilian clerk's pt-BR unless told); skips (fails on CI) without it."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        unavailable(
            f"the browser tests need Debian's chromium and chromium-driver ({', '.join(missing)} "
            "missing): apt-get install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--lang={language}")
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    # The console, where Chromium reports what the Content-Security-Policy refused.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager must not try to download one.
    driver = webdriver.Chrome(
        service=DriverService(executable_path=str(CHROMEDRIVER)), options=options
    )
    driver.set_page_load_timeout(30)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return driver


def token(users_api, username, password):
    """The Authorization header of a fresh access token for this account."""
    response = requests.post(
        f"{users_api.url}/api/v1/auth/token",
        json={"username": username, "password": password},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access']}"}


def left_the_page(element):
    """Whether ``element``'s page is gone. While the next page replaces it, Chromium may
    answer "node does not belong to the document" instead of the stale-element error
    ``expected_conditions.staleness_of`` waits for; both mean the page is gone."""

    def gone(browser):
        try:
            element.is_enabled()
        except WebDriverException:  # StaleElementReferenceException included
            return True
        return False

    return gone


def submit(browser, button):
    """Clicks and waits for the next page: a click does not wait for the navigation."""
    button.click()
    WebDriverWait(browser, 15).until(left_the_page(button))
    WebDriverWait(browser, 15).until(
        lambda browser: browser.execute_script("return document.readyState") == "complete"
    )


def sign_in(browser, url, username, password, next_path="/admin/"):
    browser.get(f"{url}/admin/login/?next={next_path}")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "input[type=submit]"))


def sign_out(browser):
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#logout-form button"))


def csp_violations(browser):
    """What the Content-Security-Policy refused since the last call, as Chromium's console
    says it ("Refused to execute inline script because it violates the following Content
    Security Policy directive ..."); reading empties the console's buffer."""
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]


def fits_the_width(browser):
    """Whether the page needs no horizontal scrolling (the window is 1280 px wide): the
    page, the header's branding and, on a list, its results table."""
    return browser.execute_script(
        "const fits = (e) => !e || e.scrollWidth <= e.clientWidth;"
        "return fits(document.documentElement)"
        " && document.getElementById('branding').scrollWidth"
        " <= document.getElementById('header').clientWidth"
        " && fits(document.querySelector('#changelist-form .results'))"
    )


def shot(browser, name, *, readme=None):
    """A screenshot in SCREENSHOTS; with ``readme``, also the READMEs' picture of that name
    in docs/images/ (the pictures are retaken by the tests that show those screens)."""
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    if readme:
        browser.save_screenshot(str(README_IMAGES / f"{readme}.png"))
