"""export(), load() and openapi(): the front door of the exports."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..client import ConnectSession, Result, recorder_of
from ..client._recording import history_document
from ..errors import ConfigurationError
from . import _har, _http, _hurl, _postman, _pytest_module
from ._collection import Collection
from ._flow import from_har, from_results, har_path_of

FORMATS = ("har", "http", "postman", "hurl", "pytest")


def _format(path: Path, format: str | None) -> str:
    if format is not None:
        key = format.strip().lower().lstrip(".")
        key = {"py": "pytest", "rest": "http"}.get(key, key)
        if key not in FORMATS:
            raise ValueError(f"unknown format {format!r}: choose one of {', '.join(FORMATS)}")
        return key
    name = path.name.lower()
    if name.endswith(_postman.SUFFIX):
        return "postman"
    by_suffix = {".har": "har", ".http": "http", ".rest": "http", ".hurl": "hurl", ".py": "pytest"}
    if path.suffix.lower() in by_suffix:
        return by_suffix[path.suffix.lower()]
    raise ValueError(
        f"cannot tell the format of {path.name!r}: name it .har, .http, .hurl, .py or "
        f"NAME{_postman.SUFFIX}, or pass format= ({', '.join(FORMATS)})"
    )


def _collection(source: Any) -> tuple[Collection, Any, str]:
    """The collection of ``source``, the HAR file or Results behind it, and its env's name."""
    if isinstance(source, Collection):
        return source, None, "dev"
    if isinstance(source, list | tuple):
        results = list(source)
        env = results[0].request.env if results and isinstance(results[0], Result) else "dev"
        return from_results(results), results, env or "dev"
    if isinstance(source, ConnectSession) and recorder_of(source) is None:
        text = history_document(source)  # the exchanges its history keeps, redacted
        with tempfile.TemporaryDirectory() as folder:
            kept = Path(folder) / "history.har"
            kept.write_text(text)
            return from_har(kept), text, source.env.name.removeprefix("sandbox:")
    har = har_path_of(source)
    if har is None:
        raise TypeError(
            "export() takes a session, a HAR file's path, a Recorder or a list of "
            f"Results, not {type(source).__name__}"
        )
    path = Path(har)
    if path.suffix.lower() != ".har":
        return load(path), None, "dev"
    try:
        env = str(json.loads(path.read_text())["log"].get("_connectKit", {}).get("env") or "dev")
    except (OSError, ValueError, KeyError, AttributeError):
        env = "dev"
    return from_har(path), path, env.removeprefix("sandbox:")


def export(source: Any, path: str | os.PathLike[str], format: str | None = None) -> Path:
    """Write a flow for another tool: HAR, ``.http``, Postman, Hurl or a pytest module.

    Args:
        source: a session (what its history keeps, or its recording when it was connected
            with ``record=``), a HAR recording (its path or a ``Recorder``), a list of
            :class:`~connect_kit.Result`, or a loaded ``Collection``.
        path: the file to write; its name tells the format (``.har``, ``.http``, ``.hurl``,
            ``.py``, ``NAME.postman_collection.json``, with ``NAME.postman_environment.json``
            written beside it).
        format: ``"har"``, ``"http"``, ``"postman"``, ``"hurl"`` or ``"pytest"``, to override.

    Token calls become each format's own client-credentials request; ids that a later request
    reuses become variables captured from the earlier response; the caller's own ids
    (``user_id``, ``order_id``) are made new on each run. No secret is written: the client id
    and secret are variables for the user to supply, and a redacted value is a variable too.

    Returns:
        The path written (the collection's, for Postman).

    >>> import connect_kit as ck
    >>> with ck.connect("dev", record="flow.har") as dev:     # doctest: +SKIP
    ...     dev.call("create_user", user_id="ada", first_name="Ada", phone_number="+18005550100")
    >>> ck.export("flow.har", "flow.postman_collection.json")  # doctest: +SKIP
    """
    target = Path(path).expanduser()
    key = _format(target, format)
    collection, behind, env = _collection(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    if key == "har":
        if isinstance(behind, Path):
            text = behind.read_text()
        elif isinstance(behind, str):
            text = behind
        elif isinstance(behind, list):
            text = _har.render(behind)
        else:
            raise ConfigurationError("export() writes a .har from a recording or Results only")
        target.write_text(text)
    elif key == "http":
        target.write_text(_http.render(collection))
    elif key == "hurl":
        target.write_text(_hurl.render(collection))
    elif key == "pytest":
        target.write_text(_pytest_module.render(collection, env))
    else:
        name = target.name
        stem = name[: -len(_postman.SUFFIX)] if name.endswith(_postman.SUFFIX) else target.stem
        document, environment = _postman.render(collection, stem)
        target.write_text(document)
        (target.parent / f"{stem}.postman_environment.json").write_text(environment)
    return target


def load(path: str | os.PathLike[str]) -> Collection:
    """Read a ``.http`` file, a Postman collection or a HAR file into a ``Collection``.

    Its requests are named and matched to the spec's operations; ``collection.run(session)``
    sends them in order, with fresh ids and the same captures, and returns the Results (with
    ``.frame``, a summary: expected and actual status of each).
    """
    source = Path(path).expanduser()
    try:
        text = source.read_text()
    except OSError as exc:
        raise ConfigurationError(f"load({str(path)!r}): cannot read it: {exc}") from None
    name = source.name
    if name.lower().endswith((".http", ".rest")):
        return _http.parse(text, name)
    if name.lower().endswith(".har"):
        return from_har(source)
    try:
        document = json.loads(text)
    except ValueError:
        raise ConfigurationError(
            f"load({str(path)!r}): not a .http file, a HAR file or a Postman collection"
        ) from None
    if isinstance(document, dict) and "log" in document:
        return from_har(source)
    if isinstance(document, dict) and "item" in document:
        environment = None
        if name.endswith(_postman.SUFFIX):
            beside = source.with_name(name[: -len(_postman.SUFFIX)] + ".postman_environment.json")
            if beside.exists():
                environment = json.loads(beside.read_text())
        return _postman.parse(document, environment)
    raise ConfigurationError(
        f"load({str(path)!r}): not a .http file, a HAR file or a Postman collection"
    )


def openapi(server: str = "https://connect.instacart.com", sandbox: bool = False) -> dict[str, Any]:
    """The spec as an OpenAPI 3.1 document (a dict: ``json.dump`` it to a file), for Postman,
    Bruno, Insomnia or a code generator. ``sandbox=True`` adds the sandbox's own API."""
    from ..spec._openapi import openapi as document

    return document(server=server, sandbox=sandbox)
