"""Browser sessions (ordergraph/web/session.py) and the rule that every web route is guarded."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.routing import Mount, Route

from ordergraph.domain.access import Principal, Role
from ordergraph.graph.records.events import EventRecord
from ordergraph.http.metrics import Metrics
from ordergraph.http.state import AppState
from ordergraph.schema.access import Budgets
from ordergraph.settings import Settings
from ordergraph.web import session as s
from ordergraph.web.live import visible
from ordergraph.web.routes import web_routes
from ordergraph.web.signin import _onward


def test_a_session_survives_its_round_trip_and_nothing_else_does() -> None:
    one = s.Session.signed_in("key_1", 10)
    cookie = s.encode(one, "secret")
    assert s.decode(cookie, "secret") == one
    assert s.decode(cookie, "another secret") is None  # signed with our key only
    body, mac = cookie.split(".")
    assert s.decode(body[:-2] + "xx." + mac, "secret") is None  # tampered
    assert s.decode("garbage", "secret") is None and s.decode(None, "secret") is None
    assert s.decode(cookie, "secret", now=time.time() + 11 * 60) is None  # expired


def test_a_csrf_token_matches_only_itself() -> None:
    one = s.Session.anonymous(10)
    assert one.csrf_matches(one.csrf)
    assert not one.csrf_matches("") and not one.csrf_matches(None)
    assert not one.csrf_matches(s.Session.anonymous(10).csrf)


def _state(console: bool) -> AppState:
    settings = Settings(web_secret="x", console=console)
    return AppState(settings=settings, metrics=Metrics(), budgets=Budgets(lambda: None))  # type: ignore[arg-type,return-value]


def test_every_web_route_goes_through_the_guard() -> None:
    routes = web_routes(_state(console=True))
    pages = [r for r in routes if isinstance(r, Route)]
    assert pages and all(getattr(r.endpoint, "web_guarded", False) for r in pages)
    assert all(
        isinstance(r, Route) or (isinstance(r, Mount) and r.path == "/web/static") for r in routes
    )


def test_the_console_is_served_only_when_enabled() -> None:
    def paths(console: bool) -> set[str]:
        return {r.path for r in web_routes(_state(console)) if isinstance(r, Route)}

    assert any(p.startswith("/console") for p in paths(True))
    assert not any(p.startswith("/console") for p in paths(False))
    assert Settings(env="production").console_enabled is False
    assert Settings(env="development").console_enabled is True
    assert Settings.from_env(
        {"ORDERGRAPH_ENV": "production", "ORDERGRAPH_CONSOLE": "on"}
    ).console_enabled


def _request(host: str) -> Request:
    scope = {"type": "http", "headers": [(b"host", host.encode())], "scheme": "https"}
    return Request({**scope, "path": "/", "query_string": b""})


def test_cookies_are_secure_unless_the_browser_came_to_loopback() -> None:
    assert not s.secure_request(_request("127.0.0.1:8000"))
    assert not s.secure_request(_request("localhost:8000"))
    assert s.secure_request(_request("oms.example.com"))


def _event(payload: dict[str, object]) -> EventRecord:
    return EventRecord("e1", "O-1", 1, "OrderCreated", datetime.now(UTC), None, payload)


def test_live_events_are_scoped_to_the_keys_locations() -> None:
    partner = Principal("k", Role.PARTNER, locations=frozenset({"STORE-SF"}))
    ours = _event({"fulfillments": [{"location": "STORE-SF"}, {"location": "DC-RENO"}]})
    theirs = _event({"location": "DC-RENO"})
    nowhere = _event({"lines": []})
    assert visible(partner, ours) and not visible(partner, theirs)
    assert not visible(partner, nowhere)  # an event about no location: not a partner's
    assert all(visible(Principal("a", Role.ADMIN), e) for e in (ours, theirs, nowhere))
    assert not visible(Principal("s", Role.STOREFRONT, channels=frozenset({"web"})), ours)


def test_sign_in_goes_on_only_to_a_page_of_the_same_app() -> None:
    home = "/store/STORE-SF"
    assert _onward("/store/STORE-SF/returns", home) == "/store/STORE-SF/returns"
    assert _onward("/store/STORE-SF", home) == home
    for elsewhere in (
        "//evil.example",
        "https://evil.example",
        "/store/STORE-SFX",
        "/console",
        "/store/STORE-SF/../../console",
        "/store/STORE-SF/\\\\evil",
        "",
    ):
        assert _onward(elsewhere, home) == home, elsewhere
