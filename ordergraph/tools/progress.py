"""Progress bars for long jobs (loading a network, ingesting feeds), drawn with rich on stderr."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from ordergraph.services.network import Progress as ProgressFn


@contextmanager
def section_progress(enabled: bool = True) -> Iterator[ProgressFn]:
    """A ``(section, done, total)`` callback that draws one bar per section."""
    console = Console(stderr=True)
    bars = Progress(
        TextColumn("{task.description:>10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not enabled,
    )
    tasks: dict[str, TaskID] = {}

    def advance(section: str, done: int, total: int) -> None:
        if section not in tasks:
            tasks[section] = bars.add_task(section, total=total)
        bars.advance(tasks[section], done)

    with bars:
        yield advance
