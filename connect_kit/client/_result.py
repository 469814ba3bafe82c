"""What a call returns: the response, its records as a DataFrame, and the redacted request."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

import requests

from .. import _redact as redact
from ..data._frames import Dtypes, nested_frame, records, to_frame
from ..data._zones import Tz
from ..spec.base import Operation
from ._conformance import parsed_json

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, repr=False)
class RequestInfo:
    """A request as it was sent, with every secret redacted: safe to show, log or save.

    Its repr reads like the HTTP message itself.
    """

    method: str
    url: str
    path: str
    headers: dict[str, str]
    body: Any = None
    env: str = ""

    @classmethod
    def of(cls, prepared: requests.PreparedRequest, base_url: str, env: str) -> RequestInfo:
        body: Any = prepared.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except ValueError:
                body = "[non-JSON body]"
        url = redact.url(prepared.url or "")
        return cls(
            method=prepared.method or "",
            url=url,
            path=url[len(base_url) :] if url.startswith(base_url) else url,
            headers=redact.headers(dict(prepared.headers)),
            body=redact.body(body),
            env=env,
        )

    def __repr__(self) -> str:
        lines = [f"{self.method} {self.url}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body is not None:
            lines += ["", json.dumps(self.body, indent=2, ensure_ascii=False)]
        return "\n".join(lines)


@dataclass
class Result:
    """The outcome of :meth:`ConnectSession.call`.

    Attributes:
        operation: the spec's operation.
        response: the ``requests.Response`` (its request carries the real token: prefer
            ``request``, which is redacted).
        request: the request as sent, secrets redacted.
        warnings: deprecation notices about this call.
        recovered: True when a retried create met "already exists" and read the record back.
    """

    operation: Operation
    response: requests.Response
    request: RequestInfo
    warnings: list[str] = field(default_factory=list)
    recovered: bool = False

    @cached_property
    def json(self) -> Any:
        """The response body, parsed (``None`` for an empty body)."""
        return parsed_json(self.response)  # once: the conformance check's parse, if it made one

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def elapsed(self) -> timedelta:
        return self.response.elapsed

    @property
    def records(self) -> list[dict[str, Any]]:
        return records(self.operation, self.json)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The records as a DataFrame typed by the spec (see :func:`connect_kit.data.to_frame`).

        One row per record; nested objects as dotted columns; nested lists (an order's
        ``items``) left out: :meth:`nested` takes them out.
        """
        return to_frame(self.operation, self.json)

    def to_frame(self, dtypes: Dtypes | None = None, *, tz: Tz = None) -> pd.DataFrame:
        """The records as a new DataFrame, with the caller's ``dtypes`` winning.

        Args:
            dtypes: column -> dtype (``{"id": "Int64", "time_zone": "category"}``), applied
                to the raw values instead of the spec's type.
            tz: timestamps in this time zone (``"America/Chicago"``), or ``"store"``: each
                row on its store's clock (the record's ``time_zone``, else the offset the time
                was written with); ``None``: UTC, as in :attr:`frame`.
        """
        return to_frame(self.operation, self.json, dtypes=dtypes, tz=tz)

    def nested(self, name: str, dtypes: Dtypes | None = None, *, tz: Tz = None) -> pd.DataFrame:
        """A nested list of the records as its own frame, keeping each parent's key.

        ``res.nested("items")`` on an order gives ``order_id`` then the item columns.

        Args:
            name: the list's field (``"items"``; dotted when it sits inside an object).
            dtypes: column -> dtype overrides, as in :meth:`to_frame`.
            tz: the time zone of timestamps, as in :meth:`to_frame`.
        """
        return nested_frame(self.operation, self.json, name, dtypes=dtypes, tz=tz)

    def __repr__(self) -> str:
        ms = self.elapsed.total_seconds() * 1000
        what = self.operation.records or "records"
        count = len(self.records)
        return (
            f"<Result {self.operation.name} {self.status_code} in {ms:.0f} ms from "
            f"{self.request.env}: {count} {what if count != 1 else what.rstrip('s')}>"
        )
