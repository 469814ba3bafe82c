"""connect-kit: explore the Instacart Connect APIs from a notebook.

The front door: :func:`connect`, and every public name, loaded on first use so that
``import connect_kit`` stays light (no pandas, requests or ipywidgets until they are needed).

The parts behind it::

    spec/       every operation, described once, and the one reader of its fields
    client/     environments, tokens, retries, the session, results, bulk and ready-made pulls
    data/       DataFrames from the spec, differences, drift, comparisons
    widgets/    forms built from the spec (ipywidgets)
    snippets/   the same request as cURL, Python, Java and Go
    callbacks/  a local receiver of Connect's event callbacks
    serve/      local HTTPS serving, shared by the sandbox and the receiver
    sandbox/    the simulator
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

# public name -> "module:attribute" (or "module" for a submodule)
_LAZY = {
    "ConnectSession": "connect_kit.client:ConnectSession",
    "Result": "connect_kit.client:Result",
    "RetryPolicy": "connect_kit.client:RetryPolicy",
    "callbacks": "connect_kit.callbacks",
    "compare": "connect_kit.data:compare",
    "compare_panel": "connect_kit.widgets:compare_panel",
    "compare_results": "connect_kit.data:compare_results",
    "composer": "connect_kit.widgets:composer",
    "conformance_report": "connect_kit.data:conformance_report",
    "describe": "connect_kit.spec:describe",
    "drive": "connect_kit.client:drive",
    "errors": "connect_kit.errors",
    "export": "connect_kit.exports:export",
    "load": "connect_kit.exports:load",
    "openapi": "connect_kit.exports:openapi",
    "operations": "connect_kit.spec:operations",
    "parity": "connect_kit.data:parity",
    "snippet": "connect_kit.snippets:snippet",
    "sandbox": "connect_kit.sandbox",
    "spec": "connect_kit.spec",
    "status": "connect_kit.client:status",
}

__all__ = [
    "ConnectSession",
    "Result",
    "RetryPolicy",
    "__version__",
    "callbacks",
    "compare",
    "compare_panel",
    "compare_results",
    "composer",
    "conformance_report",
    "connect",
    "describe",
    "drive",
    "errors",
    "export",
    "load",
    "openapi",
    "operations",
    "parity",
    "sandbox",
    "snippet",
    "spec",
    "status",
]

if TYPE_CHECKING:
    import os

    from . import callbacks, errors, sandbox, spec
    from .client import ConnectSession, Result, RetryPolicy, drive, status
    from .data import compare, compare_results, conformance_report, parity
    from .exports import export, load, openapi
    from .snippets import snippet
    from .spec import describe, operations
    from .widgets import compare_panel, composer


def connect(
    env: str = "dev",
    *,
    allow_writes: bool | None = None,
    dotenv_path: str | None = None,
    record: str | os.PathLike[str] | None = None,
    replay: str | os.PathLike[str] | None = None,
    **options: Any,
) -> ConnectSession:
    """An authenticated session for environment ``env`` (``"dev"``, ``"prod"``, or another
    declared in ``.env``; ``"sandbox:dev"`` and ``"sandbox:prod"`` are always the embedded
    sandbox's instances, whatever ``.env`` holds).

    Settings come from ``.env`` (found from the working directory upwards) and the process
    environment, which wins. Without credentials, ``dev`` and ``prod`` use the embedded
    sandbox (announced once). ``allow_writes`` lets state-changing calls reach a production
    environment. Other options go to :class:`ConnectSession` (``retry``, ``timeout``,
    ``history_size``, ``strict``: how calls treat fields the spec does not know).

    ``record="flows/dev.har"`` writes every exchange to that HAR 1.2 file as it happens,
    redacted (secrets become ``[redacted:<field>:<n>]`` placeholders). ``replay=`` answers from
    such a file instead, with no network and no credentials: the recorded environment is used,
    not ``.env``'s (see ``connect_kit.client._recording`` and ``_replay``). Not both at once.
    """
    from .client import ConnectSession, replay_session, resolve, start_recording

    if record is not None and replay is not None:
        from .errors import ConfigurationError

        raise ConfigurationError("record= and replay= cannot be given together: choose one")
    if replay is not None:
        return replay_session(
            env, replay, allow_writes=allow_writes, dotenv_path=dotenv_path, **options
        )
    session = ConnectSession(resolve(env, dotenv_path), allow_writes=allow_writes, **options)
    if record is not None:
        start_recording(session, record)
    return session


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext connect_kit``: the ``%connect`` and ``%%connect`` magics, whose sessions
    come from :func:`connect` (see ``connect_kit.exports._magics``)."""
    from .exports._magics import register

    register(ipython, connect)


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'connect_kit' has no attribute {name!r}")
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    value = getattr(module, attribute) if attribute else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
