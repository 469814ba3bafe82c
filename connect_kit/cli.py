"""The ``connect-kit`` command.

``connect-kit sandbox`` runs the local Connect simulator (dev and prod) in the foreground and
prints what a client needs: URLs, credentials and the CA file to trust.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from . import __version__


def _sandbox(args: argparse.Namespace) -> int:
    from .sandbox import ENVIRONMENTS, Sandbox

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
    try:
        sb = Sandbox(
            args.state,
            token_ttl=args.token_ttl,
            faults={env: faults for env in ENVIRONMENTS} if faults else None,
            ports={"dev": args.dev_port, "prod": args.prod_port},
            latency=not args.no_latency,
        )
    except (ValueError, OSError) as exc:
        print(f"connect-kit sandbox: {exc}", file=sys.stderr)
        return 2
    print(f"connect-kit sandbox {__version__}: Instacart Connect simulated on loopback")
    print(f"CA file:  {sb.ca_file}")
    print(f"State:    {sb.state_dir or 'in memory (gone when stopped)'}")
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
    print("\nCtrl-C stops it.", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    sb.serve_forever()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="connect-kit", description=__doc__.splitlines()[0])
    top.add_argument("--version", action="version", version=f"connect-kit {__version__}")
    commands = top.add_subparsers(dest="command", required=True)
    sb = commands.add_parser(
        "sandbox", help="run the local Connect simulator (dev and prod) in the foreground"
    )
    sb.add_argument("--state", metavar="DIR", help="keep state and CA in DIR (default: memory)")
    sb.add_argument("--dev-port", type=int, default=0, metavar="N", help="dev port (default: free)")
    sb.add_argument("--prod-port", type=int, default=0, metavar="N", help="prod port")
    sb.add_argument("--token-ttl", type=int, default=86400, metavar="S", help="token lifetime (s)")
    sb.add_argument("--no-latency", action="store_true", help="turn off the latency profiles")
    faults = sb.add_argument_group("faults (both instances; all off by default)")
    faults.add_argument("--latency-ms", type=float, help="added latency per request")
    faults.add_argument("--rate-limit", type=float, help="requests per second per client")
    faults.add_argument("--error-rate", type=float, help="share of requests answered 503")
    faults.add_argument("--drop-rate", type=float, help="share of connections dropped")
    faults.add_argument("--token-lifetime", type=float, help="seconds a token really lives")
    sb.set_defaults(run=_sandbox)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``connect-kit`` console script."""
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
