"""Browser tests: Playwright (sync API) driving Debian's Chromium against the live server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to
# run next to it without this (the tests themselves make plain synchronous calls).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
SHOTS = Path(os.environ.get("XIAOQU_SHOTS_DIR", "/tmp/shots"))


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        # `make test` installs it (the `browser` target): a missing browser is a failure.
        pytest.fail("Debian's Chromium is not installed at /usr/bin/chromium: run `make browser`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def shoot():
    """Save a full-page screenshot for people to look at (best effort)."""

    def _shoot(page, name: str) -> None:
        try:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        except OSError:
            pass

    return _shoot
