"""The Transaction API: a retailer's point-of-sale (POS) transactions, sent within 10 minutes of
checkout so that Instacart can match them to online orders and audit them
(docs.instacart.com/connect/api/transaction/send_pos_transaction).

One operation. It needs a client-credentials token of the app and no particular scope (its
``scope`` here is ``""``: any token of the app). The request's required fields and types are
the docs'; the fields of ``tenders``, ``items`` and ``taxes`` are those of the docs' tutorial
example, as the reference page's tables of those objects could not be read (SANDBOX.md,
"Transaction"). The answer is ``{"id"}``, the transaction's id at Instacart.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from .base import Operation, RequestModel, ResponseModel, volatile

#: The first six digits of the payment cards the docs list as accepted.
Bin = Literal["539186", "546683", "555370", "551917"]

# ISO 8601 with a UTC offset or Z. The docs' own example offset is "-5:00": one hour digit
# is read as "-05:00".
_MOMENT = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(Z|([+-])(\d{1,2}):(\d{2}))$"
)
_MOMENT_MESSAGE = (
    "must be an ISO 8601 time with a UTC offset or Z, e.g. 2022-03-09T16:37:00Z or "
    "2022-03-09T11:37:00-05:00"
)


def _moment(text: str) -> str:
    """``text`` if it is an ISO 8601 time with its zone, the only form the docs accept.

    >>> _moment("2022-03-09T11:37:00-5:00")
    '2022-03-09T11:37:00-5:00'
    >>> _moment("2022-03-09 11:37")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: must be an ISO 8601 time with a UTC offset or Z, ...
    """
    found = _MOMENT.match(text)
    if found is None:
        raise ValueError(_MOMENT_MESSAGE)
    local, zone, sign, hours, minutes = found.groups()
    offset = "+00:00" if zone == "Z" else f"{sign}{int(hours):02d}:{minutes}"
    try:
        moment = datetime.fromisoformat(local + offset)
    except ValueError:
        raise ValueError(_MOMENT_MESSAGE) from None
    if not 1970 <= moment.year <= 2999:
        raise ValueError("must be a time between the years 1970 and 2999")
    return text


#: A transaction time as the docs write it: ``2022-03-09T16:37:00Z``, ``...T11:37:00-5:00``.
TransactionTime = Annotated[
    str,
    AfterValidator(_moment),
    Field(description="ISO 8601 with the time zone at the end, or UTC (Z)."),
]


class PosTender(RequestModel):
    """One way the transaction was paid (fields of the docs' example)."""

    type: str | None = Field(None, examples=["CREDIT_CARD"])
    amount: float | None = Field(None, examples=[100.22])
    approval_processed_by_code: str | None = Field(None, examples=["RETAILER"])


class PosItem(RequestModel):
    """One item of the transaction (fields of the docs' example)."""

    line_item_number: str | None = Field(None, examples=["1"])
    bar_code: str | None = Field(None, examples=["7789048811"])
    retailer_reference_code: str | None = Field(None, examples=["48811"])
    description: str | None = None
    category: str | None = None
    price_per_unit: float | None = Field(None, examples=[0.05])
    item_price: float | None = Field(None, examples=[0.05])
    quantity: float | None = Field(None, examples=[1])


class PosTax(RequestModel):
    """One tax of the transaction (fields of the docs' example)."""

    type: str | None = Field(None, examples=["OTHER"])
    type_other: str | None = Field(None, examples=["TotalTaxes"])
    amount: float | None = Field(None, examples=[1.22])


class PosTransactionRequest(RequestModel):
    """A POS transaction (send_pos_transaction: required fields and types as documented)."""

    bin: Bin | None = Field(None, description="The first six digits of the payment card.")
    last_four: str = Field(
        pattern=r"^[0-9]{4}$", examples=["9929"], description="The card's last four digits."
    )
    transaction_timestamp: TransactionTime = Field(examples=["2022-09-12T17:34:00Z"])
    id: str = Field(
        min_length=1,
        examples=["12_0200_0036_4e45e940-9bf2-4bf0-bf98-ee8a40540ac3"],
        description="Unique across all stores and banners: do not reuse it.",
    )
    store_id: str = Field(min_length=1, examples=["12"], description="The store.")
    checkout_id: str | None = Field(None, description="The id given in checkout registration.")
    sub_total: float | None = Field(None, examples=[99.0], description="Without taxes and fees.")
    total: float = Field(examples=[100.22], description="With taxes and fees.")
    currency_code: str | None = Field(
        None, pattern=r"^[A-Z]{3}$", examples=["USD"], description="ISO 4217; USD by default."
    )
    total_tax: float = Field(examples=[1.22])
    cardholder_name: str | None = None
    customer_reference: str | None = Field(None, description="An id, email or phone number.")
    tenders: list[PosTender] | None = None
    items: list[PosItem] | None = None
    taxes: list[PosTax] | None = None


class PosTransaction(ResponseModel):
    record_key = "id"

    id: str = volatile(description="The transaction's id at Instacart.")


OPERATIONS = (
    Operation(
        "send_pos_transaction",
        "POST",
        "/v2/retailer_transaction/pos_transactions",
        "transaction",
        "pos_transactions",
        "Send a point-of-sale transaction, for reconciliation (any token of the app).",
        PosTransactionRequest,
        PosTransaction,
        scope="",  # a client-credentials token of the app, whatever its scope
        mutating=True,
        ref="TX1",
        identity="id",  # the caller's own id; no operation reads a transaction back
    ),
)
