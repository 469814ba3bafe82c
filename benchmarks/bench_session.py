"""The session's cost per call, against a bare ``requests.Session`` making the same call.

What it measures: the time per call of ``find_delivery_stores`` (``POST
/v2/fulfillment/stores/delivery`` for 50 Beale St, 94105) against the sandbox's dev instance,
with its latency profile off, made three ways on one keep-alive connection each:

- baseline: a bare ``requests.Session`` with the sandbox's CA and a bearer token set by hand;
- ``session.post(path, json=...)``: connect-kit's session, plain requests API;
- ``session.call("find_delivery_stores", ...)``: connect-kit's call, checked against the
  spec, with a typed Result (its frame is not built: that is the frames benchmark's).

The sandbox runs in another process, so that its work does not share this process's GIL; the
clients take turns (the order rotates every round) and the median per-call time of the
rounds is reported, with the ratio of each to the baseline. Target: at most 1.10x.

Live conformance (every answer checked against the spec as it arrives) is measured the same
way: in every round, the same ``session.call`` is made with the check on and off in turn,
call by call (the session's private switch), each call timed; the ratio is the median of the
rounds' ratios of the median call on to the median call off. Dev's
answer carries a field the spec lacks (``time_zone``), so the check also records a finding on
every call, as against a drifting live server. Target: at most 1.05x.

Run: ``.venv/bin/python benchmarks/bench_session.py`` (or ``make bench``).
"""

from __future__ import annotations

import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import requests

from connect_kit.client import ConnectSession, Environment

CALLS = 300  # per client per round
ROUNDS = 7
TARGET = 1.10
CONFORMANCE_TARGET = 1.05
PATH = "/v2/fulfillment/stores/delivery"
BODY = {"find_by": {"address_line_1": "50 Beale St", "postal_code": "94105"}}


def _serve(ready: Any, stop: Any) -> None:
    from connect_kit.sandbox import Sandbox

    with Sandbox(latency=False) as sb:
        ready.put((sb.url("dev"), *sb.credentials("dev"), str(sb.ca_file)))
        stop.wait()


def _per_call_us(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    for _ in range(CALLS):
        call()
    return (time.perf_counter() - started) / CALLS * 1e6


def _check_ratio(session: ConnectSession, call: Callable[[], Any]) -> float:
    """The median call with live conformance on over the median call with it off, the two
    taking turns call by call."""
    on: list[float] = []
    off: list[float] = []
    for i in range(2 * CALLS):
        session._conformance.enabled = i % 2 == 0  # the private switch
        started = time.perf_counter()
        call()
        (on if i % 2 == 0 else off).append(time.perf_counter() - started)
    session._conformance.enabled = True
    return statistics.median(on) / statistics.median(off)


def main() -> int:
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Queue(), context.Event()
    server = context.Process(target=_serve, args=(ready, stop), daemon=True)
    server.start()
    try:
        url, client_id, secret, ca_file = ready.get(timeout=60)
        env = Environment(
            "dev",
            url,
            client_id,
            secret,
            ca_bundle=ca_file,
            kind="development",
            kind_reason="bench",
        )
        session = ConnectSession(env)
        token = session.auth.token().value
        bare = requests.Session()  # requests' defaults, as a user would have them
        bare.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": "bench",
            }
        )
        clients: dict[str, Callable[[], Any]] = {
            "bare requests": lambda: bare.post(  # verify per call: REQUESTS_CA_BUNDLE would win
                url + PATH, json=BODY, timeout=(5, 30), verify=ca_file
            ).json(),
            "session.post": lambda: session.post(PATH, json=BODY).json(),
            "session.call": lambda: session.call("find_delivery_stores", **BODY).json,
        }
        for call in clients.values():  # warm: connections, caches, imports
            for _ in range(50):
                call()
        times: dict[str, list[float]] = {name: [] for name in clients}
        checked: list[float] = []  # per round: median call with the check on / off
        names = list(clients)
        for round_ in range(ROUNDS):
            for name in names[round_ % 3 :] + names[: round_ % 3]:
                times[name].append(_per_call_us(clients[name]))
            checked.append(_check_ratio(session, clients["session.call"]))
        findings = session.conformance
        session.close()
    finally:
        stop.set()
        server.join(10)
    base = statistics.median(times["bare requests"])
    print(f"per call, median of {ROUNDS} rounds of {CALLS} calls (sandbox in another process):")
    worst = 0.0
    for name, values in times.items():
        median = statistics.median(values)
        ratio = median / base
        if name != "bare requests":
            worst = max(worst, ratio)
        print(f"  {name:<14} {median:8.0f} us   {ratio:.2f}x")
    verdict = "PASS" if worst <= TARGET else "MISS"
    print(f"target <= {TARGET:.2f}x: {verdict}")
    ratio = statistics.median(checked)
    seen = int(findings["count"].sum()) if len(findings) else 0
    print(
        f"live conformance: session.call with the check on / off = {ratio:.3f}x "
        f"(rounds: {min(checked):.3f} to {max(checked):.3f}; "
        f"{len(findings)} finding seen {seen} times)"
    )
    verdict = "PASS" if ratio <= CONFORMANCE_TARGET else "MISS"
    print(f"target <= {CONFORMANCE_TARGET:.2f}x: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
