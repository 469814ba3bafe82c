"""Callback envelopes: the check of one, and a typed DataFrame of many."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from ..data import inferred_column


class InvalidEvent(ValueError):
    """A callback body that is not an event envelope."""


def validate_event(body: Any) -> dict[str, Any]:
    """The event if ``body`` is a callback envelope, else :class:`InvalidEvent` naming the field.

    An envelope has ``event_id`` (integer), ``event_name`` (non-empty string),
    ``event_timestamp`` (ISO-8601), ``event_metadata`` (object) and optionally ``retailer_id``
    (string). Unknown top-level fields are tolerated (the API adds fields over time).
    """
    if not isinstance(body, dict):
        raise InvalidEvent("the body must be a JSON object (an event envelope)")
    event_id = body.get("event_id")
    if isinstance(event_id, bool) or not isinstance(event_id, int):
        raise InvalidEvent("event_id: expected an integer")
    if not -(2**63) <= event_id < 2**63:
        raise InvalidEvent("event_id: expected a 64-bit integer")
    name = body.get("event_name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidEvent("event_name: expected a non-empty string")
    stamp = body.get("event_timestamp")
    if not isinstance(stamp, str):
        raise InvalidEvent("event_timestamp: expected an ISO-8601 string")
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidEvent("event_timestamp: expected an ISO-8601 string") from None
    if moment.tzinfo is None:
        raise InvalidEvent("event_timestamp: expected a time zone (e.g. a trailing Z)")
    if not isinstance(body.get("event_metadata"), dict):
        raise InvalidEvent("event_metadata: expected an object")
    if "retailer_id" in body and not isinstance(body["retailer_id"], str):
        raise InvalidEvent("retailer_id: expected a string")
    return body


def order_key(event: dict[str, Any]) -> tuple[datetime, int]:
    """How events are ordered: by event_timestamp, then event_id."""
    moment = datetime.fromisoformat(event["event_timestamp"].replace("Z", "+00:00"))
    return moment, event["event_id"]


def events_frame(events: list[dict[str, Any]]) -> pd.DataFrame:
    """Callback envelopes as a typed DataFrame (see :attr:`Receiver.events`)."""
    columns: dict[str, Any] = {
        "event_id": pd.array([e["event_id"] for e in events], dtype="Int64"),
        "event_name": pd.Categorical([e["event_name"] for e in events]),
        "event_timestamp": pd.to_datetime(
            [e["event_timestamp"] for e in events], utc=True, format="ISO8601"
        ),
        "order_id": pd.array(
            [_text(e["event_metadata"].get("order_id")) for e in events], dtype="string"
        ),
    }
    if any("retailer_id" in e for e in events):
        columns["retailer_id"] = pd.array([e.get("retailer_id") for e in events], dtype="string")
    keys: list[str] = []
    for event in events:
        keys.extend(k for k in event["event_metadata"] if k != "order_id" and k not in keys)
    for key in keys:
        columns[f"metadata.{key}"] = inferred_column([e["event_metadata"].get(key) for e in events])
    frame = pd.DataFrame(columns)
    frame["event_timestamp"] = frame["event_timestamp"].astype("datetime64[us, UTC]")
    return frame


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
