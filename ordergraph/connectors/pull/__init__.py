"""Pull connectors: fetch an order from the channel's own API when a notification names it.

BigCommerce (``store/order/*`` webhooks), eBay (Notification API) and Amazon (SP-API
``ORDER_CHANGE``) notifications carry only the order id; a WooCommerce order lists its refunds
without saying which lines they took back. ``resolve`` turns such a body into one the channel's
parser reads, by calling the channel with the store credentials in ``PullConfig`` (settings per
channel, read from ``ORDERGRAPH_<CHANNEL>_*``; docs/connectors.md lists them).

Every call goes through one shared ``httpx.AsyncClient`` (``http.shared_client``) with explicit
timeouts, a bounded number of attempts with exponential backoff, and the rate-limit answers each
channel documents (429 with ``Retry-After`` or ``X-Rate-Limit-Time-Reset-Ms``). When the channel
cannot be reached, ``PullFailed`` says why with a code; the caller keeps the notification for
replay, and a replay pulls again.
"""
