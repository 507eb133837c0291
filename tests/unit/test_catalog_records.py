"""The records of the static network and stock, and the GraphQL views built from them."""

from __future__ import annotations

from ordergraph.graph.records.catalog import (
    LaneRecord,
    LocationRecord,
    RegionRecord,
    SkuRecord,
    StockRecord,
    maybe,
)
from ordergraph.schema.inputs import RegionInput
from ordergraph.schema.types import Location, LocationKind, Sku, StockLevel


def test_a_location_stored_with_only_its_id_reads_with_the_defaults_the_api_shows() -> None:
    rec = LocationRecord.from_row({"id": "DC-1"})
    assert (rec.name, rec.kind, rec.timezone, rec.country) == ("DC-1", "WAREHOUSE", "UTC", "")
    assert (rec.lat, rec.lon, rec.processing_days, rec.handling_cost) == (0.0, 0.0, 0, 0.0)
    assert rec.daily_capacity is None and rec.active and not rec.accepts_returns
    assert LocationRecord.unknown("DC-1") == rec


def test_a_location_that_is_gone_shows_as_its_id_with_defaults() -> None:
    view = Location.unknown("DC-GONE")
    assert (view.id, view.name, view.kind, view.tags) == (
        "DC-GONE",
        "DC-GONE",
        LocationKind.WAREHOUSE,
        [],
    )


def test_a_location_view_maps_every_field_of_its_record() -> None:
    rec = LocationRecord.from_row(
        {
            "id": "STORE-SF",
            "kind": "STORE",
            "postalCode": "94103",
            "dailyCapacity": 40,
            "tags": ["secure", "hazmat"],
            "shipFromStore": True,
            "active": False,
        }
    )
    view = Location.from_record(rec)
    assert (view.kind, view.postal_code, view.daily_capacity) == (LocationKind.STORE, "94103", 40)
    assert view.tags == ["hazmat", "secure"]  # stored sorted: the same order
    assert view.ship_from_store and not view.active


def test_a_sku_and_a_stock_position_read_their_counts_and_defaults() -> None:
    sku = Sku.from_record(SkuRecord.from_row({"id": "SKU-1", "weightKg": 2}))
    assert (sku.name, sku.weight_kg, sku.tags) == ("SKU-1", 2.0, [])
    stock = StockRecord.from_row({"location": "DC-1", "sku": "SKU-1", "onHand": 10, "reserved": 3})
    assert (stock.safety_stock, stock.available) == (0, 7)
    level = StockLevel.from_record(stock)
    assert (level.location_id, level.on_hand, level.available) == ("DC-1", 10, 7)


def test_an_optional_match_that_found_nothing_is_no_record() -> None:
    assert maybe(None, RegionRecord.from_row) is None
    assert maybe({"id": None, "lat": None}, RegionRecord.from_row) is None
    region = maybe(
        {"id": "US-941", "postalPrefix": "941", "lat": 1, "lon": 2}, RegionRecord.from_row
    )
    assert region == RegionRecord("US-941", "", "941", 1.0, 2.0)


def test_a_lane_reads_its_ends_when_the_read_names_them() -> None:
    row = {"carrier": "UPS", "service": "GROUND", "transitDays": 3, "baseCost": 5, "costPerKg": 1}
    assert LaneRecord.from_row({**row, "from": "DC-1", "to": "US-941"}).from_ == "DC-1"
    assert LaneRecord.from_row(row).to == ""


def test_a_region_without_an_id_is_given_the_one_its_country_and_prefix_make() -> None:
    given = RegionInput(country="us", postal_prefix="941", lat=37.7, lon=-122.4)
    assert given.properties()["id"] == "US-941"
    named = RegionInput(id="US-941", country="US", postal_prefix="941", lat=37.7, lon=-122.4)
    assert named.properties() == {
        "id": "US-941",
        "country": "US",
        "postalPrefix": "941",
        "lat": 37.7,
        "lon": -122.4,
    }
