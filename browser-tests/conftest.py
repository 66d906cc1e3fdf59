"""A real `modelgate serve --demo` on a free port, and Debian's chromium driven by Playwright.

The binary is $MODELGATE_BIN (scripts/test-browser builds it), the browser $CHROMIUM (Debian's
package, installed by scripts/install-deps: no browser is downloaded). A screenshot of every
page a test looks at is kept in browser-tests/artifacts/.
"""

from __future__ import annotations

import os
import pathlib
import sys
import shutil
from dataclasses import dataclass
from typing import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "scripts" / "testing"))
import demo_gateway  # noqa: E402  (the repository's shared test helper, standard library only)
ARTIFACTS = REPOSITORY / "browser-tests" / "artifacts"


@dataclass
class Gateway:
    url: str
    tokens: dict[str, str]
    state: pathlib.Path

    def api(self, role: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.tokens[role]}"}, timeout=30)


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    try:
        with demo_gateway.running(tmp_path_factory.mktemp("console-state")) as running:
            yield Gateway(running.url, running.tokens, running.state)
    except RuntimeError as error:
        pytest.exit(str(error), 2)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not executable:
        pytest.exit("no chromium: scripts/install-deps installs Debian's", 2)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[callable]:
    """A fresh browser context (no cookies) per call, closed after the test."""
    contexts = []

    def make() -> Page:
        context = browser.new_context()
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Page, gateway: Gateway, role: str) -> Page:
    page.goto(f"{gateway.url}/console")
    page.fill("input[name=token]", gateway.tokens[role])
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/console/home*")
    return page


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
