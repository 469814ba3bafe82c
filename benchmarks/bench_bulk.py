"""A bulk pull with 8 workers against the same calls made one at a time: 500 calls and 10,000.

What it measures: the wall time of ``session.call_many("get_order", ..., workers=8)`` against
the embedded sandbox's dev instance with 50 ms of injected latency per request, beside a plain
loop of ``session.call("get_order", ...)`` in the same run, at two sizes:

- 500 calls over 500 orders (the figure this benchmark has always given): both ways, in full;
- 10,000 calls (a bulk pull of 10,000 rows, the size users meet), over the same 500 orders
  twenty times each (the sandbox looks an order up the same way however often it is asked;
  making 10,000 orders would take another ~90 s). Only the pooled pull is run at this size:
  one at a time, 10,000 calls at 50 ms would take about 9 minutes, so its time is projected
  from the per-call time of the 500 sequential calls measured in this run (10,000 x that).
  The pooled pull alone takes about 70 s here (10,000 x 50 ms / 8 workers is 62.5 s at best).

How: the orders are made first with the latency off (users, cart slots, holds and delivery
orders, spread over the dev stores so that no slot fills up); then the latency fault is set
and the pulls run interleaved: the first 250 orders one at a time, the 500-call pooled pull,
the 10,000-call pooled pull, then the other 250 one at a time. The per-call time of each
sequential half is printed (the run-to-run spread of the baseline), and the pooled rate at
10,000 calls against the rate at 500 (does the pool keep its pace over a long pull?).

Target: a speedup of at least 5x at both sizes. Every call must succeed and every answer must
be the order asked for: the script exits non-zero otherwise, and prints PASS or MISS for the
target.

Run: ``.venv/bin/python benchmarks/bench_bulk.py [--rows N]`` (``--rows 0`` skips the long
pull; or ``make bench``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from typing import Any

from connect_kit.client import instance_environment
from connect_kit.client._session import ConnectSession
from connect_kit.errors import DeprecatedWarning
from connect_kit.sandbox import Sandbox, seed

ORDERS = 500
ROWS = 10_000  # calls in the long pull, cycling over the orders
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
        {"user_id": f"bench-{n}", "first_name": "Bench", "phone_number": "+14155550100"}
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


def pull_one_at_a_time(dev: ConnectSession, orders: list[dict[str, str]]) -> tuple[float, list]:
    started = time.perf_counter()
    answers = [dev.call("get_order", **o) for o in orders]
    return time.perf_counter() - started, answers


def pull_pooled(dev: ConnectSession, orders: list[dict[str, str]]) -> tuple[float, Any]:
    started = time.perf_counter()
    bulk = dev.call_many("get_order", orders, workers=WORKERS, progress=False)
    return time.perf_counter() - started, bulk


def answered(name: str, bulk: Any, wanted: list[str]) -> bool:
    """Every call of a pooled pull succeeded and gave the order asked for, in order."""
    if bulk.failures:
        print(f"{name}: errors during the pull: {bulk!r}", file=sys.stderr)
        return False
    if [r.json["id"] for r in bulk.results] != wanted:
        print(f"{name}: answers are not the orders asked for", file=sys.stderr)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=ROWS, help="calls in the long pull; 0 skips")
    args = parser.parse_args(argv)

    warnings.simplefilter("ignore", DeprecatedWarning)  # orders carry the deprecated is_express
    with Sandbox(latency=False) as sb:
        dev = session(sb)
        started = time.perf_counter()
        orders = make_orders(dev, ORDERS)
        print(f"made {len(orders)} orders in {time.perf_counter() - started:.1f} s")
        sb.faults("dev", latency_ms=LATENCY_MS)
        rows = [orders[n % len(orders)] for n in range(args.rows)]

        half = len(orders) // 2
        first, first_answers = pull_one_at_a_time(dev, orders[:half])
        pooled, bulk = pull_pooled(dev, orders)
        long_pooled, long_bulk = pull_pooled(dev, rows) if rows else (0.0, None)
        second, second_answers = pull_one_at_a_time(dev, orders[half:])
        dev.close()

    sequential = first_answers + second_answers
    ids = [o["order_id"] for o in orders]
    if any(r.status_code != 200 for r in sequential) or [r.json["id"] for r in sequential] != ids:
        print("errors or wrong answers during the one-at-a-time pull", file=sys.stderr)
        return 1
    ok = answered(f"{len(orders)}-call pull", bulk, ids)
    if long_bulk is not None:
        wanted = [ids[n % len(ids)] for n in range(len(rows))]
        ok = answered(f"{len(rows):,}-call pull", long_bulk, wanted) and ok

    count = len(orders)
    one_at_a_time = first + second
    per_call = one_at_a_time / count
    halves = [first / half * 1000, second / (count - half) * 1000]
    apart = abs(halves[0] - halves[1]) / statistics.mean(halves) * 100
    speedup = one_at_a_time / pooled
    checked = "all right" if ok else "WRONG"
    print(f"get_order, {LATENCY_MS} ms latency each; answers checked: {checked}")
    print(
        f"  one at a time : {one_at_a_time:6.2f} s for {count} calls "
        f"({per_call * 1000:.1f} ms a call; {halves[0]:.1f} and {halves[1]:.1f} ms in the two "
        f"halves, {apart:.0f}% apart)"
    )
    print(
        f"  {WORKERS} workers     : {pooled:6.2f} s for {count} calls "
        f"({count / pooled:.1f} calls/s)"
    )
    print(f"  speedup at {count} calls: {speedup:.1f}x (target >= {TARGET:g}x) {verdict(speedup)}")
    if long_bulk is not None:
        projected = per_call * len(rows)
        long_speedup = projected / long_pooled
        pace = (len(rows) / long_pooled) / (count / pooled)
        print(
            f"  {WORKERS} workers     : {long_pooled:6.2f} s for {len(rows):,} calls "
            f"({len(rows) / long_pooled:.1f} calls/s, {pace:.2f}x the pace at {count})"
        )
        print(
            f"  speedup at {len(rows):,} calls: {long_speedup:.1f}x against {projected:.0f} s "
            f"projected one at a time (target >= {TARGET:g}x) {verdict(long_speedup)}"
        )
    return 0 if ok else 1  # a missed target is not an error; a failed or wrong call is


def verdict(speedup: float) -> str:
    return "PASS" if speedup >= TARGET else "MISS"


if __name__ == "__main__":
    sys.exit(main())
