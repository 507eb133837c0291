"""The webhook URL rules (connectors/webhooks.py) without a network: every spelling of an
internal address is refused, public ones pass, the allow-list opens only what it names."""

from __future__ import annotations

import ipaddress

import pytest

from ordergraph.connectors import webhooks

REFUSED = [
    "http://169.254.169.254/",
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.0.0.1/",
    "http://0177.0.0.1/",
    "http://017700000001/",
    "http://0.0.0.0/",
    "http://0/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://a.localhost/",
    "http://10.1.2.3/",
    "http://172.31.255.255/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://198.18.0.1/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[fdff::1]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://255.255.255.255/",
]
ACCEPTED = [
    "https://hooks.example.com/og",
    "http://8.8.8.8/",
    "http://[2001:4860:4860::8888]/",
    "https://93.184.215.14:8443/x?y=1",
]


@pytest.mark.parametrize("url", REFUSED)
def test_every_spelling_of_an_internal_address_is_refused(url: str) -> None:
    problem = webhooks.target_problem(url)
    assert problem is not None and "public addresses only" in problem


@pytest.mark.parametrize("url", ACCEPTED)
def test_public_targets_pass(url: str) -> None:
    assert webhooks.target_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://u:p@hooks.example.com/",
        "https://u@hooks.example.com/",
        "https://:p@hooks.example.com/",
    ],
)
def test_credentials_are_refused_without_repeating_them(url: str) -> None:
    problem = webhooks.url_problem(url)
    assert problem is not None and "credentials" in problem and "p@" not in problem


def test_the_allow_list_opens_only_the_networks_it_names() -> None:
    allow = webhooks.networks(["127.0.0.0/8", "fd00::/8"])
    assert webhooks.target_problem("http://127.0.0.1:9000/", allow) is None
    assert webhooks.target_problem("http://[::ffff:127.0.0.1]/", allow) is None
    assert webhooks.target_problem("http://[fd00::5]/", allow) is None
    assert webhooks.target_problem("http://169.254.169.254/", allow) is not None
    assert webhooks.target_problem("http://10.0.0.1/", allow) is not None


def test_addresses_are_judged_after_resolution_too() -> None:
    assert webhooks.address_problem(ipaddress.ip_address("127.0.0.1")) is not None
    assert webhooks.address_problem(ipaddress.ip_address("93.184.215.14")) is None


def test_redacted_hides_credentials_only() -> None:
    assert (
        webhooks.redacted("https://u:p@h.example.com:8/x?y=1")
        == "https://***@h.example.com:8/x?y=1"
    )
    assert webhooks.redacted("https://h.example.com/x") == "https://h.example.com/x"
