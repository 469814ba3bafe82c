"""Ready-made pulls for the questions asked most: each a thin layer over ``call``.

Each is a function of a session (anything that can ``call`` and ``call_many``), bound to
:class:`~connect_kit.client.ConnectSession` as a method, and returns a DataFrame::

    dev.read_stores("94105", kind="pickup")
    dev.read_time_slots(postal_code="94105", eta=True)
    dev.read_order("kamal", "a1b2c3")
    dev.read_orders([("kamal", "a1b2c3"), ("ana", "b2c3d4")])
    dev.read_order_items("kamal", "a1b2c3")
    dev.read_link("kamal")

A frame from one call keeps that call's notes (deprecated fields the answer carried) in
``frame.attrs["warnings"]``. Every pull takes ``tz=``: timestamps are UTC unless given a zone
name (``tz="America/Chicago"``) or ``tz="store"``, each row on its store's clock (see
:mod:`connect_kit.data._zones`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ConnectWarning, warn_at_caller
from ._bulk import Bulk, Caller

if TYPE_CHECKING:
    import pandas as pd

    from ..data._zones import Tz
    from ._result import Result


class Puller(Caller, Protocol):
    """What the pulls need of a session: ``call``, and ``call_many`` for many orders."""

    def call_many(
        self,
        operation: str,
        params_list: Iterable[Mapping[str, Any]],
        *,
        workers: int = ...,
        rate: float | None = ...,
        progress: bool = ...,
    ) -> Bulk: ...


STORE_SEARCHES = {
    "delivery": "find_delivery_stores",
    "pickup": "find_pickup_stores",
    "last_mile": "find_last_mile_stores",
    "dispatch": "find_dispatch_stores",
}
Place = str | Mapping[str, Any] | tuple[float, float] | list[float]


def find_by(place: Place, kind: str) -> dict[str, Any]:
    """The ``find_by`` object for a postal code, an address or a (latitude, longitude)."""
    if isinstance(place, tuple | list):
        return _coordinates(place)
    if isinstance(place, Mapping):
        return dict(place)
    if isinstance(place, str):
        if kind == "delivery":
            raise ValueError(
                "delivery store searches take an address or coordinates, not a postal code "
                "alone: pass {'address_line_1': ..., 'postal_code': ...} or (latitude, longitude)"
            )
        return {"postal_code": place.replace(" ", "").upper()}
    raise TypeError(
        f"place must be a postal code, an address mapping or (latitude, longitude); "
        f"got {type(place).__name__}"
    )


def _coordinates(place: tuple[Any, ...] | list[Any]) -> dict[str, float]:
    """``find_by`` for (latitude, longitude), given as a tuple or a list."""
    problem = f"got {len(place)} values" if len(place) != 2 else ""
    if not problem:
        try:
            return {"latitude": float(place[0]), "longitude": float(place[1])}
        except (TypeError, ValueError):
            problem = f"got {place!r}"
    raise ValueError(
        f"coordinates are two numbers, (latitude, longitude) or [latitude, longitude]: {problem}"
    )


def read_stores(
    session: Puller, place: Place, kind: str = "delivery", *, tz: Tz = None
) -> pd.DataFrame:
    """Stores near a place for a fulfillment type, nearest first.

    Args:
        place: a postal code (not for delivery), an address mapping, or
            (latitude, longitude) as a tuple or a list.
        kind: ``delivery``, ``pickup``, ``last_mile`` or ``dispatch``.
        tz: the time zone of timestamps (see the module).
    """
    if kind not in STORE_SEARCHES:
        raise ValueError(f"kind must be one of {', '.join(STORE_SEARCHES)}; got {kind!r}")
    return _frame(session.call(STORE_SEARCHES[kind], find_by=find_by(place, kind)), tz)


def read_time_slots(
    session: Puller,
    postal_code: str | None = None,
    *,
    kind: str = "delivery",
    user_id: str | None = None,
    items: Sequence[Mapping[str, Any]] | None = None,
    address: Mapping[str, Any] | None = None,
    location_code: str | None = None,
    eta: bool = False,
    tz: Tz = None,
) -> pd.DataFrame:
    """Time slots: previewed for a postal code or store, or listed for a user's cart.

    Without ``user_id`` the slots are a preview (a previewed slot may be held, but the order
    made from it may fail: the slot may be gone by then); with ``user_id`` (and ``items`` for
    delivery and pickup) they are the cart's, ready to hold. ``tz="store"`` shows each slot on
    its store's clock.
    """
    if kind not in ("delivery", "pickup", "last_mile"):
        raise ValueError(f"kind must be delivery, pickup or last_mile; got {kind!r}")
    fields: dict[str, Any] = {}
    if eta and kind != "pickup":
        fields.update(with_eta_options=True, with_priority_eta_options=True)
    if location_code is not None:
        fields["location_code"] = location_code
    if user_id is None:
        if postal_code is not None:
            fields["postal_code"] = postal_code
        return _frame(session.call(f"preview_{kind}_service_options", **fields), tz)
    if items is not None:
        fields["items"] = list(items)
    if address is not None:
        fields["address"] = dict(address)
    elif postal_code is not None and kind == "last_mile":
        fields["postal_code"] = postal_code
    found = session.call(f"list_{kind}_service_options", user_id=user_id, **fields)
    return _frame(found, tz)


def read_order(session: Puller, user_id: str, order_id: str, *, tz: Tz = None) -> pd.DataFrame:
    """One order as a one-row frame (its items: :func:`read_order_items`)."""
    return _frame(session.call("get_order", user_id=user_id, order_id=order_id), tz)


def read_orders(
    session: Puller,
    orders: Iterable[tuple[str, str]] | pd.DataFrame,
    *,
    workers: int = 8,
    tz: Tz = None,
) -> pd.DataFrame:
    """Many orders at once, one row each, in the order asked.

    Each row starts with ``input`` (the pair's position), ``user_id`` and ``order_id``, as
    asked: an order's answer does not carry its user.

    Args:
        orders: (user_id, order_id) pairs, or a frame with those two columns.
        workers: calls in flight at once.
        tz: the time zone of timestamps (see the module).

    Orders that could not be read are left out with a warning; their errors are in
    ``frame.attrs["errors"]``.
    """
    from ..data._zones import check_tz

    check_tz(tz)  # a wrong zone fails now, not after the pull
    if isinstance(orders, Iterable) and not hasattr(orders, "columns"):
        pairs = [tuple(pair) for pair in orders]
    else:  # a DataFrame
        pairs = list(zip(orders["user_id"], orders["order_id"], strict=True))
    params = [{"user_id": str(u), "order_id": str(o)} for u, o in pairs]
    bulk = session.call_many("get_order", params, workers=workers, progress=len(params) > 20)
    frame = bulk.to_frame(tz=tz)
    frame.attrs["errors"] = bulk.errors
    if bulk.failures:
        warn_at_caller(
            f"{len(bulk.failures)} of {len(params)} orders could not be read; "
            "see frame.attrs['errors']",
            ConnectWarning,
        )
    return frame


def read_order_items(
    session: Puller, user_id: str, order_id: str, *, tz: Tz = None
) -> pd.DataFrame:
    """An order's items, one row each, with the order's id in ``order_id``."""
    found = session.call("get_order", user_id=user_id, order_id=order_id)
    return found.nested("items", tz=tz)


def read_link(session: Puller, user_id: str, *, tz: Tz = None) -> pd.DataFrame:
    """A user's linked Instacart account: membership and its expiry, as one row."""
    return _frame(session.call("get_user_link", user_id=user_id), tz)


def _frame(result: Result, tz: Tz = None) -> pd.DataFrame:
    """The result's frame, its notes (deprecated fields served) in ``frame.attrs["warnings"]``."""
    frame = result.frame if tz is None else result.to_frame(tz=tz)
    frame = frame.copy(deep=False)
    frame.attrs["warnings"] = list(result.warnings)
    return frame
