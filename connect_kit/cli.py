"""The ``connect-kit`` command.

``connect-kit sandbox`` runs the local Connect simulator (dev and prod) in the foreground and
prints what a client needs: URLs, credentials and the CA file to trust.

``connect-kit call ENV OPERATION --field value ... [--body file.json] [-o out.csv]`` makes one
call of the spec and prints (or writes) its records; errors are one line and a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._version import __version__


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


OUTPUTS = (".csv", ".json", ".parquet")


def _is_text(shape: Any) -> bool:
    """Whether the spec's reader says a field holds a string (``None``: a field it lacks)."""
    return shape is not None and shape.type == "string"


def _leaf(op: Any, name: str) -> Any:
    """The spec's answer for a dotted field of the request body, lists' items included
    (``items.line_num`` is ``items[].line_num``); ``None`` when the spec has no such field."""
    from . import spec

    return next((f for f in spec.fields(op, "request") if f.path.replace("[]", "") == name), None)


def _value(op: Any, name: str, raw: str) -> Any:
    """A command-line value: kept as text where the spec wants text, else read as JSON."""
    if name in op.path_params or name in op.query or _is_text(_leaf(op, name)):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _fields(op: Any, pairs: Sequence[str]) -> dict[str, Any]:
    """``--name value`` pairs (``--a.b value`` nests) into call arguments."""
    fields: dict[str, Any] = {}
    items = list(pairs)
    while items:
        flag = items.pop(0)
        if not flag.startswith("--") or len(flag) < 3:
            raise ValueError(f"expected --field value, got {flag!r}")
        name, _, inline = flag[2:].partition("=")
        if not inline and (not items or items[0].startswith("--")):
            raise ValueError(f"--{name} needs a value")
        raw = inline if inline else items.pop(0)
        target = fields
        *parents, leaf = name.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = _value(op, name, raw)
    return fields


def _call(args: argparse.Namespace, extra: Sequence[str]) -> int:
    """``connect-kit call``: every output (the table, ``--raw``, ``-o`` files, errors) is
    redacted; no flag shows a secret."""
    from . import _redact as redact
    from . import connect, spec
    from .data._frames import to_frame
    from .errors import ConnectError

    fields: dict[str, Any] = {}
    try:
        op = spec.get(args.operation)
        fields = _fields(op, extra)
        if args.body:
            text = sys.stdin.read() if args.body == "-" else Path(args.body).read_text()
            fields["body"] = json.loads(text)
        if args.output and Path(args.output).suffix not in OUTPUTS:
            raise ValueError(f"-o {args.output}: expected a .csv, .json or .parquet file")
        with connect(args.env, allow_writes=args.allow_writes or None) as session:
            result = session.call(op.name, **fields)
        shown = redact.body(result.json)  # the records too are made from the redacted JSON
        if args.output:
            frame = to_frame(result.operation, shown)
            _write(frame, Path(args.output))
            print(f"{result.operation.name}: {len(frame)} rows -> {args.output}", file=sys.stderr)
        elif args.raw:
            print(json.dumps(shown, indent=2, ensure_ascii=False))
        else:
            frame = to_frame(result.operation, shown)
            print(frame.to_string(index=False) if len(frame) else "(no records)")
        return 0
    except (ConnectError, ValueError, OSError, ImportError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        message = redact.scrub(message, *redact.secret_values(fields))
        print(f"connect-kit call: {type(error).__name__}: {message}", file=sys.stderr)
        return 1


def _write(frame: Any, path: Path) -> None:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".json":
        frame.to_json(path, orient="records", date_format="iso", indent=2)
    else:
        try:
            frame.to_parquet(path, index=False)
        except ImportError:
            raise ImportError("writing parquet needs pyarrow: pip install pyarrow") from None


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
    call = commands.add_parser(
        "call",
        help="call one operation and print its records",
        description="Fields go as --name value (JSON where the spec wants a number, list or "
        "object; --a.b value nests). Example: connect-kit call dev find_delivery_stores "
        "--find_by.address_line_1 '50 Beale St' --find_by.postal_code 94105",
    )
    call.add_argument(
        "env", help="environment: dev, prod, one declared in .env, sandbox:dev or sandbox:prod"
    )
    call.add_argument("operation", help="operation name (see connect_kit.operations())")
    call.add_argument("--body", metavar="FILE", help="the request body as JSON (- for stdin)")
    call.add_argument("-o", "--output", metavar="FILE", help="write .csv, .json or .parquet")
    call.add_argument(
        "--raw", action="store_true", help="print the response JSON (secrets redacted)"
    )
    call.add_argument("--allow-writes", action="store_true", help="allow state changes on prod")
    call.set_defaults(run=_call)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``connect-kit`` console script."""
    args, extra = parser().parse_known_args(argv)
    if args.command != "call" and extra:
        parser().error(f"unrecognized arguments: {' '.join(extra)}")
    return args.run(args, extra) if args.command == "call" else args.run(args)


if __name__ == "__main__":
    sys.exit(main())
