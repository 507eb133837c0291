"""Findings of the review of channel ATP and MCP (docs/security.md, "Review of channel ATP and
MCP (2026-12-04)"), each a regression test through the SDK's client on the real engine."""

from __future__ import annotations

from tests.mcp.conftest import Ask
from tests.mcp.test_orders import PROOF, SHIP_TO, place


async def test_an_order_asked_by_its_two_names_shares_one_count_of_wrong_proofs(ask: Ask) -> None:
    order_id = await place(
        ask, externalId="W-R1", lines=[{"sku": "SKU-1", "quantity": 1}], shipTo=SHIP_TO
    )
    for n in range(3):
        await ask.refused(
            "storefront", "order_status", order_id=order_id, verification={"postal_code": f"1{n}"}
        )
    for n in range(2):
        wrong = await ask.refused(
            "storefront",
            "order_status",
            channel="web",
            external_id="W-R1",
            verification={"postal_code": f"2{n}"},
        )
        assert wrong["code"] == "NOT_FOUND"
    # 5 wrong in all: the order is locked under both names
    by_id = await ask.refused("storefront", "order_status", order_id=order_id, verification=PROOF)
    by_ext = await ask.refused(
        "storefront", "order_status", channel="web", external_id="W-R1", verification=PROOF
    )
    assert by_id["code"] == by_ext["code"] == "FORBIDDEN"
    assert "too many" in by_id["message"] and by_ext["message"] == by_id["message"]


async def test_one_postal_code_tried_on_many_orders_stops_the_key(ask: Ask) -> None:
    from ordergraph.services import tracking

    order_id = await place(ask, lines=[{"sku": "SKU-1", "quantity": 1}], shipTo=SHIP_TO)
    key_id = next(iter(await _key_ids(ask, "storefront")))
    for n in range(tracking.MAX_WRONG_PROOFS_PER_KEY):  # as that many guesses count them
        ask.attempts.wrong(f"OG-GUESS-{n}", key_id)
    locked = await ask.refused("storefront", "order_status", order_id=order_id, verification=PROOF)
    assert locked["code"] == "FORBIDDEN" and "too many" in locked["message"]
    # another key of the same channel is not stopped by this one's guesses
    assert not (await ask.call("integration", "order_status", order_id=order_id)).is_error


async def _key_ids(ask: Ask, who: str) -> set[str]:
    principal = await ask.cache.principal(ask.keys[who])
    assert principal is not None
    return {principal.key_id}


async def test_arguments_outside_the_schema_are_a_refusal_in_our_words(ask: Ask) -> None:
    order_id = await place(ask, lines=[{"sku": "SKU-1", "quantity": 2}], shipTo=SHIP_TO)
    for tool, arguments, path in (
        (
            "cancel_order_lines",
            {
                "order_id": order_id,
                "lines": [{"sku": "SKU-1", "quantity": -1}],
                "verification": PROOF,
                "idempotency_key": "neg-00001",
            },
            ["lines", "0", "quantity"],
        ),
        ("check_availability", {"skus": ["SKU-1"] * 5000}, ["skus"]),
        ("find_products", {"query": "x" * 100_000}, ["query"]),
        ("order_status", {"order_id": None, "verification": {"postal_code": 94107}}, None),
        (
            "start_return",
            {"order_id": order_id, "lines": "SKU-1", "idempotency_key": "k" * 9},
            None,
        ),
    ):
        result = await ask.call("storefront", tool, **arguments)
        assert result.is_error and result.structured_content is not None, result.content
        error = result.structured_content["error"]
        assert error["code"] == "INVALID_INPUT", error
        if path is not None:
            assert error["field"] == path
        text = result.content[0].text  # type: ignore[union-attr]
        assert text.startswith("Refused (INVALID_INPUT): ") and len(text) < 400
        for internal in ("pydantic", "Arguments", "input_value", "type="):
            assert internal not in text
    # nothing was cancelled
    seen = await ask.ok("storefront", "order_status", order_id=order_id, verification=PROOF)
    assert seen["status"] != "CANCELLED"


async def test_a_revoked_key_is_told_so_even_with_bad_arguments(ask: Ask) -> None:
    from ordergraph.services.apikeys import KeyCache, create_key, revoke_key

    secret, record = await create_key(ask.store, "gone", "storefront", channels=["web"])
    ask.keys["gone"] = secret
    await revoke_key(ask.store, record.id)
    ask.cache = KeyCache(ask.store)  # a fresh cache: the revocation is seen at once
    result = await ask.call("gone", "find_products", query="")
    assert result.structured_content == {
        "error": {"code": "UNAUTHENTICATED", "message": "unknown or revoked API key", "field": []}
    }


