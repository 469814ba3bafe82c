"""``connect-kit sandbox``: the local Connect simulator in the foreground.

By default it serves the command line's state folder (see :mod:`._state`) and announces
itself there, so that ``connect-kit call``, ``token`` and ``env`` in another shell use it; it
comes back on the ports it had last time when they are free, so a ``.env`` made by
``connect-kit env sandbox`` stays valid across restarts.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__
from . import _state

if TYPE_CHECKING:
    from ..sandbox import Sandbox


def run(args: argparse.Namespace) -> int:
    from ..sandbox import ENVIRONMENTS

    faults = {
        name: value
        for name, value in {
            "latency_ms": args.latency_ms,
            "rate_limit": args.rate_limit,
            "error_rate": args.error_rate,
            "drop_rate": args.drop_rate,
            "token_lifetime": args.token_lifetime,
        }.items()
        if value is not None
    }
    folder: Path | None = None
    if args.state:
        folder = Path(args.state).expanduser().resolve()
    elif not args.memory:
        folder = _state.state_dir()
    if folder is not None and (other := _state.running(folder)) is not None:
        print(
            f"connect-kit sandbox: one is already running for {folder} (process {other.pid}, "
            f"dev at {other.url('dev')}). Stop it first, or choose another folder with --state "
            "or none with --memory.",
            file=sys.stderr,
        )
        return 2
    ports = {"dev": args.dev_port, "prod": args.prod_port}
    try:
        if folder is not None:
            _state.prepare(folder)
        sb = _make(folder, args, faults, ports)
    except (ValueError, OSError) as exc:
        print(f"connect-kit sandbox: {exc}", file=sys.stderr)
        return 2
    if folder is not None:
        _state.announce(sb)
    print(f"connect-kit sandbox {__version__}: Instacart Connect simulated on loopback")
    print(f"CA file:  {sb.ca_file}")
    kept = "in memory (gone when stopped)" if sb.state_dir is None else str(sb.state_dir)
    print(f"State:    {kept}")
    for env in ENVIRONMENTS:
        client_id, client_secret = sb.credentials(env)
        print(f"\n[{env}]")
        print(f"  url:           {sb.url(env)}")
        print(f"  client_id:     {client_id}")
        print(f"  client_secret: {client_secret}")
    client_id, client_secret = sb.credentials("dev")
    print("\nTry it:")
    print(
        f"  curl --cacert {sb.ca_file} {sb.url('dev')}/v2/oauth/token \\\n"
        f"    -H 'Content-Type: application/json' \\\n"
        f'    -d \'{{"client_id": "{client_id}", "client_secret": "{client_secret}", '
        f'"grant_type": "client_credentials", "scope": "connect:fulfillment"}}\''
    )
    if folder is not None:
        print(
            "\nOther connect-kit commands run from this folder use it while it runs; "
            "connect-kit env sandbox prints these settings as a .env block."
        )
    print("\nCtrl-C stops it.", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    sb.serve_forever()
    return 0


def _make(
    folder: Path | None, args: argparse.Namespace, faults: dict[str, float], ports: dict[str, int]
) -> Sandbox:
    """The sandbox, on the ports it had last time when none are asked for and they are free."""
    from ..sandbox import ENVIRONMENTS, Sandbox

    options: dict[str, Any] = {
        "token_ttl": args.token_ttl,
        "faults": {env: faults for env in ENVIRONMENTS} if faults else None,
        "latency": not args.no_latency,
    }
    last = _state.last_ports(folder) if folder is not None else {}
    if last and not any(ports.values()):
        try:
            return Sandbox(folder, ports=last, **options)
        except OSError:
            pass  # taken by now: free ones
    return Sandbox(folder, ports=ports, **options)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
