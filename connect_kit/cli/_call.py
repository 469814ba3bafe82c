"""``connect-kit call ENV OPERATION --field value ...``: one call of the spec from a shell.

Values are typed by the spec's reader (text where it wants text, else JSON: see
:mod:`._fields`, which the ``%connect`` magic shares); every output (the table, ``--raw``,
``-o`` files, errors) is made from the redacted answer, so no flag shows a secret.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import _output, _state
from ._fields import fields

OUTPUTS = (".csv", ".json", ".parquet")


def run(args: argparse.Namespace, extra: Sequence[str]) -> int:
    """Make the call and print (or write) its records; an error is one line and exit 1."""
    from .. import _redact as redact
    from .. import spec
    from ..data._frames import to_frame
    from ..errors import ConnectError

    given: dict[str, Any] = {}
    try:
        op = spec.get(args.operation)
        given = fields(op, extra)
        if args.body:
            text = sys.stdin.read() if args.body == "-" else Path(args.body).read_text()
            given["body"] = json.loads(text)
        if args.output and Path(args.output).suffix not in OUTPUTS:
            raise ValueError(f"-o {args.output}: expected a .csv, .json or .parquet file")
        with _state.session(args.env, allow_writes=args.allow_writes) as session:
            caller = session.for_user(args.as_user) if args.as_user else session
            try:
                result = caller.call(op.name, **given)
            finally:
                if caller is not session:
                    caller.close()
        shown = redact.body(result.json)  # the records too are made from the redacted JSON
        if args.output:
            frame = to_frame(result.operation, shown)
            _write(frame, Path(args.output))
            print(f"{result.operation.name}: {len(frame)} rows -> {args.output}", file=sys.stderr)
        elif args.raw:
            print(_output.dumps(shown))
        else:
            frame = to_frame(result.operation, shown)
            print(frame.to_string(index=False) if len(frame) else "(no records)")
        return 0
    except BrokenPipeError:
        raise  # the reader has gone: main ends quietly
    except (ConnectError, ValueError, OSError, ImportError) as exc:
        _output.error("call", exc, *redact.secret_values(given))
        return 1


def _write(frame: Any, path: Path) -> None:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".json":
        path.write_text(_output.dumps(_output.frame_records(frame)) + "\n", encoding="utf-8")
    else:
        try:
            frame.to_parquet(path, index=False)
        except ImportError:
            raise ImportError("writing parquet needs pyarrow: pip install pyarrow") from None