async def test_resources_take_budget_and_stop_with_a_revoked_key(ask: Ask) -> None:
    from mcp.shared.exceptions import MCPError

    from ordergraph.services.apikeys import KeyCache, create_key, revoke_key

    secret, record = await create_key(
        ask.store, "tiny", "storefront", channels=["web"], budget=(30, 1)
    )
    ask.keys["tiny"] = secret
    read, refused = 0, []
    async with ask.client("tiny") as client:
        for _ in range(6):
            try:
                await client.read_resource("ordergraph://stores")
                read += 1
            except MCPError as exc:
                refused.append(str(exc))
    assert 1 <= read <= 3 and refused and all("THROTTLED" in r for r in refused)
    await revoke_key(ask.store, record.id)
    ask.cache = KeyCache(ask.store)
    async with ask.client("tiny") as client:
        try:
            await client.read_resource("ordergraph://return-policy")
            raise AssertionError("a revoked key read a resource")
        except MCPError as exc:
            assert "revoked" in str(exc)


async def test_a_wrong_proof_costs_the_reads_an_unknown_order_costs(ask: Ask) -> None:
    """No timing oracle: a storefront's wrong postal code on a real order made three reads
    (order, lines, fulfillments) where an unknown order made one (about 6 ms against 3.5 ms
    over HTTP), so one call told whether an order id or external id exists."""
    from tests.api.test_access_api import CountingStore

    order_id = await place(
        ask, externalId="W-T1", lines=[{"sku": "SKU-1", "quantity": 1}], shipTo=SHIP_TO
    )
    await ask.call("storefront", "find_products", query="warm the key cache")
    real, counting = ask.store, CountingStore(ask.store)
    ask.store = counting  # type: ignore[assignment]
    calls = {}
    for name, arguments in (
        ("known id", {"order_id": order_id}),
        ("unknown id", {"order_id": "OG-NOSUCH1"}),
        ("known external id", {"channel": "web", "external_id": "W-T1"}),
        ("unknown external id", {"channel": "web", "external_id": "W-NOSUCH"}),
    ):
        counting.calls = 0
        wrong = await ask.refused(
            "storefront", "order_status", verification={"postal_code": "10001"}, **arguments
        )
        assert wrong["code"] == "NOT_FOUND"
        calls[name] = counting.calls
    ask.store = real
    assert calls["known id"] == calls["unknown id"], calls
    assert calls["known external id"] == calls["unknown external id"], calls


async def test_a_storefronts_question_without_a_channel_is_about_its_own_channel(
    ask: Ask,
) -> None:
    """An assistant leaves ``channel`` out: the amazon shop's key must hear amazon's numbers
    (its buffer and share), the ones its orders get, not the whole network's free stock."""
    upsert = """mutation { channelUpsert(input: {id: "amazon", bufferUnits: 3, sharePercent: 50})
      { userErrors { message } } }"""
    assert (await ask.gql("admin", upsert))["channelUpsert"]["userErrors"] == []
    query = """query($c: ID) { availability(skus: ["SKU-1"], channel: $c) { available } }"""
    amazon = (await ask.gql("admin", query, c="amazon"))["availability"][0]["available"]
    network = (await ask.gql("admin", query, c=None))["availability"][0]["available"]
    assert amazon < network  # the rules make a difference here
    told = await ask.ok("storefront_amazon", "check_availability", skus=["SKU-1"])
    assert told["items"][0]["available_total"] == amazon
    asked = await ask.ok(
        "storefront_amazon", "check_availability", skus=["SKU-1"], channel="amazon"
    )
    assert asked == told
    # a back-office key without a channel still asks about the network
    office = await ask.ok("integration", "check_availability", skus=["SKU-1"])
    assert office["items"][0]["available_total"] == network
    # delivery options too: as deliveryOptions(channel: amazon)
    lines = [{"sku": "SKU-1", "quantity": 1}]
    ship_to = {"postal_code": "94107", "country": "US"}
    implied = await ask.ok("storefront_amazon", "delivery_options", lines=lines, ship_to=ship_to)
    named = await ask.ok(
        "storefront_amazon", "delivery_options", lines=lines, ship_to=ship_to, channel="amazon"
    )
    assert implied == named
