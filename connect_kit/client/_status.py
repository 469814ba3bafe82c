"""Whether each environment can be reached: ``connect_kit.status()``, all at a glance."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..errors import ConnectError
from . import _config as config
from . import _embedded as embedded
from ._session import ConnectSession

if TYPE_CHECKING:
    import pandas as pd


def status(dotenv_path: str | None = None) -> pd.DataFrame:
    """One row per environment: server, kind (development or production), whether the
    embedded sandbox serves it, reachable, token obtained, latency.

    Nothing is raised for an environment that fails: the row says what went wrong.
    """
    import pandas as pd

    rows = []
    for name, raw in config.settings(dotenv_path).items():
        row: dict[str, object] = {
            "env": name,
            "server": None,
            "kind": None,
            "sandbox": None,
            "reachable": False,
            "token": False,
            "latency_ms": None,
            "error": None,
        }
        try:
            env = embedded.with_sandbox(config.from_settings(name, raw))
            row.update(server=env.url, kind=env.kind, sandbox=env.sandbox)
            with ConnectSession(env) as session:
                started = time.perf_counter()
                # a fresh token: this measures the round trip
                token = session._fetch_token(session.env.scope or "")
                session._revoke_token(token)
                row.update(
                    reachable=True,
                    token=True,
                    latency_ms=round((time.perf_counter() - started) * 1000, 1),
                )
        except ConnectError as exc:
            row["reachable"] = getattr(exc, "status", None) is not None
            row["error"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.astype({"latency_ms": "Float64"})
