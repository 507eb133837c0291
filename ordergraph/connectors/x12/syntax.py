"""X12 syntax: delimiters read from the ISA segment, segments, and the element data types.

An interchange names its own delimiters. ISA is fixed width (106 characters with its
terminator), so the element separator is the character at index 3, the component separator is
ISA16 at index 104 and the segment terminator is the character at index 105. ISA11 is the
repetition separator from release 00402 on (5010); before that (4010) it is the standards id
``U``. Line breaks written after each terminator are not data and are skipped.

Segments are numbered from 1 at ISA across the whole interchange; every ``X12Error`` names that
number and the segment tag. A value of the document echoed in a message is cut (``shown``), so a
5 MB element still leaves the message saying what is wrong with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ordergraph.domain.errors import ValidationError, bounded

ISA_LENGTH = 106  # "ISA", 16 separators, 86 characters of elements, the segment terminator
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)  # ISA01..ISA16
FIRST_RELEASE_WITH_REPETITION = "00402"
_LINE_BREAKS = "\r\n"
_SEGMENT_TAG = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_DATE = re.compile(r"\d{8}", re.ASCII)
DIGITS = re.compile(r"[0-9]{1,10}")  # ASCII (isdigit() takes "²"); X12 N0 is <= 10 long
SHOWN = 80  # characters of a document's value echoed in an error message


def shown(value: object) -> str:
    """``value`` as an error message quotes it (its repr), cut to ``SHOWN`` characters."""
    return bounded(repr(value), SHOWN)


class X12Error(ValidationError):
    """An X12 document that breaks the syntax or envelope rules, or a value we cannot write.

    ``segment`` is the 1-based position of the offending segment in the interchange (ISA is 1)
    and ``tag`` its segment id; the message starts with both when they are known.
    """

    def __init__(self, message: str, *, segment: int | None = None, tag: str = "") -> None:
        if segment is not None:
            message = f"segment {segment} ({tag}): {message}"
        super().__init__(message)
        self.segment = segment
        self.tag = tag


@dataclass(frozen=True)
class Delimiters:
    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str | None = None  # None before release 00402 (4010), where ISA11 is "U"
    line_break: str = ""  # written after each terminator: "", "\n" or "\r\n"

    def __post_init__(self) -> None:
        chars = [self.element, self.component, self.segment]
        if self.repetition is not None:
            chars.append(self.repetition)
        for char in chars:
            if len(char) != 1 or char.isalnum() or char == " ":
                raise X12Error(f"{shown(char)} cannot be a delimiter")
        if len(set(chars)) != len(chars):
            raise X12Error(f"the delimiters must all differ, got {shown(chars)}")
        if any(c not in _LINE_BREAKS or c in chars for c in self.line_break):
            raise X12Error(
                f"{shown(self.line_break)} is not a line break that can follow a segment"
            )

    @property
    def chars(self) -> str:
        return self.element + self.component + self.segment + (self.repetition or "")

    @property
    def reserved(self) -> str:
        """Characters that may not appear inside an element value."""
        return self.chars + _LINE_BREAKS


@dataclass(frozen=True)
class Segment:
    position: int  # 1-based in the interchange; ISA is 1
    tag: str
    elements: tuple[str, ...]  # elements[0] is the segment's 01 element

    def element(self, n: int) -> str:
        """Element ``n`` (1-based, as in ``PO102``); "" when absent."""
        return self.elements[n - 1] if 0 < n <= len(self.elements) else ""

    def designator(self, n: int) -> str:
        """The reference designator of element n, e.g. "PO102"."""
        return f"{self.tag}{n:02d}"

    def error(self, message: str) -> X12Error:
        return X12Error(message, segment=self.position, tag=self.tag)


def read_delimiters(text: str) -> Delimiters:
    """Delimiters of the interchange that ``text`` starts with."""
    if not text.startswith("ISA"):
        raise X12Error(f"an interchange starts with ISA, not {text[:3]!r}", segment=1, tag="ISA")
    if len(text) < ISA_LENGTH:
        raise X12Error(
            f"ISA is fixed width, {ISA_LENGTH} characters with its terminator;"
            f" the text has only {len(text)}",
            segment=1,
            tag="ISA",
        )
    fields = text[: ISA_LENGTH - 1].split(text[3])
    if len(fields) != len(ISA_WIDTHS) + 1:
        raise X12Error(
            f"expected 16 elements separated by {text[3]!r} in the first {ISA_LENGTH - 1}"
            f" characters, found {len(fields) - 1}",
            segment=1,
            tag="ISA",
        )
    for n, (value, width) in enumerate(zip(fields[1:], ISA_WIDTHS, strict=True), start=1):
        if len(value) != width:
            raise X12Error(
                f"ISA{n:02d} {value!r} is {len(value)} characters, its fixed width is {width}",
                segment=1,
                tag="ISA",
            )
    terminator = text[ISA_LENGTH - 1]
    end = ISA_LENGTH
    while end < len(text) and text[end] in _LINE_BREAKS and text[end] != terminator:
        end += 1
    repetition = fields[11] if fields[12] >= FIRST_RELEASE_WITH_REPETITION else None
    try:
        return Delimiters(text[3], fields[16], terminator, repetition, text[ISA_LENGTH:end])
    except X12Error as exc:
        raise X12Error(exc.message, segment=1, tag="ISA") from None


def tokenize(text: str) -> tuple[Delimiters, tuple[Segment, ...]]:
    """Split an interchange into segments, checking only the syntax (see ``read_interchange``)."""
    text = text.lstrip("\ufeff \t\r\n")
    delimiters = read_delimiters(text)
    ignorable = "".join(c for c in _LINE_BREAKS if c not in delimiters.chars)
    chunks = text.split(delimiters.segment)
    tail = chunks.pop()
    segments: list[Segment] = []
    for position, chunk in enumerate(chunks, start=1):
        raw = chunk.strip(ignorable)
        if not raw:
            raise X12Error("empty segment (two terminators in a row)", segment=position, tag="")
        tag, *elements = raw.split(delimiters.element)
        if not _SEGMENT_TAG.fullmatch(tag):
            raise X12Error(f"{tag[:12]!r} is not a segment id", segment=position, tag="?")
        segments.append(Segment(position, tag, tuple(elements)))
    if tail.strip(ignorable + " \t"):
        tag = tail.strip(ignorable).split(delimiters.element)[0][:3]
        raise X12Error(
            f"the text ends inside this segment, with no terminator {delimiters.segment!r}",
            segment=len(segments) + 1,
            tag=tag,
        )
    return delimiters, tuple(segments)


def render(segments: Iterable[Sequence[str]], delimiters: Delimiters) -> str:
    """Write segments (``[tag, element01, element02, ...]``) with the given delimiters.

    Trailing empty elements are dropped, as X12 requires. A value holding a delimiter (or a line
    break) is refused rather than silently splitting the element; ISA is exempt since ISA11 and
    ISA16 carry the delimiters themselves.
    """
    out: list[str] = []
    for segment in segments:
        tag, *values = segment
        while values and values[-1] == "":
            values.pop()
        if tag != "ISA":
            for n, value in enumerate(values, start=1):
                bad = next((c for c in value if c in delimiters.reserved), None)
                if bad is not None:
                    raise X12Error(f"{tag}{n:02d} {shown(value)} contains the delimiter {bad!r}")
        out.append(delimiters.element.join([tag, *values]) + delimiters.segment)
        out.append(delimiters.line_break)
    return "".join(out)


def number_value(segment: Segment, n: int) -> int:
    """Element ``n`` as an X12 ``N0`` (whole number) value; required."""
    raw = segment.element(n)
    if not DIGITS.fullmatch(raw):
        raise segment.error(f"{segment.designator(n)} {shown(raw)} is not a number")
    return int(raw)


def decimal_value(segment: Segment, n: int) -> Decimal | None:
    """Element ``n`` as an X12 ``R`` (decimal) value, or None when it is empty."""
    raw = segment.element(n).strip()
    if not raw:
        return None
    if not _NUMBER.fullmatch(raw):
        raise segment.error(f"{segment.designator(n)} {shown(raw)} is not a number")
    return Decimal(raw)


def date_value(segment: Segment, n: int) -> date | None:
    """Element ``n`` as an X12 ``DT`` CCYYMMDD date, or None when it is empty."""
    raw = segment.element(n).strip()
    if not raw:
        return None
    if _DATE.fullmatch(raw):
        try:
            return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        except ValueError:  # eight digits that are no day of the calendar (20261301)
            pass
    raise segment.error(f"{segment.designator(n)} {shown(raw)} is not a CCYYMMDD date")


def format_decimal(value: Decimal | int) -> str:
    """An ``R`` value: no exponent, no trailing zeros after the point."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


def format_date(value: date) -> str:
    return value.strftime("%Y%m%d")
