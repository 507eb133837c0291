"""Geometry for the console's drawings, computed on the server: the network map (locations at
their coordinates, coloured by load) and line charts of KPIs by day. Templates draw what these
return (``templates/console/_svg.html``); nothing is fetched from the internet (no tiles, no
fonts, no scripts)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ordergraph.graph.records.console import LocationLoad

WIDTH, HEIGHT, PAD = 960, 540, 48
PHONE_WIDTH, PHONE_HEIGHT = 400, 420
BANDS = (  # load bands: (upper bound, css class, legend text)
    (0.5, "low", "under 50%"),
    (0.8, "mid", "50-80%"),
    (math.inf, "high", "80% or more"),
)


def load_of(x: LocationLoad) -> float | None:
    """Shipments waiting at the location over its daily capacity; for a location without a
    capacity, units reserved over units on hand. None when neither can be told."""
    capacity = x.location.daily_capacity
    if capacity:
        return x.open_shipments / capacity
    if x.on_hand > 0:
        return x.reserved / x.on_hand
    return None


def band(load: float | None) -> str:
    if load is None:
        return "none"
    return next(css for upper, css, _ in BANDS if load < upper)


@dataclass(frozen=True)
class Pin:
    load: LocationLoad
    x: float
    y: float
    r: float
    band: str
    share: float | None  # the load, for the label
    label_x: float
    label_y: float
    anchor: str  # text-anchor of the label
    leader: bool  # the label moved away from its pin: a line joins them
    true_x: float  # where the location is, when the pin was pushed aside to stay visible
    true_y: float

    @property
    def moved(self) -> bool:
        return abs(self.x - self.true_x) > 0.5 or abs(self.y - self.true_y) > 0.5


@dataclass(frozen=True)
class Grid:
    x: float | None  # a meridian at x, or a parallel at y
    y: float | None
    text: str


@dataclass(frozen=True)
class MapDrawing:
    width: int
    height: int
    pins: tuple[Pin, ...]
    grid: tuple[Grid, ...]


def network_maps(loads: Sequence[LocationLoad]) -> tuple[MapDrawing, MapDrawing]:
    """The map for a desk (wide) and for a phone (narrow); the page shows one (CSS)."""
    return network_map(loads), network_map(loads, PHONE_WIDTH, PHONE_HEIGHT)


def network_map(
    loads: Sequence[LocationLoad], width: int = WIDTH, most_height: int = HEIGHT
) -> MapDrawing:
    """Locations projected equirectangularly (scaled by the cosine of the middle latitude) into
    a frame ``width`` wide and as high as the network needs (at most ``most_height``), a
    graticule every 5 or 10 degrees, labels placed where they overlap nothing. A phone gets a
    narrower frame (``PHONE_WIDTH``), so that its labels stay readable."""
    placed = [x for x in loads if -90 <= x.location.lat <= 90 and -180 <= x.location.lon <= 180]
    if not placed:
        return MapDrawing(width, most_height // 2, (), ())
    lats = [x.location.lat for x in placed]
    lons = [x.location.lon for x in placed]
    south, north = min(lats) - 1.5, max(lats) + 1.5
    west, east = min(lons) - 2.0, max(lons) + 2.0
    squeeze = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * squeeze, 1e-6)
    span_y = max(north - south, 1e-6)
    scale = min((width - 2 * PAD) / span_x, (most_height - 2 * PAD) / span_y)
    height = int(max(span_y * scale + 2 * PAD, min(most_height, 260)))
    left = (width - span_x * scale) / 2
    top = (height - span_y * scale) / 2

    def at(lat: float, lon: float) -> tuple[float, float]:
        return left + (lon - west) * squeeze * scale, top + (north - lat) * scale

    step = 10 if max(east - west, north - south) > 25 else 5
    grid = [
        Grid(at(south, lon)[0], None, f"{abs(lon)}°{'W' if lon < 0 else 'E'}")
        for lon in range(math.ceil(west / step) * step, math.floor(east) + 1, step)
    ] + [
        Grid(None, at(lat, west)[1], f"{abs(lat)}°{'S' if lat < 0 else 'N'}")
        for lat in range(math.ceil(south / step) * step, math.floor(north) + 1, step)
    ]
    ordered = sorted(placed, key=lambda p: (-p.location.lat, p.location.lon, p.location.id))
    spots = [
        (x, *at(x.location.lat, x.location.lon), 11.0 if x.location.kind == "WAREHOUSE" else 8.0)
        for x in ordered
    ]
    shown = _spread([(px, py, r) for _, px, py, r in spots], width, height)
    boxes = [(px - r, py - r, px + r, py + r) for px, py, r in shown]  # every pin first
    pins = []
    for (x, true_x, true_y, r), (px, py, _) in zip(spots, shown, strict=True):
        share = load_of(x)
        w = len(x.location.id) * 9.0 + 6
        lx, ly, anchor, leader = _label_place(px, py, r, w, boxes, width, height)
        pins.append(Pin(x, px, py, r, band(share), share, lx, ly, anchor, leader, true_x, true_y))
    return MapDrawing(width, height, tuple(pins), tuple(grid))


def _spread(
    spots: Sequence[tuple[float, float, float]], width: int, height: int
) -> list[tuple[float, float, float]]:
    """Pins that would cover each other (two stores in one city) pushed apart until each shows
    (a few relaxation rounds); the drawing joins a moved pin to its true place."""
    at = [[x, y, r] for x, y, r in spots]
    for _ in range(30):
        moved = False
        for i, a in enumerate(at):
            for b in at[i + 1 :]:
                dx, dy = b[0] - a[0], b[1] - a[1]
                gap = a[2] + b[2] + 3 - math.hypot(dx, dy)
                if gap <= 0:
                    continue
                moved = True
                d = math.hypot(dx, dy) or 1.0
                ux, uy = (dx / d, dy / d) if dx or dy else (1.0, 0.0)
                a[0], a[1] = a[0] - ux * gap / 2, a[1] - uy * gap / 2
                b[0], b[1] = b[0] + ux * gap / 2, b[1] + uy * gap / 2
        if not moved:
            break
    return [(min(max(x, r), width - r), min(max(y, r), height - r), r) for x, y, r in at]


def _label_place(
    px: float,
    py: float,
    r: float,
    w: float,
    boxes: list[tuple[float, float, float, float]],
    width: int,
    height: int,
) -> tuple[float, float, str, bool]:
    """The first of right, left, below, above (then further down) where a label of width ``w``
    overlaps no pin nor label drawn before; the box taken is added to ``boxes``."""
    h = 16.0
    tries = (
        [
            (px + r + 4, py + 5, "start", (px + r + 2, py - h / 2, px + r + 4 + w, py + h / 2)),
            (px - r - 4, py + 5, "end", (px - r - 4 - w, py - h / 2, px - r - 2, py + h / 2)),
            (px, py + r + 15, "middle", (px - w / 2, py + r + 2, px + w / 2, py + r + 2 + h)),
            (px, py - r - 6, "middle", (px - w / 2, py - r - 4 - h, px + w / 2, py - r - 4)),
        ]
        + [
            (
                px + r + 4,
                py + 5 + k * h,
                "start",
                (px + r + 2, py - h / 2 + k * h, px + r + 4 + w, py + h / 2 + k * h),
            )
            for k in range(1, 6)
        ]
        + [
            (
                px - r - 4,
                py + 5 + k * h,
                "end",
                (px - r - 4 - w, py - h / 2 + k * h, px - r - 2, py + h / 2 + k * h),
            )
            for k in range(1, 6)
        ]
    )
    for n, (lx, ly, anchor, box) in enumerate(tries):
        inside = box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height
        if inside and not any(_overlap(box, b) for b in boxes):
            boxes.append(box)
            return lx, ly, anchor, n >= 4
    lx, ly, anchor, box = tries[0]
    boxes.append(box)
    return lx, ly, anchor, False


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# ---- charts ------------------------------------------------------------------------------------

CW, CH, CL, CR, CT, CB = 420, 180, 44, 12, 12, 28  # chart size and margins


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    segments: tuple[str, ...]  # polyline points, one per run of known values
    dots: tuple[tuple[float, float, str], ...]  # (x, y, title)
    ticks: tuple[tuple[float, str], ...]  # y, label
    days: tuple[float, ...]  # x of each day, for a tick on the base line
    first: str
    last: str
    empty: bool
    plot: tuple[float, float, float, float]  # left, top, right, bottom


def line_chart(
    days: Sequence[date], values: Sequence[float | None], *, percent: bool, unit: str = ""
) -> Chart:
    """One KPI by day: rates on a fixed 0-100% axis, amounts from 0 to a rounded maximum."""
    known = [v for v in values if v is not None]
    top_value = 1.0 if percent else _nice(max(known, default=0.0))
    left, top, right, bottom = CL, CT, CW - CR, CH - CB
    step = (right - left) / max(len(days) - 1, 1)

    def y_of(v: float) -> float:
        return bottom - (v / top_value) * (bottom - top) if top_value else bottom

    segments: list[str] = []
    run: list[str] = []
    dots = []
    for i, (d, v) in enumerate(zip(days, values, strict=True)):
        if v is None:
            if run:
                segments.append(" ".join(run))
            run = []
            continue
        x, y = left + i * step, y_of(v)
        run.append(f"{x:.1f},{y:.1f}")
        dots.append((x, y, f"{d.isoformat()}: {fmt(v, percent, unit)}"))
    if run:
        segments.append(" ".join(run))
    ticks = tuple(
        (y_of(top_value * k / 2), fmt(top_value * k / 2, percent, unit)) for k in (0, 1, 2)
    )
    return Chart(
        CW,
        CH,
        tuple(segments),
        tuple(dots),
        ticks,
        tuple(left + i * step for i in range(len(days))),
        days[0].strftime("%d %b") if days else "",
        days[-1].strftime("%d %b") if days else "",
        not known,
        (left, top, right, bottom),
    )


def _nice(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def fmt(value: float | None, percent: bool, unit: str = "") -> str:
    if value is None:
        return "\u2013"  # an en dash: no value
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:,.2f}{unit}"
