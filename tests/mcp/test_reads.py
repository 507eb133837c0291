"""The read tools in process (the SDK's client on the server object), answers compared with
GraphQL's for the same question and key."""

from __future__ import annotations

from tests.mcp.conftest import TOOLS, Ask

AVAILABILITY = """
query($skus: [ID!]!, $near: NearInput) {
  availability(skus: $skus, near: $near) {
    sku available locations { location { id pickup } available distanceKm }
  }
}"""


async def test_the_server_lists_the_eight_tools_of_the_contract_with_schemas(ask: Ask) -> None:
    async with ask.client("storefront") as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"
    assert "idempotency_key" in tools["start_return"].input_schema["required"]


async def test_find_products_turns_the_shoppers_words_into_a_sku(ask: Ask) -> None:
    found = await ask.ok("storefront", "find_products", query="warm merino socks please")
    assert found["products"][0]["sku"] == "SKU-1"
    assert found["products"][0]["name"] == "Merino socks"
    tent = await ask.ok("storefront", "find_products", query="a tent for two people")
    assert [p["sku"] for p in tent["products"]][:1] == ["SKU-5"]
    none = await ask.call("storefront", "find_products", query="zebra xylophone")
    assert none.structured_content == {"products": []}
    assert "No product matches" in none.content[0].text  # type: ignore[union-attr]


async def test_check_availability_near_a_zip_matches_graphql(ask: Ask) -> None:
    answer = await ask.ok(
        "storefront", "check_availability", skus=["SKU-1", "SKU-2"], near={"postal_code": "94107"}
    )
    graph = await ask.gql(
        "storefront", AVAILABILITY, skus=["SKU-1", "SKU-2"], near={"postalCode": "94107"}
    )
    for item, same in zip(answer["items"], graph["availability"], strict=True):
        assert item["sku"] == same["sku"]
        assert item["available_total"] == same["available"]
        near = [p for p in same["locations"] if p["distanceKm"] <= 100]
        assert item["available"] == sum(p["available"] for p in near)
        stores = [p for p in same["locations"] if p["location"]["pickup"] and p["available"] > 0]
        assert [s["location"] for s in item["pickup_stores"]] == [
            p["location"]["id"] for p in stores[:3]
        ]
    socks = answer["items"][0]
    assert socks["status"] == "in_stock" and socks["pickup_stores"][0]["location"] == "STORE-SF"


async def test_availability_refuses_another_channel_for_a_storefront_key(ask: Ask) -> None:
    error = await ask.refused("storefront", "check_availability", skus=["SKU-1"], channel="amazon")
    assert error["code"] == "FORBIDDEN"


async def test_unknown_skus_and_bad_arguments_are_refused_like_graphql_input(ask: Ask) -> None:
    error = await ask.refused("storefront", "check_availability", skus=["NOPE"])
    assert error["code"] == "UNKNOWN_SKU"
    bad = await ask.call("storefront", "check_availability", skus=[])
    assert bad.is_error
    nul = await ask.refused("storefront", "find_products", query="socks\x00")
    assert nul["code"] == "INVALID_INPUT"


async def test_resources_give_the_store_list_and_the_return_policy(ask: Ask) -> None:
    async with ask.client("storefront") as client:
        uris = {str(r.uri) for r in (await client.list_resources()).resources}
        assert uris == {"ordergraph://stores", "ordergraph://return-policy"}
        stores = await client.read_resource("ordergraph://stores")
        policy = await client.read_resource("ordergraph://return-policy")
        prompts = [p.name for p in (await client.list_prompts()).prompts]
        prompt = await client.get_prompt("where_is_my_order", {"order_id": "OG-1"})
    assert prompts == ["where_is_my_order"]
    assert "postal code" in prompt.messages[0].content.text  # type: ignore[union-attr]
    text = stores.contents[0].text  # type: ignore[union-attr]
    assert "STORE-SF" in text and "DC-RENO" not in text
    assert "30 days" in policy.contents[0].text  # type: ignore[union-attr]


