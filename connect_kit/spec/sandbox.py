"""The sandbox API: drive an order through its lifecycle on the development server.

Reference: sandbox-callbacks-postcheckout section 1. Not enabled in production.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Operation, RequestModel, ResponseModel, deprecated_field, secret
from .common import ItemRef, Success

BATCH_TYPES = ("delivery", "pickup", "delivery_only", "runner_customer")
BatchType = Literal["delivery", "pickup", "delivery_only", "runner_customer"]
ItemStatus = Literal["not_found", "found", "replaced", "to_refund"]
CallbackEvent = Literal["canceled", "rescheduled", "late_delivery"]


class CreateShopperRequest(RequestModel):
    email: str | None = Field(None, examples=["shopper@example.com"])
    phone: str | None = Field(None, examples=["4155550100"])


class CreatedId(ResponseModel):
    id: int


class BatchOrder(RequestModel):
    id: str = Field(min_length=1, examples=["a1b2c3"])
    user_id: str | None = Field(None, description="Speeds up the lookup.")


class GenerateBatchRequest(RequestModel):
    shopper_id: int
    batch_type: BatchType | None = None
    workflow_state: str | None = None
    orders: list[BatchOrder] = Field(min_length=1)


class Batch(ResponseModel):
    record_key = "id"

    id: int
    workflow_state: str


class AdvanceBatchRequest(RequestModel):
    workflow_state: str | None = Field(None, description="Jump to this state.")
    status: str | None = Field(None, description="Alias of workflow_state.")


class Scan(RequestModel):
    scanned_string: str
    scanned_string_type: str = Field(examples=["upca"])


class CreateShopperItemRequest(RequestModel):
    item: ItemRef
    delivered_count: int | None = Field(None, ge=0)
    delivered_weight: float | None = Field(None, ge=0)
    scans: list[Scan] | None = None


class UpdateShopperItemRequest(RequestModel):
    status: ItemStatus | None = None
    delivered_count: int | None = Field(None, ge=0)
    delivered_weight: float | None = Field(None, ge=0)
    replacement_item: ItemRef | None = None
    scans: list[Scan] | None = None

    @model_validator(mode="after")
    def _replacement(self) -> UpdateShopperItemRequest:
        if self.status == "replaced" and self.replacement_item is None:
            raise ValueError("status replaced needs a replacement_item")
        return self


class SimulateCallbackRequest(RequestModel):
    event_name: CallbackEvent


class CreateInstacartUserRequest(RequestModel):
    email: str = Field(min_length=3, examples=["customer@example.com"])
    phone: str = Field(min_length=1, examples=["4155550199"])
    password: str = secret(min_length=1)
    instacartplus_member: bool | None = None
    express_member: bool | None = deprecated_field("instacartplus_member")


class AuthorizeRequest(RequestModel):
    redirect_uri: str = Field(min_length=1, examples=["https://example.com/callback"])
    scope: str = Field(min_length=1, examples=["account_linking"])
    code_challenge_method: str | None = None
    code_challenge: str | None = None


class AuthorizationCode(ResponseModel):
    code: str = secret()


_SB = "/v2/fulfillment_sandbox"


def _op(name, method, path, group, summary, request, response, ref, **kw) -> Operation:
    return Operation(
        name,
        method,
        path,
        "sandbox",
        group,
        summary,
        request,
        response,
        mutating=True,
        ref=ref,
        **kw,
    )


# fmt: off
OPERATIONS = (
    _op("create_shopper", "POST", f"{_SB}/shoppers", "shoppers", "Create a test shopper.",
        CreateShopperRequest, CreatedId, "S1"),
    _op("generate_batch", "POST", f"{_SB}/batches", "batches",
        "Assign orders to a shopper in a batch (orders become acknowledged).",
        GenerateBatchRequest, Batch, "S2"),
    _op("advance_batch", "POST", f"{_SB}/batches/{{batch_id}}/advance", "batches",
        "Move a batch to its next (or a named) workflow state.", AdvanceBatchRequest, Batch,
        "S3", path_types={"batch_id": int}),
    _op("create_shopper_order_item", "POST",
        f"{_SB}/shoppers/{{shopper_id}}/orders/{{order_id}}/items", "shoppers",
        "The shopper adds an item to an order.", CreateShopperItemRequest, Success, "S4",
        path_types={"shopper_id": int}),
    _op("update_shopper_order_item", "PUT",
        f"{_SB}/shoppers/{{shopper_id}}/orders/{{order_id}}/items/{{line_num}}", "shoppers",
        "The shopper finds, replaces or refunds an item.", UpdateShopperItemRequest, Success,
        "S5", path_types={"shopper_id": int}),
    _op("simulate_order_callback", "POST", f"{_SB}/orders/{{order_id}}/callbacks", "orders",
        "Simulate a canceled, rescheduled or late_delivery event.", SimulateCallbackRequest,
        Success, "S6"),
    _op("create_instacart_user", "POST", f"{_SB}/instacart_users", "instacart_users",
        "Create an Instacart customer account (for account linking).",
        CreateInstacartUserRequest, CreatedId, "S7"),
    _op("authorize_instacart_user", "POST", f"{_SB}/instacart_users/{{user_id}}/authorize",
        "instacart_users", "Get an authorization code for account linking.", AuthorizeRequest,
        AuthorizationCode, "S8", path_types={"user_id": int}),
)
# fmt: on
