"""Users, addresses and account linking (reference 4.1)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from .base import Operation, RequestModel, ResponseModel, deprecated_field, secret
from .common import E164_EXAMPLE, Address, Locale, PhoneNumber, Success


class CreateUserRequest(RequestModel):
    user_id: str = Field(min_length=1, examples=["kamalsingh1234"])
    first_name: str = Field(min_length=1, pattern=r"^[^/:<>$%?]*$", examples=["Kamal"])
    last_name: str | None = Field(None, pattern=r"^[^/:<>$%?]*$", examples=["Singh"])
    phone_number: PhoneNumber | None = Field(None, examples=[E164_EXAMPLE])
    locale: Locale | None = None


class User(ResponseModel):
    record_key = "user_id"

    user_id: str
    first_name: str
    last_name: str | None = None
    phone_number: str | None = None
    locale: str | None = None


class UserAddressRequest(Address):
    first_name: str | None = Field(None, pattern=r"^[^/:<>$%?]*$")
    last_name: str | None = Field(None, pattern=r"^[^/:<>$%?]*$")
    phone_number: PhoneNumber | None = Field(None, examples=[E164_EXAMPLE])
    locale: Locale | None = None


class LegacyUserAddressRequest(UserAddressRequest):
    user_id: str = Field(min_length=1)


class AddressFlags(ResponseModel):
    long_distance_delivery: bool | None = None


class ValidatedAddress(ResponseModel):
    user_id: str | None = None
    address_line_1: str
    postal_code: str
    flags: AddressFlags | None = None


class LinkRequest(RequestModel):
    linking_token: str = secret(min_length=1)


class LinkInfo(ResponseModel):
    instacartplus_member: bool
    express_member: bool | None = deprecated_field("instacartplus_member")
    expired_at: datetime | None = None


OPERATIONS = (
    Operation(
        "create_user",
        "POST",
        "/v2/fulfillment/users",
        "fulfillment",
        "users",
        "Create a Connect user.",
        CreateUserRequest,
        User,
        mutating=True,
        ref="#3",
    ),
    Operation(
        "create_user_address",
        "POST",
        "/v2/fulfillment/users/{user_id}/addresses",
        "fulfillment",
        "users",
        "Create the user if needed and validate an address for it.",
        UserAddressRequest,
        ValidatedAddress,
        mutating=True,
        ref="#4",
    ),
    Operation(
        "link_user",
        "POST",
        "/v2/fulfillment/users/{user_id}/link",
        "fulfillment",
        "users",
        "Link an Instacart account to the user with a linking token.",
        LinkRequest,
        Success,
        mutating=True,
        ref="#5",
    ),
    Operation(
        "get_user_link",
        "GET",
        "/v2/fulfillment/users/{user_id}/link",
        "fulfillment",
        "users",
        "Get the linked Instacart account's membership.",
        None,
        LinkInfo,
        ref="#6",
    ),
)