def test_building_the_server_leaves_the_apps_logging_alone(ask: Ask) -> None:
    import logging

    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    root.handlers[:] = []  # as a script that has not configured logging yet
    try:
        ask.server("storefront")
        assert root.handlers == [] and root.level == level
    finally:
        root.handlers[:] = before


SET = """mutation($input: InventorySetInput!) { inventorySet(input: $input) {
  userErrors { code message } } }"""
INBOUND = """mutation($input: InboundUpsertInput!) { inboundUpsert(input: $input) {
  userErrors { code message } } }"""
SKU = """mutation($input: SkuInput!) { skuUpsert(input: $input) { userErrors { code message } } }"""


async def test_sold_out_skus_say_backorder_with_the_restock_date_or_out_of_stock(ask: Ask) -> None:
    for location in ("DC-NEWARK", "STORE-SF"):
        done = await ask.gql(
            "integration", SET, input={"location": location, "sku": "SKU-4", "onHand": 0}
        )
        assert done["inventorySet"]["userErrors"] == []
    for line, day in (("PO-2", "2027-02-01"), ("PO-1", "2027-01-15")):
        done = await ask.gql(
            "integration",
            INBOUND,
            input={
                "id": line,
                "location": "DC-NEWARK",
                "sku": "SKU-4",
                "quantity": 5,
                "expectedAt": day,
                "kind": "PURCHASE_ORDER",
            },
        )
        assert done["inboundUpsert"]["userErrors"] == []
    done = await ask.gql("admin", SKU, input={"id": "SKU-9", "name": "Linen apron"})
    assert done["skuUpsert"]["userErrors"] == []
    told = await ask.ok("storefront", "check_availability", skus=["SKU-4", "SKU-9", "SKU-1"])
    by_sku = {i["sku"]: i for i in told["items"]}
    assert by_sku["SKU-4"]["status"] == "backorder" and by_sku["SKU-4"]["available"] == 0
    assert by_sku["SKU-4"]["restock_date"] == "2027-01-15"
    assert by_sku["SKU-9"]["status"] == "out_of_stock" and by_sku["SKU-9"]["restock_date"] is None
    assert by_sku["SKU-1"]["restock_date"] is None  # in stock: no restock to tell
    found = await ask.ok("storefront", "find_products", query="the blue linen apron")
    assert found["products"][0]["sku"] == "SKU-9"


CHANNEL = """mutation($input: ChannelInput!) { channelUpsert(input: $input) {
  userErrors { code message } } }"""


async def test_a_channel_that_sells_inbound_hears_preorder_for_a_sold_out_sku(ask: Ask) -> None:
    for location in ("DC-NEWARK", "STORE-SF"):
        done = await ask.gql(
            "integration", SET, input={"location": location, "sku": "SKU-4", "onHand": 0}
        )
        assert done["inventorySet"]["userErrors"] == []
    line = {"id": "PO-7", "location": "DC-NEWARK", "sku": "SKU-4", "quantity": 6,
            "expectedAt": "2027-01-15", "kind": "PURCHASE_ORDER"}  # fmt: skip
    assert (await ask.gql("integration", INBOUND, input=line))["inboundUpsert"]["userErrors"] == []
    before = await ask.ok("storefront", "check_availability", skus=["SKU-4"], channel="web")
    assert before["items"][0]["status"] == "backorder"  # web does not sell inbound yet
    done = await ask.gql("admin", CHANNEL, input={"id": "web", "sellInbound": True})
    assert done["channelUpsert"]["userErrors"] == []
    told = await ask.ok("storefront", "check_availability", skus=["SKU-4"], channel="web")
    (item,) = told["items"]
    assert (item["status"], item["available"], item["restock_date"]) == (
        "preorder",
        0,
        "2027-01-15",
    )
    shown = await ask.gql(
        "storefront",
        """query { availability(skus: ["SKU-4"], channel: "web") { available preorder } }""",
    )
    assert shown["availability"] == [{"available": 0, "preorder": 6}]  # GraphQL agrees
