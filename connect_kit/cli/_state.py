"""Where the command line's sandbox lives between commands.

Each ``connect-kit`` command is a new process, so the embedded sandbox it starts for an
environment without credentials keeps its state (users, orders, OAuth clients, tokens and the
CA) in a folder: ``$INSTACART_SANDBOX_STATE`` when set, else ``.connect-kit/`` under the
working directory. ``connect-kit sandbox`` serves the same folder and announces itself there
(``sandbox.json``: its URLs and CA file, never a secret); while it runs, the other commands
send their requests to it instead of starting a sandbox of their own. The announcement stays
when it stops (its ports are taken again next time); whether it still runs is asked of those
ports, so a stale one is never followed.

Only one process serves a folder at a time: the sandbox's state reads through a cache, so two
servers on one SQLite file would not see each other's writes.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from ..client import ConnectSession, Environment
    from ..sandbox import Sandbox

FOLDER = ".connect-kit"
ANNOUNCEMENT = "sandbox.json"
INSTANCES = ("dev", "prod")


def state_dir() -> Path:
    """The sandbox's state folder for the command line (absolute)."""
    from ..client._config import sandbox_state

    chosen = sandbox_state()
    return Path(chosen).expanduser().resolve() if chosen else Path.cwd() / FOLDER


def prepare(folder: Path) -> Path:
    """Make the state folder (readable by its owner only; git ignores what is inside)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# connect-kit's sandbox state: credentials and a CA key\n*\n")
    return folder


@dataclass(frozen=True)
class RunningSandbox:
    """A ``connect-kit sandbox`` serving a state folder, as another process sees it."""

    folder: Path
    urls: dict[str, str]
    ca_file: str
    pid: int
    started: str

    def url(self, env: str) -> str:
        return self.urls[env]

    def credentials(self, env: str) -> tuple[str, str]:
        """The instance's first OAuth application, read from the state it keeps."""
        from ..sandbox.state import State

        state = State(self.folder / f"{env}.sqlite3")
        try:
            client = state.get("client", state.setting("primary_client") or "")
        finally:
            state.close()
        if client is None:
            raise OSError(f"the sandbox state in {self.folder} has no OAuth application for {env}")
        return client["client_id"], client["secret"]


def announce(sb: Sandbox) -> None:
    """Say in the state folder where ``sb`` serves (no secrets: URLs, CA file, process id)."""
    assert sb.state_dir is not None
    record = {
        "pid": os.getpid(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "ca_file": sb.ca_file,
        "urls": {env: sb.url(env) for env in INSTANCES},
    }
    target = sb.state_dir / ANNOUNCEMENT
    draft = target.with_suffix(".tmp")
    draft.write_text(json.dumps(record, indent=2) + "\n")
    draft.replace(target)


def last_ports(folder: Path) -> dict[str, int]:
    """The ports the sandbox of ``folder`` served on last time (none when unknown)."""
    record = _read(folder)
    if record is None:
        return {}
    return {env: urlsplit(url).port or 0 for env, url in record["urls"].items()}


def _read(folder: Path) -> dict[str, Any] | None:
    try:
        record = json.loads((folder / ANNOUNCEMENT).read_text())
        if set(record["urls"]) >= set(INSTANCES) and isinstance(record["pid"], int):
            return dict(record)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 443), 0.5):
            return True
    except OSError:
        return False


def running(folder: Path | None = None) -> RunningSandbox | None:
    """The ``connect-kit sandbox`` serving ``folder`` (default: :func:`state_dir`), if one
    answers there now; an announcement left by a sandbox that has stopped is ignored."""
    folder = folder or state_dir()
    record = _read(folder)
    if record is None or not all(_answers(record["urls"][env]) for env in INSTANCES):
        return None
    return RunningSandbox(
        folder, dict(record["urls"]), str(record["ca_file"]), record["pid"], record["started"]
    )


def served_instance(name: str) -> str | None:
    """The sandbox instance that serves environment ``name`` (``sandbox:dev``, or ``dev`` and
    ``prod`` without credentials), or None when it has its own server or settings are wrong
    (connecting then says what is wrong)."""
    from ..client import sandbox_instance, settings

    instance = sandbox_instance(name)
    if instance is not None:
        return instance
    if not isinstance(name, str) or name.lower() not in INSTANCES:
        return None
    raw = settings().get(name.lower(), {})
    if raw.get("CLIENT_ID", "").strip() or raw.get("CLIENT_SECRET", "").strip():
        return None
    return name.lower()


def _environment(name: str, instance: str, sb: RunningSandbox) -> Environment:
    """Environment ``name`` bound to an instance of a sandbox of another process."""
    from ..client import Environment, instance_environment
    from ..client._config import SANDBOX_PREFIX, environment

    url = sb.url(instance)
    if name.lower().startswith(SANDBOX_PREFIX):
        base = Environment(SANDBOX_PREFIX + instance, url, sandbox=True)
        declared = None
    else:
        base = environment(name)
        declared = base.kind if base.kind_reason.startswith("declared") else None
    return instance_environment(sb, instance, base, declared)


def session(name: str, *, allow_writes: bool = False, quiet: bool = False) -> ConnectSession:
    """A session for environment ``name`` as the command line sees it: an environment served
    by the sandbox goes to the running ``connect-kit sandbox`` if one serves the state folder,
    else to the embedded sandbox started on that folder (stopped by :func:`lifetime`)."""
    from .. import connect

    instance = served_instance(name)
    if instance is None:
        return connect(name, allow_writes=allow_writes or None)
    from ..client import ConnectSession

    folder = state_dir()
    found = running(folder)
    if found is not None:
        env = _environment(name, instance, found)
        if not quiet:
            print(
                f"connect-kit: {name} is served by the running connect-kit sandbox at {env.url}",
                file=sys.stderr,
            )
        return ConnectSession(env, allow_writes=allow_writes or None)
    from .. import sandbox

    if sandbox.running() is None:
        sandbox.start(prepare(folder))
    return connect(name, allow_writes=allow_writes or None)


def _embedded_running() -> bool:
    module = sys.modules.get("connect_kit.sandbox")
    return module is not None and module.running() is not None


@contextmanager
def lifetime() -> Iterator[None]:
    """Stop, when the command ends, an embedded sandbox that the command started (its state
    stays in the folder for the next command)."""
    before = _embedded_running()
    try:
        yield
    finally:
        if not before and _embedded_running():
            from .. import sandbox

            sandbox.stop()
