"""The ``connect-kit`` command.

``connect-kit sandbox`` runs the local Connect simulator (dev and prod) in the foreground and
prints what a client needs: URLs, credentials and the CA file to trust.

``connect-kit call ENV OPERATION --field value ... [--body file.json] [-o out.csv]`` makes one
call of the spec and prints (or writes) its records; errors are one line and a non-zero exit.

``connect-kit ops`` lists the operations, ``connect-kit describe OPERATION`` shows one's
fields, ``connect-kit token ENV`` prints a bearer token and ``connect-kit env sandbox`` a
``.env`` block for the running sandbox.

``connect-kit openapi [-o FILE]`` writes the spec as OpenAPI 3.1, and ``connect-kit export
RECORDING.har OUT`` a recorded flow for another tool, in the format OUT's name tells.

Environments without credentials are served by the sandbox, whose state is kept between
commands in ``.connect-kit/`` (or ``$INSTACART_SANDBOX_STATE``), or by the running
``connect-kit sandbox`` (see :mod:`connect_kit.cli._state`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ._fields import _value as _value  # how a value given on the command line is typed
from ._parser import parser

__all__ = ["main", "parser"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``connect-kit`` console script; returns the exit status.

    A reader that stops early (``connect-kit ops | head -1``) ends the command quietly, with
    status 0; Ctrl-C ends it with status 130 and one line.
    """
    from . import _state

    args, extra = parser().parse_known_args(argv)
    if args.command != "call" and extra:
        parser().error(f"unrecognized arguments: {' '.join(extra)}")
    if args.verbose:
        _verbose()
    try:
        with _state.lifetime():
            code = args.run(args, extra) if args.command == "call" else args.run(args)
        sys.stdout.flush()
        return int(code)
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        print(f"connect-kit {args.command}: interrupted", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's last flush into the closed
    pipe does not print an error at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # no real stdout (a test capturing it): nothing will be flushed into a pipe


def _verbose() -> None:
    """Log what happens (requests, retries) on stderr. The package's log lines carry
    metadata only: method, path, status, attempt; never a token or secret."""
    import logging

    logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s", stream=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
