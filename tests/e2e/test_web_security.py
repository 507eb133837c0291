"""The browser apps' security over real HTTP (issue #16): CSRF on every POST, sign-in only for
the keys an app admits, the session cookie's flags, and store scoping by URL and by form."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser.store_setup import delivered

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


def test_an_admin_key_signs_in_to_the_console(live: Any) -> None:
    client = browser(live)
    assert client.get("/console").status_code == 303  # sign in first
    token = csrf_of(client.get("/web/signin?next=/console"))
    done = client.post(
        "/web/signin", data={"csrf": token, "app": "console", "key": live.keys["admin"]}
    )
    assert done.status_code == 303 and done.headers["location"] == "/console"
    assert client.get("/console").status_code == 200


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
    page = client.get("/store/STORE-SF")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
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


CREATE = """mutation($input: OrderCreateInput!) {
  orderCreate(input: $input) { order { id fulfillments { id location { id } } }
  userErrors { message } } }"""
STATUS = "query($id: ID!) { order(id: $id) { fulfillments { id status } } }"


def reno_order(live: Any) -> tuple[str, str]:
    """A web order fulfilled at DC-RENO (another partner's location): (order, fulfillment)."""
    doc = {
        "channel": "web",
        "lines": [{"sku": "SKU-1", "quantity": 1}],
        "shipTo": {"postalCode": "94107", "country": "US"},
    }
    result = live.gql("storefront", CREATE, input=doc).json()["data"]["orderCreate"]
    (f,) = result["order"]["fulfillments"]
    assert f["location"]["id"] == "DC-RENO", result
    return result["order"]["id"], f["id"]


def status_of(live: Any, order_id: str) -> str:
    order = live.gql("admin", STATUS, id=order_id).json()["data"]["order"]
    return str(order["fulfillments"][0]["status"])


def test_a_store_a_key_cannot_act_on_store_b_work_by_url_or_by_form(live: Any) -> None:
    order_id, fid = reno_order(live)
    client, token = signed_in(live, "partner")  # STORE-SF
    assert client.get(f"/store/DC-RENO/f/{fid}").status_code == 403  # another store's URL
    looked = client.get(f"/store/STORE-SF/f/{fid}")  # its work under our store's URL
    assert looked.status_code == 404 and fid not in looked.text.replace(f"no fulfillment {fid}", "")
    for path in (f"/store/STORE-SF/f/{fid}/start", f"/store/DC-RENO/f/{fid}/start"):
        answer = client.post(path, data={"csrf": token})
        assert answer.status_code in (403, 404), (path, answer.status_code)
    short = client.post(
        f"/store/STORE-SF/f/{fid}/short",
        data={"csrf": token, "sku": "SKU-1", "found": "0", "reason": "MISSING"},
    )
    assert short.status_code == 404
    assert status_of(live, order_id) == "OPEN"  # nothing moved
    # and the API answers the same: the partner's key cannot short-pick DC-RENO's work
    api = live.gql(
        "partner",
        'mutation($f: ID!) { fulfillmentShortPick(input: {fulfillmentId: $f, sku: "SKU-1", '
        "found: 0}) { userErrors { code } } }",
        f=fid,
    ).json()
    assert api["data"]["fulfillmentShortPick"]["userErrors"] == [{"code": "NOT_FOUND"}]


def test_an_action_without_the_csrf_token_is_refused_and_changes_nothing(live: Any) -> None:
    order_id, fid = reno_order(live)
    client, _ = signed_in(live, "partner_reno", "DC-RENO")
    plain = client.post(f"/store/DC-RENO/f/{fid}/start", data={})
    assert plain.status_code == 403 and "CSRF" in plain.text
    htmx = client.post(f"/store/DC-RENO/f/{fid}/start", headers={"hx-request": "true"})
    assert htmx.status_code == 403 and "CSRF" in htmx.text
    assert status_of(live, order_id) == "OPEN"
    token = csrf_of(client.get(f"/store/DC-RENO/f/{fid}"))
    done = client.post(f"/store/DC-RENO/f/{fid}/start", headers={"x-csrf-token": token})
    assert done.status_code == 200 and status_of(live, order_id) == "RELEASED"


def test_without_a_session_actions_are_refused_not_redirected(live: Any) -> None:
    _, fid = reno_order(live)
    answer = browser(live).post(f"/store/DC-RENO/f/{fid}/start", data={"csrf": "x"})
    assert answer.status_code == 403  # no session, so no token can match


def test_a_return_to_another_store_cannot_be_received_by_form_or_api(live: Any) -> None:
    upsert = live.gql(
        "admin",
        'mutation { locationUpsert(input: {id: "DC-RENO", acceptsReturns: true}) '
        "{ userErrors { message } } }",
    ).json()
    assert upsert["data"]["locationUpsert"]["userErrors"] == []
    order_id, fid = reno_order(live)
    delivered(live, fid)
    created = live.gql(
        "admin",
        'mutation($o: ID!) { returnCreate(input: {orderId: $o, lines: [{sku: "SKU-1", '
        'quantity: 1}], dropOffAt: "DC-RENO"}) { return { id } userErrors { message } } }',
        o=order_id,
    ).json()["data"]["returnCreate"]
    assert created["userErrors"] == [], created
    rid = created["return"]["id"]
    receive = (
        'mutation($r: ID!) { returnReceive(input: {returnId: $r, lines: [{sku: "SKU-1", '
        "quantity: 1, disposition: RESTOCK}]}) { return { status } userErrors { code } } }"
    )
    client, token = signed_in(live, "partner")  # STORE-SF
    form = {
        "csrf": token,
        "count": "1",
        "sku-0": "SKU-1",
        "quantity-0": "1",
        "disposition-0": "RESTOCK",
    }
    assert client.post(f"/store/STORE-SF/returns/{rid}", data=form).status_code == 404
    assert client.post(f"/store/DC-RENO/returns/{rid}", data=form).status_code == 403
    api = live.gql("partner", receive, r=rid).json()["data"]["returnReceive"]
    assert api["userErrors"] == [{"code": "NOT_FOUND"}]
    own = live.gql("partner_reno", receive, r=rid).json()["data"]["returnReceive"]
    assert own == {"return": {"status": "RECEIVED"}, "userErrors": []}


def test_the_live_stream_carries_only_this_stores_events(live: Any) -> None:
    upsert = live.gql(
        "admin",
        'mutation { locationUpsert(input: {id: "STORE-SF", pickup: true}) '
        "{ userErrors { message } } }",
    ).json()
    assert upsert["data"]["locationUpsert"]["userErrors"] == []
    client, _ = signed_in(live, "partner")  # STORE-SF
    got: list[dict[str, Any]] = []
    ours: list[str] = []
    opened = threading.Event()

    def listen() -> None:
        with httpx.Client(base_url=live.url, cookies=client.cookies) as own:
            timeout = httpx.Timeout(10, read=8)
            with own.stream("GET", "/store/STORE-SF/live", timeout=timeout) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                for line in stream.iter_lines():
                    opened.set()
                    if line.startswith("data: "):
                        got.append(json.loads(line[len("data: ") :]))
                    if ours and any(m["orderId"] == ours[0] for m in got):
                        return

    reader = threading.Thread(target=listen, daemon=True)
    reader.start()
    assert opened.wait(10)  # the first line: the stream's subscription is in place
    theirs, _ = reno_order(live)  # DC-RENO's work
    doc = {
        "channel": "web",
        "lines": [{"sku": "SKU-1", "quantity": 1}],
        "pickupAt": "STORE-SF",
        "pickupName": "Ada",
    }
    placed = live.gql("storefront", CREATE, input=doc).json()["data"]["orderCreate"]
    assert placed["userErrors"] == [], placed
    ours.append(placed["order"]["id"])
    reader.join(12)
    orders = {m["orderId"] for m in got}
    assert ours[0] in orders  # this store's new work arrived live
    assert theirs not in orders  # another store's never does
    assert all(set(m["locations"]) <= {"STORE-SF"} for m in got)


def test_a_receive_form_with_a_huge_or_odd_line_count_is_a_422_at_once(live: Any) -> None:
    """``count`` drives a loop over form fields: 999999999 looped a billion times on the event
    loop (the server stalled); ``²`` passed isdigit and int() refused it (a 500)."""
    client, token = signed_in(live, "partner")
    for count in ("²", "--1", "999999999"):
        form = {"csrf": token, "count": count, "quantity-0": "²", "sku-0": "SKU-1"}
        answer = client.post("/store/STORE-SF/returns/RET-NOPE", data=form, timeout=10)
        assert answer.status_code == 422, (count, answer.status_code)
    assert (
        "at most 1000 lines"
        in client.post(
            "/store/STORE-SF/returns/RET-NOPE",
            data={"csrf": token, "count": "999999999"},
            timeout=10,
        ).text
    )
