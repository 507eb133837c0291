"""Root fields for ingestion: list and replay stored failures; reconcile a stock snapshot."""

from __future__ import annotations

import strawberry

from ordergraph.connectors.feeds import SNAPSHOT, FeedError, SnapshotRow, rows_from_records
from ordergraph.domain.errors import OrderGraphError, ValidationError
from ordergraph.graph.records.ingestion import IngestionFailureRecord
from ordergraph.schema.context import Info
from ordergraph.schema.errors import user_errors
from ordergraph.schema.ingestion import (
    IngestionFailure,
    IngestionFailureConnection,
    IngestionFailureStatus,
    IngestionReplayInput,
    IngestionReplayPayload,
    IngestionReplayResult,
    InventoryReconciliation,
    InventorySnapshotRowInput,
)
from ordergraph.schema.limits import MAX_INPUT_LIST, page_size
from ordergraph.schema.problems import raise_as_graphql
from ordergraph.schema.types import connection, decode_cursor
from ordergraph.services import feeds, ingestion

MAX_RECONCILIATION_ROWS = 1000


def _cursor(rec: IngestionFailureRecord) -> str:
    return f"{rec.received_at_ms}:{rec.id}"


def _after(cursor: str) -> tuple[int, str]:
    ms, _, failure_id = decode_cursor(cursor).partition(":")
    if not ms.isdigit() or not failure_id:
        raise ValueError(f"not a cursor this API gave out: {cursor!r}")
    return int(ms), failure_id


@strawberry.type
class IngestionQuery:
    @strawberry.field(
        description="Payloads that could not become orders, newest first. "
        "`status: null` lists open and resolved ones."
    )
    async def ingestion_failures(
        self,
        info: Info,
        first: int | None = 50,
        after: str | None = None,
        channel: strawberry.ID | None = None,
        status: IngestionFailureStatus | None = IngestionFailureStatus.OPEN,
    ) -> IngestionFailureConnection:
        with raise_as_graphql():
            size = page_size(50 if first is None else first)
            key = _after(after) if after else None
        rows = await ingestion.failure_page(
            info.context.store,
            first=size,
            after=key,
            channel=None if channel is None else str(channel),
            status=status.value if status else None,
        )
        return connection(
            IngestionFailureConnection, rows, size, _cursor, IngestionFailure.from_record
        )

    @strawberry.field(
        description="Compare a stock snapshot (at most 1000 rows) with the OMS: "
        "positions that differ or are missing on either side, and reservations "
        "the snapshot would leave uncovered. Writes nothing."
    )
    async def inventory_reconciliation(
        self, info: Info, rows: list[InventorySnapshotRowInput]
    ) -> InventoryReconciliation:
        with raise_as_graphql():
            if len(rows) > MAX_RECONCILIATION_ROWS:
                raise ValidationError(
                    f"at most {MAX_RECONCILIATION_ROWS} rows; reconcile a "
                    "larger file with `ordergraph reconcile FILE`",
                    field=("rows",),
                )
            records = [
                {
                    k: v
                    for k, v in {
                        "location": str(r.location),
                        "sku": str(r.sku),
                        "onHand": r.on_hand,
                        "safetyStock": r.safety_stock,
                    }.items()
                    if v is not None
                }
                for r in rows
            ]
            try:
                checked = rows_from_records(records, SNAPSHOT)
            except FeedError as exc:
                first = exc.problems[0]
                raise ValidationError(
                    f"{exc.message}; {first}"
                    + (f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""),
                    field=("rows", str((first.row or 1) - 1), first.field or ""),
                ) from None
            snapshot = [r for r in checked if isinstance(r, SnapshotRow)]
            report = await feeds.reconcile_snapshot(info.context.store, snapshot)
        return InventoryReconciliation.of(report)


@strawberry.type
class IngestionMutation:
    @strawberry.mutation(
        description="Run stored failures again, e.g. after adding a missing "
        "SKU; a success resolves the failure. One result per id."
    )
    async def ingestion_replay(
        self, info: Info, input: IngestionReplayInput
    ) -> IngestionReplayPayload:
        ids = [str(i) for i in input.ids]
        if len(ids) > MAX_INPUT_LIST:
            return IngestionReplayPayload(
                results=[],
                user_errors=user_errors(
                    ValidationError(f"at most {MAX_INPUT_LIST} ids", field=("ids",))
                ),
            )
        try:
            done = await ingestion.replay(
                info.context.store,
                list(dict.fromkeys(ids)),
                config=ingestion.IngestConfig.from_settings(info.context.settings),
            )
        except OrderGraphError as exc:
            return IngestionReplayPayload(results=[], user_errors=user_errors(exc))
        return IngestionReplayPayload(
            results=[IngestionReplayResult.from_outcome(i, o) for i, o in done], user_errors=[]
        )
