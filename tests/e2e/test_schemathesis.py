"""Schemathesis' GraphQL fuzzing against the real server: no input may earn a 5xx.

Every Query and Mutation field gets a few generated documents (``MAX_EXAMPLES``) sent to
``ordergraph serve`` (auth off, small network, a throwaway data directory). Skipped when
schemathesis is not installed (it is in the ``test`` extras).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from graphql import StringValueNode, parse_value  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.conftest import FIXTURES  # noqa: E402
from tests.e2e.test_serve import Server  # noqa: E402

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 10

# The JSON scalar (a routing policy document) is not one schemathesis knows: documents as an
# author or an attacker would send them (valid, half valid, wrong kinds), and any text.
JSON_LITERALS = (
    "{}",
    '{id: "FUZZ", rules: []}',
    '{id: "FUZZ", rules: [{actions: [{type: "MAX_SHIPMENTS", maxShipments: 2}]}]}',
    '{id: "FUZZ", objective: {shippingCost: -1}, rules: [{actions: [{type: "NOPE"}]}]}',
    '{id: 7, gates: "no"}',
    "[1, 2, 3]",
    "12",
    "true",
)
schemathesis.graphql.scalar(
    "JSON",
    st.one_of(
        st.sampled_from(JSON_LITERALS).map(parse_value),
        st.text(max_size=40).map(lambda text: StringValueNode(value=text)),
    ),
)


@pytest.fixture(scope="module")
def graphql_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz") / "data"
    server = Server(data_dir, "--network", str(FIXTURES / "network_small.json"))
    try:
        server.wait_ready()
        yield schemathesis.graphql.from_url(f"{server.url}/graphql")
    finally:
        server.stop(signal.SIGTERM)


# schemathesis' own pytest integration (``schemathesis.pytest.from_fixture`` and
# ``parametrize``) fails on pytest 9 ("'Function' object has no attribute '_nodeid'"), so the
# operations are walked here, each with its hypothesis strategy.
def test_no_generated_request_is_a_server_error(graphql_schema: Any) -> None:
    server_errors: list[str] = []
    statuses: dict[int, int] = {}
    operations = 0
    for result in graphql_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        label = operation.label

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate],
        )
        def fuzz(case: Any) -> None:
            response = case.call(timeout=30)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                where = label  # noqa: B023 - fuzz() runs within this iteration
                server_errors.append(
                    f"{where}: HTTP {response.status_code} for {case.body!r}: {response.text[:300]}"
                )

        fuzz()
    print(f"{operations} operations, HTTP statuses {statuses}")
    assert operations > 20
    assert sum(statuses.values()) >= operations
    assert server_errors == []
