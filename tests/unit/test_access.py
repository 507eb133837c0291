"""The access rules themselves (pure): who reads which order, its personal data, its events."""

from __future__ import annotations

from datetime import UTC, datetime

from ordergraph.domain.access import Principal, Role, redact_event
from ordergraph.domain.orders import Address, OrderLine, OrderRequest, check_request
from ordergraph.services.orders import body_digest

WEB = Principal("k1", Role.STOREFRONT, channels=frozenset({"web"}))
RENO = Principal("k2", Role.PARTNER, locations=frozenset({"DC-RENO"}))
ERP = Principal("k3", Role.INTEGRATION)


def test_personal_data_is_for_trusted_keys_and_partners_shipping_the_order() -> None:
    assert ERP.may_see_personal_data([]) and Principal.unrestricted().may_see_personal_data([])
    assert not WEB.may_see_personal_data(["DC-RENO"])
    assert RENO.may_see_personal_data(["DC-RENO", "DC-NEWARK"])
    assert not RENO.may_see_personal_data(["DC-NEWARK"])


def test_a_partner_reads_a_return_only_to_its_own_location() -> None:
    assert RENO.may_read_return("web", ["DC-RENO"], "DC-RENO")
    assert not RENO.may_read_return("web", ["DC-RENO"], "STORE-SF")
    assert not RENO.may_read_return("web", ["DC-NEWARK"], "DC-RENO")
    assert WEB.may_read_return("web", [], "STORE-SF")
    assert not WEB.may_read_return("amazon", [], "STORE-SF")


def test_event_payloads_keep_only_what_the_viewer_may_see() -> None:
    created = {
        "fulfillments": [
            {"id": "F1", "location": "DC-RENO"},
            {"id": "F2", "location": "DC-NEWARK"},
        ],
        "status": "ALLOCATED",
    }
    seen = redact_event(created, RENO.sees_fulfillment_at, True)
    assert seen == {"fulfillments": [{"id": "F1", "location": "DC-RENO"}], "status": "ALLOCATED"}
    assert (
        redact_event({"fulfillment": "F2", "location": "DC-NEWARK"}, RENO.sees_fulfillment_at, True)
        is None
    )
    assert redact_event(
        {"shipTo": "94110", "serviceLevel": None}, WEB.sees_fulfillment_at, False
    ) == {"serviceLevel": None}
    assert redact_event(created, ERP.sees_fulfillment_at, True) == created


def test_the_body_digest_ignores_spelling_and_the_servers_clock_but_not_content() -> None:
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)

    def digest(**changes: object) -> str:
        base: dict[str, object] = {
            "channel": "web",
            "external_id": "x-1",
            "lines": (OrderLine("SKU-1", 1),),
            "ship_to": Address(postal_code="94107", country="US", name="Ada"),
        }
        request = OrderRequest(**{**base, **changes})  # type: ignore[arg-type]
        given = request.placed_at is not None
        return body_digest(check_request(request, now=now), placed_at_given=given)

    same = digest()
    assert digest(channel=" web ", lines=(OrderLine(" SKU-1 ", 1),)) == same
    assert digest(ship_to=Address(postal_code="94107", country="us", name="Ada")) == same
    assert digest(ship_to=Address(postal_code="94107", country="US", name="Eve")) != same
    assert digest(lines=(OrderLine("SKU-1", 2),)) != same
    assert digest(placed_at=now) != same  # a caller-given time is part of the body
