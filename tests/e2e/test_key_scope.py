"""What a key may be scoped to, checked at creation (issue #10: #8, #18), through the
``apiKeyCreate`` mutation over real HTTP and the ``ordergraph apikey create`` command.

A storefront key names channels (and no locations), a partner key names locations (and no
channels), integration and admin keys name neither; every channel and location must exist.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

pytestmark = pytest.mark.slow

MUTATION = """mutation($input: ApiKeyCreateInput!) { apiKeyCreate(input: $input) {
  key apiKey { id } userErrors { code field message } } }"""


def attempt(live: Any, **spec: Any) -> dict[str, Any]:
    body = live.gql("admin", MUTATION, input={"name": "probe", **spec}).json()
    assert not body.get("errors"), body
    return body["data"]["apiKeyCreate"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("spec", "code", "field", "words"),
    [
        (
            {"role": "partner", "locations": ["STORE-SF"], "channels": ["web"]},
            "INVALID_INPUT",
            "channels",
            "partner",
        ),
        (
            {"role": "storefront", "channels": ["web"], "locations": ["STORE-SF"]},
            "INVALID_INPUT",
            "locations",
            "storefront",
        ),
        ({"role": "integration", "channels": ["web"]}, "INVALID_INPUT", "channels", "integration"),
        ({"role": "storefront", "channels": ["nope"]}, "UNKNOWN_CHANNEL", "channels", "nope"),
        (
            {"role": "partner", "locations": ["STORE-NOWHERE"]},
            "UNKNOWN_LOCATION",
            "locations",
            "STORE-NOWHERE",
        ),
    ],
)
def test_api_key_create_refuses_a_scope_it_would_ignore_or_cannot_match(
    live: Any, spec: dict[str, Any], code: str, field: str, words: str
) -> None:
    answer = attempt(live, **spec)
    assert answer["key"] is None and answer["apiKey"] is None
    error = answer["userErrors"][0]
    assert error["code"] == code and error["field"] == ["input", field]
    assert words in error["message"]


def test_valid_scopes_still_make_keys(live: Any) -> None:
    for spec in (
        {"role": "storefront", "channels": ["web", "amazon"]},
        {"role": "partner", "locations": ["STORE-SF", "DC-RENO"]},
        {"role": "integration"},
    ):
        answer = attempt(live, **spec)
        assert answer["userErrors"] == [] and answer["key"].startswith("og_"), spec


def cli(live: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ORDERGRAPH_FALKORDB_URL": live.engine_url, "ORDERGRAPH_GRAPH": live.graph}
    return subprocess.run(
        [sys.executable, "-m", "ordergraph.cli", "apikey", "create", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ("--name", "x", "--role", "partner", "--location", "STORE-SF", "--channel", "web"),
            "partner",
        ),
        (("--name", "x", "--role", "storefront", "--channel", "nope"), "nope"),
        (("--name", "x", "--role", "partner", "--location", "NOWHERE"), "NOWHERE"),
    ],
)
def test_the_cli_refuses_the_same_scopes(live: Any, args: tuple[str, ...], words: str) -> None:
    done = cli(live, *args)
    assert done.returncode != 0
    assert words in done.stderr and "og_" not in done.stdout
    assert "Traceback" not in done.stderr


def test_the_cli_makes_a_valid_key(live: Any) -> None:
    done = cli(live, "--name", "shop", "--role", "storefront", "--channel", "web")
    assert done.returncode == 0, done.stderr
    assert " storefront og_" in done.stdout
