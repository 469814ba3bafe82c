"""Order frames at the sizes users meet: connect_kit.data._frames against the simple version.

What it measures: the time to turn order records (as the sandbox renders them: nested
``fulfillment_details``, an ``items`` list, ``is_express`` beside ``is_instacartplus``, ISO
timestamps with offsets, ``metadata`` on some) into a DataFrame, at 100, 1,000 and 10,000
records (what a response or a bulk pull gives) and at one stress size (100,000), for two
frames:

- orders: ``to_frame(list_orders, {"orders": records})``;
- items (nested): ``nested_frame(list_orders, {"orders": records}, "items")``.

Each is timed against two baselines, in the same run:

- ``json_normalize``: ``pandas.json_normalize(records)`` (for items: ``record_path="items",
  meta="id"``), untyped ``object``/``str`` columns, as pandas gives them;
- the simple version: the same ``json_normalize``, the spec's nested lists dropped, then each
  column typed with the converter connect_kit uses (``_frames._column``, the spec's ``Leaf``
  for its dotted path from ``_columns.record_node``; columns the spec does not know are
  inferred, as ours are), put in our column order. Before timing, its frame is checked against
  ours (columns, dtypes, values): a note says what differs, if anything does.

How: at each size, after one untimed run of each (the simple version's frame is compared to
ours then), the three run in rounds, one after another in an order that rotates every round,
``gc.collect()`` before each (the records and the imports frozen out of its way with
``gc.freeze()``); each reports its best round. Rounds: at least ``--repeat`` (5; 3 at the
stress size), and enough for the fastest to run ~0.2 s in total. Printed beside the ratios:
each one's spread (median / best - 1) and the simple/ours ratio in either half of the rounds;
a verdict whose 1.5 falls inside that range is marked borderline.

Verdict per size and frame, the issue's rule: when the simple version is more than 1.5x slower
than ours, the hand-tuned flattener pays for itself; otherwise the simple one should be kept.
The older target stays too: ours at most as long as json_normalize (ours/json_normalize
<= 1.0). Verdicts and targets are printed (MISS, "keep the simple one"), not enforced; only an
error or a frame that is not what it should be exits non-zero. ``--memory`` adds the peak
memory of each (tracemalloc, separate untimed runs; slow at the stress size).

Run: ``.venv/bin/python benchmarks/bench_frames.py [--sizes 100,1000,10000] [--stress N]
[--repeat R] [--memory]`` (``--stress 0`` skips the stress size; or ``make bench``).
"""

from __future__ import annotations

import argparse
import gc
import math
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
from connect_kit.data._columns import Leaf, Nested, Node, record_node
from connect_kit.data._frames import _column, _secret_names, nested_frame, nested_names, to_frame
from connect_kit.spec.common import ORDER_STATUSES

SIZES = (100, 1_000, 10_000)  # records a response (100 to 1,000), rows a bulk pull (10,000)
STRESS = 100_000
KEEP_SIMPLE = 1.5  # the rule: the hand-tuned path must beat the simple one by more
TARGET = 1.0  # ours / json_normalize
MIN_SECONDS = 0.2  # each contender's rounds last at least this long in total
PACIFIC = ZoneInfo("America/Los_Angeles")  # the stores' time zone, as the sandbox gives it
OP = spec.get("list_orders")
STORES = ("000-3801", "000-3802", "104-2210", "104-2215", "211-0457", "000-3844")
UPCS = ("987665788999", "070481001157", "000000004011", "000000004131", "820523917124")
REASONS = ("customer_driven", "instacart_driven", "retailer_driven")


# The records ----------------------------------------------------------------------------


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


# The simple version ---------------------------------------------------------------------


def plain(column: pd.Series) -> list[Any]:
    """A json_normalize column as Python values, its NaNs (missing keys) as ``None``."""
    return column.to_numpy(dtype=object, na_value=None).tolist()


