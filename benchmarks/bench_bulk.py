"""A bulk pull of 500 orders with 8 workers, against the same pull done one call at a time.

What it measures: the wall time of ``session.call_many("get_order", ..., workers=8)`` over
500 orders of the embedded sandbox's dev instance with 50 ms of injected latency per
request, beside a plain loop of ``session.call("get_order", ...)`` over the same orders in
the same run. Target: a speedup of at least 5x.

How: the orders are made first with the latency off (users, cart slots, holds and delivery
orders, spread over the dev stores so that no slot fills up); then the latency fault is set
and both pulls run, sequential first. Every call must succeed: the script exits non-zero if
any fails, and prints PASS or MISS for the target otherwise.

Run: ``.venv/bin/python benchmarks/bench_bulk.py`` (or ``make bench``).
"""

from __future__ import annotations

import sys
import time
import warnings
from typing import Any

from connect_kit.client import instance_environment
from connect_kit.client._session import ConnectSession
from connect_kit.errors import DeprecatedWarning
from connect_kit.sandbox import Sandbox, seed

ORDERS = 500
WORKERS = 8
LATENCY_MS = 50
TARGET = 5.0
ITEMS = [{"line_num": "1", "count": 1, "item": {"upc": "987665788999"}}]


def session(sb: Sandbox) -> ConnectSession:
    return ConnectSession(instance_environment(sb, "dev"))


def delivery_stores() -> list[seed.StoreSeed]:
    """Dev stores that deliver and sell the item (alcohol does not matter for it)."""
    return [s for s in seed.stores_for("dev") if not s.pickup_only]


def make_orders(dev: ConnectSession, count: int) -> list[dict[str, str]]:
    """``count`` brand-new delivery orders, made through the API."""
    stores = delivery_stores()
    users = [
        {"user_id": f"bench-{n}", "first_name": "Bench", "phone_number": "4155550100"}
        for n in range(count)
    ]
    check(dev.call_many("create_user", users, progress=False))
    listed = check(
        dev.call_many(
            "list_delivery_service_options",
            [
                {
                    "user_id": u["user_id"],
                    "address": {
                        "address_line_1": "1 Main St",
                        "postal_code": stores[n % len(stores)].postal_code,
                    },
                    "location_code": stores[n % len(stores)].location_code,
                    "items": ITEMS,
                }
                for n, u in enumerate(users)
            ],
            progress=False,
        )
    )
    holds = []
    for n, result in enumerate(listed.results):
        assert result is not None
        options = [o for o in result.json["service_options"] if o["availability"]["available"]]
        slot = options[(n // len(stores)) % len(options)]["id"]  # spread over the slots
        held = dev.call(
            "reserve_service_option", user_id=users[n]["user_id"], service_option_id=slot
        )
        holds.append(held.json["service_option_hold"]["id"])
    orders = [
        {
            "user_id": u["user_id"],
            "order_id": f"bench-order-{n}",
            "service_option_hold_id": holds[n],
            "initial_tip_cents": 0,
            "location_code": stores[n % len(stores)].location_code,
            "address": {
                "address_line_1": "1 Main St",
                "postal_code": stores[n % len(stores)].postal_code,
            },
            "items": ITEMS,
        }
        for n, u in enumerate(users)
    ]
    check(dev.call_many("create_delivery_order", orders, progress=False))
    return [{"user_id": o["user_id"], "order_id": o["order_id"]} for o in orders]


def check(bulk: Any) -> Any:
    if bulk.failures:
        print(f"setup failed: {bulk!r}\n{bulk.errors.head().to_string()}", file=sys.stderr)
        sys.exit(1)
    return bulk


def main() -> int:
    warnings.simplefilter("ignore", DeprecatedWarning)  # orders carry the deprecated is_express
    with Sandbox(latency=False) as sb:
        dev = session(sb)
        started = time.perf_counter()
        orders = make_orders(dev, ORDERS)
        print(f"made {len(orders)} orders in {time.perf_counter() - started:.1f} s")
        sb.faults("dev", latency_ms=LATENCY_MS)

        started = time.perf_counter()
        sequential = [dev.call("get_order", **o) for o in orders]
        one_at_a_time = time.perf_counter() - started

        started = time.perf_counter()
        bulk = dev.call_many("get_order", orders, workers=WORKERS, progress=False)
        pooled = time.perf_counter() - started
        dev.close()

    if bulk.failures or any(r.status_code != 200 for r in sequential):
        print(f"errors during the pull: {bulk!r}", file=sys.stderr)
        return 1
    same = [r.json["id"] for r in bulk.results] == [r.json["id"] for r in sequential]
    speedup = one_at_a_time / pooled
    verdict = "PASS" if speedup >= TARGET else "MISS"
    print(
        f"{ORDERS} get_order calls, {LATENCY_MS} ms latency each (same orders, same order: {same})"
    )
    print(f"  one at a time : {one_at_a_time:6.2f} s  ({ORDERS / one_at_a_time:6.1f} calls/s)")
    print(f"  {WORKERS} workers     : {pooled:6.2f} s  ({ORDERS / pooled:6.1f} calls/s)")
    print(f"bulk pull speedup: {speedup:.1f}x (target >= {TARGET:g}x) {verdict}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
