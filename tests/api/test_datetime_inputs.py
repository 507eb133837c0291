"""A bad DateTime variable is a request error in our words, never the parser's own text (which
names Python internals such as ``invalid literal for int()``)."""

from __future__ import annotations

import pytest

from tests.conftest import GraphQLClient

DELIVER = """mutation($i: FulfillmentDeliverInput!) { fulfillmentDeliver(input: $i) {
  userErrors { code } } }"""


@pytest.mark.parametrize("value", ["tab\tvt\x0bff\f", "x\x01\x02", "2026-13-01T00:00:00Z", "12"])
async def test_a_bad_datetime_variable_is_refused_in_our_words(
    gql: GraphQLClient, value: str
) -> None:
    body = await gql.raw(DELIVER, i={"fulfillmentId": "F-1", "deliveredAt": value})
    (error,) = body["errors"]
    assert error["message"] == (
        "Variable '$i' has invalid value at .deliveredAt: "
        "expected an ISO 8601 date and time, e.g. 2026-11-23T15:00:00Z"
    )
