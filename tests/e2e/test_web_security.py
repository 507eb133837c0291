"""The browser apps' security over real HTTP (issue #16): CSRF on every POST, sign-in only for
the keys an app admits, the session cookie's flags, and store scoping by URL and by form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_open: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _open:
        _open.pop().close()


def browser(live: Any) -> httpx.Client:
    """A cookie-keeping client, as one browser (closed after the test)."""
    client = httpx.Client(base_url=live.url, timeout=30, follow_redirects=False)
    _open.append(client)
    return client


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def signed_in(live: Any, key_name: str, location: str = "STORE-SF") -> tuple[httpx.Client, str]:
    client = browser(live)
    token = csrf_of(client.get(f"/web/signin?app=store&location={location}"))
    done = client.post(
        "/web/signin",
        data={"csrf": token, "app": "store", "location": location, "key": live.keys[key_name]},
    )
    assert done.status_code == 303, done.text
    page = client.get(f"/store/{location}")
    assert page.status_code == 200, page.text
    return client, csrf_of(page)


def test_a_sign_in_without_its_csrf_token_is_refused(live: Any) -> None:
    client = browser(live)
    client.get("/web/signin?app=store&location=STORE-SF")
    answer = client.post(
        "/web/signin", data={"app": "store", "location": "STORE-SF", "key": live.keys["partner"]}
    )
    assert answer.status_code == 403
    assert "CSRF" in answer.text and "missing" in answer.text
    assert client.get("/store/STORE-SF").status_code == 303  # not signed in


def test_a_form_with_another_sessions_token_is_refused(live: Any) -> None:
    ours, _ = signed_in(live, "partner")
    theirs = csrf_of(browser(live).get("/web/signin?app=store&location=STORE-SF"))
    answer = ours.post("/web/signout", data={"csrf": theirs})
    assert answer.status_code == 403 and "wrong or expired" in answer.text


def test_a_post_from_another_origin_is_refused_even_with_the_token(live: Any) -> None:
    client, token = signed_in(live, "partner")
    answer = client.post(
        "/web/signout", data={"csrf": token}, headers={"origin": "https://evil.example"}
    )
    assert answer.status_code == 403 and "another site" in answer.text


def test_a_storefront_key_cannot_sign_in_to_the_store_app_or_the_console(live: Any) -> None:
    for app, extra in (("store", {"location": "STORE-SF"}), ("console", {})):
        client = browser(live)
        token = csrf_of(client.get(f"/web/signin?app={app}"))
        answer = client.post(
            "/web/signin",
            data={"csrf": token, "app": app, "key": live.keys["storefront"], **extra},
        )
        assert answer.status_code == 403, (app, answer.text)
        assert "storefront key" in answer.text
        assert client.get("/console").status_code == 303  # still not signed in


def test_a_partner_key_cannot_sign_in_to_the_console(live: Any) -> None:
    client = browser(live)
    token = csrf_of(client.get("/web/signin?app=console"))
    answer = client.post(
        "/web/signin", data={"csrf": token, "app": "console", "key": live.keys["partner"]}
    )
    assert answer.status_code == 403 and "admin keys" in answer.text


def test_the_session_cookie_is_signed_http_only_strict_and_expires(live: Any) -> None:
    client = browser(live)
    token = csrf_of(client.get("/web/signin?app=store&location=STORE-SF"))
    done = client.post(
        "/web/signin",
        data={"csrf": token, "app": "store", "location": "STORE-SF", "key": live.keys["partner"]},
    )
    cookie = done.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=" in cookie
    assert "secure" not in cookie  # a loopback host; any other host gets Secure
    forged = client.cookies["og_session"][:-4] + "AAAA"
    stranger = browser(live)
    stranger.cookies.set("og_session", forged)
    assert stranger.get("/store/STORE-SF").status_code == 303  # a forged cookie is no session


def test_a_store_a_key_cannot_open_store_b_by_url(live: Any) -> None:
    client, _ = signed_in(live, "partner")  # STORE-SF
    answer = client.get("/store/STORE-OAKLAND")
    assert answer.status_code == 403 and "may not work at STORE-OAKLAND" in answer.text
