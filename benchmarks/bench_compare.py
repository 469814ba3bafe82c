"""Comparing two find-stores responses: connect_kit.data._diff against DeepDiff, by size.

What it measures: the time ``connect_kit.data._diff.diff(a, b, Stores)`` takes to find where two
``find_delivery_stores`` responses differ (``{"stores": [...]}``: name, ``location_code``,
nested ``flags``), against ``deepdiff.DeepDiff`` on the same pair, in the same process, at
100, 1,000 and 10,000 stores a side (what a response or a bulk pull gives) and at one stress
size (50,000). ``b`` is ``a`` with designed differences, as dev and prod differ, in the same
proportions at every size (at 50,000: 300 flipped flags, 100 stores only in ``a`` and 100 only
in ``b``, a new optional field, ``time_zone``, on 500 of ``a``'s stores; at least one of each
at 100), plus two type changes (``true`` -> ``"true"``, and ``true`` -> ``1``, which Python's
``==`` cannot see), and ``b`` in another order. ``b`` is parsed separately (no object is
shared with ``a``), as two HTTP responses would be.

DeepDiff cannot line records up by key, so three lines are printed per size:

1. ``ignore_order=True`` on the shuffled pair (what a DeepDiff user would reach for). It
   hashes every record, then pairs the records it could not match, which is quadratic in
   their number (about 12 s at 10,000 stores here). Each run is capped (``--cap``, 20 s): at
   50,000 stores it does not finish, and the line prints a lower bound of the speedup. It
   pairs unmatched records by likeness, so its findings are reported, not checked.
2. ``DeepDiff(a, b)`` with default options, on an unshuffled pair (``b`` in ``a``'s order, the
   stores only in ``a`` at its end, none only in ``b``: by position, DeepDiff could not tell
   a missing store from a changed one otherwise).
3. ``DeepDiff`` with default options on the shuffled pair with each list turned into a dict
   keyed by ``location_code`` (the conversion is timed with it): the same work as ours.

How: on each line, ours and DeepDiff run in rounds, in turns (who goes first alternates),
``gc.collect()`` before each run (the pair and the imports frozen out of its way with
``gc.freeze()``), after one untimed run of ours (DeepDiff is warmed up once, on a tiny pair).
DeepDiff runs ``--repeat`` times (3) or enough to last ~0.2 s in all, but no more once its runs
on the line add up to ``--budget`` seconds (10; so once a line at 50,000 stores). Ours runs at
least 5 times and enough to last ~0.2 s, several times a round so that its runs are spread
over DeepDiff's.
Medians are compared; each one's spread (median / best - 1) is printed beside them. Every
run's findings are checked against the designed differences: ours as they are, DeepDiff's
(lines 2 and 3) translated to our paths (``root['stores'][17]['flags']['alcohol']`` ->
``stores[location_code=000-0017].flags.alcohol``; its ``type_changes`` involving ``None`` are
our ``changed``).

Target, per size: ours at least 10x faster (speedup >= 10) on every line; a miss prints MISS.
Only errors and findings that differ from the design exit non-zero.

Run: ``.venv/bin/python benchmarks/bench_compare.py [--sizes 100,1000,10000] [--stress N]
[--repeat R] [--budget S] [--cap S]`` (``--stress 0`` skips the stress size, ``--cap 0`` line
1; or ``make bench``).
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import re
import signal
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from deepdiff import DeepDiff

from connect_kit import spec
from connect_kit.data._diff import diff

TARGET = 10.0
SIZES = (100, 1_000, 10_000)  # stores a response (100 to 1,000), rows a bulk pull (10,000)
STRESS = 50_000
MIN_SECONDS = 0.2  # each side's runs on a line last at least this long in all (budget allowing)
MODEL = spec.get("find_delivery_stores").response
KEY = "location_code"
FLAGS = ("alcohol", "pickup", "pickup_only", "long_distance_delivery")
CHAINS = ("Safeway", "Vons", "Albertsons", "Pavilions", "Jewel-Osco", "Acme", "Shaw's", "Randalls")
CITIES = ("San Francisco", "Oakland", "Daly City", "Fremont", "Berkeley", "Chicago", "Boston")
ZONES = ("America/Los_Angeles", "America/Chicago", "America/New_York")
DESIGN = {"flipped": 300, "only_a": 100, "only_b": 100, "new_field": 500}  # per 50,000 stores

Found = set[tuple[str, str]]  # (kind, path)


@dataclass(frozen=True)
class Design:
    """How many of each designed difference a pair of ``count`` stores a side has."""

    flipped: int
    only_a: int
    only_b: int
    new_field: int

    @classmethod
    def of(cls, count: int) -> Design:
        return cls(**{k: max(1, round(n * count / 50_000)) for k, n in DESIGN.items()})


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


def designed_pair(count: int, design: Design) -> tuple[list[Any], list[Any], set[str], Found]:
    """(a's stores, b's stores in a's order, the codes only in a, the expected findings)."""
    rng = random.Random(20260501)
    a = [store(i, rng) for i in range(count)]
    picks = rng.sample(range(count), design.flipped + design.only_a + design.new_field + 2)
    only, new = design.only_a, design.only_a + design.new_field
    only_a = {a[i][KEY] for i in picks[:only]}
    expected: Found = {("only_in_a", at(a[i])) for i in picks[:only]}
    b = orjson.loads(orjson.dumps(a))  # a second response: nothing shared with a
    for i in picks[only:new]:
        a[i]["time_zone"] = rng.choice(ZONES)
        expected.add(("only_in_a", at(a[i], ".time_zone")))
    for i in picks[new:-2]:
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
    design = Design.of(count)
    rng = random.Random(7)
    a, b, only_a, expected = designed_pair(count, design)
    extra = [store(count + j, rng) for j in range(design.only_b)]
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


@dataclass
class Side:
    """One side of a line: what it runs, how each result is checked, and its times."""

    work: Callable[[], Any]
    check: Callable[[Any], None]
    least: int
    budget: float = math.inf  # no more runs once they add up to this
    cap: float = 0  # seconds a run may take (0: no cap)
    times: list[float] | None = None
    out_of_time: bool = False

    def wanted(self) -> int:
        """Runs in all: ``least``, or enough for MIN_SECONDS, unless the budget is spent."""
        if not self.times:
            return 0 if self.out_of_time else 1
        if self.out_of_time or sum(self.times) >= self.budget:
            return len(self.times)
        return max(self.least, math.ceil(MIN_SECONDS / self.times[0]))

    def missing(self) -> int:
        return self.wanted() - len(self.times or [])

    def run(self) -> None:
        try:
            seconds, result = timed(self.work, self.cap)
        except OutOfTime:
            self.out_of_time = True
            return
        self.check(result)
        self.times = [*(self.times or []), seconds]

    def median(self) -> float:
        assert self.times
        return statistics.median(self.times)

    def spread(self) -> str:
        assert self.times
        return f"{(self.median() / min(self.times) - 1) * 100:.0f}%"


def in_turns(mine: Side, base: Side) -> None:
    """Both sides in rounds, who goes first alternating, until each has run as many times as
    it wants; ours, being the faster, runs several times a round so that its runs are spread
    over DeepDiff's. One untimed run of ours first, to warm up."""
    mine.work()
    mine.run()
    base.run()
    per_round = math.ceil(mine.wanted() / max(1, base.wanted()))
    turn = 1
    while True:
        todo = [s for s in (mine, base) if s.missing()]
        if not todo:
            return
        for side in todo if turn % 2 == 0 else todo[::-1]:
            for _ in range(min(side.missing(), per_round if side is mine else 1)):
                side.run()
        turn += 1


def verdict(speedup: float) -> str:
    return "PASS" if speedup >= TARGET else "MISS"


def expect(name: str, found: Found, expected: Found) -> None:
    """Findings must be the designed ones; the first few differences are printed if not."""
    if found != expected:
        missed, extra = sorted(expected - found)[:5], sorted(found - expected)[:5]
        raise SystemExit(f"{name}: findings differ from the design; missed {missed}, extra {extra}")


# The lines ----------------------------------------------------------------------------------


def line(label: str, mine: Side, base: Side, note: str = "") -> bool:
    """Print one line: medians, spreads, speedup and verdict. True when within the target."""
    assert mine.times is not None
    runs = f"{len(mine.times)}/{len(base.times or [])} runs"
    if base.out_of_time and not base.times:
        bound = base.cap / mine.median()
        print(
            f"  {label}: ours {ms(mine.median())}, DeepDiff did not finish in {base.cap:.0f} s; "
            f"speedup > {bound:,.0f}x {verdict(bound)} ({runs}){note}"
        )
        return bound >= TARGET
    speedup = base.median() / mine.median()
    print(
        f"  {label}: ours {ms(mine.median())}, DeepDiff {ms(base.median())} (medians, spread "
        f"{mine.spread()}/{base.spread()}, {runs}); speedup {speedup:,.0f}x {verdict(speedup)}"
        + note
    )
    return speedup >= TARGET


def ms(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def run_size(count: int, args: argparse.Namespace) -> bool:
    """The three lines at one size; True when all three are within the target."""
    data = pairs(count)
    gc.collect()
    gc.freeze()  # the pair and the imports: gc.collect() before each run skips them
    expected = data["shuffled"][2]
    counts = {
        k: sum(1 for kind, _ in expected if kind == k) for k in sorted({k for k, _ in expected})
    }
    print(f"\n{count:,} stores a side; designed differences: {counts}")

    def ours_side(name: str) -> Side:
        a, b, want = data[name]
        return Side(lambda: diff(a, b, MODEL), lambda r: expect("connect_kit", ours(r), want), 5)

    def theirs_side(work: Callable[[], Any], check: Callable[[Any], None], cap: float) -> Side:
        return Side(work, check, args.repeat, args.budget, cap)

    ok = []
    label = "1. shuffled, DeepDiff(a, b, ignore_order=True)"
    if args.cap and hasattr(signal, "setitimer"):
        a, b, want = data["shuffled"]
        findings: list[bool] = []
        mine = ours_side("shuffled")
        base = theirs_side(
            lambda: DeepDiff(a, b, ignore_order=True),
            lambda r: findings.append(theirs(r, a, b) == want),
            args.cap,
        )
        in_turns(mine, base)
        note = (
            ""
            if not findings
            else "; same findings"
            if all(findings)
            else "; findings differ (it pairs unmatched records by likeness)"
        )
        ok.append(line(label, mine, base, note))
    else:
        print(f"  {label}: skipped")

    a, b, want = data["ordered"]
    mine = ours_side("ordered")
    base = theirs_side(
        lambda: DeepDiff(a, b), lambda r: expect("DeepDiff", theirs(r, a, b), want), 0
    )
    in_turns(mine, base)
    ok.append(line("2. unshuffled, DeepDiff(a, b)", mine, base))

    a, b, want = data["shuffled"]
    mine = ours_side("shuffled")
    base = theirs_side(
        lambda: DeepDiff(keyed(a), keyed(b)),
        lambda r: expect("DeepDiff keyed", theirs(r, a, b), want),
        0,
    )
    in_turns(mine, base)
    ok.append(line("3. shuffled, DeepDiff(keyed(a), keyed(b))", mine, base))
    print(
        f"  findings: as designed, from both, on lines 2 and 3 ({len(data['ordered'][2]):,} and "
        f"{len(expected):,} differences)"
    )
    print(
        f"  target at {count:,} stores: speedup >= {TARGET:.0f}x on every line: "
        + ("PASS" if all(ok) else "MISS")
    )
    gc.unfreeze()
    return all(ok)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="stores, commas")
    parser.add_argument("--stress", type=int, default=STRESS, help="stores; 0 skips it")
    parser.add_argument("--repeat", type=int, default=3, help="DeepDiff runs a line, at least")
    parser.add_argument("--budget", type=float, default=10.0, help="DeepDiff seconds a line")
    parser.add_argument("--cap", type=float, default=20.0, help="seconds; 0 skips ignore_order")
    args = parser.parse_args(argv)

    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.stress:
        sizes.append(args.stress)
    DeepDiff({"a": [1, {"b": 2}]}, {"a": [{"b": 3}, 2]}, ignore_order=True)  # warm-up
    results = {count: run_size(count, args) for count in sizes}
    print(
        f"\ntarget: speedup >= {TARGET:.0f}x on every line: "
        + ", ".join(f"{count:,} {'PASS' if ok else 'MISS'}" for count, ok in results.items())
    )
    return 0  # missing the target is not an error; errors and wrong findings raise


if __name__ == "__main__":
    sys.exit(main())
