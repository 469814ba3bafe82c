"""The building blocks of the spec: operations and the base classes of their models.

An :class:`Operation` describes one endpoint of the API once; every other part of
connect-kit (sandbox, session, frames, widgets, compare, snippets) reads it from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator

Area = Literal[
    "auth", "fulfillment", "sandbox", "post_checkout", "recommendations", "transaction", "catalog"
]
Method = Literal["GET", "POST", "PUT", "DELETE"]

_PATH_PARAM = re.compile(r"{(\w+)}")


MAX_INT = 2**63 - 1  # integers travel as signed 64-bit numbers


class RequestModel(BaseModel):
    """A request body. Unknown fields are ignored, as the API ignores them.

    Numbers are finite (no ``NaN``, no ``1e999``) and integers fit in 64 bits.
    """

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _fits_64_bits(cls, value: Any) -> Any:
        if not _fits(value):  # free-form objects and lists too (``dict[str, Any]``)
            raise ValueError("must be an integer of at most 64 bits")
        return value


def _fits(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | list | dict):
        return True
    if isinstance(value, int):
        return -MAX_INT - 1 <= value <= MAX_INT
    items = value.values() if isinstance(value, dict) else value
    return all(map(_fits, items))


class StrictObject(RequestModel):
    """A request object whose fields are a closed set (``find_by``, item references)."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    """A response body. Unknown fields are kept: the API adds optional fields over time."""

    model_config = ConfigDict(extra="allow")

    #: The field that identifies one record of this model inside a list (compare aligns on it).
    record_key: ClassVar[str | None] = None


def open_enum(*values: str, **field_kwargs: Any) -> Any:
    """The values of a response string, listed but not enforced: ``Annotated[str,
    open_enum("each", "lb")]``.

    Responses must tolerate values added later, so the values travel as ``x-enum``
    metadata (used for categorical dtypes and widget hints), not as a constraint.
    """
    return Field(json_schema_extra={"x-enum": list(values)}, **field_kwargs)


def secret(**field_kwargs: Any) -> Any:
    """A field holding a secret (client secret, token, password): never shown or logged."""
    return Field(json_schema_extra={"format": "password", "x-secret": True}, **field_kwargs)


def volatile(default: Any = ..., **field_kwargs: Any) -> Any:
    """A response field that differs from call to call by nature: a timestamp, an id the
    server generates. Comparisons leave these out unless asked to keep them."""
    return Field(default, json_schema_extra={"x-volatile": True}, **field_kwargs)


def deprecated_field(replacement: str | None, **field_kwargs: Any) -> Any:
    """An optional field that is deprecated, naming the field that replaces it."""
    message = f"Deprecated: use {replacement}." if replacement else "Deprecated."
    return Field(
        None,
        deprecated=message,
        json_schema_extra={"x-replacement": replacement},
        **field_kwargs,
    )


@dataclass(frozen=True)
class Deprecation:
    """When an operation was deprecated and what replaces it.

    ``announced`` is the ISO date the deprecation was published, or ``None`` where the
    reference does not give one; ``replacement`` names the operation to use instead.
    """

    replacement: str | None = None
    announced: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Operation:
    """One endpoint of the API.

    Attributes:
        name: snake_case identifier, e.g. ``"find_delivery_stores"``.
        method: HTTP method.
        path: path template relative to the server, e.g. ``/v2/fulfillment/users/{user_id}/link``.
        area: API area (``auth``, ``fulfillment``, ``sandbox``, ``post_checkout``).
        group: finer grouping inside the area (``users``, ``stores``, ``orders``...).
        summary: one line saying what it does.
        request: body model, or ``None`` when the operation takes no body.
        response: success body model.
        scope: OAuth scope the bearer token needs; ``None`` for the token endpoints.
        mutating: whether it changes state on the server.
        records: dotted location of the records in the response (``"stores"``), for DataFrames;
            ``None`` when the response is one record.
        deprecation: set when the operation is deprecated.
        path_types: types of path parameters that are not strings.
        query: query parameters and their types.
        ref: the operation's number in the reference catalogue (``"#7"``, ``"S2"``).
        identity: the body field carrying the caller's own id for what it creates
            (``order_id``); with ``read_back``, a retried create that meets "already exists"
            reads the record back instead of failing.
        read_back: the operation that reads a created record back.
        user_token: the token must speak for one Connect user (a user assertion): the
            Post-checkout API and the frontend Recommendations and Order Feedback APIs.
    """

    name: str
    method: Method
    path: str
    area: Area
    group: str
    summary: str
    request: type[RequestModel] | None = None
    response: type[ResponseModel] | None = None
    scope: str | None = "connect:fulfillment"
    mutating: bool = False
    records: str | None = None
    deprecation: Deprecation | None = None
    path_types: Mapping[str, type] = field(default_factory=dict)
    query: Mapping[str, type] = field(default_factory=dict)
    ref: str = ""
    identity: str | None = None
    read_back: str | None = None
    user_token: bool = False

    @property
    def path_params(self) -> dict[str, type]:
        """Path parameter names, in template order, with their types."""
        return {n: self.path_types.get(n, str) for n in _PATH_PARAM.findall(self.path)}

    @property
    def deprecated(self) -> bool:
        return self.deprecation is not None

    @property
    def replacement(self) -> str | None:
        return self.deprecation.replacement if self.deprecation else None

    @property
    def needs_token(self) -> bool:
        return self.scope is not None

    def url_path(self, **params: Any) -> str:
        """The path with its parameters filled in (each value URL-quoted).

        >>> from connect_kit.spec import get
        >>> get("get_order").url_path(user_id="kamal", order_id="a1b2c3")
        '/v2/fulfillment/users/kamal/orders/a1b2c3'
        """
        missing = [n for n in self.path_params if n not in params]
        if missing:
            raise KeyError(f"{self.name} needs path parameter(s): {', '.join(missing)}")
        return _PATH_PARAM.sub(lambda m: quote(str(params[m.group(1)]), safe=""), self.path)
