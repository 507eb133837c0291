"""Settings of the HTTP edge: the environment follows the bind address unless ORDERGRAPH_ENV
says otherwise, body limits and the metrics token come from the environment, a bad CIDR in
the webhook allow-list stops the start with a reason."""

from __future__ import annotations

import pytest

from ordergraph.settings import Settings


@pytest.mark.parametrize(
    "host,env",
    [
        ("127.0.0.1", "development"),
        ("127.0.0.2", "development"),
        ("::1", "development"),
        ("[::1]", "development"),
        ("localhost", "development"),
        ("0.0.0.0", "production"),
        ("::", "production"),
        ("10.0.0.5", "production"),
        ("api.example.com", "production"),
    ],
)
def test_without_ordergraph_env_the_host_decides(host: str, env: str) -> None:
    settings = Settings.from_env({"ORDERGRAPH_HOST": host})
    assert settings.env == env and host in settings.env_reason


def test_a_host_given_on_the_command_line_decides_too() -> None:
    assert Settings.from_env({}).with_(host="0.0.0.0").env == "production"
    assert Settings.from_env({"ORDERGRAPH_HOST": "0.0.0.0"}).with_(host="127.0.0.1").env == (
        "development"
    )


@pytest.mark.parametrize("given", ["development", "production"])
def test_an_explicit_env_wins(given: str) -> None:
    for host in ("0.0.0.0", "127.0.0.1"):
        settings = Settings.from_env({"ORDERGRAPH_ENV": given, "ORDERGRAPH_HOST": host})
        assert settings.env == given and settings.with_(host="10.1.1.1").env == given
        assert settings.env_reason == "ORDERGRAPH_ENV"


def test_limits_token_and_allow_list_come_from_the_environment() -> None:
    defaults = Settings.from_env({})
    assert (defaults.max_graphql_bytes, defaults.max_ingest_bytes, defaults.max_feed_bytes) == (
        1 << 20,
        5 << 20,
        8 << 20,
    )
    assert defaults.metrics_token is None and defaults.webhook_allow_private == ()
    settings = Settings.from_env(
        {
            "ORDERGRAPH_MAX_GRAPHQL_BYTES": "2048",
            "ORDERGRAPH_MAX_FEED_BYTES": "4096",
            "ORDERGRAPH_METRICS_TOKEN": " tok ",
            "ORDERGRAPH_WEBHOOK_ALLOW_PRIVATE": "10.0.0.0/8, 127.0.0.1,fd00::/8",
        }
    )
    assert settings.max_graphql_bytes == 2048 and settings.max_feed_bytes == 4096
    assert settings.metrics_token == "tok"
    assert settings.webhook_allow_private == ("10.0.0.0/8", "127.0.0.1", "fd00::/8")


def test_a_bad_cidr_in_the_allow_list_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="ORDERGRAPH_WEBHOOK_ALLOW_PRIVATE"):
        Settings.from_env({"ORDERGRAPH_WEBHOOK_ALLOW_PRIVATE": "10.0.0.0/8,intranet"})
