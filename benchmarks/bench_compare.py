"""Comparing two find-stores responses of 50,000 stores: connect_kit.data._diff against DeepDiff.

What it measures: the time ``connect_kit.data._diff.diff(a, b, Stores)`` takes to find where two
``find_delivery_stores`` responses differ (``{"stores": [...]}``, 50,000 stores each: name,
``location_code``, nested ``flags``), against ``deepdiff.DeepDiff`` on the same pair, in the
same process. ``b`` is ``a`` with designed differences, as dev and prod differ: 300 flipped
flags, 100 stores only in ``a`` and 100 only in ``b``, a new optional field (``time_zone``) on
500 of ``a``'s stores, two type changes (``true`` -> ``"true"``, and ``true`` -> ``1``, which
Python's ``==`` cannot see), and ``b`` in another order. ``b`` is parsed separately (no object
is shared with ``a``), as two HTTP responses would be.

DeepDiff cannot line records up by key, so three lines are printed:

1. ``ignore_order=True`` on the shuffled pair (what a DeepDiff user would reach for). It
   hashes every record (about 8 s for 50,000 stores here), then pairs the records it could not
   match, which is quadratic in their number (about 1,000 here: minutes; 100 flipped flags
   alone take about 10 s in all). It does not finish within the cap (``--cap``, 20 s), so the
   line prints a lower bound of the speedup, and its findings are not checked.
2. ``DeepDiff(a, b)`` with default options, on an unshuffled pair (``b`` in ``a``'s order, the
   stores only in ``a`` at its end, none only in ``b``: by position, DeepDiff could not tell
   a missing store from a changed one otherwise).
3. ``DeepDiff`` with default options on the shuffled pair with each list turned into a dict
   keyed by ``location_code`` (the conversion is timed with it): the same work as ours.

Ours runs 5 times on each pair and DeepDiff ``--repeat`` times (3); medians are compared.
Every run's findings are checked against the designed differences: ours as they are,
DeepDiff's translated to our paths (``root['stores'][17]['flags']['alcohol']`` ->
``stores[location_code=000-0017].flags.alcohol``; its ``type_changes`` involving ``None`` are
our ``changed``). Target: ours at least 10x faster (speedup >= 10); a miss prints MISS. Only
errors and findings that differ from the design exit non-zero.

Run: ``.venv/bin/python benchmarks/bench_compare.py [--stores N] [--repeat R] [--cap S]``
(or ``make bench``).
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import signal
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from deepdiff import DeepDiff

from connect_kit import spec
from connect_kit.data._diff import diff

TARGET = 10.0
MODEL = spec.get("find_delivery_stores").response
KEY = "location_code"
FLAGS = ("alcohol", "pickup", "pickup_only", "long_distance_delivery")
CHAINS = ("Safeway", "Vons", "Albertsons", "Pavilions", "Jewel-Osco", "Acme", "Shaw's", "Randalls")
CITIES = ("San Francisco", "Oakland", "Daly City", "Fremont", "Berkeley", "Chicago", "Boston")
ZONES = ("America/Los_Angeles", "America/Chicago", "America/New_York")
FLIPPED, ONLY_A, ONLY_B, NEW_FIELD = 300, 100, 100, 500

Found = set[tuple[str, str]]  # (kind, path)


# The pair -----------------------------------------------------------------------------------


def store(i: int, rng: random.Random) -> dict[str, Any]:
    """One store as find_delivery_stores returns it."""
    return {
        "name": f"{rng.choice(CHAINS)} {rng.choice(CITIES)} #{i % 10_000}",
        KEY: f"{i // 10_000:03d}-{i % 10_000:04d}",
        "flags": {
            "alcohol": rng.random() < 0.7,
            "pickup": rng.random() < 0.6,
            "pickup_only": rng.random() < 0.05,
            "long_distance_delivery": rng.random() < 0.1,
        },
    }


def at(record: dict[str, Any], rest: str = "") -> str:
    return f"stores[{KEY}={record[KEY]}]{rest}"


def designed_pair(count: int) -> tuple[list[Any], list[Any], set[str], Found]:
    """(a's stores, b's stores in a's order, the codes only in a, the expected findings)."""
    rng = random.Random(20260501)
    a = [store(i, rng) for i in range(count)]
    picks = rng.sample(range(count), FLIPPED + ONLY_A + NEW_FIELD + 2)
    only_a = {a[i][KEY] for i in picks[:ONLY_A]}
    expected: Found = {("only_in_a", at(a[i])) for i in picks[:ONLY_A]}
    b = orjson.loads(orjson.dumps(a))  # a second response: nothing shared with a
    for i in picks[ONLY_A : ONLY_A + NEW_FIELD]:
        a[i]["time_zone"] = rng.choice(ZONES)
        expected.add(("only_in_a", at(a[i], ".time_zone")))
    for i in picks[ONLY_A + NEW_FIELD : -2]:
        flag = rng.choice(FLAGS)
        b[i]["flags"][flag] = not b[i]["flags"][flag]
        expected.add(("changed", at(a[i], f".flags.{flag}")))
    spelled, numbered = picks[-2:]
    b[spelled]["flags"]["pickup"] = str(b[spelled]["flags"]["pickup"]).lower()  # "true"
    b[numbered]["flags"]["alcohol"] = int(b[numbered]["flags"]["alcohol"])  # 1: == says equal
    expected |= {
        ("type_changed", at(a[spelled], ".flags.pickup")),
        ("type_changed", at(a[numbered], ".flags.alcohol")),
    }
    b = [record for record in b if record[KEY] not in only_a]
    return a, b, only_a, expected


def pairs(count: int) -> dict[str, tuple[dict[str, Any], dict[str, Any], Found]]:
    """The shuffled pair and the unshuffled one (stores only in a at its end, none only in b)."""
    rng = random.Random(7)
    a, b, only_a, expected = designed_pair(count)
    extra = [store(count + j, rng) for j in range(ONLY_B)]
    shuffled = b + extra
    rng.shuffle(shuffled)
    ordered_a = [r for r in a if r[KEY] not in only_a] + [r for r in a if r[KEY] in only_a]
    return {
        "shuffled": (
            {"stores": a},
            {"stores": shuffled},
            expected | {("only_in_b", at(r)) for r in extra},
        ),
        "ordered": ({"stores": ordered_a}, {"stores": b}, expected),
    }


# Findings, in our spelling -------------------------------------------------------------------

_SEGMENT = re.compile(r"\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]")
_KINDS = {
    "values_changed": "changed",
    "type_changes": "type_changed",
    "dictionary_item_added": "only_in_b",
    "iterable_item_added": "only_in_b",
    "dictionary_item_removed": "only_in_a",
    "iterable_item_removed": "only_in_a",
}


def ours(found: Iterable[Any]) -> Found:
    return {(d.kind, d.path) for d in found}


def theirs(result: DeepDiff, a: dict[str, Any], b: dict[str, Any]) -> Found:
    """DeepDiff's text-view findings translated to (kind, our path)."""
    found: Found = set()
    for category, entries in result.items():
        for entry in entries:
            kind = _KINDS[category]
            if kind == "type_changed" and None in (
                entries[entry]["old_value"],
                entries[entry]["new_value"],
            ):
                kind = "changed"  # null against a value is a change, not a type change
            side = b if kind == "only_in_b" else a
            found.add((kind, translate(entry, side)))
    return found


def translate(entry: str, data: dict[str, Any]) -> str:
    """``root['stores'][17]['flags']`` (a position in ``data``) or ``root['stores']['000-0017']
    ['flags']`` (a key of the keyed form) -> ``stores[location_code=000-0017].flags``."""
    segments = [key if key else int(index) for key, index in _SEGMENT.findall(entry)]
    assert segments[0] == "stores", entry
    record = segments[1]
    code = data["stores"][record][KEY] if isinstance(record, int) else record
    return f"stores[{KEY}={code}]" + "".join(f".{s}" for s in segments[2:])


def keyed(data: dict[str, Any]) -> dict[str, Any]:
    return {"stores": {record[KEY]: record for record in data["stores"]}}


# Timing -----------------------------------------------------------------------------------


class OutOfTime(Exception):
    pass


def timed(work: Callable[[], Any], cap: float = 0) -> tuple[float, Any]:
    """Seconds that ``work`` took and its result; raises OutOfTime past ``cap`` seconds."""
    gc.collect()
    if cap:
        signal.signal(signal.SIGALRM, _out_of_time)
        signal.setitimer(signal.ITIMER_REAL, cap)
    began = time.perf_counter()
    try:
        result = work()
    finally:
        if cap:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return time.perf_counter() - began, result


def _out_of_time(*_: Any) -> None:
    raise OutOfTime


def ours_median(a: dict[str, Any], b: dict[str, Any], want: Found, repeat: int) -> float:
    return median_of(
        lambda: diff(a, b, MODEL), repeat, lambda r: expect("connect_kit", ours(r), want)
    )


def median_of(work: Callable[[], Any], repeat: int, check: Callable[[Any], None]) -> float:
    times = []
    for _ in range(repeat):
        seconds, result = timed(work)
        check(result)
        times.append(seconds)
    return statistics.median(times)


def verdict(speedup: float) -> str:
    return "PASS" if speedup >= TARGET else "MISS"


def expect(name: str, found: Found, expected: Found) -> None:
    """Findings must be the designed ones; the first few differences are printed if not."""
    if found != expected:
        missed, extra = sorted(expected - found)[:5], sorted(found - expected)[:5]
        raise SystemExit(f"{name}: findings differ from the design; missed {missed}, extra {extra}")


# The lines ----------------------------------------------------------------------------------


def line(label: str, mine: float, base: float, repeat: int) -> bool:
    speedup = base / mine
    print(
        f"{label}: connect_kit {mine * 1000:.0f} ms, DeepDiff {base:.2f} s "
        f"(medians of {repeat}); speedup {speedup:.0f}x (target >= {TARGET:.0f}x) "
        + verdict(speedup)
    )
    return speedup >= TARGET


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cap", type=float, default=20.0, help="seconds; 0 skips ignore_order")
    args = parser.parse_args(argv)

    data = pairs(args.stores)
    expected = data["shuffled"][2]
    counts = {
        k: sum(1 for kind, _ in expected if kind == k) for k in sorted({k for k, _ in expected})
    }
    print(f"{args.stores:,} stores a side; designed differences: {counts}")
    mine = {
        name: ours_median(a, b, want, max(args.repeat, 5)) for name, (a, b, want) in data.items()
    }
    ok = [ignore_order_line(*data["shuffled"], mine["shuffled"], args.cap)]

    a, b, want = data["ordered"]
    base = median_of(
        lambda: DeepDiff(a, b), args.repeat, lambda r: expect("DeepDiff", theirs(r, a, b), want)
    )
    ok.append(line("2. unshuffled, DeepDiff(a, b)", mine["ordered"], base, args.repeat))

    a, b, want = data["shuffled"]
    base = median_of(
        lambda: DeepDiff(keyed(a), keyed(b)),
        args.repeat,
        lambda r: expect("DeepDiff keyed", theirs(r, a, b), want),
    )
    ok.append(
        line("3. shuffled, DeepDiff(keyed(a), keyed(b))", mine["shuffled"], base, args.repeat)
    )
    print(
        f"findings: as designed, from both, on lines 2 and 3 ({len(data['ordered'][2]):,} and "
        f"{len(expected):,} differences)"
    )
    print(f"target: speedup >= {TARGET:.0f}x on every line: {'PASS' if all(ok) else 'MISS'}")
    return 0  # missing the target is not an error; errors and wrong findings raise


def ignore_order_line(
    a: dict[str, Any], b: dict[str, Any], want: Found, mine: float, cap: float
) -> bool:
    """Line 1: DeepDiff(a, b, ignore_order=True), given ``cap`` seconds at most (one run)."""
    label = "1. shuffled, DeepDiff(a, b, ignore_order=True)"
    if not cap or not hasattr(signal, "setitimer"):
        print(f"{label}: skipped")
        return True
    try:
        seconds, result = timed(lambda: DeepDiff(a, b, ignore_order=True), cap)
    except OutOfTime:
        bound = cap / mine
        print(
            f"{label}: connect_kit {mine * 1000:.0f} ms, DeepDiff did not finish in {cap:.0f} s "
            f"(pairing ~1,000 unmatched records is quadratic); speedup > {bound:.0f}x "
            f"{verdict(bound)}; findings not checked"
        )
        return bound >= TARGET
    same = theirs(result, a, b) == want
    note = "same findings" if same else "findings differ (it pairs unmatched records by likeness)"
    speedup = seconds / mine
    print(f"{label}: DeepDiff {seconds:.1f} s (one run); speedup {speedup:.0f}x; {note}")
    return speedup >= TARGET


if __name__ == "__main__":
    sys.exit(main())
