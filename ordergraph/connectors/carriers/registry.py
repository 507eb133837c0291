"""The configured carrier adapters, by account name (settings ``carriers``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ordergraph.connectors.carriers.easypost import EasyPost
from ordergraph.connectors.carriers.port import Carrier
from ordergraph.settings import CarrierAccount

ADAPTERS: Mapping[str, Callable[[CarrierAccount, float], Carrier]] = {
    "easypost": lambda account, timeout_s: EasyPost(
        account.api_key,
        base_url=account.base_url or "https://api.easypost.com/v2",
        webhook_secret=account.webhook_secret,
        timeout_s=timeout_s,
        name=account.name,
    ),
}
"""Adapter kinds: a new multi-carrier API is one module and one line here."""


def build_carriers(accounts: Mapping[str, CarrierAccount], timeout_s: float) -> dict[str, Carrier]:
    """One adapter per account; an account of an unknown kind is a configuration error."""
    carriers: dict[str, Carrier] = {}
    for name, account in sorted(accounts.items()):
        make = ADAPTERS.get(account.kind)
        if make is None:
            known = ", ".join(sorted(ADAPTERS))
            raise ValueError(f"carrier account {name!r} has kind {account.kind!r}; known: {known}")
        carriers[name] = make(account, timeout_s)
    return carriers
