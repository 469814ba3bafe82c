"""``connect-kit openapi`` and ``connect-kit export``: the spec and recorded flows, written for
other tools.

``openapi`` writes :func:`connect_kit.openapi` (OpenAPI 3.1, JSON) to a file or stdout, for
Postman, Bruno, Insomnia or a code generator. ``export`` turns a recording (a HAR file made with
``ck.connect(env, record=...)``, or a ``.http`` file or Postman collection) into another format,
chosen by the output's name, through :func:`connect_kit.export`. Neither needs a server or
credentials; errors are one line and exit 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import _output

SERVER = "https://connect.instacart.com"


def openapi(args: argparse.Namespace) -> int:
    """Write the spec as OpenAPI 3.1: to ``-o FILE``, else to stdout."""
    from ..exports import openapi as document

    text = _output.dumps(document(server=args.server, sandbox=args.sandbox)) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return 0
    target = Path(args.output).expanduser()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        _output.error("openapi", exc)
        return 1
    print(f"connect-kit openapi: OpenAPI 3.1 -> {args.output}", file=sys.stderr)
    return 0


def export(args: argparse.Namespace) -> int:
    """Export the recording to the format that the output's name (or ``--format``) names."""
    from ..errors import ConnectError
    from ..exports import export as write
    from ..exports._postman import SUFFIX

    source = Path(args.recording).expanduser()
    try:
        if not source.is_file():
            raise FileNotFoundError(f"{args.recording}: no such file")
        written = write(source, args.output, format=args.format)
    except (ConnectError, ValueError, TypeError, OSError) as exc:
        _output.error("export", exc)
        return 1
    print(f"connect-kit export: {args.recording} -> {written}", file=sys.stderr)
    name = written.name
    if name.endswith(SUFFIX) or (args.format or "").strip().lower() == "postman":
        stem = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else written.stem
        beside = written.with_name(f"{stem}.postman_environment.json")
        if beside.exists():
            print(f"connect-kit export: its environment -> {beside}", file=sys.stderr)
    return 0
