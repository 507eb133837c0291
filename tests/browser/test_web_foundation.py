"""The web foundation in a real browser: sign in with a key, the session cookie's flags."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import sign_in


def test_an_associate_signs_in_with_a_partner_key_and_the_cookie_is_locked_down(
    live: Any, phone: Any, shot: Callable[[Any, str], Path]
) -> None:
    phone.goto(f"{live.url}/store/STORE-SF")
    assert "/web/signin" in phone.url
    shot(phone, "signin")
    sign_in(phone, live, "partner", "/store/STORE-SF")
    assert phone.locator("h1").first.inner_text() == "Open work"
    (cookie,) = [c for c in phone.context.cookies() if c["name"] == "og_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["expires"] > 0  # a session with an expiry, not a browser-lifetime cookie


def test_pages_run_under_their_strict_csp_without_errors(live: Any, phone: Any) -> None:
    errors: list[str] = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(phone, live, "partner", "/store/STORE-SF")
    phone.wait_for_function("() => window.htmx !== undefined")  # the vendored htmx loaded
    phone.wait_for_timeout(500)  # the live stream opened
    assert errors == []  # a CSP violation (an inline script or style) is a console error


def test_a_wrong_key_is_told_so(live: Any, phone: Any) -> None:
    phone.goto(f"{live.url}/store/STORE-SF")
    phone.fill("#key", "og_not-a-key")
    phone.click("button[type=submit]")
    assert "unknown or revoked" in phone.locator(".error").inner_text()
