"""The Transaction API: point-of-sale transactions, kept for reconciliation.

Documented and enforced: the required fields and their types (the spec's model), the four
card BINs, an ISO 8601 ``transaction_timestamp`` with its time zone; a client-credentials
token of the app, with no particular scope.

The sandbox's choices (SANDBOX.md, "Transaction"): a user token is refused with 403; the
answer's ``id`` is the sandbox's own id for the transaction (the docs' example answers
``transaction-id-123`` to a request whose ``id`` is another); the same transaction sent again
(same ``id``, same body) gets the same answer, while an ``id`` reused for another transaction
is a 400 (the docs: "Avoid reusing the ID"); ``store_id`` is not checked against the stores,
as ingestion validates later. Transactions are ``pos_transaction`` documents keyed by the
caller's ``id``.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError, bad_request
from ._registry import Context, handles

FIRST_TRANSACTION = 730_000_001
NEEDS_APP_TOKEN = "The Transaction API needs a client credentials access token, not a user's"


@handles("send_pos_transaction")
def send_pos_transaction(ctx: Context) -> dict[str, Any]:
    if ctx.grant is None or ctx.grant.user_id is not None or ctx.grant.instacart_user_id:
        raise ApiError(403, NEEDS_APP_TOKEN, None)
    body = ctx.body
    sent = body.model_dump(mode="json", exclude_none=True)
    before = ctx.state.get("pos_transaction", body.id)
    if before is not None:
        if before["client_id"] == ctx.grant.client_id and before["request"] == sent:
            return {"id": before["instacart_id"]}  # the same transaction, sent again
        raise bad_request("Transaction with this id already exists", "id")
    instacart_id = f"transaction-{ctx.state.next_id('pos_transaction', FIRST_TRANSACTION)}"
    ctx.state.put(
        "pos_transaction",
        body.id,
        {
            "instacart_id": instacart_id,
            "client_id": ctx.grant.client_id,
            "request": sent,
            "received_at": ctx.instance.now().isoformat(),
        },
    )
    return {"id": instacart_id}
