"""Browser tests: a real ``ordergraph serve`` (the ``live`` fixture, tests/live.py) driven by
headless Chromium through Playwright.

The browser is Debian's ``chromium`` (``/usr/bin/chromium``; ``.ci/run`` installs it with apt
when it is missing): Playwright only drives it and never downloads one. Without it (or without
the ``playwright`` package) these tests are skipped with the reason.

Fixtures:

- ``browser``: one headless Chromium per test module, started after the module's ``live``
  server (Playwright's sync API runs an event loop in this thread; the server's set-up must
  come first);
- ``phone`` / ``desktop``: a fresh page (own cookies) at 390x844 / 1366x900, closed after;
- ``sign_in(page, live, key_name, path)``: opens ``path`` (e.g. ``/store/STORE-SF``), follows
  the redirect to the sign-in form, enters the live server's key ``key_name`` and waits for
  ``path`` again;
- ``graph_read(live, cypher, **params)``: rows read straight from the live server's graph (in
  a thread of its own, beside Playwright's loop), for checks of what a page did;
- ``shot(page, name)``: a full-page screenshot ``<name>-<width>.png`` in the artefact
  directory, ``$ORDERGRAPH_ARTEFACTS`` or ``/tmp/ordergraph-screens`` (never committed).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
ARTEFACTS = Path(os.environ.get("ORDERGRAPH_ARTEFACTS") or "/tmp/ordergraph-screens")


@pytest.fixture(scope="module")
def browser(live: Any) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium chromium-driver")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


def _page(browser: Any, viewport: dict[str, int]) -> Iterator[Any]:
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    yield from _page(browser, PHONE)


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    yield from _page(browser, DESKTOP)


def sign_in(page: Any, live: Any, key_name: str, path: str) -> None:
    page.goto(f"{live.url}{path}")
    page.fill("#key", live.keys[key_name])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}{path}")


def graph_read(live: Any, query: str, **params: Any) -> list[dict[str, Any]]:
    from ordergraph.graph.falkordb import FalkorStore

    async def read() -> list[dict[str, Any]]:
        store = FalkorStore(live.engine_url, live.graph)
        try:
            return await store.read(query, params)
        finally:
            await store.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result(30)


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        width = page.viewport_size["width"]
        path = ARTEFACTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
