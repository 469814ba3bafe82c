"""What recording costs a call, and that the cost stays flat as the recording grows.

The same ``session.call`` (delivery stores near 50 Beale St: about 1 KB each way) is made on
two sessions of one sandbox dev instance, one recording to a HAR file and one not, the two
taking turns call by call. Each size is a fresh recording of that many calls: 100 and 1,000
(a notebook's exploring), 10,000 (a bulk pull), and 30,000 as the stress size. Printed: the
median recorded call over the median plain call at each size (the baseline, measured in the
same run), and the file's size. A recording that wrote the whole file at every call would
grow with the size; the target is at most 1.50x at every size (the redaction and the JSON of
each exchange are the cost: about as much as the call's own parsing).

The sandbox runs in another process, as in ``bench_session.py``.

Run: ``.venv/bin/python benchmarks/bench_record.py`` (or ``make bench``).
"""

from __future__ import annotations

import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_session import BODY, _serve

from connect_kit.client import ConnectSession, Environment, start_recording

SIZES = (100, 1_000, 10_000, 30_000)
TARGET = 1.50


def _ratio(env: Environment, calls: int, folder: Path) -> tuple[float, int]:
    """The median recorded call over the median plain one, and the recording's size."""
    plain, recording = ConnectSession(env), ConnectSession(env)
    path = folder / f"flow-{calls}.har"
    start_recording(recording, path)
    times: dict[bool, list[float]] = {True: [], False: []}
    try:
        for i in range(2 * calls):
            session = recording if i % 2 else plain
            started = time.perf_counter()
            session.call("find_delivery_stores", **BODY)
            times[session is recording].append(time.perf_counter() - started)
    finally:
        plain.close()
        recording.close()
    return statistics.median(times[True]) / statistics.median(times[False]), path.stat().st_size


def main() -> int:
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Queue(), context.Event()
    server = context.Process(target=_serve, args=(ready, stop), daemon=True)
    server.start()
    rows = []
    try:
        url, client_id, secret, ca_file = ready.get(timeout=60)
        env = Environment("dev", url, client_id, secret, ca_bundle=ca_file)
        with tempfile.TemporaryDirectory() as folder:
            _ratio(env, 50, Path(folder))  # warm: connections, caches, imports
            for calls in SIZES:
                rows.append((calls, *_ratio(env, calls, Path(folder))))
    finally:
        stop.set()
        server.join(timeout=10)
    print("recording: session.call recorded / not recorded, median call, same run")
    for calls, ratio, size in rows:
        print(f"  {calls:>6} calls   {ratio:.2f}x   file {size / 1e6:7.1f} MB")
    worst = max(ratio for _, ratio, _ in rows)
    print(f"target <= {TARGET:.2f}x at every size: {'PASS' if worst <= TARGET else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
