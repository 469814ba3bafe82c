"""Requests per second of the sandbox, against a minimal Starlette app on the same server.

What it measures: how many requests per second the sandbox's dev instance answers for two
operations, get-order (``GET /v2/fulfillment/users/{user_id}/orders/{order_id}``) and
find-stores (``POST /v2/fulfillment/stores/delivery`` for 50 Beale St, 94105), beside a
baseline: a minimal Starlette app with one route per operation at the same path, answering
the same JSON document the sandbox answered (fixed, built once), served by uvicorn with the
sandbox's own ``make_server`` (same TLS certificates, protocol class and event loop kind). So
the only difference is the app, and the ratio sandbox/baseline is the share of the framework's
speed that the sandbox keeps. Target: at least 0.5x.

How: the servers (the sandbox with its latency profiles off, and the baseline) run in this
process; the load generator (``_load.py``) runs in another process so that it does not share
their GIL. It keeps several keep-alive HTTPS connections busy (one request in flight on each)
for a fixed time after a warm-up, and counts the 200 answers. Baseline and sandbox are measured
in turns (the order flips every round) and the median of the rounds is reported. Any answer
other than 200 is an error: the script then exits non-zero. Missing the target does not: it
prints MISS.

Run: ``.venv/bin/python benchmarks/bench_sandbox.py`` (or ``make bench``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
import requests
from _load import Result, measure
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connect_kit.sandbox import Sandbox
from connect_kit.serve.server import ServerThread, bind, make_server

ENV = "dev"
TARGET = 0.5  # sandbox at least half as fast as the minimal app
ADDRESS = {"address_line_1": "50 Beale St", "postal_code": "94105"}
ITEMS = [
    {"line_num": "1", "count": 1, "item": {"upc": "987665788999"}},
    {"line_num": "2", "count": 1, "item": {"upc": "070481001157"}},
]
USER_ID, ORDER_ID = "bench-user", "bench-order-1"


@dataclass(frozen=True)
class Operation:
    """One request to measure, and the answer the sandbox gave it (the baseline's JSON)."""

    name: str
    method: str
    path: str
    body: dict[str, Any] | None
    answer: Any = None

    def raw(self, token: str) -> bytes:
        """The request as the load generator sends it, the same bytes to both servers."""
        lines = [
            f"{self.method} {self.path} HTTP/1.1",
            "Host: 127.0.0.1",
            f"Authorization: Bearer {token}",
            "Accept: application/json",
        ]
        payload = orjson.dumps(self.body) if self.body is not None else b""
        if self.body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@dataclass
class Rates:
    """Requests per second of one operation on one server, round by round."""

    rates: list[float] = field(default_factory=list)
    client_cpu: list[float] = field(default_factory=list)  # share of a core the client used
    errors: int = 0
    first_error: str | None = None

    def add(self, result: Result) -> None:
        self.rates.append(result.rate)
        self.client_cpu.append(result.client_cpu / result.seconds)
        self.errors += result.errors
        self.first_error = self.first_error or result.first_error

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


# setting up ---------------------------------------------------------------------------------


class Api:
    """Plain requests against the sandbox, trusting its CA (``verify`` on every call)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.url, self.ca_file = sandbox.url(ENV), sandbox.ca_file
        self.http = requests.Session()
        self.token = ""
        client_id, client_secret = sandbox.credentials(ENV)
        grant = {"client_id": client_id, "client_secret": client_secret}
        grant["grant_type"] = "client_credentials"
        self.token = self.call("POST", "/v2/oauth/token", grant)["access_token"]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        answer = self.http.request(
            method,
            self.url + path,
            json=body,
            headers=headers,
            verify=self.ca_file,
            timeout=10,
        )
        if answer.status_code != 200:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text}")
        return answer.json()


def create_order(api: Api) -> None:
    """A user, a held delivery slot and a delivery order, as tests/helpers.py does it."""
    user = {"user_id": USER_ID, "first_name": "kamal", "phone_number": "+18005550100"}
    api.call("POST", "/v2/fulfillment/users", user)
    users = f"/v2/fulfillment/users/{USER_ID}"
    options = api.call(
        "POST", f"{users}/service_options/cart/delivery", {"items": ITEMS, "address": ADDRESS}
    )["service_options"]
    slot = next(o for o in options if o["availability"]["available"])
    hold = api.call("POST", f"{users}/service_options/{slot['id']}/reserve")
    order = {
        "order_id": ORDER_ID,
        "service_option_hold_id": hold["service_option_hold"]["id"],
        "initial_tip_cents": 500,
        "address": ADDRESS,
        "items": ITEMS,
    }
    api.call("POST", f"{users}/orders/delivery", order)


def operations(api: Api) -> list[Operation]:
    """The measured operations, each with the sandbox's answer to it."""
    ops = [
        Operation("get_order", "GET", f"/v2/fulfillment/users/{USER_ID}/orders/{ORDER_ID}", None),
        Operation("find_stores", "POST", "/v2/fulfillment/stores/delivery", {"find_by": ADDRESS}),
    ]
    return [replace(op, answer=api.call(op.method, op.path, op.body)) for op in ops]


def fixed(answer: Any) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint answering ``answer``, the way a minimal Starlette app would."""

    async def endpoint(request: Request) -> Response:
        return JSONResponse(answer)

    return endpoint


def baseline_app(ops: list[Operation]) -> Starlette:
    """The minimal app: one route per operation, answering that operation's JSON."""
    return Starlette(routes=[Route(op.path, fixed(op.answer), methods=[op.method]) for op in ops])


def start(sandbox: Sandbox, app: Any) -> tuple[ServerThread, int]:
    """``app`` on the sandbox's server recipe; returns its thread and port."""
    sock = bind(0)
    thread = ServerThread([(make_server(app, sandbox.certificates), sock)])
    thread.start()
    return thread, sock.getsockname()[1]


# measuring ----------------------------------------------------------------------------------


def run_rounds(
    pool: ProcessPoolExecutor,
    ports: dict[str, int],
    raws: dict[str, bytes],
    ca_file: str,
    args: argparse.Namespace,
) -> dict[tuple[str, str], Rates]:
    """Measure every (operation, server) pair ``args.rounds`` times, in turns."""
    results: dict[tuple[str, str], Rates] = {}
    servers = list(ports)
    for round_ in range(args.rounds):
        order = servers if round_ % 2 == 0 else servers[::-1]
        for name, raw in raws.items():
            for server in order:
                result = pool.submit(
                    measure,
                    ports[server],
                    raw,
                    ca_file,
                    connections=args.connections,
                    warmup=args.warmup,
                    duration=args.duration,
                ).result()
                results.setdefault((name, server), Rates()).add(result)
    return results


def report(results: dict[tuple[str, str], Rates], ops: list[Operation]) -> bool:
    """Print the table and the verdicts; returns whether any answer was an error."""
    rounds = len(next(iter(results.values())).rates)
    head = "".join(f"{f'round {i + 1}':>10}" for i in range(rounds))
    print(f"\n{'req/s':<22}{head}{'median':>10}{'errors':>8}{'client CPU':>12}")
    for (name, server), rates in results.items():
        cells = "".join(f"{rate:>10.0f}" for rate in rates.rates)
        cpu = f"{max(rates.client_cpu):.0%}"
        print(f"{name:<12}{server:<10}{cells}{rates.median:>10.0f}{rates.errors:>8}{cpu:>12}")
        if server == "sandbox":  # the ratio of each round's pair, to show the spread
            pairs = zip(rates.rates, results[(name, "baseline")].rates, strict=True)
            ratios = [sandbox / baseline if baseline else 0.0 for sandbox, baseline in pairs]
            cells = "".join(f"{ratio:>9.2f}x" for ratio in ratios)
            print(f"{name:<12}{'ratio':<10}{cells}{statistics.median(ratios):>9.2f}x")
    print("(client CPU: the most of one core the load generator used; below 100% it kept up)")
    print()
    failed = False
    for op in ops:
        sandbox, baseline = results[(op.name, "sandbox")], results[(op.name, "baseline")]
        ratio = sandbox.median / baseline.median if baseline.median else 0.0
        verdict = "PASS" if ratio >= TARGET else "MISS"
        print(
            f"{op.name}: {sandbox.median:.0f} req/s vs baseline {baseline.median:.0f} req/s"
            f" = {ratio:.2f}x (target >= {TARGET}x) {verdict}"
        )
        for server, rates in (("sandbox", sandbox), ("baseline", baseline)):
            if rates.errors:
                failed = True
                print(
                    f"  ERROR {op.name} on {server}: {rates.errors} bad answers, first: "
                    f"{rates.first_error}"
                )
    return failed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds before measuring")
    parser.add_argument("--connections", type=int, default=8)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    with Sandbox(latency=False) as sandbox, ProcessPoolExecutor(1, mp_context=context) as pool:
        api = Api(sandbox)
        create_order(api)
        ops = operations(api)
        baseline, port = start(sandbox, baseline_app(ops))
        try:
            sizes = ", ".join(f"{op.name} {len(orjson.dumps(op.answer))} B" for op in ops)
            print(
                f"sandbox ({ENV}, latency off) vs a minimal Starlette app on the same uvicorn/TLS"
                f" setup; answers: {sizes}\n{args.connections} keep-alive connections, "
                f"{args.warmup:g} s warm-up + {args.duration:g} s measured, {args.rounds} rounds"
                f" in turns; target: sandbox >= {TARGET}x baseline"
            )
            ports = {
                "baseline": port,
                "sandbox": int(sandbox.url(ENV).rsplit(":", 1)[1]),
            }
            raws = {op.name: op.raw(api.token) for op in ops}
            results = run_rounds(pool, ports, raws, sandbox.ca_file, args)
        finally:
            baseline.stop()
    return 1 if report(results, ops) else 0


if __name__ == "__main__":
    sys.exit(main())
