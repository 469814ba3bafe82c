"""``connect-kit token`` and ``connect-kit env``: credentials for scripts, deliberately shown.

These two commands exist to hand a secret to another program, so they print it on stdout and
nothing else there; stderr says that it is a secret. Nothing here logs it, and the token is
not revoked when the command ends (it lives its normal life on the server).
"""

from __future__ import annotations

import argparse
import sys

from . import _output, _state


def token(args: argparse.Namespace) -> int:
    """Print a bearer token for environment ``args.env`` (a user's with ``--as-user``)."""
    from ..errors import ConnectError

    try:
        session = _state.session(args.env, quiet=True)
        caller = session.for_user(args.as_user) if args.as_user else session
        snapshot = caller.auth.token()
    except BrokenPipeError:
        raise
    except (ConnectError, ValueError, OSError) as exc:
        _output.error("token", exc)
        return 1
    served = ""
    if session.env.sandbox:
        served = (
            " It comes from the running connect-kit sandbox."
            if _state.running() is not None
            else f" It comes from the sandbox kept in {_state.state_dir()}, which serves only "
            "while a command runs: start connect-kit sandbox to use it from other programs."
        )
    lifetime = round(snapshot.lifetime)
    print(
        f"connect-kit token: stdout holds a bearer token for {session.env.name} "
        f"({session.base_url}, scope {snapshot.scope or 'default'}, valid {lifetime} s). It is a "
        f"secret: keep it out of logs, shared files and screenshots.{served}",
        file=sys.stderr,
    )
    print(snapshot.value, flush=True)
    return 0  # no close(): closing would revoke the token just handed out


def env(args: argparse.Namespace) -> int:
    """Print a ``.env`` block for the running ``connect-kit sandbox``'s dev and prod."""
    folder = _state.state_dir()
    sb = _state.running(folder)
    if sb is None:
        print(
            f"connect-kit env: no connect-kit sandbox is running for {folder}. Start one with "
            "connect-kit sandbox (in another terminal, from this folder), then run this again.",
            file=sys.stderr,
        )
        return 1
    kinds = {"dev": "development", "prod": "production"}
    lines = [
        f"# the connect-kit sandbox serving {folder} (started {sb.started})",
        "# its client secrets are below: keep this in .env, which git ignores",
    ]
    try:
        for instance, kind in kinds.items():
            client_id, client_secret = sb.credentials(instance)
            prefix = f"INSTACART_{instance.upper()}_"
            lines += [
                "",
                f"{prefix}URL={sb.url(instance)}",
                f"{prefix}CLIENT_ID={client_id}",
                f"{prefix}CLIENT_SECRET={client_secret}",
                f"{prefix}CA_BUNDLE={sb.ca_file}",
                f"{prefix}KIND={kind}",
            ]
    except OSError as exc:
        _output.error("env", exc)
        return 1
    print(
        "connect-kit env: stdout holds the sandbox's client secrets; keep them in .env, "
        "out of shared files.",
        file=sys.stderr,
    )
    print("\n".join(lines), flush=True)
    return 0