def typed(node: Node, flat: pd.DataFrame, dropped: list[str]) -> dict[str, Any]:
    """json_normalize's columns typed by the spec: its leaves first, in declaration order (a
    free object's keys in its place), then the columns it does not know, inferred."""
    flat = flat.drop(columns=[c for c in dropped if c in flat.columns])
    columns: dict[str, Any] = {}

    def add(path: str, leaf: Leaf) -> None:
        values = plain(flat[path]) if path in flat.columns else [None] * len(flat)
        columns[path] = _column(values, leaf, path)

    def walk(node: Node, prefix: str) -> None:
        for name, part in node.fields:
            path = prefix + name
            if isinstance(part, Leaf):
                add(path, part)
            elif isinstance(part, Node) and part.free:
                for found in [c for c in flat.columns if c.startswith(f"{path}.")]:
                    add(found, inferred(found))
            elif isinstance(part, Node):
                walk(part, f"{path}.")

    walk(node, "")
    for path in flat.columns:
        if path not in columns:
            add(path, inferred(path))
    return columns


def inferred(path: str) -> Leaf:
    return Leaf("infer", secret=path.rsplit(".", 1)[-1] in _secret_names())


def simple_orders(records: list[dict[str, Any]]) -> pd.DataFrame:
    flat = pd.json_normalize(records, sep=".")
    columns = typed(record_node(OP), flat, nested_names(OP))
    return pd.DataFrame(columns, index=pd.RangeIndex(len(flat)), copy=False)


def simple_items(records: list[dict[str, Any]]) -> pd.DataFrame:
    flat = pd.json_normalize(records, record_path="items", meta="id", sep=".")
    fields = dict(record_node(OP).fields)
    key, items = fields["id"], fields["items"]
    assert isinstance(key, Leaf) and isinstance(items, Nested)
    columns = {"order_id": _column(plain(flat.pop("id")), key, "order_id")}
    columns |= typed(items.node, flat, [])
    return pd.DataFrame(columns, index=pd.RangeIndex(len(flat)), copy=False)


def differences(ours: pd.DataFrame, simple: pd.DataFrame) -> list[str]:
    """What the simple version's frame does not share with ours (nothing: a fair comparison)."""
    if list(ours.columns) != list(simple.columns):
        only_ours = [c for c in ours.columns if c not in simple.columns]
        only_simple = [c for c in simple.columns if c not in ours.columns]
        if only_ours or only_simple:
            return [f"columns only in ours {only_ours}, only in the simple one {only_simple}"]
        return [f"same columns in another order: {list(simple.columns)}"]
    found = [
        f"{c}: {ours[c].dtype} (ours) vs {simple[c].dtype} (simple)"
        for c in ours.columns
        if ours[c].dtype != simple[c].dtype
    ]
    if not found:
        try:
            pd.testing.assert_frame_equal(ours, simple)
        except AssertionError as exc:
            found.append(f"values: {str(exc).splitlines()[0]}")
    return found


# Timing ---------------------------------------------------------------------------------


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


