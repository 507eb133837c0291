"""The console's drawings (web/console/svg.py): pins at their coordinates, in the frame, with
labels that overlap no pin nor label; load bands; chart points and gaps."""

from __future__ import annotations

from datetime import date, timedelta

from ordergraph.graph.records.catalog import LocationRecord
from ordergraph.graph.records.console import LocationLoad
from ordergraph.web.console import svg


def load(
    id_: str, lat: float, lon: float, *, capacity: int | None = 50, waiting: int = 0, **kw: int
) -> LocationLoad:
    location = LocationRecord.from_row(
        {"id": id_, "lat": lat, "lon": lon, "kind": "STORE", "dailyCapacity": capacity}
    )
    return LocationLoad(location, kw.get("on_hand", 10), kw.get("reserved", 0), waiting, ())


def test_load_is_waiting_shipments_over_capacity_else_reserved_over_on_hand() -> None:
    assert svg.load_of(load("A", 0, 0, capacity=50, waiting=45)) == 0.9
    assert svg.load_of(load("B", 0, 0, capacity=None, on_hand=10, reserved=6)) == 0.6
    assert svg.load_of(load("C", 0, 0, capacity=None, on_hand=0)) is None
    assert [svg.band(v) for v in (0.1, 0.5, 0.79, 0.8, 3.0, None)] == [
        "low",
        "mid",
        "mid",
        "high",
        "high",
        "none",
    ]


def test_pins_keep_their_places_and_labels_never_overlap_even_for_neighbours() -> None:
    loads = [
        load("STORE-SF", 37.785, -122.405),
        load("STORE-OAKLAND", 37.804, -122.271),
        load("STORE-BERKELEY", 37.871, -122.272),
        load("DC-NEWARK", 40.735, -74.172),
    ]
    for width, height in ((svg.WIDTH, svg.HEIGHT), (svg.PHONE_WIDTH, svg.PHONE_HEIGHT)):
        drawing = svg.network_map(loads, width, height)
        pins = {p.load.location.id: p for p in drawing.pins}
        assert pins["DC-NEWARK"].x > pins["STORE-SF"].x  # east is right
        assert pins["DC-NEWARK"].y < pins["STORE-SF"].y  # north is up
        assert all(0 <= p.x <= width and 0 <= p.y <= drawing.height for p in drawing.pins)
        for i, a in enumerate(drawing.pins):  # every pin visible: none covers another
            for b in drawing.pins[i + 1 :]:
                assert (a.x - b.x) ** 2 + (a.y - b.y) ** 2 >= (a.r + b.r) ** 2
        assert pins["DC-NEWARK"].moved is False and any(p.moved for p in drawing.pins)
        boxes = []
        for p in drawing.pins:
            w = len(p.load.location.id) * 9.0 + 6
            x0 = {"start": p.label_x, "end": p.label_x - w, "middle": p.label_x - w / 2}[p.anchor]
            boxes.append((x0, p.label_y - 13, x0 + w, p.label_y + 3))
        for i, a in enumerate(boxes):
            assert a[0] >= -2 and a[2] <= width + 2, (width, drawing.pins[i].load.location.id)
            for b in boxes[i + 1 :]:
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def test_a_chart_breaks_its_line_on_days_without_a_value() -> None:
    days = [date(2026, 12, 1) + timedelta(days=n) for n in range(5)]
    chart = svg.line_chart(days, [0.5, 1.0, None, 0.25, 0.0], percent=True)
    assert len(chart.segments) == 2 and len(chart.dots) == 4
    ys = [y for _, y, _ in chart.dots]
    _, top, _, bottom = chart.plot
    assert ys[1] == top and ys[3] == bottom and ys[0] == (top + bottom) / 2
    assert [t for _, t in chart.ticks] == ["0%", "50%", "100%"]
    money = svg.line_chart(days, [3.0, 7.4, None, None, None], percent=False)
    assert [t for _, t in money.ticks][-1] == "10.00"  # a round axis above the highest value
    assert svg.line_chart(days, [None] * 5, percent=True).empty
