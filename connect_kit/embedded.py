"""The one place where the client starts the embedded sandbox, for environments with no
credentials, and says so once."""

from __future__ import annotations

import sys
from dataclasses import replace

from .config import SANDBOX_NAMES, Environment, sandbox_state
from .errors import ConfigurationError

_announced: set[str] = set()


def resolve(env: Environment) -> Environment:
    """``env`` itself when it has credentials, else its embedded sandbox instance."""
    if env.has_credentials:
        return env
    if env.name not in SANDBOX_NAMES:
        raise ConfigurationError(f"environment {env.name!r} has no credentials and no sandbox")
    from . import sandbox

    sb = sandbox.running() or sandbox.start(sandbox_state())
    client_id, client_secret = sb.credentials(env.name)
    resolved = replace(
        env,
        url=sb.url(env.name),
        client_id=client_id,
        client_secret=client_secret,
        ca_bundle=sb.ca_file,
        sandbox=True,
    )
    if env.name not in _announced:
        _announced.add(env.name)
        print(
            f"connect-kit: {env.name} has no credentials in .env; using the embedded sandbox "
            f"at {resolved.url}",
            file=sys.stderr,
        )
    return resolved
