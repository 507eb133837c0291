"""The summary table of a simulation report for the terminal (``ordergraph simulate``), drawn
with rich."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ordergraph.domain.kpis import RATE_KPIS
from ordergraph.domain.simulation import SimulationReport


def _cell(name: str, value: float | None, *, delta: bool = False) -> str:
    if value is None:
        return "-"
    if name in RATE_KPIS:
        return f"{value * 100:+.2f} pt" if delta else f"{value:.2%}"
    if isinstance(value, int) and not delta:
        return str(value)
    return f"{value:+.2f}" if delta else f"{value:.2f}"


def kpi_table(report: SimulationReport) -> Table:
    table = Table(title=f"{report.policy} vs {report.baseline} ({report.stock.value} stock)")
    table.add_column("KPI")
    table.add_column(report.policy, justify="right")
    table.add_column(report.baseline, justify="right")
    table.add_column("delta", justify="right")
    mine, theirs = report.kpis.values(), report.baseline_kpis.values()
    for name, value in mine.items():
        table.add_row(
            name,
            _cell(name, value),
            _cell(name, theirs[name]),
            _cell(name, report.deltas.get(name), delta=True),
        )
    return table


def print_report(run_id: str, report: SimulationReport, console: Console | None = None) -> None:
    console = console or Console()
    console.print(kpi_table(report))
    console.print(
        f"run {run_id}: {report.orders} orders replayed, {report.skipped} skipped, "
        f"{report.changed} with a changed plan"
    )
    for reason in report.skipped_reasons[:5]:
        console.print(f"  skipped {reason}")
    for change in report.changed_orders[:5]:
        mine = ", ".join(f"{s.location_id} {s.carrier}/{s.service}" for s in change.plan.shipments)
        theirs = ", ".join(
            f"{s.location_id} {s.carrier}/{s.service}" for s in change.baseline_plan.shipments
        )
        console.print(f"  {change.order}: {mine or 'nothing'}  <-  {theirs or 'nothing'}")
    if report.gate_failures is not None:
        if report.gate_failures:
            console.print("[red]gates failed:[/red]")
            for failure in report.gate_failures:
                console.print(f"  {failure}")
        else:
            console.print("[green]gates passed[/green]")
