"""X12 envelopes: reading and checking ISA/GS/ST ... SE/GE/IEA, and writing them.

The checks, each raising ``X12Error`` with the segment number and tag:

- IEA01 is the number of GS groups and IEA02 equals ISA13;
- GE01 is the number of ST sets in the group and GE02 equals GS06;
- SE01 is the number of segments from ST to SE inclusive and SE02 equals ST02;
- nothing follows IEA, every ST has its SE before the next envelope segment, the interchange
  does not end early, and the release is 00401/00501 (ISA12) and 004010/005010 (GS08).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from ordergraph.connectors.x12.syntax import (
    DIGITS,
    FIRST_RELEASE_WITH_REPETITION,
    Delimiters,
    Segment,
    X12Error,
    number_value,
    read_delimiters,
    render,
    shown,
    tokenize,
)
from ordergraph.domain.errors import ValidationError

INTERCHANGE_VERSIONS = ("00401", "00501")  # ISA12
GROUP_VERSIONS = ("004010", "005010")  # GS08, possibly followed by an industry suffix
_MAX_CONTROL = 999_999_999
_ENVELOPE_TAGS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
T = TypeVar("T")


@dataclass(frozen=True)
class Endpoint:
    """One side of an exchange: ISA05/ISA06 (or ISA07/ISA08) and GS02 (or GS03)."""

    qualifier: str
    id: str  # without the ISA padding
    application_id: str


@dataclass(frozen=True)
class Envelope:
    """Who sends to whom, in which release and with which delimiters."""

    sender: Endpoint
    receiver: Endpoint
    interchange_version: str  # ISA12, "00401" or "00501"
    group_version: str  # GS08, "004010" or "005010" (an industry suffix is kept)
    delimiters: Delimiters
    usage: str = "P"  # ISA15: P production, T test

    def reply(self) -> Envelope:
        """The envelope of an answer: same release, delimiters and usage, sides swapped."""
        return replace(self, sender=self.receiver, receiver=self.sender)


@dataclass(frozen=True)
class ControlNumbers:
    """ISA13/IEA02, GS06/GE02 and ST02/SE02 of one transaction set."""

    interchange: int
    group: int
    transaction: int

    def __post_init__(self) -> None:
        for name in ("interchange", "group", "transaction"):
            value = getattr(self, name)
            if not 1 <= value <= _MAX_CONTROL:
                raise ValidationError(
                    f"a {name} control number is 1 to 9 digits, got {value}", field=(name,)
                )


@dataclass(frozen=True)
class TransactionSet:
    code: str  # ST01, e.g. "850"
    control_number: str  # ST02
    segments: tuple[Segment, ...]  # ST .. SE inclusive

    @property
    def header(self) -> Segment:
        return self.segments[0]

    @property
    def body(self) -> tuple[Segment, ...]:
        return self.segments[1:-1]


@dataclass(frozen=True)
class FunctionalGroup:
    functional_id: str  # GS01, e.g. "PO", "PR", "SH"
    sender: str  # GS02
    receiver: str  # GS03
    control_number: str  # GS06
    version: str  # GS08
    transaction_sets: tuple[TransactionSet, ...]


@dataclass(frozen=True)
class Interchange:
    delimiters: Delimiters
    sender_qualifier: str  # ISA05
    sender_id: str  # ISA06, trimmed
    receiver_qualifier: str  # ISA07
    receiver_id: str  # ISA08, trimmed
    version: str  # ISA12
    control_number: str  # ISA13
    usage: str  # ISA15
    groups: tuple[FunctionalGroup, ...]
    segments: tuple[Segment, ...]

    def envelope(self, group: FunctionalGroup) -> Envelope:
        return Envelope(
            sender=Endpoint(self.sender_qualifier, self.sender_id, group.sender),
            receiver=Endpoint(self.receiver_qualifier, self.receiver_id, group.receiver),
            interchange_version=self.version,
            group_version=group.version,
            delimiters=self.delimiters,
            usage=self.usage,
        )


def split_interchanges(text: str, limit: int) -> list[str]:
    """The interchanges of a body or file that holds one or more, one after the other (as a VAN
    mailbox file does, and our own answers to an interchange of several POs), each with its own
    delimiters; what follows the last IEA stays with it for ``read_interchange`` to refuse."""
    out: list[str] = []
    rest = text.lstrip("\ufeff \t\r\n")
    while True:
        d = read_delimiters(rest)
        element, segment = re.escape(d.element), re.escape(d.segment)
        trailer = re.search(f"{segment}[\r\n]*IEA{element}[^{segment}]*{segment}", rest)
        after = rest[trailer.end() :].lstrip(" \t\r\n") if trailer else ""
        if trailer is None or not after.startswith("ISA"):
            return [*out, rest]
        out.append(rest[: trailer.end()])
        if len(out) >= limit:
            raise X12Error(f"the payload holds more than {limit} interchanges")
        rest = after


def read_interchange(text: str) -> Interchange:
    """Tokenize one interchange and check its envelopes."""
    delimiters, segments = tokenize(text)
    isa = segments[0]
    if isa.element(12) not in INTERCHANGE_VERSIONS:
        raise isa.error(
            f"ISA12 {shown(isa.element(12))} is not a supported release {INTERCHANGE_VERSIONS}"
        )
    if not DIGITS.fullmatch(isa.element(13)):
        raise isa.error(f"ISA13 {shown(isa.element(13))} is not a 9-digit control number")
    for n in (6, 8):  # who sends and who receives: the 855 goes back between them
        if not isa.element(n).strip():
            raise isa.error(
                f"ISA{n:02d} (interchange {'sender' if n == 6 else 'receiver'} id) is blank"
            )
    groups, i = _members(
        segments, 1, isa, _INTERCHANGE, _read_group, "the interchange ends without an IEA segment"
    )
    if i + 1 < len(segments):
        raise segments[i + 1].error("data after the IEA segment")
    return Interchange(
        delimiters=delimiters,
        sender_qualifier=isa.element(5),
        sender_id=isa.element(6).strip(),
        receiver_qualifier=isa.element(7),
        receiver_id=isa.element(8).strip(),
        version=isa.element(12),
        control_number=isa.element(13),
        usage=isa.element(15),
        groups=tuple(groups),
        segments=segments,
    )


def interchange_control(text: str) -> tuple[ControlNumbers, ...]:
    """The control numbers of every transaction set in a (checked) interchange, in order."""
    interchange = read_interchange(text)
    return tuple(
        ControlNumbers(
            int(interchange.control_number),
            int(group.control_number),
            number_value(ts.header, 2),
        )
        for group in interchange.groups
        for ts in group.transaction_sets
    )


def write_interchange(
    envelope: Envelope,
    *,
    functional_id: str,
    transaction_set: str,
    body: Sequence[Sequence[str]],
    controls: ControlNumbers,
    when: datetime,
) -> str:
    """One interchange holding one group holding one transaction set, counts filled in."""
    delimiters = envelope.delimiters
    if envelope.interchange_version >= FIRST_RELEASE_WITH_REPETITION:
        if delimiters.repetition is None:
            raise X12Error(f"release {envelope.interchange_version} needs a repetition separator")
        isa11 = delimiters.repetition
    else:
        isa11 = "U"
    for side in (envelope.sender, envelope.receiver):
        if len(side.qualifier) != 2 or not 1 <= len(side.id) <= 15:
            raise X12Error(f"{side} does not fit ISA (2-character qualifier, id of 1-15)")
    sender, receiver = envelope.sender, envelope.receiver
    isa = ["ISA", "00", " " * 10, "00", " " * 10]
    isa += [sender.qualifier, sender.id.ljust(15), receiver.qualifier, receiver.id.ljust(15)]
    isa += [when.strftime("%y%m%d"), when.strftime("%H%M"), isa11, envelope.interchange_version]
    isa += [f"{controls.interchange:09d}", "0", envelope.usage, delimiters.component]
    gs = ["GS", functional_id, sender.application_id, receiver.application_id]
    gs += [when.strftime("%Y%m%d"), when.strftime("%H%M"), str(controls.group), "X"]
    gs += [envelope.group_version]
    st02 = f"{controls.transaction:04d}"
    segments: list[Sequence[str]] = [
        isa,
        gs,
        ("ST", transaction_set, st02),
        *body,
        ("SE", str(len(body) + 2), st02),
        ("GE", "1", str(controls.group)),
        ("IEA", "1", f"{controls.interchange:09d}"),
    ]
    return render(segments, delimiters)


@dataclass(frozen=True)
class _Level:
    """An envelope that holds others: its members' header tag, its trailer, what the trailer's
    01 element counts (in which envelope), and the header element its 02 repeats."""

    member: str
    trailer: str
    counted: str
    where: str
    control: int


_INTERCHANGE = _Level("GS", "IEA", "functional groups", "the interchange", 13)
_GROUP = _Level("ST", "GE", "transaction sets", "the group", 6)


def _members(
    segments: tuple[Segment, ...],
    i: int,
    header: Segment,
    level: _Level,
    read: Callable[[tuple[Segment, ...], int], tuple[T, int]],
    unended: str,
) -> tuple[list[T], int]:
    """The envelopes inside ``header``'s, from segment ``i`` (each read by ``read``) up to its
    trailer, which must count them and repeat the header's control number; (them, the trailer's
    index). ``unended``: the error when the interchange ends first."""
    members: list[T] = []
    while True:
        if i >= len(segments):
            raise segments[-1].error(unended)
        segment = segments[i]
        if segment.tag == level.trailer:
            break
        if segment.tag != level.member:
            raise segment.error(f"expected {level.member} or {level.trailer}, found {segment.tag}")
        member, i = read(segments, i)
        members.append(member)
    trailer = segments[i]
    _check_count(trailer, 1, len(members), level.counted, level.where)
    _check_control(trailer, 2, header, level.control)
    return members, i


def _read_group(segments: tuple[Segment, ...], i: int) -> tuple[FunctionalGroup, int]:
    gs = segments[i]
    number_value(gs, 6)
    if gs.element(8)[:6] not in GROUP_VERSIONS:
        raise gs.error(f"GS08 {shown(gs.element(8))} is not a supported version {GROUP_VERSIONS}")
    sets, i = _members(
        segments,
        i + 1,
        gs,
        _GROUP,
        _read_set,
        f"the interchange ends inside functional group {gs.element(6)}"
        f" (segment {gs.position}), which has no GE",
    )
    group = FunctionalGroup(
        functional_id=gs.element(1),
        sender=gs.element(2),
        receiver=gs.element(3),
        control_number=gs.element(6),
        version=gs.element(8),
        transaction_sets=tuple(sets),
    )
    return group, i + 1


def _read_set(segments: tuple[Segment, ...], i: int) -> tuple[TransactionSet, int]:
    st = segments[i]
    if not 4 <= len(st.element(2)) <= 9:
        raise st.error(f"ST02 {shown(st.element(2))} is not a control number of 4 to 9 characters")
    for j in range(i + 1, len(segments)):
        segment = segments[j]
        if segment.tag == "SE":
            _check_control(segment, 2, st, 2)
            _check_count(segment, 1, j - i + 1, "segments", "the transaction set")
            return TransactionSet(st.element(1), st.element(2), segments[i : j + 1]), j + 1
        if segment.tag in _ENVELOPE_TAGS:
            raise segment.error(
                f"transaction set {st.element(2)} (segment {st.position}) has no SE"
                f" before this {segment.tag}"
            )
    raise segments[-1].error(
        f"the interchange ends inside transaction set {st.element(2)} (segment {st.position})"
    )


def _check_count(trailer: Segment, n: int, actual: int, what: str, where: str) -> None:
    said = number_value(trailer, n)
    if said != actual:
        raise trailer.error(f"{trailer.designator(n)} says {said} {what}, {where} has {actual}")


def _check_control(trailer: Segment, n: int, header: Segment, m: int) -> None:
    if trailer.element(n) != header.element(m):
        raise trailer.error(
            f"{trailer.designator(n)} {shown(trailer.element(n))} does not match"
            f" {header.designator(m)} {shown(header.element(m))} (segment {header.position})"
        )
