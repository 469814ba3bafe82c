"""DataFrames of 100,000 orders: connect_kit.data._frames against pandas.json_normalize.

What it measures: the time to turn 100,000 order records (as the sandbox renders them: nested
``fulfillment_details``, an ``items`` list, ``is_express`` beside ``is_instacartplus``, ISO
timestamps with offsets, ``metadata`` on some) into a DataFrame, with
``connect_kit.data._frames.to_frame`` (the ``list_orders`` operation) and with
``pandas.json_normalize`` on the same records, measured in the same run. Both are run a few
times, in turns, and the medians are compared. A second line does the same for the orders'
items: ``frames.nested_frame(..., "items")`` against
``json_normalize(records, record_path="items", meta="id")``.

The two do not do the same work: json_normalize gives untyped ``object`` columns, while ours
are typed (``string``, ``Int64``, ``boolean``, ``category``, UTC datetimes), so ours does more.
Target: ours takes at most as long (ratio <= 1.0). Missing the target prints MISS; only an
error (or a frame that is not what it should be) exits non-zero.

Peak memory of each (tracemalloc, in separate untimed runs) is printed too.

Run: ``.venv/bin/python benchmarks/bench_frames.py [--orders N] [--repeat R]`` (or
``make bench``).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from connect_kit import spec
from connect_kit.data._frames import nested_frame, to_frame
from connect_kit.spec.common import ORDER_STATUSES

TARGET = 1.0
PACIFIC = ZoneInfo("America/Los_Angeles")  # the stores' time zone, as the sandbox gives it
OP = spec.get("list_orders")
STORES = ("000-3801", "000-3802", "104-2210", "104-2215", "211-0457", "000-3844")
UPCS = ("987665788999", "070481001157", "000000004011", "000000004131", "820523917124")
REASONS = ("customer_driven", "instacart_driven", "retailer_driven")


def order(i: int, rng: random.Random, start: datetime) -> dict[str, Any]:
    """One order shaped like the sandbox's ``render`` (reference 3.9)."""
    created = start + timedelta(seconds=37 * i, microseconds=rng.randrange(1_000_000))
    window = (created + timedelta(hours=rng.randrange(2, 48))).replace(minute=0, second=0)
    window = window.astimezone(PACIFIC).replace(microsecond=0)
    status = rng.choice(ORDER_STATUSES)
    plus = rng.random() < 0.3
    details: dict[str, Any] = {
        "store_location": rng.choice(STORES),
        "window_starts_at": window.isoformat(),
        "window_ends_at": (window + timedelta(hours=2)).isoformat(),
    }
    if status == "delivered":
        details["delivered_at"] = (window + timedelta(minutes=75)).isoformat()
        details["bag_count"] = rng.randrange(1, 6)
    record: dict[str, Any] = {
        "id": f"{i:08d}",
        "status": status,
        "order_url": None,
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "locale": "en_US",
        "is_express": plus,
        "is_instacartplus": plus,
        "pos_payment_method": "UNSPECIFIED",
        "fulfillment_details": details,
    }
    if status == "canceled":
        record["cancellation_reason"] = rng.choice(REASONS)
    if rng.random() < 0.1:
        record["metadata"] = {"campaign": "spring", "channel": rng.choice(("app", "web"))}
    record["items"] = [item(n, rng) for n in range(1, rng.randrange(2, 6))]
    return record


def item(line: int, rng: random.Random) -> dict[str, Any]:
    upc = rng.choice(UPCS)
    weighed = upc.startswith("0000000")
    return {
        "line_num": str(line),
        "qty": round(rng.uniform(0.5, 3), 2) if weighed else rng.randrange(1, 4),
        "qty_unit": "lb" if weighed else "each",
        "replaced": False,
        "scan_code": upc.zfill(14),
        "replacement_policy": "shoppers_choice",
        "item": {"upc": upc, "rrc": f"0452-{line:05d}"},
    }


def orders(count: int) -> list[dict[str, Any]]:
    rng = random.Random(20240501)
    start = datetime(2026, 5, 1, 8, tzinfo=UTC)
    return [order(i, rng, start) for i in range(count)]


def timed(work: Callable[[], Any]) -> float:
    gc.collect()
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def peak_mib(work: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def compare(name: str, ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int) -> bool:
    """Time both in turns; print the medians and the ratio. True when within the target."""
    mine, base = [], []
    for round_ in range(repeat):
        pair = [(mine, ours), (base, theirs)]
        for times, work in pair if round_ % 2 == 0 else pair[::-1]:
            times.append(timed(work))
    ours_s, base_s = statistics.median(mine), statistics.median(base)
    ratio = ours_s / base_s
    verdict = "PASS" if ratio <= TARGET else "MISS"
    print(
        f"{name}: connect_kit {ours_s * 1000:.0f} ms, json_normalize {base_s * 1000:.0f} ms "
        f"(medians of {repeat}); ratio {ratio:.2f} (target <= {TARGET:.1f}) {verdict}"
    )
    print(
        f"  peak memory: connect_kit {peak_mib(ours):.0f} MiB, "
        f"json_normalize {peak_mib(theirs):.0f} MiB"
    )
    return ratio <= TARGET


def check(records: list[dict[str, Any]], data: dict[str, Any]) -> None:
    """The frames are what they claim to be (a benchmark of a wrong answer is worthless)."""
    frame = to_frame(OP, data)
    assert len(frame) == len(records)
    assert str(frame["id"].dtype) == "string" and frame["id"].iloc[0] == "00000000"
    assert str(frame["status"].dtype) == "category"
    assert str(frame["fulfillment_details.window_starts_at"].dtype) == "datetime64[us, UTC]"
    assert str(frame["fulfillment_details.bag_count"].dtype) == "Int64"
    assert str(frame["is_express"].dtype) == "boolean"
    assert "metadata.campaign" in frame.columns and "items" not in frame.columns
    items = nested_frame(OP, data, "items")
    assert len(items) == sum(len(r["items"]) for r in records)
    assert list(items.columns[:2]) == ["order_id", "line_num"]
    assert str(items["qty"].dtype) == "Float64"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    records = orders(args.orders)
    data = {"orders": records}
    check(records, data)
    print(
        f"{args.orders:,} orders, {sum(len(r['items']) for r in records):,} items. "
        "json_normalize makes untyped object columns; ours are typed (string, Int64, boolean, "
        "category, UTC datetimes), so ours does more work."
    )
    ok = compare(
        "orders frame",
        lambda: to_frame(OP, data),
        lambda: pd.json_normalize(records, sep="."),
        args.repeat,
    )
    compare(
        "items frame ",
        lambda: nested_frame(OP, data, "items"),
        lambda: pd.json_normalize(records, record_path="items", meta="id", sep="."),
        args.repeat,
    )
    print(f"target: orders frame ratio <= {TARGET:.1f}: {'PASS' if ok else 'MISS'}")
    return 0  # missing the target is not an error; errors raise


if __name__ == "__main__":
    sys.exit(main())