def rounds(contenders: dict[str, Callable[[], Any]], least: int) -> dict[str, list[float]]:
    """Every contender's times, in rounds whose order rotates: ``least`` rounds at least, and
    enough for the fastest to last MIN_SECONDS in all (counted after the first round; the
    caller has run each once already, to warm up)."""
    names = list(contenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    count = least
    n = 0
    while n < count:
        for name in names[n % len(names) :] + names[: n % len(names)]:
            times[name].append(timed(contenders[name]))
        if n == 0:
            count = max(least, math.ceil(MIN_SECONDS / min(t[0] for t in times.values())))
        n += 1
    return times


def spread(times: list[float]) -> float:
    """How much a contender's times vary: median / best - 1."""
    return statistics.median(times) / min(times) - 1


def halves(slow: list[float], fast: list[float]) -> tuple[float, float]:
    """min(slow) / min(fast) in the first half of the rounds and in the second: the run-to-run
    spread of that ratio."""
    middle = len(fast) // 2
    first = min(slow[:middle]) / min(fast[:middle])
    second = min(slow[middle:]) / min(fast[middle:])
    return min(first, second), max(first, second)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms" if seconds < 1 else f"{seconds:9.2f} s "


def measure(
    label: str,
    ours: Callable[[], Any],
    simple: Callable[[], Any],
    normalize: Callable[[], Any],
    least: int,
    memory: bool,
) -> tuple[str, float, tuple[float, float]]:
    """One frame at one size: a table row, simple / ours, and that ratio in either half."""
    times = rounds({"ours": ours, "simple": simple, "json_normalize": normalize}, least)
    best = {name: min(t) for name, t in times.items()}
    row = (
        f"  {label:<7}{ms(best['ours'])}{ms(best['simple'])}{ms(best['json_normalize'])}"
        f"  {best['ours'] / best['simple']:>11.2f}{best['ours'] / best['json_normalize']:>9.2f}"
        f"  {'PASS' if best['ours'] <= TARGET * best['json_normalize'] else 'MISS':<6}"
        f"{len(times['ours']):>7}   "
        + " / ".join(f"{spread(t) * 100:.0f}%" for t in times.values())
    )
    if memory:
        row += "\n         peak MiB: " + ", ".join(
            f"{name} {peak_mib(work):.1f}"
            for name, work in (("ours", ours), ("simple", simple), ("json_normalize", normalize))
        )
    return row, best["simple"] / best["ours"], halves(times["simple"], times["ours"])


def verdict(what: str, faster: float, low: float, high: float) -> tuple[str, bool]:
    """The rule's verdict for one frame at one size; True when the flattener pays."""
    pays = faster > KEEP_SIMPLE
    said = (
        "hand-tuned flattener pays for itself"
        if pays
        else "simple version within 1.5x: keep the simple one"
    )
    note = " (borderline: 1.5 is within that spread)" if low <= KEEP_SIMPLE <= high else ""
    return (
        f"  verdict, {what}: the simple version takes {faster:.2f}x ours' time "
        f"({low:.2f}-{high:.2f} in either half of the rounds): {said}{note}",
        pays,
    )


# The run --------------------------------------------------------------------------------


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


def run_size(size: int, least: int, memory: bool) -> list[tuple[str, float, bool]]:
    """Time both frames at one size; print the table and the verdicts. Returns, per frame,
    (what, simple / ours, whether the flattener pays for itself)."""
    records = orders(size)
    data = {"orders": records}
    check(records, data)
    gc.collect()
    gc.freeze()  # the records and the imports: gc.collect() before each run skips them
    contenders = {
        "orders": (
            lambda: to_frame(OP, data),
            lambda: simple_orders(records),
            lambda: pd.json_normalize(records, sep="."),
        ),
        "items": (
            lambda: nested_frame(OP, data, "items"),
            lambda: simple_items(records),
            lambda: pd.json_normalize(records, record_path="items", meta="id", sep="."),
        ),
    }
    items = sum(len(r["items"]) for r in records)
    print(f"\n{size:,} orders, {items:,} items: best of the rounds")
    print(
        f"  {'frame':<7}{'ours':>12}{'simple':>12}{'json_norm.':>12}  {'ours/simple':>11}"
        f"{'ours/jn':>9}  {'<= 1.0':<6}{'rounds':>7}   spread ours/simple/jn"
    )
    results, verdicts = [], []
    for label, (ours, simple, normalize) in contenders.items():
        for note in differences(ours(), simple()):  # also a first, untimed run of each
            print(f"  note: {label}: the simple version differs from ours: {note}")
        normalize()
        row, faster, (low, high) = measure(label, ours, simple, normalize, least, memory)
        print(row)
        what = f"{label} at {size:,}"
        line, pays = verdict(what, faster, low, high)
        verdicts.append(line)
        results.append((what, faster, pays))
    print("\n".join(verdicts))
    gc.unfreeze()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="records, commas")
    parser.add_argument("--stress", type=int, default=STRESS, help="records; 0 skips it")
    parser.add_argument("--repeat", type=int, default=5, help="rounds at least (3 at stress)")
    parser.add_argument("--memory", action="store_true", help="peak memory too (slow)")
    args = parser.parse_args(argv)

    print(
        "ours: connect_kit's typed frames. simple: json_normalize, nested lists dropped, each "
        "column typed by connect_kit's converter. jn: json_normalize alone (untyped columns)."
    )
    results = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        results += run_size(size, args.repeat, args.memory)
    if args.stress:
        results += run_size(args.stress, min(args.repeat, 3), args.memory)

    user = [r for r in results if r[0] != args.stress or r[0] in SIZES]
    failing = [f"{what} ({faster:.2f}x)" for what, faster, pays in user if not pays]
    print(
        "\nrule (users' sizes): "
        + (
            "the hand-tuned flattener pays for itself at every size"
            if not failing
            else "simple version within 1.5x at " + ", ".join(failing) + ": keep the simple one"
        )
    )
    return 0  # verdicts and targets are reported, not enforced; errors raise


if __name__ == "__main__":
    sys.exit(main())
